"""The compiler: a ``Query`` (pure data) plus a ``Dialect`` becomes ``(sql, params)``.

``Scope`` resolves names (``"views"``, ``"pk"``, an annotation) to expressions; it is the one place
relations will add joins. The statement builders (``select``, ``count``, ``update``, ``delete``,
``insert``) write clauses through the dialect and never format a value
into SQL. (Hence the ``noqa: S608``: only quoted identifiers and placeholders are interpolated.)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from covet.orm._exceptions import FieldError, ValidationError
from covet.orm._fields import CharField, Field, IntegerField
from covet.orm.expressions import Col, Expr, Ref, Where
from covet.orm.expressions.base import Alias, OrderBy
from covet.orm.expressions.lookups import resolve_path

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect


class Ctx:
    """Collects parameters while nodes write SQL; ``inline`` renders literals instead (DDL)."""

    __slots__ = ("depth", "dialect", "inline", "labels", "negated", "outer", "params")

    def __init__(self, dialect: Dialect, *, inline: bool = False) -> None:
        self.dialect = dialect
        self.params: list[Any] = []
        self.inline = inline
        #: inside an odd number of NOTs (lookups on nullable columns then keep NULL rows out of
        #: the negated condition, so ``exclude(x=1)`` still returns rows where x is NULL)
        self.negated = False
        #: the scopes (and their labels) of the queries a subquery being written is inside
        #: (``OuterRef`` resolves against the last one)
        self.outer: list[tuple[Scope, Labels | None]] = []
        #: how the query level being written names its tables (None: by their own aliases)
        self.labels: Labels | None = None
        #: how many correlated subqueries deep the writing is
        self.depth = 0

    def table(self, alias: str) -> str:
        """The name a table of the query level being written has in the statement."""
        labels = self.labels
        return alias if labels is None else labels.get(alias)

    def param(self, value: Any) -> str:
        if self.inline:
            return self.dialect.literal(value)
        self.params.append(value)
        return self.dialect.placeholder(len(self.params))


class Labels:
    """The tables of a correlated subquery, renamed ``U0``, ``U1``, ... (``V0`` one level
    deeper, as Django's alias prefixes), so that they never share a name with a table of the
    query outside, whose columns ``OuterRef`` names: ``Book.objects.filter(Exists(
    Book.objects.filter(author=OuterRef("author"))))`` compares two different rows. The labels
    follow the scope's joins as they are added while the statement is written."""

    __slots__ = ("prefix", "scope")

    def __init__(self, scope: Scope, depth: int) -> None:
        self.scope = scope
        self.prefix = "UVWXYZ"[depth - 1] if depth <= 6 else f"S{depth}_"

    def get(self, alias: str) -> str:
        if alias == self.scope.table:
            return f"{self.prefix}0"
        for i, join in enumerate(self.scope.joins, 1):
            if join.alias == alias:
                return f"{self.prefix}{i}"
        return alias


class Join:
    """``[LEFT OUTER | INNER] JOIN table [alias] ON left.column = alias.column``: one step of a
    relation a query follows (``author__name``, ``books__title``, ``tags__name``)."""

    __slots__ = ("alias", "key", "left_alias", "left_field", "outer", "right_field", "table")

    def __init__(
        self, key: tuple[Any, ...], alias: str, table: str, left_alias: str,
        left_field: Field[Any], right_field: Field[Any], outer: bool,
    ) -> None:  # fmt: skip
        self.key, self.alias, self.table, self.outer = key, alias, table, outer
        self.left_alias, self.left_field, self.right_field = left_alias, left_field, right_field

    def as_sql(self, ctx: Ctx) -> str:
        d = ctx.dialect
        kind = "LEFT OUTER JOIN" if self.outer else "INNER JOIN"
        name = d.quote(self.table)
        alias = ctx.table(self.alias)
        if alias != self.table:
            name += f" AS {d.quote(alias)}"
        on = (
            f"{self.left_field.qualified(ctx.table(self.left_alias), d)} = "
            f"{self.right_field.qualified(alias, d)}"
        )
        return f" {kind} {name} ON {on}"


class Scope:
    """Name resolution for one query: fields of the model, annotations, and paths through
    relations (``author__name``), which add ``Join``s to the query's ``joins``.

    Django's multi-valued rule: a relation with many rows per row (a reverse foreign key, a
    many-to-many) gets a new join in each ``filter()`` call, reused within it (``reusable`` is
    the set of this call's joins), so ``filter(a).filter(b)`` may match different related rows
    and ``filter(a, b)`` the same one. Everything else (ordering, values, annotations) reuses
    any join on the same path."""

    def __init__(
        self,
        model: type[Model],
        annotations: dict[str, Expr] | None = None,
        joins: list[Join] | None = None,
        *,
        filtering: bool = False,
    ) -> None:
        self.model = model
        self.table = model._meta.table_name
        self.annotations = annotations or {}
        self.joins: list[Join] = joins if joins is not None else []
        self.reusable: set[str] | None = set() if filtering else None
        #: how many NOTs the lookups being resolved are under (see ``build_lookup``)
        self.negations = 0

    def field(self, name: str) -> Field[Any]:
        return self.model._meta.get_field(name)

    def ref(self, name: str) -> Expr:
        if name in self.annotations:
            return Ref(name, self.annotations[name])
        field = self.model._meta.fields_map.get(name)
        if field is not None:  # the common case, without walking
            return Col(self.table, field)
        expr, rest = self.walk([name])
        if rest:  # pragma: no cover - one name leaves nothing
            raise FieldError(f"cannot resolve {name!r}")
        return expr

    def walk(
        self, parts: Sequence[str], *, stop: frozenset[str] = frozenset()
    ) -> tuple[Expr, list[str]]:
        """The column ``parts`` lead to through relations, and the names left after it
        (transforms, a lookup). A path that ends on a relation (``author``, ``books``, or before
        a name in ``stop``: ``author__in``) is its key column: the foreign key itself, the
        related table's primary key, or the join table's column of a many-to-many."""
        first = parts[0]
        if first in self.annotations:
            return Ref(first, self.annotations[first]), list(parts[1:])
        model, alias, outer = self.model, self.table, False
        i = 0
        while True:
            name = parts[i]
            meta = model._meta
            rel = None if name in meta.fields_map else meta.relations.get(name)
            if rel is None:
                if name not in meta.fields_map and name != "pk":
                    pending = (
                        meta.pending_relation(name) if hasattr(meta, "pending_relation") else None
                    )
                    if pending is not None:
                        pending.target_field  # noqa: B018 (raises: target not defined)
                    _unknown(model, name)
                return Col(alias, meta.get_field(name), outer), list(parts[i + 1 :])
            rest = list(parts[i + 1 :])
            ends = not rest or rest[0] in stop
            steps = rel.steps()
            if not rel.reverse and not rel.m2m:  # a foreign key: its own column when it ends
                fk = steps[0].left_field
                if ends:
                    return Col(alias, fk, outer), rest
                target = steps[0].right_field
                if rest[0] in (target.name, "pk" if target.primary_key else target.name) and (
                    len(rest) == 1 or rest[1] in stop
                ):
                    return Col(alias, fk, outer), rest[1:]
            if rel.m2m and ends:  # the join table's column: no need to join the far table
                alias, outer = self._join(alias, steps[0], rel, outer)
                return Col(alias, steps[1].left_field, outer), rest
            for step in steps:
                alias, outer = self._join(alias, step, rel, outer)
            model = rel.related
            if ends:
                return Col(alias, model._meta.pk, outer), rest
            i += 1

    def join_path(self, parts: Sequence[str]) -> str:
        """Join every relation of ``parts``; the alias of the last table."""
        model, alias, outer = self.model, self.table, False
        for name in parts:
            rel = model._meta.relations[name]
            for step in rel.steps():
                alias, outer = self._join(alias, step, rel, outer)
            model = rel.related
        return alias

    def _join(self, left: str, step: Any, rel: Any, outer: bool) -> tuple[str, bool]:
        key = (left, id(step.left_field), id(step.right_field))
        multiple = rel.multiple
        for join in self.joins:
            if join.key == key and (
                not multiple or self.reusable is None or join.alias in self.reusable
            ):
                return join.alias, join.outer
        table = step.model._meta.table_name
        used = {self.table, *(j.alias for j in self.joins)}
        alias = table if table not in used else f"T{len(self.joins) + 2}"
        outer = outer or rel.nullable
        self.joins.append(Join(key, alias, table, left, step.left_field, step.right_field, outer))
        if self.reusable is not None:
            self.reusable.add(alias)
        return alias, outer

    def from_sql(self, ctx: Ctx) -> str:
        q = ctx.dialect.quote
        sql = f" FROM {q(self.table)}"
        label = ctx.table(self.table)
        if label != self.table:
            sql += f" AS {q(label)}"
        return sql + "".join(j.as_sql(ctx) for j in self.joins)


def _unknown(model: type[Model], name: str) -> None:
    meta = model._meta
    names = [*meta.fields_map, *meta.relations]
    raise FieldError(f"{model.__name__} has no field {name!r}; fields: {', '.join(names)}")


class Query:
    """The state of a QuerySet, cloned by every builder method."""

    __slots__ = (
        "annotations",
        "combined",
        "defer",
        "distinct",
        "distinct_fields",
        "fetch_mode",
        "for_update",
        "group_by",
        "hidden",
        "joins",
        "limit",
        "model",
        "offset",
        "only",
        "order_by",
        "prefetch",
        "select_related",
        "values",
        "where",
    )  # fmt: skip

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.where: list[Expr] = []
        #: names ("-views", "data__key"), "?" (random) or OrderBy expressions
        self.order_by: tuple[Any, ...] | None = None
        self.limit: int | None = None
        self.offset = 0
        self.distinct = False
        self.distinct_fields: tuple[str, ...] = ()
        self.only: tuple[str, ...] | None = None
        self.defer: tuple[str, ...] = ()
        self.annotations: dict[str, Expr] = {}
        #: annotations made by alias(): usable in filters and ordering, never selected
        self.hidden: frozenset[str] = frozenset()
        #: selected names (fields, annotations, transforms); () is every field and annotation
        self.values: tuple[str, ...] | None = None
        #: GROUP BY, fixed by the first aggregate annotation: the names then selected (values())
        #: or every field (one group per row); None: no aggregate annotation
        self.group_by: tuple[str, ...] | None = None
        self.for_update: tuple[bool, bool] | None = None
        #: union / intersection / difference: (operator, queries, all)
        self.combined: tuple[str, tuple[Query, ...], bool] | None = None
        self.joins: list[Join] = []
        #: select_related paths (``("author", "author__publisher")``)
        self.select_related: tuple[str, ...] = ()
        #: prefetch_related lookups (``Prefetch`` objects)
        self.prefetch: tuple[Any, ...] = ()
        self.fetch_mode: str | None = None

    def clone(self) -> Query:
        new = object.__new__(Query)
        new.model = self.model
        new.where = list(self.where)
        new.order_by = self.order_by
        new.limit = self.limit
        new.offset = self.offset
        new.distinct = self.distinct
        new.distinct_fields = self.distinct_fields
        new.only = self.only
        new.defer = self.defer
        new.annotations = dict(self.annotations) if self.annotations else {}
        new.hidden = self.hidden
        new.values = self.values
        new.group_by = self.group_by
        new.for_update = self.for_update
        new.combined = self.combined
        new.joins = list(self.joins)
        new.select_related = self.select_related
        new.prefetch = self.prefetch
        new.fetch_mode = self.fetch_mode
        return new

    def scope(self, *, filtering: bool = False, private: bool = False) -> Scope:
        """The names of this query. Builders (``filter``, ``annotate``) add their joins to the
        query; a statement being written (``private``) adds the joins only it needs
        (``select_related``, a default ordering) to a copy."""
        joins = list(self.joins) if private else self.joins
        return Scope(self.model, self.annotations, joins, filtering=filtering)

    def key(self) -> Hashable | None:
        """What the SELECT text depends on besides its rendered WHERE clause (see ``select``),
        or None when the statement is not cached."""
        if self.annotations or self.combined is not None or self.distinct_fields:
            return None
        if self.joins:
            return None
        order = self.order_by
        if order is not None and not all(type(o) is str and "__" not in o for o in order):
            return None  # expressions and transforms (their parameters precede WHERE's)
        if self.values and any("__" in name for name in self.values):
            return None
        return (
            order, self.limit is not None, bool(self.offset), self.distinct, self.only,
            self.defer, self.values, self.for_update, self.select_related,
        )  # fmt: skip

    @property
    def sliced(self) -> bool:
        return self.limit is not None or bool(self.offset)

    @property
    def grouped(self) -> bool:
        return self.group_by is not None


class Related(NamedTuple):
    """Columns ``start:stop`` of a row are a ``model`` instance for ``select_related``: stored
    under ``cache`` on the instance of the segment ``parent`` (-1: the row's own object).
    ``key`` >= 0: the instance's primary key is not among its columns but is column ``key``
    of the row, the foreign key that an inner join matched to it."""

    model: Any
    start: int
    stop: int
    parent: int
    cache: str
    key: int = -1


class Selected(NamedTuple):
    sql: str
    params: list[Any]
    names: list[str]
    converters: list[tuple[int, Callable[[Any], Any]]]
    related: tuple[Related, ...] = ()


def _selection(q: Query, scope: Scope) -> list[tuple[str, Expr]]:
    meta = q.model._meta
    if q.values is not None:
        shown = [n for n in q.annotations if n not in q.hidden]
        names = q.values or (*[f.name for f in meta.fields], *shown)
        return [(name, resolve_path(scope, name)) for name in names]
    fields = meta.fields
    if q.only is not None:
        wanted = {meta.get_field(n).name for n in q.only} | {meta.pk.name}
        fields = [f for f in fields if f.name in wanted]
    if q.defer:
        dropped = {meta.get_field(n).name for n in q.defer} - {meta.pk.name}
        fields = [f for f in fields if f.name not in dropped]
    out: list[tuple[str, Expr]] = [(f.name, Col(scope.table, f)) for f in fields]
    out.extend(
        (name, Ref(name, expr)) for name, expr in q.annotations.items() if name not in q.hidden
    )
    return out


def _related_selection(
    q: Query, scope: Scope, own: list[str], *, compact: bool
) -> tuple[list[tuple[str, Expr]], tuple[Related, ...]]:
    """The columns of every ``select_related`` path (LEFT JOINs where a row may have no
    related row) and where each instance's columns are in the row, after ``own`` (the names
    of the query's own columns).

    ``compact``: a related instance reached by an INNER JOIN on a foreign key to its integer
    primary key does not select that key, the same number as the foreign key's column already
    in the row (one column fewer to send and decode per row and relation). Only integers: a
    string key may equal its foreign key under the column's collation yet differ in case or
    trailing spaces (MariaDB). Not in a UNION's parts, which must agree column for column."""
    out: list[tuple[str, Expr]] = []
    segments: list[Related] = []
    index: dict[str, int] = {}
    start = len(own)
    for path in q.select_related:
        parts = path.split("__")
        for depth in range(len(parts)):
            prefix = "__".join(parts[: depth + 1])
            if prefix in index:
                continue
            alias = scope.join_path(parts[: depth + 1])
            rel = _single_relation(q.model, parts[: depth + 1])
            meta = rel.related._meta
            parent = index["__".join(parts[:depth])] if depth else -1
            first = start + len(out)
            key = -1
            fields = meta.fields
            if compact and not rel.reverse and rel.field.target_field is meta.pk:
                fk = rel.field.name
                if depth:  # the column of the parent's segment: "author__publisher_id"
                    fk = f"{'__'.join(parts[:depth])}__{fk}"
                names = own if depth == 0 else [n for n, _ in out]
                inner = not next(j.outer for j in scope.joins if j.alias == alias)
                if inner and isinstance(meta.pk, IntegerField) and fk in names:
                    key = names.index(fk) + (0 if depth == 0 else start)
                    fields = [f for f in fields if f is not meta.pk]
            out.extend((f"{prefix}__{f.name}", Col(alias, f)) for f in fields)
            cache = rel.accessor if rel.reverse else rel.name
            segments.append(Related(rel.related, first, start + len(out), parent, cache, key))
            index[prefix] = len(segments) - 1
    return out, tuple(segments)


def _single_relation(model: type[Model], parts: Sequence[str]) -> Any:
    rel = None
    for name in parts:
        rel = model._meta.relations.get(name)
        if rel is None or rel.multiple:
            kind = "a many-valued relation" if rel is not None else "not a relation"
            raise FieldError(
                f"select_related({'__'.join(parts)!r}): {name!r} on {model.__name__} is {kind}; "
                "select_related follows foreign keys and one-to-one relations "
                "(use prefetch_related for the others)"
            )
        model = rel.related
    return rel


def _group_by(q: Query, scope: Scope, selection: list[tuple[str, Expr]]) -> list[Expr]:
    """GROUP BY: the names fixed when the first aggregate was annotated, then whatever else is
    selected or ordered by that is not an aggregate (as Django)."""
    if q.group_by is None:
        return []
    names = list(q.group_by)
    exprs = [resolve_path(scope, n) for n in names]
    for name, expr in selection:
        if name not in names and not expr.contains_aggregate and not expr.contains_over:
            names.append(name)
            exprs.append(expr)
    for term in _order_terms(q, scope):
        inner = term.expression if isinstance(term, OrderBy) else term
        if isinstance(inner, Ref) and inner.name in names:
            continue
        if isinstance(inner, Col) and inner.field.name in names:
            continue
        if not inner.contains_aggregate and not inner.contains_over and not _is_random(inner):
            exprs.append(inner)
    return exprs


class _Random(Expr):
    def as_sql(self, ctx: Ctx) -> str:
        return ctx.dialect.random()


def _is_random(expr: Expr) -> bool:
    return isinstance(expr, _Random)


def _order_terms(q: Query, scope: Scope) -> list[Expr]:
    order = q.order_by
    if order is None:
        # the default ordering would have to be selected too under DISTINCT of chosen columns,
        # and is not used with GROUP BY (as Django 3.1+)
        chosen = q.values is not None
        skip = (chosen and q.distinct) or q.grouped or q.distinct_fields
        order = () if skip else tuple(q.model._meta.ordering)
    terms: list[Expr] = []
    for item in order:
        if item == "?":
            terms.append(_Random())
        elif isinstance(item, str):
            desc = item.startswith("-")
            for name, flip in _by_relation(q.model, item.lstrip("-+")):
                terms.append(OrderBy(resolve_path(scope, name), descending=desc != flip))
        else:
            terms.append(item.resolve(scope))
    return terms


def _by_relation(model: type[Model], path: str, depth: int = 0) -> list[tuple[str, bool]]:
    """``order_by("author")``: by the related model's ``Meta.ordering`` (as Django), else by
    the key; ``(path, reversed)`` pairs."""
    target = model
    for name in path.split("__"):
        meta = target._meta
        rel = None if name in meta.fields_map else meta.relations.get(name)
        if rel is None:
            return [(path, False)]
        target = rel.related
    ordering = target._meta.ordering
    if not ordering or depth > 3 or rel is None or rel.multiple or rel.reverse:
        return [(path, False)]
    out: list[tuple[str, bool]] = []
    for item in ordering:
        flip = item.startswith("-")
        for name, inner in _by_relation(model, f"{path}__{item.lstrip('-+')}", depth + 1):
            out.append((name, flip != inner))
    return out


def _from_where(q: Query, scope: Scope, ctx: Ctx, *, group: Sequence[Expr] = ()) -> str:
    sql = scope.from_sql(ctx) + _where(q, ctx)
    having = [w for w in q.where if w.contains_aggregate]
    if group:
        sql += " GROUP BY " + ", ".join(g.as_sql(ctx) for g in group)
    having_sql = _conditions(having, ctx)
    if having_sql:
        sql += " HAVING " + having_sql
    return sql


def _order(q: Query, scope: Scope, ctx: Ctx) -> str:
    terms = _order_terms(q, scope)
    if not terms:
        return ""
    return " ORDER BY " + ", ".join(t.as_sql(ctx) for t in terms)


_CACHE_LIMIT = 512


def select(q: Query, dialect: Dialect) -> Selected:
    """The SELECT for ``q``. The statement is cached by its rendered WHERE clause (the text, with
    the parameters collected on the way) and the rest of the query's structure: on a hit only
    the WHERE clause was written. Queries with annotations (whose parameters come first),
    expressions in ORDER BY or set operations are compiled afresh every time."""
    key = q.key()
    if key is None:
        return _select(q, dialect)
    ctx = Ctx(dialect)
    where = _where(q, ctx)
    cache = q.model._meta.cache
    full_key = ("select", dialect.name, key, where)
    hit: Selected | None = cache.get(full_key)
    if hit is not None:
        params = ctx.params
        if q.limit is not None:
            params.append(int(q.limit))
        if q.offset:
            params.append(int(q.offset))
        return Selected(hit.sql, params, hit.names, hit.converters, hit.related)
    sel = _select(q, dialect)
    if len(cache) > _CACHE_LIMIT:
        for old in [k for k in cache if k[0] == "select"]:
            del cache[old]
    cache[full_key] = sel
    return sel


def _where(q: Query, ctx: Ctx) -> str:
    nodes = [w for w in q.where if not w.contains_aggregate]
    for node in nodes:
        if node.contains_over:
            raise FieldError("a window expression cannot be filtered on; filter in Python")
    sql = _conditions(nodes, ctx)
    return " WHERE " + sql if sql else ""


def _conditions(nodes: list[Expr], ctx: Ctx) -> str:
    """Conditions ANDed together ("" when there are none or they hold no condition)."""
    if len(nodes) == 1:
        return nodes[0].as_sql(ctx)
    return Where(nodes).as_sql(ctx) if nodes else ""


def _select(q: Query, dialect: Dialect) -> Selected:
    return _select_in(q, Ctx(dialect), compact=True)


class Subquery(Expr):
    """A QuerySet used as the right-hand side of ``in``: ``x IN (SELECT one column ...)``.

    A model QuerySet selects its primary key; ``values_list``/``values`` must name one column.
    Its parameters are numbered in the outer statement's sequence (``Ctx`` is shared)."""

    def __init__(self, q: Query) -> None:
        q = q.clone()
        meta = q.model._meta
        if q.values is None:
            q.values = (meta.pk.name,)
            q.only, q.defer = None, ()
        elif len(q.values) != 1:
            names = ", ".join(q.values) or "every field"
            raise FieldError(
                f"a QuerySet used as an 'in' value must select one column, not {names}; "
                f"use values_list('<field>', flat=True)"
            )
        if q.order_by is None and q.limit is None and not q.offset:
            q.order_by = ()  # the default ordering sorts rows nobody reads in order
        self.query = q
        self.output_field = resolve_path(q.scope(private=True), q.values[0]).output_field

    def as_sql(self, ctx: Ctx) -> str:
        sql = _select_in(self.query, ctx).sql
        if self.query.sliced and not ctx.dialect.supports_limit_in_subquery:
            # MariaDB refuses LIMIT inside IN (...) but not in a derived table
            return f"(SELECT * FROM ({sql}) AS {ctx.dialect.quote('in_sub')})"  # noqa: S608
        return f"({sql})"


def _select_in(
    q: Query, ctx: Ctx, *, aliased: bool = False, correlated: bool = False, compact: bool = False
) -> Selected:
    """The SELECT for ``q`` with its parameters appended to ``ctx`` (a subquery shares it).
    ``aliased``: every column named (a subquery in FROM is read by those names);
    ``correlated``: a subquery whose ``OuterRef``s name the query outside (its tables are
    renamed, see ``Labels``); ``compact``: a statement whose rows become objects (see
    ``_related_selection``)."""
    if q.combined is not None:
        return _combined(q, ctx)
    scope = q.scope(private=True)
    saved = ctx.labels
    ctx.labels = Labels(scope, ctx.depth) if correlated else None
    try:
        return _select_scoped(q, scope, ctx, aliased, compact)
    finally:
        ctx.labels = saved


def _select_scoped(q: Query, scope: Scope, ctx: Ctx, aliased: bool, compact: bool) -> Selected:
    dialect = ctx.dialect
    start = len(ctx.params)
    selection = _selection(q, scope)
    related: tuple[Related, ...] = ()
    if q.select_related and q.values is None:
        own = [n for n, _ in selection]
        extra, related = _related_selection(q, scope, own, compact=compact and not aliased)
        selection.extend(extra)
    _order_terms(q, scope)  # joins of the ordering exist before FROM is written
    cols = []
    converters = []
    for i, (name, expr) in enumerate(selection):
        sql = expr.as_sql(ctx)
        plain = isinstance(expr, Col) and not aliased
        cols.append(sql if plain else f"{sql} AS {dialect.quote(name)}")
        field = expr.output_field
        conv = field.converter(dialect) if field is not None else None
        if conv is not None:
            converters.append((i, conv))
    group = _group_by(q, scope, selection)
    sql = "SELECT " + _distinct(q, scope, ctx) + ", ".join(cols)
    sql += _from_where(q, scope, ctx, group=group)
    sql += _order(q, scope, ctx)
    sql += _limit_offset(q.limit, q.offset, ctx)
    if q.for_update is not None:
        sql += dialect.for_update(nowait=q.for_update[0], skip_locked=q.for_update[1])
    return Selected(sql, ctx.params[start:], [n for n, _ in selection], converters, related)


def _distinct(q: Query, scope: Scope, ctx: Ctx) -> str:
    if q.distinct_fields:
        on = ", ".join(resolve_path(scope, n).as_sql(ctx) for n in q.distinct_fields)
        return f"DISTINCT ON ({on}) "
    return "DISTINCT " if q.distinct else ""


def _combined(q: Query, ctx: Ctx) -> Selected:
    """``a UNION b`` (INTERSECT, EXCEPT), each part in parentheses; ORDER BY and LIMIT of the
    combined query by the first part's column positions."""
    assert q.combined is not None
    operator, parts, keep_all = q.combined
    start = len(ctx.params)
    texts = []
    first: Selected | None = None
    for part in parts:
        sel = _select_in(part, ctx)
        first = first or sel
        texts.append(ctx.dialect.compound_part(sel.sql))
    assert first is not None
    sql = f" {operator}{' ALL' if keep_all else ''} ".join(texts)
    names = first.names
    if q.order_by:
        terms = []
        for item in q.order_by:
            if not isinstance(item, str) or item.lstrip("-+") not in names:
                raise FieldError(
                    f"order_by({item!r}) after {operator.lower()}(): order by a selected column"
                )
            position = names.index(item.lstrip("-+")) + 1
            terms.append(f"{position}{' DESC' if item.startswith('-') else ''}")
        sql += " ORDER BY " + ", ".join(terms)
    sql += _limit_offset(q.limit, q.offset, ctx)
    return Selected(sql, ctx.params[start:], names, first.converters)


def count(q: Query, dialect: Dialect) -> tuple[str, list[Any]]:
    if q.distinct or q.sliced or q.grouped or q.combined is not None or q.distinct_fields:
        if not q.sliced:
            q = q.clone()
            q.order_by = ()
        inner = select(q, dialect)
        sql = f"SELECT COUNT(*) FROM ({inner.sql}) AS {dialect.quote('sub')}"  # noqa: S608
        return sql, inner.params
    scope = q.scope(private=True)
    ctx = Ctx(dialect)
    return "SELECT COUNT(*)" + _from_where(q, scope, ctx), ctx.params


def exists(q: Query, dialect: Dialect) -> tuple[str, list[Any]]:
    limit = 1 if q.limit is None else min(q.limit, 1)  # qs[:0].exists() is False
    ctx = Ctx(dialect)
    if q.grouped or q.combined is not None or q.distinct_fields:
        # the groups (HAVING) decide which rows exist: select them, then look for one
        inner = q.clone()
        if not inner.sliced:
            inner.order_by = ()
        sel = _select_in(inner, ctx)
        sql = f"SELECT 1 FROM ({sel.sql}) AS {dialect.quote('sub')}"  # noqa: S608
        return sql + _limit_offset(1, 0, ctx), ctx.params
    scope = q.scope(private=True)
    sql = "SELECT 1" + _from_where(q, scope, ctx)
    return sql + _limit_offset(limit, q.offset, ctx), ctx.params


def _limit_offset(limit: int | None, offset: int, ctx: Ctx) -> str:
    """LIMIT/OFFSET as parameters, in this order (``select``'s cache hits append them so)."""
    return ctx.dialect.limit_offset(
        None if limit is None else ctx.param(int(limit)),
        ctx.param(int(offset)) if offset else None,
    )


class _Sub:
    """Names of a subquery in FROM as a scope: each column by its alias."""

    def __init__(self, alias: str, fields: dict[str, Field[Any] | None]) -> None:
        self.alias, self.fields = alias, fields
        self.annotations: dict[str, Expr] = {}
        self.negations = 0
        self.model: Any = None

    def ref(self, name: str) -> Expr:
        if name not in self.fields:
            raise FieldError(f"cannot resolve {name!r} here; choices: {', '.join(self.fields)}")
        return Alias(self.alias, name, self.fields[name])

    def walk(
        self, parts: Sequence[str], *, stop: frozenset[str] = frozenset()
    ) -> tuple[Expr, list[str]]:
        return self.ref(parts[0]), list(parts[1:])


def aggregate(q: Query, dialect: Dialect, aggs: dict[str, Expr]) -> Selected:
    """``aggregate()``: one row of aggregates over the query's rows, or over the rows of the
    query as a subquery when they are groups, a slice, distinct or combined (so
    ``annotate(n=Count(...)).aggregate(Avg("n"))`` averages the counts, as in Django)."""
    ctx = Ctx(dialect)
    over_subquery = q.sliced or q.distinct or q.grouped or q.combined is not None
    over_subquery = over_subquery or bool(q.distinct_fields)
    resolved: dict[str, Expr] = {}
    inner = q
    if over_subquery:
        inner = q.clone()
        if not inner.sliced:
            inner.order_by = ()
        scope = inner.scope(private=True)
        if inner.values is None:
            shown = [n for n in inner.annotations if n not in inner.hidden]
            inner.values = (*[f.name for f in q.model._meta.fields], *shown)
        fields = {n: resolve_path(scope, n).output_field for n in inner.values}
        outer_scope: Any = _Sub("sub", fields)
        resolved = {name: agg.resolve(outer_scope) for name, agg in aggs.items()}
    else:
        scope = q.scope(private=True)
        resolved = {name: agg.resolve(scope) for name, agg in aggs.items()}
    cols, converters = [], []
    for i, (name, expr) in enumerate(resolved.items()):  # written first: `%s` bind in order
        if not expr.contains_aggregate:
            raise TypeError(f"aggregate({name}=...) is not an aggregate expression")
        cols.append(f"{expr.as_sql(ctx)} AS {dialect.quote(name)}")
        field = expr.output_field
        conv = field.converter(dialect) if field is not None else None
        if conv is not None:
            converters.append((i, conv))
    if over_subquery:
        sub = _select_in(inner, ctx, aliased=True)
        from_sql = f" FROM ({sub.sql}) AS {dialect.quote('sub')}"
    else:
        from_sql = _from_where(q, scope, ctx)
    return Selected("SELECT " + ", ".join(cols) + from_sql, ctx.params, list(aggs), converters)


def update(q: Query, dialect: Dialect, values: dict[str, Any]) -> tuple[str, list[Any]]:
    if q.sliced:
        raise FieldError("cannot update a sliced QuerySet")
    if not values:
        raise ValueError("update() needs at least one field=value")
    scope = q.scope(private=True)
    ctx = Ctx(dialect)
    sets = []
    for name, value in values.items():
        field = scope.field(name)
        if field.generated:
            raise FieldError(f"{name!r} is a GeneratedField: the database computes it")
        if isinstance(value, Expr):
            rhs = value.resolve(scope).as_sql(ctx)
        else:
            if value is not None:
                try:
                    value = field.get_prep_value(value)
                except (TypeError, ValueError, ArithmeticError) as error:
                    raise ValidationError({field.name: [f"invalid value: {error}"]}) from None
            limit = field.max_length if isinstance(field, CharField) else None
            if limit is not None and isinstance(value, str) and len(value) > limit:
                # checked here as save() does: SQLite would store the whole string
                message = f"at most {limit} characters (it has {len(value)})"
                raise ValidationError({field.name: [message]})
            rhs = ctx.param(field.adapter(dialect)(value))
        sets.append(f"{dialect.quote(field.column)} = {rhs}")
    if len(scope.joins) > len(q.joins):
        raise FieldError(
            "update() values cannot refer to fields of related models (as Django); filter on "
            "them instead, or use Subquery(...) for a value from another table"
        )
    sql = f"UPDATE {dialect.quote(scope.table)} SET {', '.join(sets)}"  # noqa: S608
    where = _through_joins(q, ctx) if q.joins else _conditions(q.where, ctx)
    return (sql + " WHERE " + where if where else sql), ctx.params


def delete(q: Query, dialect: Dialect) -> tuple[str, list[Any]]:
    if q.sliced:
        raise FieldError("cannot delete from a sliced QuerySet")
    scope = q.scope(private=True)
    ctx = Ctx(dialect)
    sql = f"DELETE FROM {dialect.quote(scope.table)}"  # noqa: S608
    where = _through_joins(q, ctx) if q.joins else _conditions(q.where, ctx)
    return (sql + " WHERE " + where if where else sql), ctx.params


def _through_joins(q: Query, ctx: Ctx) -> str:
    """UPDATE / DELETE of rows chosen through joins: ``pk IN (SELECT pk ...)``, the inner
    SELECT in a derived table (MariaDB refuses a subquery on the table it changes)."""
    inner = q.clone()
    pk = q.model._meta.pk
    inner.values, inner.order_by = (pk.name,), ()
    sub = _select_in(inner, ctx).sql
    d = ctx.dialect
    column = d.quote(pk.column)
    return f"{column} IN (SELECT * FROM ({sub}) AS {d.quote('sub')})"  # noqa: S608


class Conflict(NamedTuple):
    """What an INSERT does on a unique clash: ``ignore``, or update ``update`` columns."""

    ignore: bool
    target: tuple[str, ...] = ()
    update: tuple[str, ...] = ()


def insert(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    dialect: Dialect,
    *,
    returning: Sequence[str] = (),
    conflict: Conflict | None = None,
    kinds: Sequence[str] | None = None,
) -> tuple[str, list[Any]]:
    """INSERT of ``rows``. With the columns' ``kinds`` (a bulk insert) a dialect that can takes
    the rows as one array per column (PostgreSQL: ``SELECT ... FROM unnest($1::type[], ...)``):
    one statement text, so one prepared statement, whatever the number of rows."""
    q = dialect.quote
    verb, suffix = "INSERT INTO", ""
    if conflict is not None:
        if conflict.ignore:
            verb, suffix = dialect.insert_ignore()
        else:
            suffix = dialect.upsert(conflict.target, conflict.update)
    if not columns:
        if len(rows) != 1 or conflict is not None:
            raise FieldError("a multi-row insert needs at least one column")
        sql = dialect.insert_default_values(table)
        return sql + (dialect.returning(returning) if returning else ""), []
    width = len(columns)
    head = f"{verb} {q(table)} ({', '.join(q(c) for c in columns)})"
    if kinds is not None and dialect.supports_array_insert and rows:
        if len(kinds) != width or any(len(row) != width for row in rows):
            raise ValueError("every inserted row needs one value per column")
        arrays = [list(column) for column in zip(*rows, strict=True)]
        for i, kind in enumerate(kinds):
            element = dialect.array_element(kind)
            if element is not None:
                arrays[i] = [None if x is None else element(x) for x in arrays[i]]
        sql = f"{head} {dialect.array_rows(kinds)}{suffix}"
        return sql + (dialect.returning(returning) if returning else ""), arrays
    params: list[Any] = []
    groups = []
    n = 0
    param = dialect.param
    for row in rows:
        if len(row) != width:
            raise ValueError("every inserted row needs one value per column")
        groups.append("(" + ", ".join(param(n + i + 1) for i in range(width)) + ")")
        n += width
        params.extend(row)
    sql = f"{head} VALUES {', '.join(groups)}{suffix}"
    if returning:
        sql += dialect.returning(returning)
    return sql, params

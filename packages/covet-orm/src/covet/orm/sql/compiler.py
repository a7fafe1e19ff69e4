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
from covet.orm._fields import CharField, Field
from covet.orm.expressions import Col, Expr, Ref, Where

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect


class Ctx:
    """Collects parameters while nodes write SQL; ``inline`` renders literals instead (DDL)."""

    __slots__ = ("dialect", "inline", "negated", "params")

    def __init__(self, dialect: Dialect, *, inline: bool = False) -> None:
        self.dialect = dialect
        self.params: list[Any] = []
        self.inline = inline
        #: inside an odd number of NOTs (lookups on nullable columns then keep NULL rows out of
        #: the negated condition, so ``exclude(x=1)`` still returns rows where x is NULL)
        self.negated = False

    def param(self, value: Any) -> str:
        if self.inline:
            return self.dialect.literal(value)
        self.params.append(value)
        return self.dialect.placeholder(len(self.params))


class Scope:
    """Name resolution for one query: fields of the model, then annotations."""

    def __init__(self, model: type[Model], annotations: dict[str, Expr] | None = None) -> None:
        self.model = model
        self.table = model._meta.table_name
        self.annotations = annotations or {}

    def field(self, name: str) -> Field[Any]:
        return self.model._meta.get_field(name)

    def ref(self, name: str) -> Expr:
        if name in self.annotations:
            return Ref(name, self.annotations[name])
        return Col(self.table, self.field(name))


class Query:
    """The state of a QuerySet, cloned by every builder method."""

    __slots__ = (
        "annotations", "defer", "distinct", "for_update", "limit", "model", "offset", "only",
        "order_by", "values", "where",
    )  # fmt: skip

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.where: list[Expr] = []
        self.order_by: tuple[str, ...] | None = None
        self.limit: int | None = None
        self.offset = 0
        self.distinct = False
        self.only: tuple[str, ...] | None = None
        self.defer: tuple[str, ...] = ()
        self.annotations: dict[str, Expr] = {}
        self.values: tuple[str, ...] | None = None
        self.for_update: tuple[bool, bool] | None = None

    def clone(self) -> Query:
        new = object.__new__(Query)
        new.model = self.model
        new.where = list(self.where)
        new.order_by = self.order_by
        new.limit = self.limit
        new.offset = self.offset
        new.distinct = self.distinct
        new.only = self.only
        new.defer = self.defer
        new.annotations = dict(self.annotations) if self.annotations else {}
        new.values = self.values
        new.for_update = self.for_update
        return new

    def scope(self) -> Scope:
        return Scope(self.model, self.annotations)

    def key(self) -> Hashable:
        """What the SELECT text depends on besides its rendered WHERE clause (see ``select``)."""
        return (
            self.order_by, self.limit is not None, bool(self.offset), self.distinct, self.only,
            self.defer, self.values, self.for_update,
        )  # fmt: skip

    @property
    def sliced(self) -> bool:
        return self.limit is not None or bool(self.offset)


class Selected(NamedTuple):
    sql: str
    params: list[Any]
    names: list[str]
    converters: list[tuple[int, Callable[[Any], Any]]]


def _selection(q: Query, scope: Scope) -> list[tuple[str, Expr]]:
    meta = q.model._meta
    if q.values is not None:
        names = q.values or (*[f.name for f in meta.fields], *q.annotations)
        return [(name, scope.ref(name)) for name in names]
    fields = meta.fields
    if q.only is not None:
        wanted = {meta.get_field(n).name for n in q.only} | {meta.pk.name}
        fields = [f for f in fields if f.name in wanted]
    if q.defer:
        dropped = {meta.get_field(n).name for n in q.defer} - {meta.pk.name}
        fields = [f for f in fields if f.name not in dropped]
    out: list[tuple[str, Expr]] = [(f.name, Col(scope.table, f)) for f in fields]
    out.extend((name, Ref(name, expr)) for name, expr in q.annotations.items())
    return out


def _from_where(q: Query, scope: Scope, ctx: Ctx, *, group: Sequence[Expr] = ()) -> str:
    sql = f" FROM {ctx.dialect.quote(scope.table)}" + _where(q, ctx)
    having = [w for w in q.where if w.contains_aggregate]
    if group:
        sql += " GROUP BY " + ", ".join(g.as_sql(ctx) for g in group)
    having_sql = _conditions(having, ctx)
    if having_sql:
        sql += " HAVING " + having_sql
    return sql


def _order(q: Query, scope: Scope, ctx: Ctx) -> str:
    order = q.order_by
    if order is None:
        # the default ordering would have to be selected too under DISTINCT of chosen columns
        # (and is not grouped on, so values(...).annotate(n=Count(...)) leaves it out, as Django)
        chosen = q.values is not None
        grouped = chosen and any(e.contains_aggregate for e in q.annotations.values())
        order = () if (chosen and q.distinct) or grouped else tuple(q.model._meta.ordering)
    if not order:
        return ""
    parts = []
    for item in order:
        desc = item.startswith("-")
        expr = scope.ref(item.lstrip("-+"))
        parts.append(expr.as_sql(ctx) + (" DESC" if desc else ""))
    return " ORDER BY " + ", ".join(parts)


_CACHE_LIMIT = 512


def select(q: Query, dialect: Dialect) -> Selected:
    """The SELECT for ``q``. The statement is cached by its rendered WHERE clause (the text, with
    the parameters collected on the way) and the rest of the query's structure: on a hit only
    the WHERE clause was written. Queries with annotations (whose parameters come first) are
    compiled afresh every time."""
    if q.annotations:
        return _select(q, dialect)
    ctx = Ctx(dialect)
    where = _where(q, ctx)
    cache = q.model._meta.cache
    key = ("select", dialect.name, q.key(), where)
    hit: Selected | None = cache.get(key)
    if hit is not None:
        params = ctx.params
        if q.limit is not None:
            params.append(int(q.limit))
        if q.offset:
            params.append(int(q.offset))
        return Selected(hit.sql, params, hit.names, hit.converters)
    sel = _select(q, dialect)
    if len(cache) > _CACHE_LIMIT:
        for old in [k for k in cache if k[0] == "select"]:
            del cache[old]
    cache[key] = sel
    return sel


def _where(q: Query, ctx: Ctx) -> str:
    sql = _conditions([w for w in q.where if not w.contains_aggregate], ctx)
    return " WHERE " + sql if sql else ""


def _conditions(nodes: list[Expr], ctx: Ctx) -> str:
    """Conditions ANDed together ("" when there are none or they hold no condition)."""
    if len(nodes) == 1:
        return nodes[0].as_sql(ctx)
    return Where(nodes).as_sql(ctx) if nodes else ""


def _select(q: Query, dialect: Dialect) -> Selected:
    return _select_in(q, Ctx(dialect))


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
        self.output_field = q.scope().ref(q.values[0]).output_field

    def as_sql(self, ctx: Ctx) -> str:
        return f"({_select_in(self.query, ctx).sql})"


def _select_in(q: Query, ctx: Ctx) -> Selected:
    """The SELECT for ``q`` with its parameters appended to ``ctx`` (a subquery shares it)."""
    dialect = ctx.dialect
    scope = q.scope()
    start = len(ctx.params)
    selection = _selection(q, scope)
    cols = []
    converters = []
    for i, (name, expr) in enumerate(selection):
        sql = expr.as_sql(ctx)
        cols.append(sql if isinstance(expr, Col) else f"{sql} AS {dialect.quote(name)}")
        field = expr.output_field
        conv = field.converter(dialect) if field is not None else None
        if conv is not None:
            converters.append((i, conv))
    group: list[Expr] = []
    if any(e.contains_aggregate for e in q.annotations.values()):
        group = [e for _, e in selection if not e.contains_aggregate]
    sql = "SELECT " + ("DISTINCT " if q.distinct else "") + ", ".join(cols)
    sql += _from_where(q, scope, ctx, group=group)
    sql += _order(q, scope, ctx)
    sql += _limit_offset(q.limit, q.offset, ctx)
    if q.for_update is not None:
        sql += dialect.for_update(nowait=q.for_update[0], skip_locked=q.for_update[1])
    return Selected(sql, ctx.params[start:], [n for n, _ in selection], converters)


def count(q: Query, dialect: Dialect) -> tuple[str, list[Any]]:
    if q.distinct or q.sliced or any(e.contains_aggregate for e in q.annotations.values()):
        if not q.sliced:
            q = q.clone()
            q.order_by = ()
        inner = select(q, dialect)
        sql = f"SELECT COUNT(*) FROM ({inner.sql}) AS {dialect.quote('sub')}"  # noqa: S608
        return sql, inner.params
    scope = q.scope()
    ctx = Ctx(dialect)
    return "SELECT COUNT(*)" + _from_where(q, scope, ctx), ctx.params


def exists(q: Query, dialect: Dialect) -> tuple[str, list[Any]]:
    scope = q.scope()
    ctx = Ctx(dialect)
    sql = "SELECT 1" + _from_where(q, scope, ctx)
    limit = 1 if q.limit is None else min(q.limit, 1)  # qs[:0].exists() is False
    return sql + _limit_offset(limit, q.offset, ctx), ctx.params


def _limit_offset(limit: int | None, offset: int, ctx: Ctx) -> str:
    """LIMIT/OFFSET as parameters, in this order (``select``'s cache hits append them so)."""
    return ctx.dialect.limit_offset(
        None if limit is None else ctx.param(int(limit)),
        ctx.param(int(offset)) if offset else None,
    )


def aggregate(q: Query, dialect: Dialect, aggs: dict[str, Expr]) -> Selected:
    if q.sliced or q.distinct:
        raise FieldError("aggregate() on a sliced or distinct QuerySet is not supported")
    scope = q.scope()
    ctx = Ctx(dialect)
    cols, converters = [], []
    for i, (name, agg) in enumerate(aggs.items()):
        expr = agg.resolve(scope)
        cols.append(f"{expr.as_sql(ctx)} AS {dialect.quote(name)}")
        field = expr.output_field
        conv = field.converter(dialect) if field is not None else None
        if conv is not None:
            converters.append((i, conv))
    sql = "SELECT " + ", ".join(cols) + _from_where(q, scope, ctx)
    return Selected(sql, ctx.params, list(aggs), converters)


def update(q: Query, dialect: Dialect, values: dict[str, Any]) -> tuple[str, list[Any]]:
    if q.sliced:
        raise FieldError("cannot update a sliced QuerySet")
    if not values:
        raise ValueError("update() needs at least one field=value")
    scope = q.scope()
    ctx = Ctx(dialect)
    sets = []
    for name, value in values.items():
        field = scope.field(name)
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
    sql = f"UPDATE {dialect.quote(scope.table)} SET {', '.join(sets)}"  # noqa: S608
    where = _conditions(q.where, ctx)
    return (sql + " WHERE " + where if where else sql), ctx.params


def delete(q: Query, dialect: Dialect) -> tuple[str, list[Any]]:
    if q.sliced:
        raise FieldError("cannot delete from a sliced QuerySet")
    scope = q.scope()
    ctx = Ctx(dialect)
    sql = f"DELETE FROM {dialect.quote(scope.table)}"  # noqa: S608
    where = _conditions(q.where, ctx)
    return (sql + " WHERE " + where if where else sql), ctx.params


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
) -> tuple[str, list[Any]]:
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
    params: list[Any] = []
    groups = []
    n = 0
    param = dialect.param
    width = len(columns)
    for row in rows:
        if len(row) != width:
            raise ValueError("every inserted row needs one value per column")
        groups.append("(" + ", ".join(param(n + i + 1) for i in range(width)) + ")")
        n += width
        params.extend(row)
    sql = f"{verb} {q(table)} ({', '.join(q(c) for c in columns)}) VALUES {', '.join(groups)}"
    sql += suffix
    if returning:
        sql += dialect.returning(returning)
    return sql, params

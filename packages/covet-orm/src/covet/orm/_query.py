"""``QuerySet``: immutable, chainable, lazy; every terminal method exists as ``x()`` and ``ax()``.

Each terminal method is a one-line pair around one generator operation (``_*_op``) that yields
statements; ``Database.run`` (sync) and ``Database.arun`` (async) drive it.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from covet.orm import _exceptions as exc
from covet.orm._database import Database, Op, Stmt, get_default_database, new_stmt
from covet.orm._deletion import delete_op, needs_collector
from covet.orm._fields import DateField, DateTimeField, _identity
from covet.orm._get_or_create import get_or_create_op, update_or_create_op
from covet.orm._hydrate import (
    Builder,
    Converters,
    dict_builder,
    flat_builder,
    model_builder,
    named_builder,
    related_builder,
    tuple_builder,
)
from covet.orm.expressions import Expr, Q, Where, build_lookup
from covet.orm.expressions.base import OrderBy
from covet.orm.expressions.functions import TRUNC_KINDS, Trunc
from covet.orm.expressions.lookups import NoMatch, resolve_path
from covet.orm.sql import compiler
from covet.orm.sql.compiler import Query, Selected

if TYPE_CHECKING:
    from covet.orm._fetching import Prefetch
    from covet.orm._fields import Field
    from covet.orm._model import Model
    from covet.orm._raw import RawQuerySet
    from covet.orm.sql.dialect import Dialect

M = TypeVar("M", bound="Model")
_ITER_HINT = "async for obj in queryset"


def _convert_row(row: Sequence[Any], converters: Converters) -> list[Any]:
    values = list(row)
    for i, conv in converters:
        if values[i] is not None:
            values[i] = conv(values[i])
    return values


class QuerySet(Generic[M]):
    """A lazy query over one model. Builder methods return new QuerySets; evaluating one (sync
    iteration, ``list()``, ``len()``, ``bool()``, ``alist()``, ``async for``) fills its result
    cache, which later evaluations of the same QuerySet reuse (as in Django)."""

    __slots__ = ("_kind", "_qry", "_result_cache", "_selected", "model")

    def __init__(self, model: type[M], query: Query | None = None, kind: str = "model") -> None:
        self.model = model
        self._qry = query  # None: a fresh QuerySet from the manager (made on first use)
        self._kind = kind  # model | dicts | tuples | flat | named
        self._selected: tuple[str, Selected] | None = None
        self._result_cache: builtins.list[Any] | None = None

    @property
    def _query(self) -> Query:
        q = self._qry
        if q is None:
            q = self._qry = Query(self.model)
        return q

    def __repr__(self) -> str:
        return f"<QuerySet of {self.model.__name__}>"

    # -- builders ----------------------------------------------------------------------------
    def _clone(self, kind: str | None = None) -> QuerySet[M]:
        return QuerySet(self.model, self._query.clone(), kind or self._kind)

    def all(self) -> QuerySet[M]:
        return self._clone()

    def none(self) -> QuerySet[M]:
        """A QuerySet that matches no row (a condition that is never true)."""
        qs = self._clone()
        qs._query.where.append(NoMatch())
        return qs

    def filter(self, *args: Q | Expr, **kwargs: Any) -> QuerySet[M]:
        """Rows matching every condition (``name__lookup=value`` and ``Q`` objects)."""
        return self._filtered(args, kwargs, negate=False)

    def exclude(self, *args: Q | Expr, **kwargs: Any) -> QuerySet[M]:
        return self._filtered(args, kwargs, negate=True)

    def _filtered(
        self, args: Sequence[Q | Expr], kwargs: dict[str, Any], negate: bool
    ) -> QuerySet[M]:
        qs = self._clone()
        q = qs._query
        if q.sliced:
            raise TypeError("cannot filter a QuerySet after slicing it")
        self._not_combined("filter")
        scope = q.scope(filtering=True)
        for arg in args:
            if not isinstance(arg, Q | Expr):
                raise TypeError(
                    f"filter() and exclude() take Q objects or keyword arguments "
                    f"(name=value), not {type(arg).__name__}"
                )
        # inside NOT, a condition on a many-valued relation is "some related row matches"
        # as a subquery (see build_lookup), so exclude(books__title=x) keeps the rows that
        # have no such related row, as Django
        scope.negations = 1 if negate else 0
        nodes: list[Expr] = [a.resolve(scope) for a in args]
        nodes.extend(build_lookup(scope, k, v) for k, v in kwargs.items())
        if negate:
            q.where.append(Where(nodes, "AND", negated=True))
        else:
            q.where.extend(nodes)
        return qs

    def _not_combined(self, method: str) -> None:
        combined = self._query.combined
        if combined is not None:
            raise exc.NotSupportedError(
                f"{method}() after {combined[0].lower()}() is not supported: filter the parts"
            )

    def __or__(self, other: QuerySet[M]) -> QuerySet[M]:
        """Rows of either QuerySet (their conditions ORed): ``qs1 | qs2``."""
        return self._merge(other, "OR")

    def __and__(self, other: QuerySet[M]) -> QuerySet[M]:
        """Rows of both QuerySets (their conditions ANDed): ``qs1 & qs2``."""
        return self._merge(other, "AND")

    def _merge(self, other: QuerySet[M], connector: str) -> QuerySet[M]:
        if not isinstance(other, QuerySet) or other.model is not self.model:
            raise TypeError(f"cannot combine a QuerySet of {self.model.__name__} with {other!r}")
        for side in (self, other):
            if side._query.sliced:
                raise TypeError("cannot combine QuerySets after slicing them")
            side._not_combined("|" if connector == "OR" else "&")
        qs = self._clone()
        q, theirs = qs._query, other._query
        if connector == "AND":
            q.where.extend(theirs.where)
        elif not q.where or not theirs.where:
            q.where = []  # one side is every row
        else:
            q.where = [Where([Where(q.where), Where(list(theirs.where))], "OR")]
        q.distinct = q.distinct or theirs.distinct
        return qs

    def order_by(self, *fields: str | Expr) -> QuerySet[M]:
        """Order by names (``"-views"``, ``"data__key"``), ``"?"`` (random) or expressions
        (``F("rating").desc(nulls_last=True)``). Replaces any earlier ordering."""
        qs = self._clone()
        q = qs._query
        if q.sliced:
            raise TypeError("cannot reorder a QuerySet once a slice has been taken")
        if q.combined is None:
            scope = q.scope()
            for item in fields:
                if isinstance(item, str):
                    if item != "?":
                        resolve_path(scope, item.lstrip("-+"))  # raises FieldError early
                elif isinstance(item, Expr):
                    item.resolve(scope)
                else:
                    raise TypeError(f"cannot order by {type(item).__name__}")
        q.order_by = tuple(fields)
        return qs

    def reverse(self) -> QuerySet[M]:
        """The same rows in the opposite order (of ``order_by``, else ``Meta.ordering``)."""
        qs = self._clone()
        q = qs._query
        if q.sliced:
            raise TypeError("cannot reverse a QuerySet once a slice has been taken")
        order = q.order_by if q.order_by is not None else tuple(self.model._meta.ordering)
        q.order_by = tuple(_flip(item) for item in order)
        return qs

    @property
    def ordered(self) -> bool:
        """Whether the rows come in a defined order (``order_by`` or ``Meta.ordering``)."""
        q = self._query
        if q.order_by is not None:
            return bool(q.order_by)
        return bool(self.model._meta.ordering) and not q.grouped

    def distinct(self, *fields: str) -> QuerySet[M]:
        """Only distinct rows; with field names (PostgreSQL only), the first row of each
        distinct combination of those fields (``DISTINCT ON``: order by them first)."""
        qs = self._clone()
        if fields:
            if not self.db.dialect.supports_distinct_on:
                raise exc.NotSupportedError(
                    f"distinct(*fields) is DISTINCT ON, which {self.db.dialect.name} has not; "
                    "use distinct() over values(...) instead"
                )
            scope = qs._query.scope()
            for name in fields:
                resolve_path(scope, name)
            qs._query.distinct_fields = tuple(fields)
        qs._query.distinct = True
        return qs

    def only(self, *fields: str) -> QuerySet[M]:
        qs = self._clone()
        for name in fields:
            self.model._meta.get_field(name)
        qs._query.only = tuple(fields)
        return qs

    def defer(self, *fields: str) -> QuerySet[M]:
        qs = self._clone()
        for name in fields:
            self.model._meta.get_field(name)
        qs._query.defer = (*qs._query.defer, *fields)
        return qs

    def annotate(self, **annotations: Expr) -> QuerySet[M]:
        """Add computed values to each row (``n=Count(...)`` groups the rows: by the names of
        an earlier ``values()``, else one group per row, as Django)."""
        return self._annotated(annotations, hidden=False)

    def alias(self, **annotations: Expr) -> QuerySet[M]:
        """Like ``annotate()`` for filtering and ordering, without selecting the values."""
        return self._annotated(annotations, hidden=True)

    def _annotated(self, annotations: dict[str, Expr], *, hidden: bool) -> QuerySet[M]:
        qs = self._clone()
        q = qs._query
        self._not_combined("annotate")
        method = "alias" if hidden else "annotate"
        for name, expr in annotations.items():
            if name in self.model._meta.fields_map or name == "pk":
                raise exc.FieldError(f"{method}({name}=...) clashes with a field")
            _check_expression(method, name, expr)
            resolved = expr.resolve(q.scope())
            if resolved.contains_aggregate and q.group_by is None:
                # the rows are grouped by what is selected now (values()), else by every field
                fields = tuple(f.name for f in self.model._meta.fields)
                q.group_by = q.values if q.values else fields
            q.annotations[name] = resolved
            if hidden:
                q.hidden = q.hidden | {name}
            else:
                q.hidden = q.hidden - {name}
                if q.values:
                    q.values = (*q.values, name)
        return qs

    def values(self, *fields: str, **expressions: Expr) -> QuerySet[Any]:
        """Rows as dicts: every field and annotation, or the named ones (``"field"``,
        ``"field__transform"``, an annotation) and ``name=expression``."""
        return self._as_values(fields, expressions, "dicts")

    def values_list(self, *fields: str, flat: bool = False, named: bool = False) -> QuerySet[Any]:
        """Rows as tuples; ``flat=True`` with one field gives plain values, ``named=True``
        named tuples (``row.title``)."""
        if flat and named:
            raise TypeError("values_list() takes flat=True or named=True, not both")
        if flat and len(fields) > 1:
            raise TypeError("values_list(flat=True) takes one field")
        kind = "flat" if flat else ("named" if named else "tuples")
        return self._as_values(fields, {}, kind)

    def _as_values(
        self, fields: Sequence[str], expressions: dict[str, Expr], kind: str
    ) -> QuerySet[Any]:
        qs: QuerySet[Any] = self._clone(kind)
        if expressions:
            qs = qs._annotated(expressions, hidden=False)
        q = qs._query
        names = (*fields, *expressions)
        if kind == "flat" and not fields:
            names = (self.model._meta.fields[0].name,)
        if q.combined is not None:  # the columns of every part
            if expressions:
                raise exc.NotSupportedError("values(name=expression) after a set operation")
            operator, parts, keep_all = q.combined
            picked = []
            for part in parts:
                part = part.clone()
                part.values = tuple(names)
                scope = part.scope()
                for name in names:
                    resolve_path(scope, name)
                picked.append(part)
            q.combined = (operator, tuple(picked), keep_all)
        else:
            scope = q.scope()
            for name in fields:
                resolve_path(scope, name)
        q.values = tuple(names)
        return qs

    def select_related(self, *fields: str | None) -> QuerySet[M]:
        """Load these foreign keys (and one-to-ones, ``"author__publisher"`` nested) in the same
        query, by JOINs (LEFT JOIN where there may be no related row); ``select_related()``
        follows every non-null foreign key; ``select_related(None)`` clears the list."""
        qs = self._clone()
        q = qs._query
        if fields == (None,):
            q.select_related = ()
            return qs
        if not fields:
            fields = tuple(f.relation_name for f in self.model._meta.forward.values() if not f.null)
        from covet.orm.sql.compiler import _single_relation

        paths = [f for f in fields if f is not None]
        for path in paths:
            _single_relation(self.model, path.split("__"))  # FieldError now, not at the query
        q.select_related = tuple(dict.fromkeys((*q.select_related, *paths)))
        return qs

    def prefetch_related(self, *lookups: str | Prefetch | None) -> QuerySet[M]:
        """Load these relations (any kind, nested with ``__``) for every row with one more
        query per relation and level, whatever the number of rows (``IN`` batches);
        ``Prefetch(...)`` for your own QuerySet or ``to_attr``; ``None`` clears the list."""
        from covet.orm._fetching import check_path, normalize

        qs = self._clone()
        q = qs._query
        if lookups == (None,):
            q.prefetch = ()
            return qs
        items = normalize([x for x in lookups if x is not None])
        for item in items:
            check_path(self.model, item.lookup)
        q.prefetch = (*q.prefetch, *items)
        return qs

    def fetch_mode(self, mode: str) -> QuerySet[M]:
        """What reading an unloaded relation of this QuerySet's objects does in sync code:
        ``"peers"`` (load it for every object of the result, one query), ``"one"`` (for that
        object) or ``"raise"`` (``N1QueryError``)."""
        from covet.orm._fetching import check_mode

        qs = self._clone()
        qs._query.fetch_mode = check_mode(mode)
        return qs

    def select_for_update(self, *, nowait: bool = False, skip_locked: bool = False) -> QuerySet[M]:
        """Lock the selected rows until the transaction ends (no-op on SQLite, whose write
        transactions are already exclusive). Must run inside a transaction."""
        if nowait and skip_locked:
            raise ValueError("nowait and skip_locked cannot both be set")
        qs = self._clone()
        qs._query.for_update = (nowait, skip_locked)
        return qs

    def union(self, *others: QuerySet[Any], all: bool = False) -> QuerySet[M]:
        """Rows of this query and the others (``all=True`` keeps duplicates)."""
        return self._combinator("UNION", others, all)

    def intersection(self, *others: QuerySet[Any]) -> QuerySet[M]:
        """Rows in this query and in every other."""
        return self._combinator("INTERSECT", others, False)

    def difference(self, *others: QuerySet[Any]) -> QuerySet[M]:
        """Rows of this query that are in none of the others."""
        return self._combinator("EXCEPT", others, False)

    def _combinator(
        self, operator: str, others: Sequence[QuerySet[Any]], keep_all: bool
    ) -> QuerySet[M]:
        if not others:
            return self._clone()
        parts = []
        for part in (self, *others):
            q = part._query.clone()
            if not q.sliced:
                q.order_by = ()  # each part's order is lost in the result anyway
            parts.append(q)
        qs = QuerySet(self.model, Query(self.model), self._kind)
        qs._query.combined = (operator, tuple(parts), keep_all)
        qs._query.values = self._query.values
        return qs

    @overload
    def __getitem__(self, key: int) -> M: ...

    @overload
    def __getitem__(self, key: slice) -> QuerySet[M]: ...

    def __getitem__(self, key: int | slice) -> M | QuerySet[M]:
        if isinstance(key, int):
            if key < 0:
                raise ValueError("negative indexing is not supported")
            cache = self._result_cache
            if cache is not None:
                return cast(M, cache[key])  # IndexError past the end, as a list
            rows: builtins.list[M] = self._run(
                self[key : key + 1]._fetch_op(self.db.dialect), "QuerySet.__getitem__"
            )
            if not rows:
                raise IndexError(f"QuerySet index {key} out of range")
            return rows[0]
        if key.step is not None or (key.start or 0) < 0 or (key.stop or 0) < 0:
            raise ValueError("slices must be non-negative and without a step")
        qs = self._clone()
        q = qs._query
        start = key.start or 0
        stop = key.stop
        if q.limit is not None:
            stop = min(q.limit, stop) if stop is not None else q.limit
        q.offset = q.offset + start
        q.limit = None if stop is None else max(stop - start, 0)
        return qs

    # -- running -----------------------------------------------------------------------------
    @property
    def db(self) -> Database:
        return self.model._meta.database

    def _run(
        self, gen: Op[Any], method: str, *, atomic: bool = False, hint: str | None = None
    ) -> Any:
        db = self.db
        if self._query.for_update is not None and not db.in_transaction():
            gen.close()
            raise exc.TransactionManagementError("select_for_update() needs an open transaction")
        return db.run(
            gen, f"QuerySet.{method}" if hint is None else method, atomic=atomic, hint=hint
        )

    async def _arun(self, gen: Op[Any], *, atomic: bool = False) -> Any:
        db = self.db
        if self._query.for_update is not None and not db.in_transaction():
            gen.close()
            raise exc.TransactionManagementError("select_for_update() needs an open transaction")
        return await db.arun(gen, atomic=atomic)

    def _compiled(self, dialect: Dialect) -> Selected:
        cached = self._selected
        if cached is not None and cached[0] == dialect.name:
            return cached[1]
        sel = compiler.select(self._query, dialect)
        self._selected = (dialect.name, sel)
        return sel

    def _fetch_op(self, dialect: Dialect) -> Op[list[Any]]:
        sel = self._compiled(dialect)
        rows = yield new_stmt(Stmt, ("fetch_all", sel.sql, sel.params))
        state = self._new_state()
        objs = self._hydrate(rows, sel, state)
        if objs and self._kind == "model":
            q = self._query
            if q.prefetch:
                from covet.orm._fetching import prefetch_op

                yield from prefetch_op(objs, q.prefetch, dialect)
            if state is not None:
                state.hold(objs)
        return objs

    def _new_state(self) -> Any:
        """The ``ResultSet`` the objects of a result hold (their peers are set once they are
        made); None when they need none (rows as values, a model without relations)."""
        meta = self.model._meta
        if self._kind != "model" or not (meta.relations or meta.related_objects):
            return None
        from covet.orm._fetching import ResultSet

        return ResultSet([], self._query.fetch_mode)

    def _attach_state(self, objs: builtins.list[Any]) -> None:
        """Each object knows its peers (the other objects of its result) and fetch mode."""
        meta = self.model._meta
        if meta.relations or meta.related_objects:
            from covet.orm._fetching import ResultSet

            state = ResultSet(objs, self._query.fetch_mode)
            for obj in objs:
                obj.__dict__["_state"] = state

    def _hydrate(self, rows: list[Sequence[Any]], sel: Selected, state: Any = None) -> list[Any]:
        """Rows as this QuerySet's kind of objects; ``state``: the ``ResultSet`` each model
        instance holds (written by the builder)."""
        kind = self._kind
        stateful = state is not None
        convs = tuple((i, id(c)) for i, c in sel.converters)
        key = (kind, tuple(sel.names), convs, stateful)
        cache = self.model._meta.cache
        build: Any = cache.get(key)  # Builder; (rows, state) when stateful
        if build is None:
            if kind == "model" and sel.related:
                build = related_builder(self.model, sel, stateful=stateful)
            elif kind == "model":
                build = model_builder(self.model, sel.names, sel.converters, stateful=stateful)
            elif kind == "flat":
                build = flat_builder(sel.converters)
            elif kind == "tuples":
                build = tuple_builder(len(sel.names), sel.converters)
            elif kind == "named":
                build = named_builder(sel.names, sel.converters)
            else:
                build = dict_builder(sel.names, sel.converters)
            cache[key] = build
        result: list[Any] = build(rows, state) if stateful else build(rows)
        return result

    def _fetch_all(self) -> builtins.list[Any]:
        cache = self._result_cache
        if cache is None:
            cache = self._result_cache = self._run(
                self._fetch_op(self.db.dialect), "iterating a QuerySet", hint=_ITER_HINT
            )
        return cache

    async def _afetch_all(self) -> builtins.list[Any]:
        cache = self._result_cache
        if cache is None:
            cache = self._result_cache = await self._arun(self._fetch_op(self.db.dialect))
        return cache

    def __iter__(self) -> Iterator[M]:
        return iter(self._fetch_all())

    async def __aiter__(self) -> AsyncIterator[M]:
        for row in await self._afetch_all():
            yield row

    async def __covet_result__(self) -> builtins.list[Any]:
        """covet.http's protocol for a handler's result: the rows, read through the async API
        (an async handler returning a QuerySet never runs a blocking query on the loop)."""
        return await self._afetch_all()

    @classmethod
    def __covet_result_type__(cls, *args: Any) -> Any:
        """covet.http's protocol for a return annotation: ``-> QuerySet[M]`` answers what
        ``list[M]`` does, so the OpenAPI document describes an array of ``M`` and the rows are
        written by ``M``'s fields."""
        return types.GenericAlias(builtins.list, args[:1]) if args else builtins.list

    def iterator(self, chunk_size: int = 2000) -> Iterator[M]:
        """Stream the results, ``chunk_size`` rows at a time, holding at most one chunk in memory
        (a server-side cursor on PostgreSQL, an unbuffered result on MariaDB, stepping through
        SQLite's result). The connection stays busy until the iterator ends or is closed."""
        sel, db = self._streamed(chunk_size)
        model = self._kind == "model"
        for rows in db.stream(sel.sql, sel.params, chunk_size, "QuerySet.iterator"):
            objs = self._hydrate(rows, sel)
            if model:  # peers: the objects of the same chunk
                self._attach_state(objs)
            yield from objs

    async def aiterator(self, chunk_size: int = 2000) -> AsyncIterator[M]:
        """The async twin of ``iterator``: ``async for obj in qs.aiterator(chunk_size=500)``."""
        sel, db = self._streamed(chunk_size)
        async for rows in db.astream(sel.sql, sel.params, chunk_size):
            for obj in self._hydrate(rows, sel):
                yield obj

    def _streamed(self, chunk_size: int) -> tuple[Selected, Database]:
        if not isinstance(chunk_size, int) or isinstance(chunk_size, bool) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, not {chunk_size!r}")
        if self._query.prefetch:
            raise exc.NotSupportedError(
                "iterator() streams rows on one connection and cannot run prefetch_related()'s "
                "queries meanwhile; iterate the QuerySet itself, or use select_related()"
            )
        db = self.db
        if self._query.for_update is not None and not db.in_transaction():
            raise exc.TransactionManagementError("select_for_update() needs an open transaction")
        return self._compiled(db.dialect), db

    def __len__(self) -> int:
        return len(self._fetch_all())

    def __bool__(self) -> bool:
        """Evaluates the QuerySet (as Django): are there rows? ``exists()`` asks without
        fetching them; in async code use ``await qs.aexists()``."""
        return bool(self._fetch_all())

    def list(self) -> builtins.list[M]:
        """Evaluate the query: ``list(qs)`` for the sync API, ``await qs.alist()`` for async."""
        return builtins.list(self._fetch_all())

    async def alist(self) -> builtins.list[M]:
        return builtins.list(await self._afetch_all())

    # -- single objects ------------------------------------------------------------------------
    def get(self, *args: Q, **kwargs: Any) -> M:
        """The one matching object, else ``Model.DoesNotExist`` / ``MultipleObjectsReturned``."""
        if not args and self._qry is None and len(kwargs) == 1 and self._kind == "model":
            plan = self._pk_plan(kwargs)
            if plan is not None:  # get by primary key: one cached statement, no generator
                db, sql, params, build = plan
                return self._one(build(db.fetch_rows(sql, params, "QuerySet.get")))
        result: M = self._run(self._get_op(self.db.dialect, args, kwargs), "get")
        return result

    async def aget(self, *args: Q, **kwargs: Any) -> M:
        if not args and self._qry is None and len(kwargs) == 1 and self._kind == "model":
            plan = self._pk_plan(kwargs)
            if plan is not None:
                db, sql, params, build = plan
                return self._one(build(await db.afetch_rows(sql, params)))
        result: M = await self._arun(self._get_op(self.db.dialect, args, kwargs))
        return result

    def _pk_plan(
        self, kwargs: dict[str, Any]
    ) -> tuple[Database, str, builtins.list[Any], Builder] | None:
        return pk_plan(self.model, kwargs)

    def _get_op(self, dialect: Dialect, args: Sequence[Q], kwargs: dict[str, Any]) -> Op[M]:
        if not args and len(kwargs) == 1 and self._is_plain():
            plan = self._pk_plan(kwargs)
            if plan is not None:
                _, sql, params, build = plan
                rows = yield new_stmt(Stmt, ("fetch_all", sql, params))
                return self._one(build(rows))
        qs = self.filter(*args, **kwargs) if (args or kwargs) else self
        if not qs._query.sliced:
            qs = qs[:21]
        found = yield from qs._fetch_op(dialect)
        return self._one(found)

    def _is_plain(self) -> bool:
        q = self._query
        return (
            self._kind == "model" and not q.where and not q.annotations and q.only is None
            and not q.defer and q.for_update is None and not q.sliced
            and not q.select_related and not q.prefetch and q.fetch_mode is None
        )  # fmt: skip

    def _one(self, rows: builtins.list[Any]) -> M:
        return one(self.model, rows)

    def first(self) -> M | None:
        """The first object in order (by primary key if the QuerySet has no order), or None."""
        result: M | None = self._run(self._first_op(last=False), "first")
        return result

    async def afirst(self) -> M | None:
        result: M | None = await self._arun(self._first_op(last=False))
        return result

    def last(self) -> M | None:
        result: M | None = self._run(self._first_op(last=True), "last")
        return result

    async def alast(self) -> M | None:
        result: M | None = await self._arun(self._first_op(last=True))
        return result

    def _first_op(self, *, last: bool) -> Op[M | None]:
        qs: QuerySet[M] = self
        if not self.ordered:
            if self._query.grouped:
                method = "last" if last else "first"
                raise TypeError(
                    f"{method}() on an unordered QuerySet that aggregates would change its "
                    "groups; add order_by()"
                )
            qs = self.order_by("pk")
        if last:
            qs = qs.reverse()  # refuses a slice, as Django: its last row is not ours to pick
        rows = yield from qs[:1]._fetch_op(self.db.dialect)
        return rows[0] if rows else None

    def earliest(self, *fields: str | Expr) -> M:
        """The first object ordered by ``fields`` (else ``Meta.get_latest_by``);
        ``DoesNotExist`` if none."""
        result: M = self._run(self._earliest_op(fields, latest=False), "earliest")
        return result

    async def aearliest(self, *fields: str | Expr) -> M:
        result: M = await self._arun(self._earliest_op(fields, latest=False))
        return result

    def latest(self, *fields: str | Expr) -> M:
        """The last object ordered by ``fields`` (else ``Meta.get_latest_by``)."""
        result: M = self._run(self._earliest_op(fields, latest=True), "latest")
        return result

    async def alatest(self, *fields: str | Expr) -> M:
        result: M = await self._arun(self._earliest_op(fields, latest=True))
        return result

    def _earliest_op(self, fields: Sequence[str | Expr], *, latest: bool) -> Op[M]:
        if self._query.sliced:
            raise TypeError("cannot change the order of a QuerySet once a slice has been taken")
        order = tuple(fields) or tuple(self.model._meta.get_latest_by)
        if not order:
            method = "latest" if latest else "earliest"
            raise ValueError(f"{method}() needs field names or Meta.get_latest_by")
        qs = self.order_by(*order)
        if latest:
            qs = qs.reverse()
        rows = yield from qs[:1]._fetch_op(self.db.dialect)
        return self._one(rows)

    # -- counting and aggregates -------------------------------------------------------------
    def count(self) -> int:
        if self._result_cache is not None:
            return len(self._result_cache)
        result: int = self._run(
            self._scalar_op(*compiler.count(self._query, self.db.dialect)), "count"
        )
        return result

    async def acount(self) -> int:
        if self._result_cache is not None:
            return len(self._result_cache)
        result: int = await self._arun(
            self._scalar_op(*compiler.count(self._query, self.db.dialect))
        )
        return result

    def exists(self) -> bool:
        if self._result_cache is not None:
            return bool(self._result_cache)
        sql, params = compiler.exists(self._query, self.db.dialect)
        return self._run(self._scalar_op(sql, params), "exists") is not None

    async def aexists(self) -> bool:
        if self._result_cache is not None:
            return bool(self._result_cache)
        sql, params = compiler.exists(self._query, self.db.dialect)
        return await self._arun(self._scalar_op(sql, params)) is not None

    def contains(self, obj: M) -> bool:
        """Whether ``obj`` is one of this QuerySet's rows (by primary key)."""
        if self._result_cache is not None:
            return obj in self._result_cache
        return self._contains_qs(obj).exists()

    async def acontains(self, obj: M) -> bool:
        if self._result_cache is not None:
            return obj in self._result_cache
        return await self._contains_qs(obj).aexists()

    def _contains_qs(self, obj: M) -> QuerySet[M]:
        if self._kind != "model":
            raise TypeError("contains() cannot be used after values() or values_list()")
        if not isinstance(obj, self.model):
            raise TypeError(f"contains() needs a {self.model.__name__}, got {type(obj).__name__}")
        if obj.pk is None:
            raise ValueError("contains() needs a saved object (its pk is None)")
        q = self._query
        if q.sliced or q.combined is not None or q.grouped:  # the rows as the query sees them
            return (
                QuerySet(self.model)
                .filter(pk__in=self.values_list("pk", flat=True))
                .filter(pk=obj.pk)
            )
        return self.filter(pk=obj.pk)

    @staticmethod
    def _scalar_op(sql: str, params: builtins.list[Any]) -> Op[Any]:
        row = yield new_stmt(Stmt, ("fetch_one", sql, params))
        return None if row is None else row[0]

    def aggregate(self, **aggregates: Expr) -> dict[str, Any]:
        """``aggregate(total=Sum("price"))`` -> ``{"total": ...}``."""
        result: dict[str, Any] = self._run(self._aggregate_op(aggregates), "aggregate")
        return result

    async def aaggregate(self, **aggregates: Expr) -> dict[str, Any]:
        result: dict[str, Any] = await self._arun(self._aggregate_op(aggregates))
        return result

    def _aggregate_op(self, aggregates: dict[str, Expr]) -> Op[dict[str, Any]]:
        if not aggregates:
            raise TypeError("aggregate() needs at least one name=Aggregate(...)")
        for name, expr in aggregates.items():
            _check_expression("aggregate", name, expr)
        sel = compiler.aggregate(self._query, self.db.dialect, aggregates)
        row = yield new_stmt(Stmt, ("fetch_one", sel.sql, sel.params))
        values = _convert_row(row, sel.converters) if row is not None else [None] * len(sel.names)
        return dict(zip(sel.names, values, strict=True))

    def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        result: dict[Any, M] = self._run(self._in_bulk_op(id_list, field_name), "in_bulk")
        return result

    async def ain_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        result: dict[Any, M] = await self._arun(self._in_bulk_op(id_list, field_name))
        return result

    def _in_bulk_op(self, id_list: Iterable[Any] | None, field_name: str) -> Op[dict[Any, M]]:
        meta = self.model._meta
        field = meta.get_field(field_name)
        attr = field.name
        alone = any(c.fields == [attr] for c in meta.constraints if hasattr(c, "fields"))
        if not (field.unique or alone):
            raise ValueError(
                f"in_bulk()'s field_name must be a unique field but {field_name!r} isn't"
            )
        dialect = self.db.dialect
        if id_list is None:
            rows = yield from self._fetch_op(dialect)
            return {obj.__dict__[attr]: obj for obj in rows}
        ids = list(dict.fromkeys(id_list))
        found: dict[Any, M] = {}
        # batches under the bound-parameter limit (PostgreSQL refuses more than 32767)
        size = max(dialect.max_params - 256, 1)
        for start in range(0, len(ids), size):
            qs = self.filter(**{f"{field_name}__in": ids[start : start + size]})
            rows = yield from qs._fetch_op(dialect)
            found.update((obj.__dict__[attr], obj) for obj in rows)
        return found

    def dates(self, field_name: str, kind: str, order: str = "ASC") -> QuerySet[Any]:
        """The distinct dates (``kind``: year, month, week or day) of ``field_name``."""
        if kind not in ("year", "month", "week", "day"):
            raise ValueError("dates() kind is one of 'year', 'month', 'week', 'day'")
        return self._truncated(field_name, kind, order, DateField())

    def datetimes(self, field_name: str, kind: str, order: str = "ASC") -> QuerySet[Any]:
        """The distinct datetimes (``kind``: year ... second) of ``field_name``, in UTC."""
        if kind not in TRUNC_KINDS or kind == "quarter":
            raise ValueError(
                "datetimes() kind is one of 'year', 'month', 'week', 'day', 'hour', 'minute', "
                "'second'"
            )
        field = self.model._meta.get_field(field_name)
        if not isinstance(field, DateTimeField):
            raise TypeError(f"datetimes() needs a DateTimeField, {field_name!r} is not one")
        return self._truncated(field_name, kind, order, DateTimeField())

    def _truncated(self, name: str, kind: str, order: str, output: Field[Any]) -> QuerySet[Any]:
        if order not in ("ASC", "DESC"):
            raise ValueError("order is 'ASC' or 'DESC'")
        field = self.model._meta.get_field(name)
        if not isinstance(field, DateField | DateTimeField):
            raise TypeError(f"{name!r} is not a DateField or DateTimeField")
        alias = "_truncated"
        qs = self.filter(**{f"{name}__isnull": False}).annotate(
            **{alias: Trunc(name, kind, output_field=output)}
        )
        ordered = qs.order_by(("-" if order == "DESC" else "") + alias)
        return ordered.values_list(alias, flat=True).distinct()

    def explain(self) -> str:
        """The database's query plan for this query, as text."""
        result: str = self._run(self._explain_op(), "explain")
        return result

    async def aexplain(self) -> str:
        result: str = await self._arun(self._explain_op())
        return result

    def _explain_op(self) -> Op[str]:
        dialect = self.db.dialect
        sel = self._compiled(dialect)
        rows = yield new_stmt(Stmt, ("fetch_all", dialect.explain_prefix + sel.sql, sel.params))
        return "\n".join(" ".join(str(c) for c in row) for row in rows)

    # -- writes ------------------------------------------------------------------------------
    def update(self, **values: Any) -> int:
        """UPDATE matching rows (values may be ``F`` expressions); returns the row count."""
        sql, params = compiler.update(self._query, self.db.dialect, values)
        result: int = self._run(_rowcount_op(sql, params), "update")
        self._result_cache = None
        return result

    async def aupdate(self, **values: Any) -> int:
        sql, params = compiler.update(self._query, self.db.dialect, values)
        result: int = await self._arun(_rowcount_op(sql, params))
        self._result_cache = None
        return result

    def delete(self) -> tuple[int, dict[str, int]]:
        """DELETE matching rows, applying the ``on_delete`` of every foreign key pointing at
        them; returns ``(count, {model label: count})`` as Django."""
        if needs_collector(self.model):
            result: tuple[int, dict[str, int]] = self._run(
                self._collect_op(), "delete", atomic=True
            )
            self._result_cache = None
            return result
        sql, params = compiler.delete(self._query, self.db.dialect)
        count: int = self._run(_rowcount_op(sql, params), "delete")
        return self._deleted(count)

    async def adelete(self) -> tuple[int, dict[str, int]]:
        if needs_collector(self.model):
            result: tuple[int, dict[str, int]] = await self._arun(self._collect_op(), atomic=True)
            self._result_cache = None
            return result
        sql, params = compiler.delete(self._query, self.db.dialect)
        count: int = await self._arun(_rowcount_op(sql, params))
        return self._deleted(count)

    def _collect_op(self) -> Op[tuple[int, dict[str, int]]]:
        if self._query.sliced:
            raise exc.FieldError("cannot delete from a sliced QuerySet")
        dialect = self.db.dialect
        keys = self.order_by().values_list("pk", flat=True)
        pks = yield from keys._fetch_op(dialect)
        result = yield from delete_op(self.model, pks, dialect)
        return result

    def _deleted(self, count: int) -> tuple[int, dict[str, int]]:
        self._result_cache = None
        return count, ({self.model._meta.label: count} if count else {})

    def create(self, **values: Any) -> M:
        obj = self.model(**values)
        obj.save(force_insert=True)
        return obj

    async def acreate(self, **values: Any) -> M:
        obj = self.model(**values)
        await obj.asave(force_insert=True)
        return obj

    def get_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """``(object, created)``; safe against a concurrent insert of the same unique values."""
        result: tuple[M, bool] = self._run(
            get_or_create_op(self, defaults, kwargs), "get_or_create", atomic=True
        )
        return result

    async def aget_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        result: tuple[M, bool] = await self._arun(
            get_or_create_op(self, defaults, kwargs), atomic=True
        )
        return result

    def update_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        create_defaults: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        """Update the matching object with ``defaults`` or create it (from the lookups and
        ``create_defaults``, else ``defaults``); ``(object, created)``. Callable values are
        called."""
        result: tuple[M, bool] = self._run(
            update_or_create_op(self, defaults, create_defaults, kwargs),
            "update_or_create",
            atomic=True,
        )
        return result

    async def aupdate_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        create_defaults: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        result: tuple[M, bool] = await self._arun(
            update_or_create_op(self, defaults, create_defaults, kwargs), atomic=True
        )
        return result

    def bulk_create(
        self,
        objs: Iterable[M],
        *,
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        unique_fields: Sequence[str] | None = None,
        update_fields: Sequence[str] | None = None,
    ) -> builtins.list[M]:
        """INSERT many objects in batches (one transaction); sets their primary keys where the
        database returns them. ``update_conflicts=True`` upserts on ``unique_fields``."""
        from covet.orm._bulk import bulk_create_op

        op = bulk_create_op(self.model, list(objs), self.db.dialect, batch_size, ignore_conflicts,
                            update_conflicts, unique_fields, update_fields)  # fmt: skip
        result: builtins.list[M] = self._run(op, "bulk_create", atomic=True)
        return result

    async def abulk_create(
        self,
        objs: Iterable[M],
        *,
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        unique_fields: Sequence[str] | None = None,
        update_fields: Sequence[str] | None = None,
    ) -> builtins.list[M]:
        from covet.orm._bulk import bulk_create_op

        op = bulk_create_op(self.model, list(objs), self.db.dialect, batch_size, ignore_conflicts,
                            update_conflicts, unique_fields, update_fields)  # fmt: skip
        result: builtins.list[M] = await self._arun(op, atomic=True)
        return result

    def bulk_update(
        self, objs: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        """UPDATE ``fields`` of many loaded objects (one transaction); returns rows matched."""
        from covet.orm._bulk import bulk_update_op

        op = bulk_update_op(self.model, list(objs), fields, self.db.dialect, batch_size)
        result: int = self._run(op, "bulk_update", atomic=True)
        return result

    async def abulk_update(
        self, objs: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        from covet.orm._bulk import bulk_update_op

        op = bulk_update_op(self.model, list(objs), fields, self.db.dialect, batch_size)
        result: int = await self._arun(op, atomic=True)
        return result

    def raw(self, sql: str, params: Sequence[Any] = ()) -> RawQuerySet[M]:
        """Objects from your own SQL (the driver's placeholders); columns map to fields by name."""
        from covet.orm._raw import RawQuerySet

        return RawQuerySet(self.model, sql, params)


def pk_plan(
    model: type[Model], kwargs: dict[str, Any]
) -> tuple[Database, str, list[Any], Builder] | None:
    """``get(pk=value)`` as one cached statement (None: not a plain get by primary key)."""
    ((key, value),) = kwargs.items()
    meta = model._meta
    if key != "pk" and key != meta.pk.name:
        return None
    db = meta.db if meta.db is not None else get_default_database()
    dialect = db.dialect
    cached = meta.get_plans.get(dialect.name)
    if cached is None:
        sel = QuerySet(model).filter(pk=0)[:21]._compiled(dialect)
        build = model_builder(model, sel.names, sel.converters)
        lo, hi = dialect.integer_range(meta.pk.kind)
        # params: the key, then the LIMIT's 21
        adapter = meta.pk.adapter(dialect)
        plan = (sel.sql, None if adapter is _identity else adapter, sel.params[1:], build, lo, hi)
        cached = meta.get_plans[dialect.name] = plan
    sql, adapt, rest, build, lo, hi = cached
    if type(value) is not int:  # an int is taken as it is (the hot path)
        if value is None or isinstance(value, Expr):
            return None
        value = _prep_pk(meta.pk, key, value)
        if type(value) is not int:
            return db, sql, [value if adapt is None else adapt(value), *rest], build
    if lo <= value <= hi:
        return db, sql, [value if adapt is None else adapt(value), *rest], build
    return None  # no row has it: the general path says so without reaching the driver


def one(model: type[M], rows: list[Any]) -> M:
    """The one object of ``get()``, else DoesNotExist / MultipleObjectsReturned."""
    if len(rows) == 1:
        found: M = rows[0]
        return found
    name = model.__name__
    if not rows:
        raise model.DoesNotExist(f"{name} matching query does not exist")
    many = "more than 20" if len(rows) > 20 else str(len(rows))
    raise model.MultipleObjectsReturned(f"get() returned {many} {name} objects")


def _flip(item: Any) -> Any:
    if isinstance(item, str):
        if item == "?":
            return item
        return item[1:] if item.startswith("-") else "-" + item.lstrip("+")
    if isinstance(item, OrderBy):
        return item.reversed()
    return OrderBy(item, descending=True)


def _prep_pk(pk: Field[Any], key: str, value: Any) -> Any:
    try:
        return pk.get_prep_value(value)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise exc.InvalidFilterValue({pk.name: [f"{key}={value!r}: {error}"]}) from None


def _check_expression(method: str, name: str, expr: object) -> None:
    if not isinstance(expr, Expr):
        raise TypeError(
            f"{method}({name}=...) needs an expression such as Count('id'), Sum('views') or "
            f"F('views') + 1, got {type(expr).__name__}"
        )


def _rowcount_op(sql: str, params: list[Any]) -> Op[int]:
    result = yield new_stmt(Stmt, ("execute", sql, params))
    count: int = result.rowcount
    return count

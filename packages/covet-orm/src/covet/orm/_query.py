"""``QuerySet``: immutable, chainable, lazy; every terminal method exists as ``x()`` and ``ax()``.

Each terminal method is a one-line pair around one generator operation (``_*_op``) that yields
statements; ``Database.run`` (sync) and ``Database.arun`` (async) drive it.
"""

from __future__ import annotations

import builtins
import itertools
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from covet.orm import _exceptions as exc
from covet.orm._database import Database, Op, Stmt, check_params
from covet.orm._hydrate import (
    Builder,
    Converters,
    dict_builder,
    flat_builder,
    model_builder,
    tuple_builder,
)
from covet.orm.expressions import Expr, Q, Where, build_lookup
from covet.orm.sql import compiler
from covet.orm.sql.compiler import Query, Selected

if TYPE_CHECKING:
    from covet.orm._fields import Field
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect

M = TypeVar("M", bound="Model")
_savepoints = itertools.count(1)
_ITER_HINT = "async for obj in queryset"


def _convert_row(row: Sequence[Any], converters: Converters) -> list[Any]:
    values = list(row)
    for i, conv in converters:
        if values[i] is not None:
            values[i] = conv(values[i])
    return values


class QuerySet(Generic[M]):
    """A lazy query over one model. Builder methods return new QuerySets."""

    __slots__ = ("_kind", "_qry", "_selected", "model")

    def __init__(self, model: type[M], query: Query | None = None, kind: str = "model") -> None:
        self.model = model
        self._qry = query  # None: a fresh QuerySet from the manager (made on first use)
        self._kind = kind  # model | dicts | tuples | flat
        self._selected: tuple[str, Selected] | None = None

    @property
    def _query(self) -> Query:
        q = self._qry
        if q is None:
            q = self._qry = Query(self.model)
        return q

    def __repr__(self) -> str:
        return f"<QuerySet of {self.model.__name__}>"

    def __bool__(self) -> bool:
        raise TypeError("a QuerySet has no truth value; use .exists() / await .aexists()")

    # -- builders ----------------------------------------------------------------------------
    def _clone(self, kind: str | None = None) -> QuerySet[M]:
        return QuerySet(self.model, self._query.clone(), kind or self._kind)

    def all(self) -> QuerySet[M]:
        return self._clone()

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Rows matching every condition (``name__lookup=value`` and ``Q`` objects)."""
        return self._filtered(args, kwargs, negate=False)

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        return self._filtered(args, kwargs, negate=True)

    def _filtered(self, args: Sequence[Q], kwargs: dict[str, Any], negate: bool) -> QuerySet[M]:
        qs = self._clone()
        q = qs._query
        if q.sliced:
            raise TypeError("cannot filter a QuerySet after slicing it")
        scope = q.scope()
        for arg in args:
            if not isinstance(arg, Q | Expr):
                raise TypeError(
                    f"filter() and exclude() take Q objects or keyword arguments "
                    f"(name=value), not {type(arg).__name__}"
                )
        nodes: list[Expr] = [a.resolve(scope) for a in args]
        nodes.extend(build_lookup(scope, k, v) for k, v in kwargs.items())
        if negate:
            q.where.append(Where(nodes, "AND", negated=True))
        else:
            q.where.extend(nodes)
        return qs

    def order_by(self, *fields: str) -> QuerySet[M]:
        qs = self._clone()
        scope = qs._query.scope()
        for name in fields:
            scope.ref(name.lstrip("-+"))  # raises FieldError early
        qs._query.order_by = tuple(fields)
        return qs

    def distinct(self) -> QuerySet[M]:
        qs = self._clone()
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
        qs = self._clone()
        q = qs._query
        for name, expr in annotations.items():
            if name in self.model._meta.fields_map:
                raise exc.FieldError(f"annotation {name!r} clashes with a field")
            _check_expression("annotate", name, expr)
            q.annotations[name] = expr.resolve(q.scope())
            if q.values:
                q.values = (*q.values, name)
        return qs

    def values(self, *fields: str) -> QuerySet[Any]:
        """Rows as dicts (all fields and annotations, or the named ones)."""
        return self._as_values(fields, "dicts")

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[Any]:
        """Rows as tuples; ``flat=True`` with one field gives plain values."""
        if flat and len(fields) != 1:
            raise TypeError("values_list(flat=True) needs exactly one field")
        return self._as_values(fields, "flat" if flat else "tuples")

    def _as_values(self, fields: Sequence[str], kind: str) -> QuerySet[Any]:
        qs: QuerySet[Any] = self._clone(kind)
        scope = qs._query.scope()
        for name in fields:
            scope.ref(name)
        qs._query.values = tuple(fields)
        return qs

    def select_for_update(self, *, nowait: bool = False, skip_locked: bool = False) -> QuerySet[M]:
        """Lock the selected rows until the transaction ends (no-op on SQLite, whose write
        transactions are already exclusive). Must run inside a transaction."""
        if nowait and skip_locked:
            raise ValueError("nowait and skip_locked cannot both be set")
        qs = self._clone()
        qs._query.for_update = (nowait, skip_locked)
        return qs

    @overload
    def __getitem__(self, key: int) -> M: ...

    @overload
    def __getitem__(self, key: slice) -> QuerySet[M]: ...

    def __getitem__(self, key: int | slice) -> M | QuerySet[M]:
        if isinstance(key, int):
            if key < 0:
                raise ValueError("negative indexing is not supported")
            result: M = self[key : key + 1].get()
            return result
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
        rows = yield Stmt("fetch_all", sel.sql, sel.params)
        return self._hydrate(rows, sel)

    def _hydrate(self, rows: list[Sequence[Any]], sel: Selected) -> list[Any]:
        kind = self._kind
        key = (kind, tuple(sel.names), tuple((i, id(c)) for i, c in sel.converters))
        cache = self.model._meta.cache
        build = cache.get(key)
        if build is None:
            if kind == "model":
                build = model_builder(self.model, sel.names, sel.converters)
            elif kind == "flat":
                build = flat_builder(sel.converters)
            elif kind == "tuples":
                build = tuple_builder(len(sel.names), sel.converters)
            else:
                build = dict_builder(sel.names, sel.converters)
            cache[key] = build
        result: list[Any] = build(rows)
        return result

    def __iter__(self) -> Iterator[M]:
        rows: list[M] = self._run(
            self._fetch_op(self.db.dialect), "iterating a QuerySet", hint=_ITER_HINT
        )
        return iter(rows)

    async def __aiter__(self) -> AsyncIterator[M]:
        rows: list[M] = await self._arun(self._fetch_op(self.db.dialect))
        for row in rows:
            yield row

    def list(self) -> builtins.list[M]:
        """Evaluate the query: ``list(qs)`` for the sync API, ``await qs.alist()`` for async."""
        result: builtins.list[M] = self._run(self._fetch_op(self.db.dialect), "list")
        return result

    async def alist(self) -> builtins.list[M]:
        result: builtins.list[M] = await self._arun(self._fetch_op(self.db.dialect))
        return result

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
        ((key, value),) = kwargs.items()
        meta = self.model._meta
        if (key != "pk" and key != meta.pk.name) or value is None or isinstance(value, Expr):
            return None
        db = meta.database
        dialect = db.dialect
        if type(value) is not int:
            value = _prep_pk(meta.pk, key, value)
        if not dialect.holds(meta.pk.kind, value):
            return None  # no row has it: the general path says so without reaching the driver
        cached = meta.cache.get(("get", dialect.name))
        if cached is None:
            sel = QuerySet(self.model).filter(pk=value)[:21]._compiled(dialect)
            build = model_builder(self.model, sel.names, sel.converters)
            # params: the key, then the LIMIT's 21
            plan = (sel.sql, meta.pk.adapter(dialect), sel.params[1:], build)
            cached = meta.cache[("get", dialect.name)] = plan
        sql, adapt, rest, build = cached
        return db, sql, [adapt(value), *rest], build

    def _get_op(self, dialect: Dialect, args: Sequence[Q], kwargs: dict[str, Any]) -> Op[M]:
        if not args and len(kwargs) == 1 and self._is_plain():
            plan = self._pk_plan(kwargs)
            if plan is not None:
                _, sql, params, build = plan
                rows = yield Stmt("fetch_all", sql, params)
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
        )  # fmt: skip

    def _one(self, rows: builtins.list[Any]) -> M:
        if len(rows) == 1:
            found: M = rows[0]
            return found
        name = self.model.__name__
        if not rows:
            raise self.model.DoesNotExist(f"{name} matching query does not exist")
        many = "more than 20" if len(rows) > 20 else str(len(rows))
        raise self.model.MultipleObjectsReturned(f"get() returned {many} {name} objects")

    def first(self) -> M | None:
        result: M | None = self._run(self._first_op(self.db.dialect, last=False), "first")
        return result

    async def afirst(self) -> M | None:
        result: M | None = await self._arun(self._first_op(self.db.dialect, last=False))
        return result

    def last(self) -> M | None:
        result: M | None = self._run(self._first_op(self.db.dialect, last=True), "last")
        return result

    async def alast(self) -> M | None:
        result: M | None = await self._arun(self._first_op(self.db.dialect, last=True))
        return result

    def _first_op(self, dialect: Dialect, *, last: bool) -> Op[M | None]:
        q = self._query
        order = q.order_by if q.order_by is not None else tuple(self.model._meta.ordering)
        if not order:
            order = ("pk",)
        if last:
            order = tuple(o[1:] if o.startswith("-") else "-" + o for o in order)
        qs = self.order_by(*order)[:1]
        rows = yield from qs._fetch_op(dialect)
        return rows[0] if rows else None

    # -- counting and aggregates -------------------------------------------------------------
    def count(self) -> int:
        result: int = self._run(
            self._scalar_op(*compiler.count(self._query, self.db.dialect)), "count"
        )
        return result

    async def acount(self) -> int:
        result: int = await self._arun(
            self._scalar_op(*compiler.count(self._query, self.db.dialect))
        )
        return result

    def exists(self) -> bool:
        sql, params = compiler.exists(self._query, self.db.dialect)
        return self._run(self._scalar_op(sql, params), "exists") is not None

    async def aexists(self) -> bool:
        sql, params = compiler.exists(self._query, self.db.dialect)
        return await self._arun(self._scalar_op(sql, params)) is not None

    @staticmethod
    def _scalar_op(sql: str, params: builtins.list[Any]) -> Op[Any]:
        row = yield Stmt("fetch_one", sql, params)
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
        row = yield Stmt("fetch_one", sel.sql, sel.params)
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
        attr = self.model._meta.get_field(field_name).name
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
        rows = yield Stmt("fetch_all", dialect.explain_prefix + sel.sql, sel.params)
        return "\n".join(" ".join(str(c) for c in row) for row in rows)

    # -- writes ------------------------------------------------------------------------------
    def update(self, **values: Any) -> int:
        """UPDATE matching rows (values may be ``F`` expressions); returns the row count."""
        sql, params = compiler.update(self._query, self.db.dialect, values)
        result: int = self._run(_rowcount_op(sql, params), "update")
        return result

    async def aupdate(self, **values: Any) -> int:
        sql, params = compiler.update(self._query, self.db.dialect, values)
        result: int = await self._arun(_rowcount_op(sql, params))
        return result

    def delete(self) -> int:
        """DELETE matching rows; returns the row count."""
        sql, params = compiler.delete(self._query, self.db.dialect)
        result: int = self._run(_rowcount_op(sql, params), "delete")
        return result

    async def adelete(self) -> int:
        sql, params = compiler.delete(self._query, self.db.dialect)
        result: int = await self._arun(_rowcount_op(sql, params))
        return result

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
            self._get_or_create_op(defaults, kwargs), "get_or_create", atomic=True
        )
        return result

    async def aget_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        result: tuple[M, bool] = await self._arun(
            self._get_or_create_op(defaults, kwargs), atomic=True
        )
        return result

    def _get_or_create_op(
        self, defaults: dict[str, Any] | None, kwargs: dict[str, Any]
    ) -> Op[tuple[M, bool]]:
        dialect = self.db.dialect
        try:
            found = yield from self._get_op(dialect, (), kwargs)
            return found, False
        except self.model.DoesNotExist:
            pass
        return (yield from self._create_op(dialect, defaults, kwargs))

    def _create_op(
        self, dialect: Dialect, defaults: dict[str, Any] | None, kwargs: dict[str, Any]
    ) -> Op[tuple[M, bool]]:
        params = {k: v for k, v in kwargs.items() if "__" not in k}
        params.update(defaults or {})
        obj = self.model(**params)
        savepoint = f"covet_goc_{next(_savepoints)}"
        yield Stmt("savepoint", savepoint)
        try:
            yield from obj._save_op(dialect, None, True)
        except exc.IntegrityError as conflict:
            # another writer inserted the same unique values since our SELECT: use its row
            yield Stmt("rollback_to", savepoint)
            yield Stmt("release", savepoint)
            try:
                found = yield from self._get_op(dialect, (), kwargs)
            except self.model.DoesNotExist:
                raise conflict from None
            return found, False
        yield Stmt("release", savepoint)
        return obj, True

    def update_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """Update the matching object with ``defaults`` or create it; ``(object, created)``."""
        result: tuple[M, bool] = self._run(
            self._update_or_create_op(defaults, kwargs), "update_or_create", atomic=True
        )
        return result

    async def aupdate_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        result: tuple[M, bool] = await self._arun(
            self._update_or_create_op(defaults, kwargs), atomic=True
        )
        return result

    def _update_or_create_op(
        self, defaults: dict[str, Any] | None, kwargs: dict[str, Any]
    ) -> Op[tuple[M, bool]]:
        dialect = self.db.dialect
        try:
            obj = yield from self.select_for_update()._get_op(dialect, (), kwargs)
        except self.model.DoesNotExist:
            return (yield from self._create_op(dialect, defaults, kwargs))
        defaults = defaults or {}
        for name, value in defaults.items():
            setattr(obj, self.model._meta.get_field(name).name, value)
        if defaults:
            yield from obj._save_op(dialect, list(defaults), False)
        return obj, False

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
        return RawQuerySet(self.model, sql, params)


def _prep_pk(pk: Field[Any], key: str, value: Any) -> Any:
    try:
        return pk.get_prep_value(value)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise exc.ValidationError({pk.name: [f"{key}={value!r}: {error}"]}) from None


def _check_expression(method: str, name: str, expr: object) -> None:
    if not isinstance(expr, Expr):
        raise TypeError(
            f"{method}({name}=...) needs an expression such as Count('id'), Sum('views') or "
            f"F('views') + 1, got {type(expr).__name__}"
        )


def _rowcount_op(sql: str, params: list[Any]) -> Op[int]:
    result = yield Stmt("execute", sql, params)
    count: int = result.rowcount
    return count


class RawQuerySet(Generic[M]):
    def __init__(self, model: type[M], sql: str, params: Sequence[Any]) -> None:
        check_params(params)
        self.model, self.sql, self.params = model, sql, params

    def _op(self) -> Op[list[M]]:
        meta = self.model._meta
        dialect = meta.database.dialect
        columns, rows = yield Stmt("fetch_columns", self.sql, self.params)
        names = []
        converters = []
        for i, column in enumerate(columns):
            field = meta.columns_map.get(column) or meta.fields_map.get(column)
            names.append(field.name if field is not None else column)
            conv = field.converter(dialect) if field is not None else None
            if conv is not None:
                converters.append((i, conv))
        key = ("raw", tuple(names), tuple((i, id(c)) for i, c in converters))
        build = meta.cache.get(key)
        if build is None:
            build = meta.cache[key] = model_builder(self.model, names, converters)
        result: builtins.list[M] = build(rows)
        return result

    def __iter__(self) -> Iterator[M]:
        rows: list[M] = self.model._meta.database.run(
            self._op(), "iterating a RawQuerySet", hint=_ITER_HINT
        )
        return iter(rows)

    async def __aiter__(self) -> AsyncIterator[M]:
        for row in await self.model._meta.database.arun(self._op()):
            yield row


class Manager(Generic[M]):
    """``Model.objects``: a fresh ``QuerySet`` of the model on every access."""

    @overload
    def __get__(self, instance: None, owner: type[M]) -> QuerySet[M]: ...

    @overload
    def __get__(self, instance: object, owner: type[M]) -> QuerySet[M]: ...

    def __get__(self, instance: object | None, owner: type[M]) -> QuerySet[M]:
        if instance is not None:
            raise AttributeError("Manager is reachable through the model class, not instances")
        if owner._meta.abstract:
            raise AttributeError(f"{owner.__name__} is abstract and has no table to query")
        return QuerySet(owner)

"""bulk_create (batched, keys returned, upsert) and bulk_update as generator operations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from covet.orm._database import Op, Stmt
from covet.orm._model import _check_lengths, _insert_plan
from covet.orm.sql import compiler
from covet.orm.sql.compiler import Conflict

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect

M = TypeVar("M", bound="Model")


def bulk_create_op(
    model: type[M],
    objs: list[M],
    dialect: Dialect,
    batch_size: int | None,
    ignore_conflicts: bool,
    update_conflicts: bool,
    unique_fields: Sequence[str] | None,
    update_fields: Sequence[str] | None,
) -> Op[list[M]]:
    meta = model._meta
    pk = meta.pk
    if meta.forward:  # related instances assigned before they were saved
        for obj in objs:
            obj._take_related_keys()
    conflict: Conflict | None = None
    if ignore_conflicts and update_conflicts:
        raise ValueError("ignore_conflicts and update_conflicts cannot both be set")
    if ignore_conflicts:
        conflict = Conflict(ignore=True)
    elif update_conflicts:
        if not unique_fields or not update_fields:
            raise ValueError("update_conflicts=True needs unique_fields and update_fields")
        targets = [meta.get_field(n) for n in unique_fields]
        conflict = Conflict(
            ignore=False,
            target=tuple(f.column for f in targets),
            update=tuple(meta.get_field(n).column for n in update_fields),
        )
        seen: set[tuple[Any, ...]] = set()
        for obj in objs:
            key = tuple(obj.__dict__.get(f.name) for f in targets)
            if key in seen:
                raise ValueError(
                    f"bulk_create(update_conflicts=True) got two objects with "
                    f"{unique_fields}={key}; "
                    "a row cannot be upserted twice in one statement"
                )
            seen.add(key)
    for obj in objs:
        if not isinstance(obj, model):
            raise TypeError(f"bulk_create() of {model.__name__} got a {type(obj).__name__}")
    with_pk = [o for o in objs if o.__dict__.get(pk.name) is not None or not pk.auto]
    without_pk = [o for o in objs if o.__dict__.get(pk.name) is None and pk.auto]
    for group, need_pk in ((with_pk, False), (without_pk, True)):
        if not group:
            continue
        plan = meta.cache.get(("insert", dialect.name, need_pk, False))
        if plan is None:
            plan = _insert_plan(meta, dialect, need_pk, False)
        fields = plan.fields
        rows = [plan.params(obj, True) for obj in group]
        returning = need_pk and dialect.supports_returning_insert and not ignore_conflicts
        if conflict is not None and not dialect.supports_returning_upsert:
            returning = False
        if dialect.supports_array_insert:  # one array per column: no parameter ceiling
            per_statement = batch_size or max(len(rows), 1)
        else:
            per_statement = max(1, dialect.max_params // max(len(fields), 1))
            if batch_size:
                per_statement = min(per_statement, batch_size)
        columns = [f.column for f in fields]
        kinds = [f.kind for f in fields]
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql, params = compiler.insert(
                meta.table_name, columns, chunk, dialect,
                returning=[pk.column] if returning else (), conflict=conflict, kinds=kinds,
            )  # fmt: skip
            if returning:
                keys = yield Stmt("fetch_all", sql, params)
                if len(keys) == len(chunk):
                    for obj, key in zip(group[start : start + per_statement], keys, strict=True):
                        obj.__dict__[pk.name] = key[0]
            else:
                yield Stmt("execute", sql, params)
    for obj in objs:
        obj.__dict__["_adding"] = False
    return objs


def bulk_update_op(
    model: type[M], objs: list[M], names: Sequence[str], dialect: Dialect, batch_size: int | None
) -> Op[int]:
    meta = model._meta
    if not names:
        raise ValueError("bulk_update() needs at least one field name")
    fields = [meta.get_field(n) for n in names]
    if any(f.generated for f in fields):
        raise ValueError("bulk_update() cannot write a GeneratedField")
    if any(f.primary_key for f in fields):
        raise ValueError("bulk_update() cannot update the primary key")
    pk = meta.pk
    q = dialect.quote
    sets = ", ".join(f"{q(f.column)} = {dialect.param(i + 1)}" for i, f in enumerate(fields))
    where = f"{q(pk.column)} = {dialect.param(len(fields) + 1)}"
    sql = f"UPDATE {q(meta.table_name)} SET {sets} WHERE {where}"  # noqa: S608 (quoted names)
    adapters = [f.adapter(dialect) for f in fields]
    pk_adapt = pk.adapter(dialect)
    rows = []
    for obj in objs:
        if obj.pk is None:
            raise ValueError("bulk_update() needs objects with primary keys")
        values = [f.pre_save(obj, False) for f in fields]
        _check_lengths(meta, fields, values)
        rows.append([*(a(v) for a, v in zip(adapters, values, strict=True)), pk_adapt(obj.pk)])
    total = 0
    size = batch_size or len(rows) or 1
    for start in range(0, len(rows), size):
        count = yield Stmt("executemany", sql, rows[start : start + size])
        total += count if isinstance(count, int) and count >= 0 else len(rows[start : start + size])
    return total

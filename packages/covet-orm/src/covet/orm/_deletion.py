"""Deleting rows that other rows reference: the ``on_delete`` of every foreign key, applied by
one collector (a generator operation both executors drive, inside one transaction).

From the rows to delete, the collector follows each foreign key pointing at their model:
CASCADE collects the referencing rows (and, level by level, theirs), PROTECT and RESTRICT refuse
(``ProtectedError`` / ``RestrictedError`` listing the rows in the way; RESTRICT allows rows that a
CASCADE of the same delete removes), SET_NULL and SET_DEFAULT update the referencing rows,
DO_NOTHING leaves them to the database's constraint. Then it runs the UPDATEs and DELETEs,
referencing tables first, and returns Django's ``(total, {"app.Model": count})``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm._database import Op
from covet.orm._exceptions import ProtectedError, RestrictedError
from covet.orm._related import (
    CASCADE,
    DO_NOTHING,
    PROTECT,
    RESTRICT,
    SET_DEFAULT,
    SET_NULL,
    ForeignKey,
)

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect


def needs_collector(model: type[Model]) -> bool:
    """Whether deleting rows of ``model`` must look at other tables first."""
    related = model._meta.related_objects
    return bool(related) and any(
        isinstance(rel.field, ForeignKey) and rel.field.on_delete is not DO_NOTHING
        for rel in related
    )


def _chunks(keys: list[Any], dialect: Dialect) -> list[list[Any]]:
    size = max(dialect.max_params - 256, 1)
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def _fetch_op(qs: Any, dialect: Dialect) -> Op[list[Any]]:
    rows: list[Any] = yield from qs._fetch_op(dialect)
    return rows


def delete_op(
    model: type[Model], pks: list[Any], dialect: Dialect
) -> Op[tuple[int, dict[str, int]]]:
    """Delete the rows of ``model`` with these primary keys and apply every ``on_delete``."""
    from covet.orm._query import QuerySet, _rowcount_op
    from covet.orm.sql import compiler

    doomed: dict[type[Model], dict[Any, None]] = {}
    updates: list[tuple[type[Model], ForeignKey, Any, list[Any]]] = []
    protected: list[tuple[ForeignKey, list[Any]]] = []
    restricted: list[tuple[ForeignKey, list[Any]]] = []
    queue: list[tuple[type[Model], list[Any]]] = [(model, list(pks))]
    while queue:
        current, keys = queue.pop(0)
        seen = doomed.setdefault(current, {})
        new = [k for k in dict.fromkeys(keys) if k not in seen]
        if not new:
            continue
        seen.update(dict.fromkeys(new))
        for rel in current._meta.related_objects:
            fk = rel.field
            if not isinstance(fk, ForeignKey) or fk.on_delete is DO_NOTHING:
                continue
            child = rel.related
            values = new
            target = fk.target_field
            if not target.primary_key:  # to_field: the referenced column's values
                values = []
                for chunk in _chunks(new, dialect):
                    got = QuerySet(current).filter(pk__in=chunk).values_list(target.name, flat=True)
                    values.extend((yield from _fetch_op(got, dialect)))
            action = fk.on_delete
            for chunk in _chunks(values, dialect):
                refs = QuerySet(child).filter(**{f"{fk.name}__in": chunk})
                if action is CASCADE:
                    ids = yield from _fetch_op(refs.values_list("pk", flat=True), dialect)
                    if ids:
                        queue.append((child, ids))
                elif action is PROTECT or action is RESTRICT:
                    objs = yield from _fetch_op(refs, dialect)
                    if objs:
                        (protected if action is PROTECT else restricted).append((fk, objs))
                elif action is SET_NULL or action is SET_DEFAULT:
                    value = None if action is SET_NULL else fk.get_default()
                    updates.append((child, fk, value, chunk))
    if protected:
        raise ProtectedError(_refusal(model, "protected", protected), _objects(protected))
    held = [
        (fk, [o for o in objs if o.pk not in doomed.get(type(o), {})]) for fk, objs in restricted
    ]
    held = [(fk, objs) for fk, objs in held if objs]
    if held:
        raise RestrictedError(_refusal(model, "restricted", held), _objects(held))
    for child, fk, value, keys in updates:
        qs = QuerySet(child).filter(**{f"{fk.name}__in": keys})
        sql, params = compiler.update(qs._query, dialect, {fk.name: value})
        yield from _rowcount_op(sql, params)
    counts: dict[str, int] = {}
    total = 0
    for current in _order(list(doomed)):
        keys = list(doomed[current])
        n = 0
        for chunk in _chunks(keys, dialect):
            sql, params = compiler.delete(QuerySet(current).filter(pk__in=chunk)._query, dialect)
            n += yield from _rowcount_op(sql, params)
        if n:
            counts[current._meta.label] = counts.get(current._meta.label, 0) + n
            total += n
    return total, counts


def _order(models: list[type[Model]]) -> list[type[Model]]:
    """Referencing models before the models they reference (their rows must go first)."""
    out: list[type[Model]] = []
    todo = list(models)
    while todo:
        for m in todo:
            waits = any(
                other is not m
                and other in todo
                and any(f.remote_model is m for f in other._meta.forward.values())
                for other in todo
            )
            if not waits:
                break
        else:  # a cycle: any order, the database's constraints decide
            m = todo[0]
        todo.remove(m)
        out.append(m)
    return out


def _objects(found: list[tuple[ForeignKey, list[Any]]]) -> list[Any]:
    return [o for _, objs in found for o in objs]


def _refusal(model: type[Model], kind: str, found: list[tuple[ForeignKey, list[Any]]]) -> str:
    via = ", ".join(
        sorted({f"{fk.model.__name__}.{fk.relation_name}" for fk, _ in found if fk.model})
    )
    shown = _objects(found)
    listed = ", ".join(repr(o) for o in shown[:10]) + (" ..." if len(shown) > 10 else "")
    return (
        f"cannot delete some {model.__name__} rows: {len(shown)} row(s) reference them through "
        f"{kind} foreign keys ({via}): {listed}"
    )

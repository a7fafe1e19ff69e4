"""get_or_create / update_or_create: multi-statement operations written once (generators).

Safe against a concurrent insert of the same unique values: the INSERT runs in a savepoint and,
if another writer won, the operation reads that writer's row.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, TypeVar

from covet.orm import _exceptions as exc
from covet.orm._database import Op, Stmt

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm._query import QuerySet
    from covet.orm.sql.dialect import Dialect

M = TypeVar("M", bound="Model")
_savepoints = itertools.count(1)


def _called(values: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults with callables called (as Django): ``{"token": make_token}``."""
    return {k: v() if callable(v) else v for k, v in (values or {}).items()}


def get_or_create_op(
    qs: QuerySet[M], defaults: dict[str, Any] | None, kwargs: dict[str, Any]
) -> Op[tuple[M, bool]]:
    dialect = qs.db.dialect
    try:
        found = yield from qs._get_op(dialect, (), kwargs)
        return found, False
    except qs.model.DoesNotExist:
        pass
    return (yield from create_op(qs, dialect, defaults, kwargs))


def create_op(
    qs: QuerySet[M], dialect: Dialect, defaults: dict[str, Any] | None, kwargs: dict[str, Any]
) -> Op[tuple[M, bool]]:
    params = {k: v for k, v in kwargs.items() if "__" not in k}
    params.update(_called(defaults))
    obj = qs.model(**params)
    savepoint = f"covet_goc_{next(_savepoints)}"
    yield Stmt("savepoint", savepoint)
    try:
        yield from obj._save_op(dialect, None, True)
    except exc.IntegrityError as conflict:
        # another writer inserted the same unique values since our SELECT: use its row
        yield Stmt("rollback_to", savepoint)
        yield Stmt("release", savepoint)
        try:
            found = yield from qs._get_op(dialect, (), kwargs)
        except qs.model.DoesNotExist:
            raise conflict from None
        return found, False
    yield Stmt("release", savepoint)
    return obj, True


def update_or_create_op(
    qs: QuerySet[M],
    defaults: dict[str, Any] | None,
    create_defaults: dict[str, Any] | None,
    kwargs: dict[str, Any],
) -> Op[tuple[M, bool]]:
    dialect = qs.db.dialect
    try:
        obj = yield from qs.select_for_update()._get_op(dialect, (), kwargs)
    except qs.model.DoesNotExist:
        made = defaults if create_defaults is None else create_defaults
        return (yield from create_op(qs, dialect, made, kwargs))
    values = _called(defaults)
    for name, value in values.items():
        setattr(obj, qs.model._meta.get_field(name).name, value)
    if values:
        yield from obj._save_op(dialect, list(values), False)
    return obj, False

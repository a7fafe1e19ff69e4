"""``RawQuerySet``: model objects from your own SQL."""

from __future__ import annotations

import builtins
import types
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from covet.orm._database import Op, Stmt, check_params
from covet.orm._hydrate import model_builder

if TYPE_CHECKING:
    from covet.orm._model import Model

M = TypeVar("M", bound="Model")
_ITER_HINT = "async for obj in queryset"


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

    async def __covet_result__(self) -> builtins.list[M]:
        """covet.http's protocol: a returned raw query is read through the async API."""
        rows: builtins.list[M] = await self.model._meta.database.arun(self._op())
        return rows

    @classmethod
    def __covet_result_type__(cls, *args: Any) -> Any:
        """covet.http's protocol: ``-> RawQuerySet[M]`` is read as ``list[M]``."""
        return types.GenericAlias(builtins.list, args[:1]) if args else builtins.list

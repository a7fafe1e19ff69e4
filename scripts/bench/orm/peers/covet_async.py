"""covet-orm, async API (aiosqlite, asyncpg, asyncmy)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from _workload import Config, Row, chunks, new_level

from peers.covet_sync import define

IS_ASYNC = True


class CovetAsync:
    def __init__(self, cfg: Config) -> None:
        self.db, self.J = define(cfg)
        self.rnd = random.Random(7)

    async def insert_single(self, rows: Sequence[Row]) -> None:
        J = self.J
        async with self.db.transaction():
            for ts, lv, tx in rows:
                await J.objects.acreate(timestamp=ts, level=lv, text=tx)

    async def insert_batch(self, rows: Sequence[Row]) -> None:
        J = self.J
        async with self.db.transaction():
            for chunk in chunks(rows, 100):
                objs = [J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in chunk]
                await J.objects.abulk_create(objs)

    async def insert_bulk(self, rows: Sequence[Row]) -> None:
        J = self.J
        await J.objects.abulk_create([J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in rows])

    async def filter_large(self, limit: int) -> int:
        return len([o async for o in self.J.objects.filter(level__gte=10)[:limit]])

    async def filter_small(self, level: int, offset: int) -> int:
        return len([o async for o in self.J.objects.filter(level=level)[offset : offset + 20]])

    async def get(self, pk: int) -> Any:
        return await self.J.objects.aget(id=pk)

    async def dicts(self, limit: int) -> int:
        return len([r async for r in self.J.objects.filter(level__gte=10).values()[:limit]])

    async def tuples(self, limit: int) -> int:
        return len([r async for r in self.J.objects.filter(level__gte=10).values_list()[:limit]])

    async def load(self, limit: int) -> list[Any]:
        return [o async for o in self.J.objects.all()[:limit]]

    async def update_whole(self, objs: list[Any]) -> None:
        async with self.db.transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                await o.asave()

    async def update_partial(self, objs: list[Any]) -> None:
        async with self.db.transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                await o.asave(update_fields=["level"])

    async def delete(self, objs: list[Any]) -> None:
        async with self.db.transaction():
            for o in objs:
                await o.adelete()

    async def close(self) -> None:
        await self.db.aclose()


def make(cfg: Config) -> CovetAsync:
    return CovetAsync(cfg)

"""SQLAlchemy 2 ORM, async: aiosqlite, asyncpg, asyncmy. Each save is a flush of one object."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from _workload import Config, Row, chunks, new_level
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from peers.sqlalchemy_sync import COLS, Journal, engine_url, values

IS_ASYNC = True


class SAAsync:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.engine = create_async_engine(engine_url(cfg, True))
        self.session = AsyncSession(self.engine, expire_on_commit=False)
        self.rnd = random.Random(7)

    async def insert_single(self, rows: Sequence[Row]) -> None:
        async with self.session.begin():
            for v in values(self.cfg, rows):
                self.session.add(Journal(**v))
                await self.session.flush()

    async def insert_batch(self, rows: Sequence[Row]) -> None:
        async with self.session.begin():
            for chunk in chunks(values(self.cfg, rows), 100):
                self.session.add_all([Journal(**v) for v in chunk])
                await self.session.flush()

    async def insert_bulk(self, rows: Sequence[Row]) -> None:
        async with self.session.begin():
            await self.session.execute(insert(Journal), values(self.cfg, rows))

    async def _read(self, stmt: Any) -> list[Any]:
        async with self.session.begin():
            return list((await self.session.scalars(stmt)).all())

    async def filter_large(self, limit: int) -> int:
        return len(await self._read(select(Journal).where(Journal.level >= 10).limit(limit)))

    async def filter_small(self, level: int, offset: int) -> int:
        return len(
            await self._read(select(Journal).where(Journal.level == level).limit(20).offset(offset))
        )

    async def get(self, pk: int) -> Any:
        async with self.session.begin():
            return (
                await self.session.execute(select(Journal).where(Journal.id == pk))
            ).scalar_one()

    async def dicts(self, limit: int) -> int:
        async with self.session.begin():
            res = await self.session.execute(select(*COLS).where(Journal.level >= 10).limit(limit))
            return len(res.mappings().all())

    async def tuples(self, limit: int) -> int:
        async with self.session.begin():
            res = await self.session.execute(select(*COLS).where(Journal.level >= 10).limit(limit))
            return len(res.all())

    async def load(self, limit: int) -> list[Any]:
        return await self._read(select(Journal).limit(limit))

    async def update_whole(self, objs: list[Any]) -> None:
        async with self.session.begin():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                await self.session.flush()

    async def update_partial(self, objs: list[Any]) -> None:
        async with self.session.begin():
            for o in objs:
                o.level = new_level(self.rnd)
                await self.session.flush()

    async def delete(self, objs: list[Any]) -> None:
        async with self.session.begin():
            for o in objs:
                await self.session.delete(o)
                await self.session.flush()

    async def close(self) -> None:
        await self.session.close()
        await self.engine.dispose()


def make(cfg: Config) -> SAAsync:
    return SAAsync(cfg)

"""Piccolo 1.x (async, PostgreSQL via asyncpg and its pool). No tuple output: H is n/a."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from _workload import Config, Row, chunks, new_level
from piccolo.columns import SmallInt, Timestamptz, Varchar
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

IS_ASYNC = True


class PiccoloPeer:
    has_tuples = False

    def __init__(self, cfg: Config) -> None:
        u = urlsplit(cfg.url)
        self.engine = PostgresEngine(
            config={
                "host": u.hostname,
                "port": u.port or 5432,
                "user": u.username,
                "database": u.path.lstrip("/"),
            },
        )

        class Journal(Table, tablename="journal", db=self.engine):
            timestamp = Timestamptz()
            level = SmallInt(index=True)
            text = Varchar(length=255, index=True)

        self.J = Journal
        self.rnd = random.Random(7)

    async def start(self) -> PiccoloPeer:
        await self.engine.start_connection_pool()
        return self

    async def insert_single(self, rows: Sequence[Row]) -> None:
        async with self.engine.transaction():
            for ts, lv, tx in rows:
                await self.J(timestamp=ts, level=lv, text=tx).save()

    async def insert_batch(self, rows: Sequence[Row]) -> None:
        J = self.J
        async with self.engine.transaction():
            for chunk in chunks(rows, 100):
                await J.insert(*[J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in chunk])

    async def insert_bulk(self, rows: Sequence[Row]) -> None:
        J = self.J
        for chunk in chunks(rows, 500):
            await J.insert(*[J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in chunk])

    async def filter_large(self, limit: int) -> int:
        return len(await self.J.objects().where(self.J.level >= 10).limit(limit))

    async def filter_small(self, level: int, offset: int) -> int:
        return len(await self.J.objects().where(self.J.level == level).limit(20).offset(offset))

    async def get(self, pk: int) -> Any:
        return await self.J.objects().get(self.J.id == pk)

    async def dicts(self, limit: int) -> int:
        return len(await self.J.select().where(self.J.level >= 10).limit(limit))

    async def tuples(self, limit: int) -> int:
        raise NotImplementedError("Piccolo has no tuple output")

    async def load(self, limit: int) -> list[Any]:
        return list(await self.J.objects().limit(limit))

    async def update_whole(self, objs: list[Any]) -> None:
        async with self.engine.transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                await o.save()

    async def update_partial(self, objs: list[Any]) -> None:
        async with self.engine.transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                await o.save(columns=[self.J.level])

    async def delete(self, objs: list[Any]) -> None:
        async with self.engine.transaction():
            for o in objs:
                await o.remove()

    async def close(self) -> None:
        await self.engine.close_connection_pool()


async def make(cfg: Config) -> PiccoloPeer:
    return await PiccoloPeer(cfg).start()

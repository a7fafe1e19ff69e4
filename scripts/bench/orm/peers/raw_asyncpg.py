"""Raw asyncpg on one connection: the PostgreSQL baseline."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import asyncpg
from _workload import Config, Row, chunks, new_level

IS_ASYNC = True
SEL = "SELECT id, timestamp, level, text FROM journal"
INS = "INSERT INTO journal (timestamp, level, text) VALUES ($1, $2, $3)"


class RawAsyncpg:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.rnd = random.Random(7)
        self.conn: Any = None

    async def _c(self) -> Any:
        if self.conn is None:
            self.conn = await asyncpg.connect(self.cfg.url)
        return self.conn

    async def insert_single(self, rows: Sequence[Row]) -> None:
        c = await self._c()
        async with c.transaction():
            for row in rows:
                await c.execute(INS, *row)

    async def insert_batch(self, rows: Sequence[Row]) -> None:
        c = await self._c()
        async with c.transaction():
            for chunk in chunks(rows, 100):
                await c.executemany(INS, chunk)

    async def insert_bulk(self, rows: Sequence[Row]) -> None:
        c = await self._c()
        for chunk in chunks(rows, 500):
            values = ", ".join(
                f"(${3 * i + 1}, ${3 * i + 2}, ${3 * i + 3})" for i in range(len(chunk))
            )
            await c.execute(
                f"INSERT INTO journal (timestamp, level, text) VALUES {values}",
                *[v for r in chunk for v in r],
            )

    async def filter_large(self, limit: int) -> int:
        return len(await (await self._c()).fetch(f"{SEL} WHERE level >= $1 LIMIT $2", 10, limit))

    async def filter_small(self, level: int, offset: int) -> int:
        rows = await (await self._c()).fetch(
            f"{SEL} WHERE level = $1 LIMIT 20 OFFSET $2", level, offset
        )
        return len(rows)

    async def get(self, pk: int) -> Any:
        return await (await self._c()).fetchrow(f"{SEL} WHERE id = $1", pk)

    async def dicts(self, limit: int) -> int:
        rows = await (await self._c()).fetch(f"{SEL} WHERE level >= $1 LIMIT $2", 10, limit)
        return len([dict(r) for r in rows])

    async def tuples(self, limit: int) -> int:
        rows = await (await self._c()).fetch(f"{SEL} WHERE level >= $1 LIMIT $2", 10, limit)
        return len([tuple(r) for r in rows])

    async def load(self, limit: int) -> list[Any]:
        return [list(r) for r in await (await self._c()).fetch(f"{SEL} LIMIT $1", limit)]

    async def update_whole(self, objs: list[Any]) -> None:
        c = await self._c()
        async with c.transaction():
            for o in objs:
                o[2] = new_level(self.rnd)
                o[3] = f"{o[3]} Update"
                await c.execute(
                    "UPDATE journal SET timestamp = $1, level = $2, text = $3 WHERE id = $4",
                    o[1],
                    o[2],
                    o[3],
                    o[0],
                )

    async def update_partial(self, objs: list[Any]) -> None:
        c = await self._c()
        async with c.transaction():
            for o in objs:
                o[2] = new_level(self.rnd)
                await c.execute("UPDATE journal SET level = $1 WHERE id = $2", o[2], o[0])

    async def delete(self, objs: list[Any]) -> None:
        c = await self._c()
        async with c.transaction():
            for o in objs:
                await c.execute("DELETE FROM journal WHERE id = $1", o[0])

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def make(cfg: Config) -> RawAsyncpg:
    return RawAsyncpg(cfg)

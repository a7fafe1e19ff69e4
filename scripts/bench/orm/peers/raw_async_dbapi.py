"""Raw aiosqlite and asyncmy (cursor-style async drivers) on one connection."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from _workload import Config, Row, chunks, mysql_params, new_level

COLS = "id, timestamp, level, text"


class RawAsyncDBAPI:
    def __init__(self, cfg: Config, driver: str) -> None:
        self.cfg = cfg
        self.driver = driver
        self.rnd = random.Random(7)
        self.p = "?" if driver == "aiosqlite" else "%s"
        self.ins = (
            f"INSERT INTO journal (timestamp, level, text) VALUES ({self.p}, {self.p}, {self.p})"
        )
        self.sel = f"SELECT {COLS} FROM journal"
        self.conn: Any = None

    async def _c(self) -> Any:
        if self.conn is None:
            if self.driver == "aiosqlite":
                import aiosqlite

                self.conn = await aiosqlite.connect(self.cfg.url, isolation_level=None)
            else:
                import asyncmy

                self.conn = await asyncmy.connect(
                    **mysql_params(self.cfg.url), autocommit=True, charset="utf8mb4"
                )
        return self.conn

    def _rows(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        if self.driver == "aiosqlite":
            return [(ts.isoformat(), lv, tx) for ts, lv, tx in rows]
        return [(ts.replace(tzinfo=None), lv, tx) for ts, lv, tx in rows]

    async def _exec(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        c = await self._c()
        if self.driver == "aiosqlite":  # one hop to the driver's thread per statement
            return list(await c.execute_fetchall(sql, params))
        async with c.cursor() as cur:
            await cur.execute(sql, params)
            return list(await cur.fetchall())

    async def _exec_desc(self, sql: str, params: Sequence[Any]) -> tuple[list[str], list[Any]]:
        c = await self._c()
        if self.driver == "aiosqlite":
            return ["id", "timestamp", "level", "text"], list(await c.execute_fetchall(sql, params))
        async with c.cursor() as cur:
            await cur.execute(sql, params)
            return [d[0] for d in cur.description], list(await cur.fetchall())

    async def _many(self, sql: str, rows: Sequence[Any]) -> None:
        c = await self._c()
        if self.driver == "aiosqlite":
            await c.executemany(sql, rows)
        else:
            async with c.cursor() as cur:
                await cur.executemany(sql, rows)

    async def insert_single(self, rows: Sequence[Row]) -> None:
        await self._exec("BEGIN")
        for row in self._rows(rows):
            await self._exec(self.ins, row)
        await self._exec("COMMIT")

    async def insert_batch(self, rows: Sequence[Row]) -> None:
        await self._exec("BEGIN")
        for chunk in chunks(self._rows(rows), 100):
            await self._many(self.ins, chunk)
        await self._exec("COMMIT")

    async def insert_bulk(self, rows: Sequence[Row]) -> None:
        p = self.p
        for chunk in chunks(self._rows(rows), 500):
            values = ", ".join([f"({p}, {p}, {p})"] * len(chunk))
            await self._exec(
                f"INSERT INTO journal (timestamp, level, text) VALUES {values}",
                [v for r in chunk for v in r],
            )

    async def filter_large(self, limit: int) -> int:
        return len(
            await self._exec(f"{self.sel} WHERE level >= {self.p} LIMIT {self.p}", (10, limit))
        )

    async def filter_small(self, level: int, offset: int) -> int:
        p = self.p
        return len(
            await self._exec(
                f"{self.sel} WHERE level = {p} LIMIT {p} OFFSET {p}", (level, 20, offset)
            )
        )

    async def get(self, pk: int) -> Any:
        return (await self._exec(f"{self.sel} WHERE id = {self.p}", (pk,)))[0]

    async def dicts(self, limit: int) -> int:
        names, rows = await self._exec_desc(
            f"{self.sel} WHERE level >= {self.p} LIMIT {self.p}", (10, limit)
        )
        return len([dict(zip(names, r, strict=True)) for r in rows])

    async def tuples(self, limit: int) -> int:
        return await self.filter_large(limit)

    async def load(self, limit: int) -> list[Any]:
        return [list(r) for r in await self._exec(f"{self.sel} LIMIT {self.p}", (limit,))]

    async def update_whole(self, objs: list[Any]) -> None:
        p = self.p
        sql = f"UPDATE journal SET timestamp = {p}, level = {p}, text = {p} WHERE id = {p}"
        await self._exec("BEGIN")
        for o in objs:
            o[2] = new_level(self.rnd)
            o[3] = f"{o[3]} Update"
            await self._exec(sql, (o[1], o[2], o[3], o[0]))
        await self._exec("COMMIT")

    async def update_partial(self, objs: list[Any]) -> None:
        sql = f"UPDATE journal SET level = {self.p} WHERE id = {self.p}"
        await self._exec("BEGIN")
        for o in objs:
            o[2] = new_level(self.rnd)
            await self._exec(sql, (o[2], o[0]))
        await self._exec("COMMIT")

    async def delete(self, objs: list[Any]) -> None:
        await self._exec("BEGIN")
        for o in objs:
            await self._exec(f"DELETE FROM journal WHERE id = {self.p}", (o[0],))
        await self._exec("COMMIT")

    async def close(self) -> None:
        if self.conn is not None:
            if self.driver == "aiosqlite":
                await self.conn.close()
            else:
                self.conn.close()

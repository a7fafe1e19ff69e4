"""Raw asyncmy on one connection, hand-written SQL: the MariaDB reference."""

from __future__ import annotations

from typing import Any

from _relations_workload import Checksum, Config, checksum_books, checksum_counts
from _workload import mysql_params

from rel_peers.raw_sync import BOOKS_JOIN, COUNTS, books_in, group_books, group_tags, tags_in

IS_ASYNC = True


class RawAsyncmy:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.conn: Any = None

    async def _all(self, sql: str, params: Any = ()) -> list[Any]:
        if self.conn is None:
            import asyncmy

            self.conn = await asyncmy.connect(
                **mysql_params(self.cfg.url), autocommit=True, charset="utf8mb4"
            )
        async with self.conn.cursor() as cur:
            await cur.execute(sql, params)
            return list(await cur.fetchall())

    async def books_with_author(self) -> Checksum:
        return checksum_books([(r[1], r[4]) for r in await self._all(BOOKS_JOIN)])

    async def authors_with_books(self) -> Checksum:
        authors = await self._all("SELECT id, name FROM rel_author ORDER BY id")
        ids = [a[0] for a in authors]
        return group_books(authors, await self._all(books_in("%s", len(ids)), ids))

    async def posts_with_tags(self) -> Checksum:
        posts = await self._all("SELECT id, title FROM rel_post ORDER BY id")
        ids = [p[0] for p in posts]
        return group_tags(posts, await self._all(tags_in("%s", len(ids)), ids))

    async def authors_book_count(self) -> Checksum:
        return checksum_counts([(r[0], r[2]) for r in await self._all(COUNTS)])

    async def naive_book_author(self) -> Checksum:
        return await self.books_with_author()

    async def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def make(cfg: Config) -> RawAsyncmy:
    return RawAsyncmy(cfg)

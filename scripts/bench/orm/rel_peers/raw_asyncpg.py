"""Raw asyncpg on one connection, hand-written SQL (``= ANY($1)`` for the IN lists): the
PostgreSQL reference."""

from __future__ import annotations

from typing import Any

import asyncpg
from _relations_workload import Checksum, Config, checksum_books, checksum_counts

from rel_peers.raw_sync import BOOKS_JOIN, COUNTS, group_books, group_tags

IS_ASYNC = True
BOOKS_ANY = "SELECT id, title, pages, author_id FROM rel_book WHERE author_id = ANY($1::bigint[])"
TAGS_ANY = (
    "SELECT pt.post_id, t.id, t.name FROM rel_tag t JOIN rel_post_tags pt"
    " ON pt.tag_id = t.id WHERE pt.post_id = ANY($1::bigint[])"
)


class RawAsyncpg:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.conn: Any = None

    async def _all(self, sql: str, *args: Any) -> list[Any]:
        if self.conn is None:
            self.conn = await asyncpg.connect(self.cfg.url)
        return list(await self.conn.fetch(sql, *args))

    async def books_with_author(self) -> Checksum:
        return checksum_books([(r[1], r[4]) for r in await self._all(BOOKS_JOIN)])

    async def authors_with_books(self) -> Checksum:
        authors = await self._all("SELECT id, name FROM rel_author ORDER BY id")
        return group_books(authors, await self._all(BOOKS_ANY, [a[0] for a in authors]))

    async def posts_with_tags(self) -> Checksum:
        posts = await self._all("SELECT id, title FROM rel_post ORDER BY id")
        return group_tags(posts, await self._all(TAGS_ANY, [p[0] for p in posts]))

    async def authors_book_count(self) -> Checksum:
        return checksum_counts([(r[0], r[2]) for r in await self._all(COUNTS)])

    async def naive_book_author(self) -> Checksum:
        return await self.books_with_author()

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def make(cfg: Config) -> RawAsyncpg:
    return RawAsyncpg(cfg)

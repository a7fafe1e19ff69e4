"""The relation workload every peer of ``relations.py`` runs (issue 9's benchmark).

Schema (created and filled with raw SQL before each peer, so no peer's DDL or inserts are
measured): 200 ``rel_author``; 1,000 ``rel_book`` (5 per author, interleaved, ``author_id``
indexed); 50 ``rel_tag``; 500 ``rel_post``; ``rel_post_tags`` links each post to 3 tags (1,500
rows, unique pair, both keys indexed).

Scenarios (each a full operation, timed as the best of ``repeat`` runs):

* ``a``: the 1,000 books with their author in one query (JOIN / ``select_related`` / joinedload)
* ``b``: the 200 authors with all their books (``IN`` / ``prefetch_related`` / selectinload)
* ``c``: the 500 posts with their tags through the M2M table (``IN`` prefetch)
* ``d``: the 200 authors with their number of books (``annotate(Count)`` over the reverse FK)
* ``e``: the naive loop reading ``book.author`` for the 1,000 books, each peer in its default
  mode (N+1 for most; covet loads the peers of the result set at once); the raw reference is
  the JOIN of ``a``

Every scenario returns a checksum computed from the loaded objects (so a lazy attribute that was
never loaded cannot look fast); ``relations.py`` checks every peer's checksums against the raw
driver's.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from _workload import mysql_connect

AUTHORS = 200
BOOKS_PER_AUTHOR = 5
BOOKS = AUTHORS * BOOKS_PER_AUTHOR
TAGS = 50
POSTS = 500
TAGS_PER_POST = 3

SCENARIOS: dict[str, str] = {
    "a": f"{BOOKS:,} books + author (JOIN)",
    "b": f"{AUTHORS} authors + all books (IN prefetch)",
    "c": f"{POSTS} posts + M2M tags (prefetch)",
    "d": f"{AUTHORS} authors annotate(Count(books))",
    "e": f"naive loop: book.author x {BOOKS:,} (default mode)",
}
#: objects (rows of the main model) each scenario yields, for the rows/s column
OBJECTS = {"a": BOOKS, "b": AUTHORS, "c": POSTS, "d": AUTHORS, "e": BOOKS}


@dataclass(frozen=True)
class Config:
    db: str  # sqlite | postgres | mysql
    url: str  # sqlite: a file path; servers: a URL of the bench database
    repeat: int  # each scenario keeps the best of this many runs


Checksum = tuple[int, int]


class SyncPeer(Protocol):
    """What a sync peer implements (async peers: the same methods, ``async def``). Each
    returns the checksum of what it loaded (see the ``checksum_*`` helpers)."""

    def books_with_author(self) -> Checksum: ...
    def authors_with_books(self) -> Checksum: ...
    def posts_with_tags(self) -> Checksum: ...
    def authors_book_count(self) -> Checksum: ...
    def naive_book_author(self) -> Checksum: ...
    def close(self) -> None: ...


# --- checksums: what a scenario must have loaded --------------------------------------------------


def checksum_books(pairs: list[tuple[str, str]]) -> Checksum:
    """(book title, its author's name) for each book."""
    return len(pairs), sum(len(title) + 3 * len(name) for title, name in pairs)


def checksum_authors(authors: list[tuple[str, list[int]]]) -> Checksum:
    """(author name, the pages of each of their books)."""
    return len(authors), sum(len(name) + sum(pages) + len(pages) for name, pages in authors)


def checksum_posts(posts: list[tuple[str, list[str]]]) -> Checksum:
    """(post title, its tag names)."""
    return len(posts), sum(len(title) + sum(len(t) for t in tags) for title, tags in posts)


def checksum_counts(counts: list[tuple[int, int]]) -> Checksum:
    """(author id, number of books)."""
    return len(counts), sum(pk * n for pk, n in counts)


# --- schema and data (raw SQL, identical for every peer) ------------------------------------------

_ID = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgres": "BIGSERIAL PRIMARY KEY",
    "mysql": "BIGINT AUTO_INCREMENT PRIMARY KEY",
}
_FK = {"sqlite": "BIGINT", "postgres": "BIGINT", "mysql": "BIGINT"}
TABLES = ["rel_post_tags", "rel_post", "rel_tag", "rel_book", "rel_author"]


def ddl(db: str) -> list[str]:
    pk, fk = _ID[db], _FK[db]
    tail = " CHARACTER SET utf8mb4" if db == "mysql" else ""
    out = [f"DROP TABLE IF EXISTS {t}" for t in TABLES]
    out += [
        f"CREATE TABLE rel_author (id {pk}, name VARCHAR(100) NOT NULL){tail}",
        f"CREATE TABLE rel_book (id {pk}, title VARCHAR(200) NOT NULL, pages INTEGER NOT NULL,"
        f" author_id {fk} NOT NULL REFERENCES rel_author (id)){tail}",
        "CREATE INDEX rel_book_author_id ON rel_book (author_id)",
        f"CREATE TABLE rel_tag (id {pk}, name VARCHAR(50) NOT NULL){tail}",
        f"CREATE TABLE rel_post (id {pk}, title VARCHAR(200) NOT NULL){tail}",
        f"CREATE TABLE rel_post_tags (id {pk}, post_id {fk} NOT NULL REFERENCES rel_post (id),"
        f" tag_id {fk} NOT NULL REFERENCES rel_tag (id), UNIQUE (post_id, tag_id)){tail}",
        "CREATE INDEX rel_post_tags_tag_id ON rel_post_tags (tag_id)",
    ]
    return out


def rows() -> dict[str, list[tuple[Any, ...]]]:
    authors = [(i, f"Author {i}") for i in range(1, AUTHORS + 1)]
    books = [
        (j, f"Book {j}: a title", 50 + (j * 37) % 500, (j - 1) % AUTHORS + 1)
        for j in range(1, BOOKS + 1)
    ]
    tags = [(k, f"tag-{k}") for k in range(1, TAGS + 1)]
    posts = [(p, f"Post number {p}") for p in range(1, POSTS + 1)]
    links = [
        (p, (p * 7 + m * 13) % TAGS + 1) for p in range(1, POSTS + 1) for m in range(TAGS_PER_POST)
    ]
    return {"authors": authors, "books": books, "tags": tags, "posts": posts, "links": links}


def create_schema(cfg: Config) -> None:
    data = rows()
    p = "?" if cfg.db == "sqlite" else "%s"
    inserts = [
        (f"INSERT INTO rel_author (id, name) VALUES ({p}, {p})", data["authors"]),
        (
            f"INSERT INTO rel_book (id, title, pages, author_id) VALUES ({p}, {p}, {p}, {p})",
            data["books"],
        ),
        (f"INSERT INTO rel_tag (id, name) VALUES ({p}, {p})", data["tags"]),
        (f"INSERT INTO rel_post (id, title) VALUES ({p}, {p})", data["posts"]),
        (f"INSERT INTO rel_post_tags (post_id, tag_id) VALUES ({p}, {p})", data["links"]),
    ]
    if cfg.db == "sqlite":
        conn = sqlite3.connect(cfg.url, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        for stmt in ddl("sqlite"):
            conn.execute(stmt)
        conn.execute("BEGIN")
        for sql, values in inserts:
            conn.executemany(sql, values)
        conn.execute("COMMIT")
        conn.close()
    elif cfg.db == "postgres":
        import psycopg

        with psycopg.connect(cfg.url, autocommit=True) as pg:
            for stmt in ddl("postgres"):
                pg.execute(stmt)
            with pg.cursor() as cur:
                for sql, values in inserts:
                    cur.executemany(sql, values)
            for table in ("rel_author", "rel_book", "rel_tag", "rel_post"):  # ids given above
                pg.execute(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))")
            pg.execute("ANALYZE")
    else:
        my = mysql_connect(cfg.url)
        with my.cursor() as cur:
            cur.execute("SET FOREIGN_KEY_CHECKS = 0")
            for stmt in ddl("mysql"):
                cur.execute(stmt)
            cur.execute("SET FOREIGN_KEY_CHECKS = 1")
            for sql, values in inserts:
                cur.executemany(sql, values)
        my.close()


# --- timing ---------------------------------------------------------------------------------------

METHODS = {
    "a": "books_with_author",
    "b": "authors_with_books",
    "c": "posts_with_tags",
    "d": "authors_book_count",
    "e": "naive_book_author",
}


def run_sync(peer: Any, cfg: Config) -> dict[str, Any]:
    """{"seconds": {scenario: best seconds}, "checksums": {scenario: checksum}}"""
    seconds: dict[str, float] = {}
    sums: dict[str, Checksum] = {}
    for code, method in METHODS.items():
        fn: Callable[[], Checksum] = getattr(peer, method)
        best = float("inf")
        for _ in range(cfg.repeat):
            t0 = time.perf_counter()
            sums[code] = fn()
            best = min(best, time.perf_counter() - t0)
        seconds[code] = best
    peer.close()
    return {"seconds": seconds, "checksums": sums}


async def run_async(peer: Any, cfg: Config) -> dict[str, Any]:
    seconds: dict[str, float] = {}
    sums: dict[str, Checksum] = {}
    for code, method in METHODS.items():
        fn: Callable[[], Awaitable[Checksum]] = getattr(peer, method)
        best = float("inf")
        for _ in range(cfg.repeat):
            t0 = time.perf_counter()
            sums[code] = await fn()
            best = min(best, time.perf_counter() - t0)
        seconds[code] = best
    await peer.close()
    return {"seconds": seconds, "checksums": sums}

"""The workload every peer runs, modelled on the public tortoise/orm-benchmarks (tests A-K).

One table ``journal`` (id, timestamp, level, text; ``level`` and ``text`` indexed) is created
with raw SQL before each peer, so every ORM maps onto the same schema and no peer's DDL is measured.

Each peer implements the methods of :class:`SyncPeer` (or their ``async`` twins); :func:`run_sync` /
:func:`run_async` time them and return rows per second for every test.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

LEVELS = (10, 20, 30, 40, 50)
Row = tuple[datetime, int, str]

TESTS: dict[str, str] = {
    "A": "insert: single (one txn)",
    "B": "insert: batch of 100 (one txn)",
    "C": "insert: bulk",
    "D": "filter: large",
    "E": "filter: limit 20",
    "F": "get by pk",
    "G": "filter: dicts",
    "H": "filter: tuples",
    "I": "update: whole",
    "J": "update: partial",
    "K": "delete",
}


@dataclass(frozen=True)
class Config:
    db: str  # sqlite | postgres | mysql
    url: str  # sqlite: a file path; servers: a URL of the bench database
    n: int  # rows inserted by each of A, B, C
    large: int  # rows fetched by D, G, H
    small_reps: int  # queries in E
    get_reps: int  # queries in F
    updates: int  # rows touched by I, J, K
    repeat: int  # read tests keep the best of this many runs


class SyncPeer(Protocol):
    def insert_single(self, rows: Sequence[Row]) -> None: ...
    def insert_batch(self, rows: Sequence[Row]) -> None: ...
    def insert_bulk(self, rows: Sequence[Row]) -> None: ...
    def filter_large(self, limit: int) -> int: ...
    def filter_small(self, level: int, offset: int) -> int: ...
    def get(self, pk: int) -> Any: ...
    def dicts(self, limit: int) -> int: ...
    def tuples(self, limit: int) -> int: ...
    def load(self, limit: int) -> list[Any]: ...
    def update_whole(self, objs: list[Any]) -> None: ...
    def update_partial(self, objs: list[Any]) -> None: ...
    def delete(self, objs: list[Any]) -> None: ...
    def close(self) -> None: ...


def make_rows(n: int, tag: str, seed: int) -> list[Row]:
    rnd = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        (
            start + timedelta(seconds=i, microseconds=i),
            rnd.choice(LEVELS),
            f"Insert from {tag}, item {i}",
        )
        for i in range(n)
    ]


def chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def new_level(rnd: random.Random) -> int:
    return rnd.choice(LEVELS)


# --- schema (raw DDL, identical for every peer) --------------------------------------------------

DDL = {
    "sqlite": [
        "PRAGMA journal_mode=WAL",
        "DROP TABLE IF EXISTS journal",
        "CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL,"
        " level SMALLINT NOT NULL, text VARCHAR(255) NOT NULL)",
        "CREATE INDEX journal_level ON journal (level)",
        "CREATE INDEX journal_text ON journal (text)",
    ],
    "postgres": [
        "DROP TABLE IF EXISTS journal",
        "CREATE TABLE journal (id BIGSERIAL PRIMARY KEY, timestamp TIMESTAMPTZ NOT NULL,"
        " level SMALLINT NOT NULL, text VARCHAR(255) NOT NULL)",
        "CREATE INDEX journal_level ON journal (level)",
        "CREATE INDEX journal_text ON journal (text)",
    ],
    "mysql": [
        "DROP TABLE IF EXISTS journal",
        "CREATE TABLE journal (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
        " timestamp DATETIME(6) NOT NULL,"
        " level SMALLINT NOT NULL, text VARCHAR(255) NOT NULL, INDEX journal_level (level),"
        " INDEX journal_text (text)) CHARACTER SET utf8mb4",
    ],
}


def create_table(cfg: Config) -> None:
    if cfg.db == "sqlite":
        conn = sqlite3.connect(cfg.url, isolation_level=None)
        for stmt in DDL["sqlite"]:
            conn.execute(stmt)
        conn.close()
    elif cfg.db == "postgres":
        import psycopg

        with psycopg.connect(cfg.url, autocommit=True) as pg:
            for stmt in DDL["postgres"]:
                pg.execute(stmt)
    else:
        my = mysql_connect(cfg.url)
        with my.cursor() as cur:
            for stmt in DDL["mysql"]:
                cur.execute(stmt)
        my.close()


def mysql_params(url: str) -> dict[str, Any]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": parts.username or "root",
        "password": parts.password or "",
        "database": parts.path.lstrip("/"),
    }


def mysql_connect(url: str) -> Any:
    import pymysql

    return pymysql.connect(**mysql_params(url), autocommit=True, charset="utf8mb4")


# --- timing --------------------------------------------------------------------------------------


class _Plan:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.rnd = random.Random(42)
        self.total = 3 * cfg.n
        self.offsets = [
            (LEVELS[i % len(LEVELS)], self.rnd.randrange(max(1, cfg.n // len(LEVELS) - 20)))
            for i in range(cfg.small_reps)
        ]
        self.pks = [self.rnd.randrange(1, self.total + 1) for _ in range(cfg.get_reps)]


def run_sync(peer: SyncPeer, cfg: Config) -> dict[str, float]:
    plan = _Plan(cfg)
    out: dict[str, float] = {}

    def timed(code: str, rows: int, fn: Callable[[], object], repeat: int = 1) -> None:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        out[code] = rows / best

    timed("A", cfg.n, lambda: peer.insert_single(make_rows(cfg.n, "A", 1)))
    timed("B", cfg.n, lambda: peer.insert_batch(make_rows(cfg.n, "B", 2)))
    timed("C", cfg.n, lambda: peer.insert_bulk(make_rows(cfg.n, "C", 3)))
    got = peer.filter_large(cfg.large)
    assert got == cfg.large, f"filter_large returned {got} rows, expected {cfg.large}"
    timed("D", cfg.large, lambda: peer.filter_large(cfg.large), cfg.repeat)
    small = sum(peer.filter_small(lv, off) for lv, off in plan.offsets)
    timed("E", small, lambda: [peer.filter_small(lv, off) for lv, off in plan.offsets], cfg.repeat)
    timed("F", cfg.get_reps, lambda: [peer.get(pk) for pk in plan.pks], cfg.repeat)
    timed("G", cfg.large, lambda: peer.dicts(cfg.large), cfg.repeat)
    timed("H", cfg.large, lambda: peer.tuples(cfg.large), cfg.repeat)
    objs = peer.load(cfg.updates)
    timed("I", len(objs), lambda: peer.update_whole(objs))
    objs = peer.load(cfg.updates)
    timed("J", len(objs), lambda: peer.update_partial(objs))
    objs = peer.load(cfg.updates)
    timed("K", len(objs), lambda: peer.delete(objs))
    peer.close()
    return out


async def run_async(peer: Any, cfg: Config) -> dict[str, float]:
    plan = _Plan(cfg)
    out: dict[str, float] = {}

    async def timed(
        code: str, rows: int, fn: Callable[[], Awaitable[object]], repeat: int = 1
    ) -> None:
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            await fn()
            best = min(best, time.perf_counter() - t0)
        out[code] = rows / best

    async def small_all() -> int:
        return sum([await peer.filter_small(lv, off) for lv, off in plan.offsets])

    async def get_all() -> None:
        for pk in plan.pks:
            await peer.get(pk)

    await timed("A", cfg.n, lambda: peer.insert_single(make_rows(cfg.n, "A", 1)))
    await timed("B", cfg.n, lambda: peer.insert_batch(make_rows(cfg.n, "B", 2)))
    await timed("C", cfg.n, lambda: peer.insert_bulk(make_rows(cfg.n, "C", 3)))
    got = await peer.filter_large(cfg.large)
    assert got == cfg.large, f"filter_large returned {got} rows, expected {cfg.large}"
    await timed("D", cfg.large, lambda: peer.filter_large(cfg.large), cfg.repeat)
    small = await small_all()
    await timed("E", small, small_all, cfg.repeat)
    await timed("F", cfg.get_reps, get_all, cfg.repeat)
    await timed("G", cfg.large, lambda: peer.dicts(cfg.large), cfg.repeat)
    if getattr(peer, "has_tuples", True):
        await timed("H", cfg.large, lambda: peer.tuples(cfg.large), cfg.repeat)
    objs = await peer.load(cfg.updates)
    await timed("I", len(objs), lambda: peer.update_whole(objs))
    objs = await peer.load(cfg.updates)
    await timed("J", len(objs), lambda: peer.update_partial(objs))
    objs = await peer.load(cfg.updates)
    await timed("K", len(objs), lambda: peer.delete(objs))
    await peer.close()
    return out

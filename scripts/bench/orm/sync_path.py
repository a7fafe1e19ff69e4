"""Per-statement cost of the candidate sync paths for PostgreSQL and MariaDB, on one connection.

    python scripts/bench/orm/sync_path.py [--n 1000] [--rounds 9] [--db postgres,mysql]

Candidates, each on its own connection, timed on the same statements:

* ``async``: the async driver awaited inside a running loop (the async API's floor; reference)
* ``bridge``: the async driver on a private event-loop thread, each sync call handed over with
  ``asyncio.run_coroutine_threadsafe(...).result()`` (two thread switches per statement)
* ``thread-loop``: the async driver on an event loop no thread runs, each call made with
  ``loop.run_until_complete`` in the calling thread (no thread switch)
* ``covet-orm sync executor``: what covet.orm ships: the same, with the coroutine stepped directly
  on the loop (``covet.orm.backends._server.drive``) and covet's error mapping around it
* ``sync driver``: psycopg 3 (PostgreSQL) / PyMySQL (MariaDB) called directly

Statements: ``point`` = SELECT by primary key (one row), ``tiny`` = ``SELECT 1``, ``insert`` =
one-row INSERT inside a transaction, ``rows1k`` = fetch 1,000 rows (4 columns).

The machine is shared and its load drifts, so the candidates are interleaved: every round times
each candidate on each statement in turn, and each cell is the median over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workload import mysql_params

PG = os.environ.get("COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MY = os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
TABLE = f"covet_syncpath_{os.getpid()}"
TS = datetime(2026, 1, 1, tzinfo=UTC)
STATEMENTS = ("point", "tiny", "insert", "rows1k")


@dataclass
class Candidate:
    name: str
    #: statement -> a zero-argument call that runs it once (sync)
    calls: dict[str, Callable[[], Any]]
    begin: Callable[[], Any]
    rollback: Callable[[], Any]
    close: Callable[[], Any]


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def sql_for(style: str) -> dict[str, str]:
    p = (lambda i: f"${i}") if style == "numeric" else (lambda i: "%s")
    return {
        "point": f"SELECT id, ts, level, text FROM {TABLE} WHERE id = {p(1)}",
        "tiny": "SELECT 1",
        "insert": f"INSERT INTO {TABLE} (ts, level, text) VALUES ({p(1)}, {p(2)}, {p(3)})",
        "rows1k": f"SELECT id, ts, level, text FROM {TABLE} LIMIT 1000",
    }


def measure(candidates: list[Candidate], n: int, rounds: int) -> dict[str, dict[str, float]]:
    """Microseconds per statement: median over interleaved rounds."""
    samples: dict[str, dict[str, list[float]]] = {
        c.name: {s: [] for s in STATEMENTS} for c in candidates
    }
    for _ in range(rounds):
        for cand in candidates:
            for stmt in STATEMENTS:
                reps = max(1, n // 50) if stmt == "rows1k" else n
                call = cand.calls[stmt]
                if stmt == "insert":
                    cand.begin()
                t0 = time.perf_counter()
                for _ in range(reps):
                    call()
                samples[cand.name][stmt].append((time.perf_counter() - t0) / reps * 1e6)
                if stmt == "insert":
                    cand.rollback()
    return {
        name: {s: statistics.median(v) for s, v in per.items()} for name, per in samples.items()
    }


def async_candidate(
    name: str,
    connect: Callable[[], Awaitable[Any]],
    calls: dict[str, Callable[[Any], Awaitable[Any]]],
    exec_: Callable[[Any, str], Awaitable[Any]],
    close: Callable[[Any], Awaitable[Any]],
    n_of: Callable[[str], int],
) -> Candidate:
    """The async driver awaited in a running loop: each timed call runs a whole batch of awaits,
    so the loop's start/stop is spread over the batch (divided out by the caller's reps)."""
    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(connect())

    def batch(stmt: str) -> Callable[[], Any]:
        reps = n_of(stmt)
        state = {"left": 0}

        async def many() -> None:
            fn = calls[stmt]
            for _ in range(reps):
                await fn(conn)

        def call() -> None:  # the first call of a timed batch runs all reps; the rest are free
            if state["left"] == 0:
                loop.run_until_complete(many())
                state["left"] = reps
            state["left"] -= 1

        return call

    return Candidate(
        name,
        {s: batch(s) for s in STATEMENTS},
        begin=lambda: loop.run_until_complete(exec_(conn, "BEGIN")),
        rollback=lambda: loop.run_until_complete(exec_(conn, "ROLLBACK")),
        close=lambda: (loop.run_until_complete(close(conn)), loop.close()),
    )


def covet_candidate(url: str, sql: dict[str, str], args: dict[str, tuple[Any, ...]]) -> Candidate:
    from covet.orm import Database

    db = Database(url, default=False)
    conn = db.backend.acquire()

    def close() -> None:
        db.backend.release(conn)
        db.close()

    return Candidate(
        "covet-orm sync executor (chosen)",
        {
            "point": lambda: conn.fetch_one(sql["point"], args["point"]),
            "tiny": lambda: conn.fetch_one(sql["tiny"], ()),
            "insert": lambda: conn.execute(sql["insert"], args["insert"]),
            "rows1k": lambda: conn.fetch_all(sql["rows1k"], ()),
        },
        begin=conn.begin,
        rollback=conn.rollback,
        close=close,
    )


def pg_candidates(n: int) -> tuple[list[Candidate], Callable[[], None]]:
    import asyncpg
    import psycopg

    setup = psycopg.connect(PG, autocommit=True)
    setup.execute(
        f"CREATE TABLE {TABLE} (id BIGSERIAL PRIMARY KEY, ts TIMESTAMPTZ, level SMALLINT,"
        " text TEXT)"
    )
    setup.execute(
        f"INSERT INTO {TABLE} (ts, level, text)"
        " SELECT now(), g % 50, 'row ' || g FROM generate_series(1, 2000) g"
    )
    sql = sql_for("numeric")

    def n_of(stmt: str) -> int:
        return max(1, n // 50) if stmt == "rows1k" else n

    cands = [
        async_candidate(
            "asyncpg (async API)",
            lambda: asyncpg.connect(PG),
            {
                "point": lambda c: c.fetchrow(sql["point"], 7),
                "tiny": lambda c: c.fetchrow(sql["tiny"]),
                "insert": lambda c: c.execute(sql["insert"], TS, 1, "x"),
                "rows1k": lambda c: c.fetch(sql["rows1k"]),
            },
            lambda c, q: c.execute(q),
            lambda c: c.close(),
            n_of,
        )
    ]
    lt = LoopThread()
    bconn = lt.run(asyncpg.connect(PG))
    cands.append(
        Candidate(
            "bridge: loop thread + asyncpg",
            {
                "point": lambda: lt.run(bconn.fetchrow(sql["point"], 7)),
                "tiny": lambda: lt.run(bconn.fetchrow(sql["tiny"])),
                "insert": lambda: lt.run(bconn.execute(sql["insert"], TS, 1, "x")),
                "rows1k": lambda: lt.run(bconn.fetch(sql["rows1k"])),
            },
            begin=lambda: lt.run(bconn.execute("BEGIN")),
            rollback=lambda: lt.run(bconn.execute("ROLLBACK")),
            close=lambda: (lt.run(bconn.close()), lt.stop()),
        )
    )
    loop = asyncio.new_event_loop()
    ru = loop.run_until_complete
    tconn = ru(asyncpg.connect(PG))
    cands.append(
        Candidate(
            "thread-loop: run_until_complete + asyncpg",
            {
                "point": lambda: ru(tconn.fetchrow(sql["point"], 7)),
                "tiny": lambda: ru(tconn.fetchrow(sql["tiny"])),
                "insert": lambda: ru(tconn.execute(sql["insert"], TS, 1, "x")),
                "rows1k": lambda: ru(tconn.fetch(sql["rows1k"])),
            },
            begin=lambda: ru(tconn.execute("BEGIN")),
            rollback=lambda: ru(tconn.execute("ROLLBACK")),
            close=lambda: (ru(tconn.close()), loop.close()),
        )
    )
    cands.append(covet_candidate(PG, sql, {"point": (7,), "insert": (TS, 1, "x")}))
    pconn = psycopg.connect(PG, autocommit=True, cursor_factory=psycopg.RawCursor)
    cur = pconn.cursor()

    def pq(q: str, params: tuple[Any, ...] = (), fetch: str = "") -> Any:
        cur.execute(q, params)
        return cur.fetchone() if fetch == "one" else cur.fetchall() if fetch == "all" else None

    cands.append(
        Candidate(
            "psycopg 3 (sync driver)",
            {
                "point": lambda: pq(sql["point"], (7,), "one"),
                "tiny": lambda: pq(sql["tiny"], (), "one"),
                "insert": lambda: pq(sql["insert"], (TS, 1, "x")),
                "rows1k": lambda: pq(sql["rows1k"], (), "all"),
            },
            begin=lambda: pq("BEGIN"),
            rollback=lambda: pq("ROLLBACK"),
            close=pconn.close,
        )
    )

    def cleanup() -> None:
        setup.execute(f"DROP TABLE {TABLE}")
        setup.close()

    return cands, cleanup


def my_candidates(n: int) -> tuple[list[Candidate], Callable[[], None]]:
    import asyncmy
    import pymysql

    params = mysql_params(MY)
    setup = pymysql.connect(**params, autocommit=True)
    with setup.cursor() as c:
        c.execute(
            f"CREATE TABLE {TABLE} (id BIGINT AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6),"
            " level SMALLINT, text TEXT)"
        )
        c.executemany(
            f"INSERT INTO {TABLE} (ts, level, text) VALUES (%s, %s, %s)",
            [(TS.replace(tzinfo=None), i % 50, f"row {i}") for i in range(2000)],
        )
    sql = sql_for("format")
    naive = TS.replace(tzinfo=None)

    async def q(conn: Any, stmt: str, args: tuple[Any, ...] = (), fetch: str = "") -> Any:
        async with conn.cursor() as cur:
            await cur.execute(stmt, args)
            if fetch == "one":
                return await cur.fetchone()
            if fetch == "all":
                return await cur.fetchall()
            return None

    async def aclose(conn: Any) -> None:
        conn.close()

    def n_of(stmt: str) -> int:
        return max(1, n // 50) if stmt == "rows1k" else n

    calls: dict[str, Callable[[Any], Awaitable[Any]]] = {
        "point": lambda c: q(c, sql["point"], (7,), "one"),
        "tiny": lambda c: q(c, sql["tiny"], (), "one"),
        "insert": lambda c: q(c, sql["insert"], (naive, 1, "x")),
        "rows1k": lambda c: q(c, sql["rows1k"], (), "all"),
    }
    cands = [
        async_candidate(
            "asyncmy (async API)",
            lambda: asyncmy.connect(**params, autocommit=True),
            calls,
            lambda c, s: q(c, s),
            aclose,
            n_of,
        )
    ]
    lt = LoopThread()
    bconn = lt.run(asyncmy.connect(**params, autocommit=True))
    cands.append(
        Candidate(
            "bridge: loop thread + asyncmy",
            {s: (lambda s=s: lt.run(calls[s](bconn))) for s in STATEMENTS},
            begin=lambda: lt.run(q(bconn, "BEGIN")),
            rollback=lambda: lt.run(q(bconn, "ROLLBACK")),
            close=lambda: (bconn.close(), lt.stop()),
        )
    )
    loop = asyncio.new_event_loop()
    ru = loop.run_until_complete
    tconn = ru(asyncmy.connect(**params, autocommit=True))
    cands.append(
        Candidate(
            "thread-loop: run_until_complete + asyncmy",
            {s: (lambda s=s: ru(calls[s](tconn))) for s in STATEMENTS},
            begin=lambda: ru(q(tconn, "BEGIN")),
            rollback=lambda: ru(q(tconn, "ROLLBACK")),
            close=lambda: (tconn.close(), loop.close()),
        )
    )
    cands.append(covet_candidate(MY, sql, {"point": (7,), "insert": (naive, 1, "x")}))
    pconn = pymysql.connect(**params, autocommit=True)
    cur = pconn.cursor()

    def pq(stmt: str, args: tuple[Any, ...] = (), fetch: str = "") -> Any:
        cur.execute(stmt, args)
        return cur.fetchone() if fetch == "one" else cur.fetchall() if fetch == "all" else None

    cands.append(
        Candidate(
            "PyMySQL (sync driver)",
            {
                "point": lambda: pq(sql["point"], (7,), "one"),
                "tiny": lambda: pq(sql["tiny"], (), "one"),
                "insert": lambda: pq(sql["insert"], (naive, 1, "x")),
                "rows1k": lambda: pq(sql["rows1k"], (), "all"),
            },
            begin=lambda: pq("BEGIN"),
            rollback=lambda: pq("ROLLBACK"),
            close=pconn.close,
        )
    )

    def cleanup() -> None:
        with setup.cursor() as c:
            c.execute(f"DROP TABLE {TABLE}")
        setup.close()

    return cands, cleanup


def run(
    build: Callable[[int], tuple[list[Candidate], Callable[[], None]]], n: int, rounds: int
) -> dict[str, dict[str, float]]:
    cands, cleanup = build(n)
    try:
        return measure(cands, n, rounds)
    finally:
        for c in cands:
            c.close()
        cleanup()


def render(title: str, data: dict[str, dict[str, float]]) -> str:
    ref = next(iter(data.values()))
    lines = [
        f"#### {title}: microseconds per statement (x = vs the async driver)",
        "",
        "| path | point | tiny | insert | rows1k |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, res in data.items():
        cells = [f"{res[k]:,.1f} ({res[k] / ref[k]:.2f}x)" for k in STATEMENTS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000, help="statements per timed batch")
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds; cells are medians")
    ap.add_argument("--db", default="postgres,mysql")
    opts = ap.parse_args()
    print(
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, "
        f"n={opts.n}, rounds={opts.rounds}\n"
    )
    if "postgres" in opts.db:
        print(render("PostgreSQL", run(pg_candidates, opts.n, opts.rounds)))
    if "mysql" in opts.db:
        print(render("MariaDB", run(my_candidates, opts.n, opts.rounds)))
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

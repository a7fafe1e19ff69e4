"""Per-query cost of the candidate sync paths for PostgreSQL and MariaDB, on one connection.

    python scripts/bench/orm/sync_path.py [--n 3000]

Candidates, each timed on the same statements:

* ``async``: the async driver awaited on its own loop (the async API's floor; reference)
* ``bridge``: the async driver on a private event-loop thread, each sync call handed over with
  ``asyncio.run_coroutine_threadsafe(...).result()`` (two thread switches per query)
* ``thread-loop``: the async driver on an event loop owned by the calling thread, each call run with
  ``loop.run_until_complete`` (no thread switch, but connections cannot move between threads)
* ``sync driver``: psycopg 3 (PostgreSQL) / PyMySQL (MariaDB) called directly

Statements: ``point`` = SELECT by primary key (one row), ``tiny`` = ``SELECT 1``, ``insert`` =
one-row INSERT inside a transaction, ``rows1k`` = fetch 1,000 rows (4 columns). Reported in
microseconds per statement: the median of 5 rounds, then the median over ``--runs`` whole runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _workload import mysql_params

PG = os.environ.get("COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MY = os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
TABLE = f"covet_syncpath_{os.getpid()}"
TS = datetime(2026, 1, 1, tzinfo=UTC)


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


def timeit(fn: Callable[[], Any], n: int) -> float:
    rounds = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(rounds)


async def atimeit(fn: Callable[[], Coroutine[Any, Any, Any]], n: int) -> float:
    rounds = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            await fn()
        rounds.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(rounds)


# statements per database: (point, tiny, insert, rows1k) for "$n" and "%s" styles
def statements(style: str) -> dict[str, str]:
    p = (lambda i: f"${i}") if style == "numeric" else (lambda i: "%s")
    return {
        "point": f"SELECT id, ts, level, text FROM {TABLE} WHERE id = {p(1)}",
        "tiny": "SELECT 1",
        "insert": f"INSERT INTO {TABLE} (ts, level, text) VALUES ({p(1)}, {p(2)}, {p(3)})",
        "rows1k": f"SELECT id, ts, level, text FROM {TABLE} LIMIT 1000",
    }


def pg_measure(n: int) -> dict[str, dict[str, float]]:
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
    sql = statements("numeric")
    out: dict[str, dict[str, float]] = {}
    try:

        async def via_async(conn: Any) -> dict[str, float]:
            res = {
                "point": await atimeit(lambda: conn.fetchrow(sql["point"], 7), n),
                "tiny": await atimeit(lambda: conn.fetchrow(sql["tiny"]), n),
                "rows1k": await atimeit(lambda: conn.fetch(sql["rows1k"]), max(1, n // 50)),
            }
            tr = conn.transaction()
            await tr.start()
            res["insert"] = await atimeit(lambda: conn.execute(sql["insert"], TS, 1, "x"), n)
            await tr.rollback()
            return res

        async def direct() -> dict[str, float]:
            conn = await asyncpg.connect(PG)
            try:
                return await via_async(conn)
            finally:
                await conn.close()

        out["asyncpg (async API)"] = asyncio.run(direct())

        lt = LoopThread()
        conn = lt.run(asyncpg.connect(PG))
        out["bridge: loop thread + asyncpg"] = sync_suite(
            n,
            point=lambda: lt.run(conn.fetchrow(sql["point"], 7)),
            tiny=lambda: lt.run(conn.fetchrow(sql["tiny"])),
            rows=lambda: lt.run(conn.fetch(sql["rows1k"])),
            begin=lambda: lt.run(conn.execute("BEGIN")),
            insert=lambda: lt.run(conn.execute(sql["insert"], TS, 1, "x")),
            rollback=lambda: lt.run(conn.execute("ROLLBACK")),
        )
        lt.run(conn.close())
        lt.stop()

        loop = asyncio.new_event_loop()
        conn = loop.run_until_complete(asyncpg.connect(PG))
        ru = loop.run_until_complete
        out["thread-loop: run_until_complete + asyncpg"] = sync_suite(
            n,
            point=lambda: ru(conn.fetchrow(sql["point"], 7)),
            tiny=lambda: ru(conn.fetchrow(sql["tiny"])),
            rows=lambda: ru(conn.fetch(sql["rows1k"])),
            begin=lambda: ru(conn.execute("BEGIN")),
            insert=lambda: ru(conn.execute(sql["insert"], TS, 1, "x")),
            rollback=lambda: ru(conn.execute("ROLLBACK")),
        )
        ru(conn.close())
        loop.close()

        pconn = psycopg.connect(PG, autocommit=True, cursor_factory=psycopg.RawCursor)
        cur = pconn.cursor()

        def pexec(q: str, params: tuple[Any, ...] = (), fetch: str = "") -> Any:
            cur.execute(q, params)
            return cur.fetchone() if fetch == "one" else cur.fetchall() if fetch == "all" else None

        out["psycopg 3 (sync driver)"] = sync_suite(
            n,
            point=lambda: pexec(sql["point"], (7,), "one"),
            tiny=lambda: pexec(sql["tiny"], (), "one"),
            rows=lambda: pexec(sql["rows1k"], (), "all"),
            begin=lambda: pexec("BEGIN"),
            insert=lambda: pexec(sql["insert"], (TS, 1, "x")),
            rollback=lambda: pexec("ROLLBACK"),
        )
        pconn.close()
        out["covet-orm sync executor (chosen)"] = covet_executor(
            PG, sql, {"point": (7,), "insert": (TS, 1, "x")}, n
        )
    finally:
        setup.execute(f"DROP TABLE {TABLE}")
        setup.close()
    return out


def my_measure(n: int) -> dict[str, dict[str, float]]:
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
    sql = statements("format")
    naive = TS.replace(tzinfo=None)
    out: dict[str, dict[str, float]] = {}

    async def q(conn: Any, stmt: str, args: tuple[Any, ...] = (), fetch: str = "") -> Any:
        async with conn.cursor() as cur:
            await cur.execute(stmt, args)
            if fetch == "one":
                return await cur.fetchone()
            if fetch == "all":
                return await cur.fetchall()
            return None

    try:

        async def direct() -> dict[str, float]:
            conn = await asyncmy.connect(**params, autocommit=True)
            res = {
                "point": await atimeit(lambda: q(conn, sql["point"], (7,), "one"), n),
                "tiny": await atimeit(lambda: q(conn, sql["tiny"], (), "one"), n),
                "rows1k": await atimeit(lambda: q(conn, sql["rows1k"], (), "all"), max(1, n // 50)),
            }
            await q(conn, "BEGIN")
            res["insert"] = await atimeit(lambda: q(conn, sql["insert"], (naive, 1, "x")), n)
            await q(conn, "ROLLBACK")
            conn.close()
            return res

        out["asyncmy (async API)"] = asyncio.run(direct())

        lt = LoopThread()
        conn = lt.run(asyncmy.connect(**params, autocommit=True))
        out["bridge: loop thread + asyncmy"] = sync_suite(
            n,
            point=lambda: lt.run(q(conn, sql["point"], (7,), "one")),
            tiny=lambda: lt.run(q(conn, sql["tiny"], (), "one")),
            rows=lambda: lt.run(q(conn, sql["rows1k"], (), "all")),
            begin=lambda: lt.run(q(conn, "BEGIN")),
            insert=lambda: lt.run(q(conn, sql["insert"], (naive, 1, "x"))),
            rollback=lambda: lt.run(q(conn, "ROLLBACK")),
        )
        conn.close()
        lt.stop()

        loop = asyncio.new_event_loop()
        ru = loop.run_until_complete
        conn = ru(asyncmy.connect(**params, autocommit=True))
        out["thread-loop: run_until_complete + asyncmy"] = sync_suite(
            n,
            point=lambda: ru(q(conn, sql["point"], (7,), "one")),
            tiny=lambda: ru(q(conn, sql["tiny"], (), "one")),
            rows=lambda: ru(q(conn, sql["rows1k"], (), "all")),
            begin=lambda: ru(q(conn, "BEGIN")),
            insert=lambda: ru(q(conn, sql["insert"], (naive, 1, "x"))),
            rollback=lambda: ru(q(conn, "ROLLBACK")),
        )
        conn.close()
        loop.close()

        pconn = pymysql.connect(**params, autocommit=True)
        cur = pconn.cursor()

        def pexec(stmt: str, args: tuple[Any, ...] = (), fetch: str = "") -> Any:
            cur.execute(stmt, args)
            return cur.fetchone() if fetch == "one" else cur.fetchall() if fetch == "all" else None

        out["PyMySQL (sync driver)"] = sync_suite(
            n,
            point=lambda: pexec(sql["point"], (7,), "one"),
            tiny=lambda: pexec(sql["tiny"], (), "one"),
            rows=lambda: pexec(sql["rows1k"], (), "all"),
            begin=lambda: pexec("BEGIN"),
            insert=lambda: pexec(sql["insert"], (naive, 1, "x")),
            rollback=lambda: pexec("ROLLBACK"),
        )
        pconn.close()
        out["covet-orm sync executor (chosen)"] = covet_executor(
            MY, sql, {"point": (7,), "insert": (naive, 1, "x")}, n
        )
    finally:
        with setup.cursor() as c:
            c.execute(f"DROP TABLE {TABLE}")
        setup.close()
    return out


def covet_executor(
    url: str, sql: dict[str, str], args: dict[str, tuple[Any, ...]], n: int
) -> dict[str, float]:
    """covet-orm's own sync executor (the chosen design), one pooled connection, no ORM above it."""
    from covet.orm import Database

    db = Database(url, default=False)
    conn = db.backend.acquire()
    try:
        return sync_suite(
            n,
            point=lambda: conn.fetch_one(sql["point"], args["point"]),
            tiny=lambda: conn.fetch_one(sql["tiny"], ()),
            rows=lambda: conn.fetch_all(sql["rows1k"], ()),
            begin=conn.begin,
            insert=lambda: conn.execute(sql["insert"], args["insert"]),
            rollback=conn.rollback,
        )
    finally:
        db.backend.release(conn)
        db.close()


def sync_suite(n: int, **fns: Callable[[], Any]) -> dict[str, float]:
    res = {
        "point": timeit(fns["point"], n),
        "tiny": timeit(fns["tiny"], n),
        "rows1k": timeit(fns["rows"], max(1, n // 50)),
    }
    fns["begin"]()
    res["insert"] = timeit(fns["insert"], n)
    fns["rollback"]()
    return res


def render(title: str, data: dict[str, dict[str, float]]) -> str:
    ref = next(iter(data.values()))
    lines = [
        f"### {title}: microseconds per statement (lower is better; x = vs the async driver)",
        "",
        "| path | point | tiny | insert | rows1k |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, res in data.items():
        cells = [
            f"{res[k]:,.1f} ({res[k] / ref[k]:.2f}x)" for k in ("point", "tiny", "insert", "rows1k")
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def median_of(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Per path and statement, the median over whole runs (the machine's load drifts)."""
    return {
        path: {k: statistics.median(run[path][k] for run in runs) for k in runs[0][path]}
        for path in runs[0]
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=3, help="whole runs; each cell is their median")
    ap.add_argument("--db", default="postgres,mysql")
    opts = ap.parse_args()
    print(
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs, "
        f"n={opts.n}, runs={opts.runs}\n"
    )
    if "postgres" in opts.db:
        print(render("PostgreSQL", median_of([pg_measure(opts.n) for _ in range(opts.runs)])))
    if "mysql" in opts.db:
        print(render("MariaDB", median_of([my_measure(opts.n) for _ in range(opts.runs)])))
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

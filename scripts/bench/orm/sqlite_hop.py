"""What one async SQLite statement costs, and how much of it is the thread hop.

    python scripts/bench/orm/sqlite_hop.py [--n 4000] [--rounds 5]

aiosqlite runs sqlite3 in one thread per connection; every awaited call is a hop to that thread
and back (a queue put, a wake-up of the worker, ``call_soon_threadsafe`` and a wake-up of the
event loop). The same single-row INSERT (inside one transaction, so the disk is not measured) is
timed for:

* ``sqlite3``: the stdlib driver called directly (no hop; the floor of the work itself)
* ``aiosqlite``: ``execute_insert`` (one hop per statement, the async floor)
* ``covet-orm async``: ``Model.objects.acreate()`` (one hop per statement)
* ``Tortoise``: ``Model.create()`` inside ``in_transaction()`` (one hop per statement)

each in a fresh process, twice: free to use every CPU (the normal case), and pinned to one CPU
(``os.sched_setaffinity``), where the worker thread and the event loop hand over on the same CPU
and no idle CPU has to be woken. The difference between the two columns is what the hop costs
on this machine beyond the work; the ORM's own cost is the difference to the aiosqlite row.
Rounds are interleaved; each cell is the median microseconds per statement.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CANDIDATES = ["sqlite3", "aiosqlite", "covet-orm async", "Tortoise"]
DDL = [
    "CREATE TABLE journal (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp DATETIME NOT NULL,"
    " level SMALLINT NOT NULL, text VARCHAR(255) NOT NULL)",
    "CREATE INDEX journal_level ON journal (level)",
    "CREATE INDEX journal_text ON journal (text)",
]
INSERT = "INSERT INTO journal (timestamp, level, text) VALUES (?, ?, ?)"


def _fresh(path: str) -> None:
    import sqlite3

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(path + suffix).unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = wal")
    for stmt in DDL:
        conn.execute(stmt)
    conn.close()


def _rows(n: int) -> list[tuple[dt.datetime, int, str]]:
    now = dt.datetime.now(dt.UTC)
    return [(now, i % 50, f"row {i}") for i in range(n)]


def run_sqlite3(path: str, n: int) -> float:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    rows = [(ts.isoformat(sep=" "), lv, tx) for ts, lv, tx in _rows(n)]
    conn.execute("BEGIN IMMEDIATE")
    started = time.perf_counter()
    for row in rows:
        conn.execute(INSERT, row)
    elapsed = time.perf_counter() - started
    conn.execute("COMMIT")
    conn.close()
    return elapsed


async def run_aiosqlite(path: str, n: int) -> float:
    import aiosqlite

    conn = await aiosqlite.connect(path, isolation_level=None)
    rows = [(ts.isoformat(sep=" "), lv, tx) for ts, lv, tx in _rows(n)]
    await conn.execute_fetchall("BEGIN IMMEDIATE")
    started = time.perf_counter()
    for row in rows:
        await conn.execute_insert(INSERT, row)
    elapsed = time.perf_counter() - started
    await conn.execute_fetchall("COMMIT")
    await conn.close()
    return elapsed


async def run_covet(path: str, n: int) -> float:
    from covet.orm import CharField, Database, DateTimeField, Model, SmallIntegerField

    db = Database(f"sqlite:///{path}", default=False)

    class Journal(Model):
        timestamp = DateTimeField()
        level = SmallIntegerField(index=True)
        text = CharField(max_length=255, index=True)

        class Meta:
            table_name = "journal"
            db = None  # bound below; class bodies do not see this function's locals

    Journal._meta.db = db
    rows = _rows(n)
    async with db.transaction():
        started = time.perf_counter()
        for ts, lv, tx in rows:
            await Journal.objects.acreate(timestamp=ts, level=lv, text=tx)
        elapsed = time.perf_counter() - started
    await db.aclose()
    return elapsed


async def run_tortoise(path: str, n: int) -> float:
    from tortoise import Tortoise, fields
    from tortoise.models import Model
    from tortoise.transactions import in_transaction

    class Journal(Model):
        id = fields.BigIntField(primary_key=True)
        timestamp = fields.DatetimeField()
        level = fields.SmallIntField(db_index=True)
        text = fields.CharField(max_length=255, db_index=True)

        class Meta:
            table = "journal"

    sys.modules["__main__"].Journal = Journal  # type: ignore[attr-defined]
    await Tortoise.init(db_url=f"sqlite://{path}", modules={"models": ["__main__"]})
    rows = _rows(n)
    async with in_transaction():
        started = time.perf_counter()
        for ts, lv, tx in rows:
            await Journal.create(timestamp=ts, level=lv, text=tx)
        elapsed = time.perf_counter() - started
    await Tortoise.close_connections()
    return elapsed


def child(name: str, n: int, pinned: bool) -> None:
    if pinned:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory(prefix="covet-hop-") as tmp:
        path = str(Path(tmp) / "hop.db")
        _fresh(path)
        if name == "sqlite3":
            elapsed = run_sqlite3(path, n)
        else:
            run = {"aiosqlite": run_aiosqlite, "covet-orm async": run_covet}.get(name, run_tortoise)
            elapsed = asyncio.run(run(path, n))
    print(elapsed / n * 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=4000, help="statements per timing")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--pinned", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        child(opts.child, opts.n, opts.pinned)
        return 0
    times: dict[tuple[str, bool], list[float]] = {}
    for _ in range(opts.rounds):
        for name in CANDIDATES:
            for pinned in (False, True):
                args = [sys.executable, __file__, "--child", name, "--n", str(opts.n)]
                out = subprocess.run(
                    [*args, *(["--pinned"] if pinned else [])],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                times.setdefault((name, pinned), []).append(float(out.strip().splitlines()[-1]))
    print(
        f"## SQLite: one single-row INSERT, microseconds per statement (median of {opts.rounds}"
        f" rounds of {opts.n}), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC,"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}\n"
    )
    print("| candidate | every CPU | pinned to one CPU | every CPU / pinned |")
    print("|---|---:|---:|---:|")
    for name in CANDIDATES:
        free = statistics.median(times[(name, False)])
        one = statistics.median(times[(name, True)])
        print(f"| {name} | {free:.1f} | {one:.1f} | {free / one:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

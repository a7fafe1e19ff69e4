"""The sync API on PostgreSQL (psycopg 3) and MariaDB (asyncmy on private event loops): no thread
hop, no thread or loop started per call; worker threads share one pool."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from covet.orm import Database, SynchronousOnlyError

ID_SQL = {"postgres": "SELECT pg_backend_pid() AS id", "mysql": "SELECT CONNECTION_ID() AS id"}


@pytest.fixture
def sdb(server_db_url: str) -> Iterator[Database]:
    db = Database(server_db_url, default=False, pool_size=2)
    try:
        yield db
    finally:
        db.close()


def test_sync_calls_start_no_threads(
    sdb: Database, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Count Thread.start() calls rather than comparing threading.enumerate(): a thread left by
    # an earlier test (an aiosqlite worker) may still be exiting, which changed the live set.
    started: list[threading.Thread] = []
    real_start = threading.Thread.start

    def counting_start(self: threading.Thread) -> None:
        started.append(self)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    for _ in range(5):
        assert sdb.fetch_one("SELECT 1 AS one") == {"one": 1}
    with sdb.transaction():
        sdb.fetch_one(ID_SQL[server])
    assert started == []


def test_worker_threads_share_the_pool(sdb: Database, server: str) -> None:
    seen: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            for _ in range(20):
                row = sdb.fetch_one(ID_SQL[server])
                assert row is not None
                with lock:
                    seen.append(int(row["id"]))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == 160
    assert 1 <= len(set(seen)) <= 2  # pool_size=2: eight threads, at most two server sessions


def test_a_transaction_stays_on_its_threads_connection(sdb: Database, server: str) -> None:
    ids: dict[str, int] = {}

    def in_thread() -> None:
        row = sdb.fetch_one(ID_SQL[server])
        assert row is not None
        ids["other"] = int(row["id"])

    with sdb.transaction():
        row = sdb.fetch_one(ID_SQL[server])
        assert row is not None
        ids["tx"] = int(row["id"])
        t = threading.Thread(target=in_thread)
        t.start()
        t.join()
        again = sdb.fetch_one(ID_SQL[server])
        assert again == row
    assert ids["other"] != ids["tx"]


async def test_sync_and_async_apis_share_one_database(sdb: Database) -> None:
    assert await sdb.afetch_one("SELECT 2 AS two") == {"two": 2}
    assert await asyncio.to_thread(sdb.fetch_one, "SELECT 3 AS three") == {"three": 3}
    with pytest.raises(SynchronousOnlyError):
        sdb.fetch_one("SELECT 4")


def test_a_closed_database_reopens_for_sync_calls(server_db_url: str) -> None:
    db = Database(server_db_url, default=False)
    assert db.fetch_one("SELECT 1 AS one") == {"one": 1}
    db.close()
    assert db.fetch_one("SELECT 1 AS one") == {"one": 1}
    db.close()

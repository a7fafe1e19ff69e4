"""Pools survive server-side connection loss: pg_terminate_backend / MariaDB KILL under the pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from covet.orm import Database, OperationalError
from covet.orm.backends._server import is_read_only

ID_SQL = {"postgres": "SELECT pg_backend_pid() AS id", "mysql": "SELECT CONNECTION_ID() AS id"}
KILL_SQL = {"postgres": "SELECT pg_terminate_backend($1)", "mysql": "KILL %s"}
ALIVE_SQL = {
    "postgres": "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1",
    "mysql": "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = %s",
}


class Rollback(Exception):
    pass


@pytest.fixture
def sdb(server_db_url: str, server: str) -> Iterator[Database]:
    db = Database(server_db_url, default=False, pool_size=3)
    db.execute("DROP TABLE IF EXISTS restart_log")
    db.execute("CREATE TABLE restart_log (id INTEGER PRIMARY KEY, note VARCHAR(20))")
    try:
        yield db
    finally:
        db.execute("DROP TABLE IF EXISTS restart_log")
        db.close()


def kill(url: str, server: str, ids: list[int]) -> None:
    """Kill server sessions from another connection and wait until the server has ended them."""
    with Database(url, default=False) as admin:
        for conn_id in ids:
            admin.execute(KILL_SQL[server], [conn_id])
        deadline = time.monotonic() + 10
        for conn_id in ids:
            while True:
                row = admin.fetch_one(ALIVE_SQL[server], [conn_id])
                assert row is not None
                if row["n"] == 0:
                    break
                assert time.monotonic() < deadline, f"session {conn_id} still alive"
                time.sleep(0.02)


def fill_sync_pool(db: Database, server: str, n: int) -> list[int]:
    conns = [db.backend.acquire() for _ in range(n)]
    try:
        return [int(c.fetch_one(ID_SQL[server], ())[0]) for c in conns]  # type: ignore[index]
    finally:
        for c in conns:
            db.backend.release(c)


async def fill_async_pool(db: Database, server: str, n: int) -> list[int]:
    conns = [await db.backend.aacquire() for _ in range(n)]
    try:
        return [int((await c.fetch_one(ID_SQL[server], ()))[0]) for c in conns]  # type: ignore[index]
    finally:
        for c in conns:
            await db.backend.arelease(c)


async def pooled_ids(db: Database, server: str, api: Any) -> list[int]:
    if api.is_async:
        return await fill_async_pool(db, server, 3)
    return await asyncio.to_thread(fill_sync_pool, db, server, 3)


async def test_killed_idle_connections_are_replaced(
    sdb: Database, server_db_url: str, server: str, api: Any
) -> None:
    ids = await pooled_ids(sdb, server, api)
    assert len(set(ids)) == 3
    await asyncio.to_thread(kill, server_db_url, server, ids)
    # reads and writes succeed on the next call; none of them reaches a dead session
    assert await api(sdb, "fetch_one", "SELECT 1 AS one") == {"one": 1}
    ph = sdb.param
    await api(sdb, "execute", f"INSERT INTO restart_log VALUES ({ph(1)}, {ph(2)})", [1, "after"])
    assert await api(sdb, "fetch_all", "SELECT note FROM restart_log") == [{"note": "after"}]
    fresh = await pooled_ids(sdb, server, api)
    assert not set(fresh) & set(ids)


async def test_kill_inside_a_transaction_is_not_retried(
    sdb: Database, server_db_url: str, server: str, api: Any
) -> None:
    ph = sdb.param
    insert = f"INSERT INTO restart_log VALUES ({ph(1)}, {ph(2)})"

    def sync_body() -> None:
        with sdb.transaction():
            sdb.execute(insert, [1, "doomed"])
            own = sdb.fetch_one(ID_SQL[server])
            assert own is not None
            kill(server_db_url, server, [own["id"]])
            with pytest.raises(OperationalError):
                sdb.execute(insert, [2, "doomed"])
            raise Rollback

    async def async_body() -> None:
        async with sdb.transaction():
            await sdb.aexecute(insert, [1, "doomed"])
            own = await sdb.afetch_one(ID_SQL[server])
            assert own is not None
            await asyncio.to_thread(kill, server_db_url, server, [own["id"]])
            with pytest.raises(OperationalError):
                await sdb.aexecute(insert, [2, "doomed"])
            raise Rollback

    # leaving the block rolls back quietly: the server already ended the transaction
    with pytest.raises(Rollback):
        await (async_body() if api.is_async else asyncio.to_thread(sync_body))
    # nothing of the killed transaction was kept, and the pool serves the next call
    assert await api(sdb, "fetch_all", "SELECT id FROM restart_log") == []
    await api(sdb, "execute", insert, [3, "kept"])
    assert await api(sdb, "fetch_all", "SELECT id FROM restart_log") == [{"id": 3}]


def test_only_read_only_statements_count_as_retry_safe() -> None:
    assert is_read_only("SELECT 1")
    assert is_read_only("  select * from t")
    assert is_read_only("SHOW TimeZone")
    assert not is_read_only("SELECT * FROM t FOR UPDATE")
    assert not is_read_only("INSERT INTO t VALUES (1)")
    assert not is_read_only("UPDATE t SET a = 1")
    assert not is_read_only("WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x")


def server_id(raw: Any, server: str) -> int:
    """The server's id for a driver connection, without running a statement on it."""
    return int(raw.get_server_pid() if server == "postgres" else raw.thread_id())


async def test_first_write_after_check_out_on_a_connection_known_closed_is_retried(
    sdb: Database, server_db_url: str, server: str
) -> None:
    """The driver refuses before sending anything, so even a write is safe to run again."""
    ph = sdb.param
    conn = await sdb.backend.aacquire()
    try:
        await asyncio.to_thread(kill, server_db_url, server, [server_id(conn.raw, server)])
        for _ in range(500):  # let this loop read the server's goodbye
            if not conn.alive(probe=False):
                break
            await asyncio.sleep(0.01)
        assert not conn.alive(probe=False)
        result = await conn.execute(
            f"INSERT INTO restart_log VALUES ({ph(1)}, {ph(2)})", [1, "retried"]
        )
        assert result.rowcount == 1
    finally:
        await sdb.backend.arelease(conn)
    assert await sdb.afetch_all("SELECT note FROM restart_log") == [{"note": "retried"}]


@pytest.mark.parametrize("has_poll", [True, False])
@pytest.mark.parametrize("server", ["mysql"])
def test_the_idle_probe_sees_a_killed_connection(
    sdb: Database, server_db_url: str, server: str, has_poll: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync pool's probe of an idle MariaDB connection (a ``select.poll`` kept per
    connection; ``select()`` where there is no ``poll``, as on Windows) sees the server's KILL."""
    import select

    from covet.orm.backends import mysql

    if not has_poll:
        monkeypatch.delattr(select, "poll")
        monkeypatch.setattr(mysql, "_HAS_POLL", False)
    conn = sdb.backend.acquire()
    try:
        row = conn.fetch_one(ID_SQL[server], ())
        assert row is not None
        assert conn.alive()
        kill(server_db_url, server, [int(row[0])])
        deadline = time.monotonic() + 5
        while conn.alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not conn.alive()
    finally:
        sdb.backend.release(conn)

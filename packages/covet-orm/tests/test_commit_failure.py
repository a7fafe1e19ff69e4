"""A COMMIT that fails: both APIs raise its error, keep nothing, run no on_commit callback, and
leave the pool with a usable connection that is not inside a transaction.

* PostgreSQL: a deferred unique constraint is checked at COMMIT.
* SQLite: a deferred foreign key is checked at COMMIT, and SQLite keeps the transaction OPEN
  after that failure (the old async exit pooled such a connection without a ROLLBACK).
* MariaDB has no deferred constraints; its COMMIT fails when the session is gone (KILL from
  another connection), which is what is tested there."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from covet.orm import Database, IntegrityError, OperationalError, ProgrammingError

SETUP = {
    "postgres": [
        "DROP TABLE IF EXISTS cf_item",
        "CREATE TABLE cf_item (id INTEGER PRIMARY KEY, code TEXT,"
        " CONSTRAINT cf_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED)",
    ],
    "sqlite": [
        "DROP TABLE IF EXISTS cf_item",
        "DROP TABLE IF EXISTS cf_parent",
        "CREATE TABLE cf_parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE cf_item (id INTEGER PRIMARY KEY, code TEXT, parent INTEGER"
        " REFERENCES cf_parent (id) DEFERRABLE INITIALLY DEFERRED)",
    ],
    "mysql": [
        "DROP TABLE IF EXISTS cf_item",
        "CREATE TABLE cf_item (id INTEGER PRIMARY KEY, code VARCHAR(10))",
    ],
}
#: statements that succeed inside the transaction and make its COMMIT fail
BREAKS_COMMIT = {
    "postgres": [
        "INSERT INTO cf_item VALUES (1, 'same')",
        "INSERT INTO cf_item VALUES (2, 'same')",
    ],
    "sqlite": ["INSERT INTO cf_item VALUES (1, 'orphan', 99)"],
}
ID_SQL = {"postgres": "SELECT pg_backend_pid() AS id", "mysql": "SELECT CONNECTION_ID() AS id"}


@pytest.fixture
def cdb(db_url: str, backend: str) -> Iterator[Database]:
    db = Database(db_url, default=False, pool_size=1)
    for sql in SETUP[backend]:
        db.execute(sql)
    try:
        yield db
    finally:
        db.execute("DROP TABLE IF EXISTS cf_item")
        db.close()


async def test_a_failed_commit_raises_keeps_nothing_and_pools_a_clean_connection(
    cdb: Database, db_url: str, backend: str, api
) -> None:
    called: list[str] = []
    expected = OperationalError if backend == "mysql" else IntegrityError

    def sync_body() -> None:
        with cdb.transaction():
            cdb.on_commit(lambda: called.append("committed"))
            if backend == "mysql":
                cdb.execute("INSERT INTO cf_item VALUES (1, 'a')")
                _kill_by_id(db_url, cdb.fetch_one(ID_SQL["mysql"]))
            else:
                for sql in BREAKS_COMMIT[backend]:
                    cdb.execute(sql)

    async def async_body() -> None:
        async with cdb.transaction():
            cdb.on_commit(lambda: called.append("committed"))
            if backend == "mysql":
                await cdb.aexecute("INSERT INTO cf_item VALUES (1, 'a')")
                own = await cdb.afetch_one(ID_SQL["mysql"])
                await asyncio.to_thread(_kill_by_id, db_url, own)
            else:
                for sql in BREAKS_COMMIT[backend]:
                    await cdb.aexecute(sql)

    # a TEMP table lives as long as its session: it shows whether the pool kept the connection
    await api(cdb, "execute", "CREATE TEMPORARY TABLE cf_session (x INTEGER)")
    with pytest.raises(expected):
        await (async_body() if api.is_async else asyncio.to_thread(sync_body))
    # the ROLLBACK after the failed COMMIT worked, so the connection went back to the pool (on
    # MariaDB the session was killed: a new one replaced it)
    try:
        await api(cdb, "fetch_all", "SELECT x FROM cf_session")
        kept = True
    except ProgrammingError:  # no such table: a new session
        kept = False
    assert kept is (backend != "mysql")
    assert called == []
    assert not cdb.in_transaction()
    # nothing was kept, and the pooled connection (pool_size=1) is not left in a transaction:
    # an autocommit write through it is visible from another connection
    assert await api(cdb, "fetch_all", "SELECT id FROM cf_item") == []
    await api(cdb, "execute", "INSERT INTO cf_item (id, code) VALUES (7, 'kept')")
    assert await asyncio.to_thread(_seen_elsewhere, db_url) == [{"id": 7}]


def _seen_elsewhere(url: str) -> list[dict[str, object]]:
    with Database(url, default=False) as other:
        return other.fetch_all("SELECT id FROM cf_item")


def _kill_by_id(url: str, own: dict[str, int] | None) -> None:
    assert own is not None
    with Database(url, default=False) as admin:
        admin.execute("KILL %s", [own["id"]])

from __future__ import annotations

import sys
from typing import Any

import pytest

import covet.orm._database as database_module
from covet.orm import (
    CharField,
    Database,
    ImproperlyConfigured,
    Model,
    SynchronousOnlyError,
    get_default_database,
)
from covet.orm.backends import base


class Plain(Model):
    name = CharField(max_length=10)

    class Meta:
        table_name = "test_plain"


def test_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # import asyncpg -> ImportError
    monkeypatch.delitem(sys.modules, "covet.orm.backends.postgres", raising=False)
    with pytest.raises(ImproperlyConfigured, match=r"pip install 'covet-orm\[postgres\]'"):
        Database("postgresql://u@localhost/db", default=False)


def test_register_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(base.BACKENDS, "lite", "covet.orm.backends.sqlite:SqliteBackend")
    with Database("lite:///:memory:", default=False) as db:
        assert db.fetch_one("SELECT 1 AS one") == {"one": 1}


def test_default_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "_default", None)
    with pytest.raises(ImproperlyConfigured, match="no database"):
        Plain.objects.count()
    first = Database("sqlite:///:memory:")
    second = Database("sqlite:///:memory:")
    try:
        assert get_default_database() is first  # the first one created is the default
        first.create_tables([Plain])
        Plain.objects.create(name="x")
        assert first.fetch_one('SELECT COUNT(*) AS n FROM "test_plain"') == {"n": 1}
        forced = Database("sqlite:///:memory:", default=True)
        assert get_default_database() is forced
        forced.close()
        assert get_default_database() is forced  # closed, it stays the default: it reopens
        third = Database("sqlite:///:memory:")
        assert get_default_database() is third  # until another database is created
        third.close()
    finally:
        first.close()
        second.close()


async def test_a_closed_database_reopens(db_url: str, api: Any) -> None:
    """close() is a dispose, as SQLAlchemy's: the next statement connects again (issue 11)."""
    db = Database(db_url, default=False)
    try:
        for round_ in range(3):
            await api(db, "execute", "CREATE TABLE IF NOT EXISTS t_reopen (a INTEGER)")
            await api(db, "execute", "INSERT INTO t_reopen VALUES (1)")
            rows = await api(db, "fetch_all", "SELECT COUNT(*) AS n FROM t_reopen")
            assert rows[0]["n"] == round_ + 1
            assert not db.closed
            await api(db, "close")
            assert db.closed
            await api(db, "close")  # twice is fine

        def in_transaction() -> None:
            with db.transaction():
                db.execute("INSERT INTO t_reopen VALUES (2)")

        if api.is_async:  # a transaction is the first use after close() too
            async with db.transaction():
                await db.aexecute("INSERT INTO t_reopen VALUES (2)")
        else:
            await api.run(in_transaction)
        assert await db.afetch_one("SELECT COUNT(*) AS n FROM t_reopen WHERE a = 2") == {"n": 1}
    finally:
        await db.aexecute("DROP TABLE t_reopen")
        await db.aclose()


def test_a_closed_memory_database_reopens_empty() -> None:
    db = Database("sqlite:///:memory:", default=False)
    db.execute("CREATE TABLE t (a INTEGER)")
    db.close()
    assert db.fetch_one("SELECT COUNT(*) AS n FROM sqlite_master") == {"n": 0}
    db.close()


async def test_async_context_manager_and_raw_twins() -> None:
    async with Database("sqlite:///:memory:", default=False) as db:
        await db.aexecute("CREATE TABLE t (a INTEGER, b TEXT)")
        assert await db.aexecutemany("INSERT INTO t VALUES (?, ?)", [(1, "x"), (2, "y")]) == 2
        assert await db.afetch_all("SELECT a, b FROM t ORDER BY a") == [
            {"a": 1, "b": "x"}, {"a": 2, "b": "y"}]  # fmt: skip
        assert await db.afetch_one("SELECT b FROM t WHERE a = ?", [3]) is None
        with pytest.raises(SynchronousOnlyError, match=r"await Database\.aexecute\(\)"):
            db.execute("SELECT 1")
        with pytest.raises(SynchronousOnlyError, match="acreate_tables"):
            db.create_tables([Plain])


def test_raw_sync_twins_and_last_id() -> None:
    with Database("sqlite:///:memory:", default=False) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT)")
        result = db.execute("INSERT INTO t (b) VALUES (?)", ["x"])
        assert (result.rowcount, result.last_id) == (1, 1)
        assert db.executemany("INSERT INTO t (b) VALUES (?)", [["y"], ["z"]]) == 2
        assert [r["b"] for r in db.fetch_all("SELECT b FROM t ORDER BY id")] == ["x", "y", "z"]
        assert db.param(2) == "?"

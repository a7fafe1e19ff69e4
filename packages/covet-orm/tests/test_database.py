from __future__ import annotations

import sys

import pytest

import covet.orm._database as database_module
from covet.orm import (
    CharField,
    Database,
    ImproperlyConfigured,
    InterfaceError,
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
        assert database_module._default is None  # closing the default clears it
    finally:
        first.close()
        second.close()


def test_closed_database_refuses_work() -> None:
    db = Database("sqlite:///:memory:", default=False)
    db.close()
    with pytest.raises(InterfaceError, match="closed"):
        db.execute("SELECT 1")


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

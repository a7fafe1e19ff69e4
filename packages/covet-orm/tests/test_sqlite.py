from __future__ import annotations

import asyncio
import sqlite3

import anyio.to_thread
import pytest

from covet.orm import (
    CharField,
    Database,
    ImproperlyConfigured,
    IntegerField,
    Model,
    ProgrammingError,
)
from covet.orm.backends.base import DatabaseURL


class Item(Model):
    name = CharField(max_length=20)
    n = IntegerField(default=0)

    class Meta:
        table_name = "test_item"


def test_url_parsing() -> None:
    assert DatabaseURL.parse("sqlite:///app.db").database == "app.db"
    assert DatabaseURL.parse("sqlite:////tmp/abs.db").database == "/tmp/abs.db"
    assert DatabaseURL.parse("sqlite:///:memory:").database == ":memory:"
    assert DatabaseURL.parse("sqlite://").database == ":memory:"
    url = DatabaseURL.parse("postgresql+asyncpg://u:secret@h:5433/d?pool_size=3")
    assert (url.scheme, url.username, url.host, url.port, url.database) == (
        "postgresql",
        "u",
        "h",
        5433,
        "d",
    )
    assert "secret" not in repr(url)


def test_options_are_checked() -> None:
    with pytest.raises(ImproperlyConfigured, match="unknown database option"):
        Database("sqlite:///:memory:", default=False, pool_sise=3)
    with pytest.raises(ImproperlyConfigured, match="no backend"):
        Database("oracle://x/y", default=False)
    db = Database("sqlite:///:memory:?busy_timeout=1.5", default=False, pool_size=2)
    assert (db.options.busy_timeout, db.options.pool_size) == (1.5, 2)
    db.close()


def test_pragmas_and_regexp(tmp_path) -> None:
    with Database(f"sqlite:///{tmp_path / 'p.db'}", default=False) as db:
        assert db.fetch_one("PRAGMA journal_mode") == {"journal_mode": "wal"}
        assert db.fetch_one("PRAGMA foreign_keys") == {"foreign_keys": 1}
        assert db.fetch_one("SELECT 'abc' REGEXP 'b+' AS m") == {"m": 1}
        assert db.fetch_one("SELECT 'abc' LIKE 'A%' AS m") == {"m": 0}  # case-sensitive LIKE
        with pytest.raises(ProgrammingError):
            db.execute("SELECT * FROM missing_table")


async def test_memory_database_is_shared_by_sync_and_async() -> None:
    db = Database("sqlite:///:memory:", default=False)
    Item._meta.db = db
    try:
        await db.acreate_tables([Item])
        await Item.objects.acreate(name="async")
        await anyio.to_thread.run_sync(lambda: Item.objects.create(name="sync"))
        assert sorted(await Item.objects.values_list("name", flat=True).alist()) == [
            "async",
            "sync",
        ]
        assert await anyio.to_thread.run_sync(Item.objects.count) == 2

        # concurrent users of the one connection take turns instead of sharing a transaction
        async def tx(i: int) -> None:
            async with db.transaction():
                await Item.objects.acreate(name=f"t{i}")
                await asyncio.sleep(0)

        await asyncio.gather(*(tx(i) for i in range(5)))
        assert await Item.objects.acount() == 7
    finally:
        Item._meta.db = None
        await db.aclose()


def test_bulk_insert_is_chunked_under_the_variable_limit(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'c.db'}", default=False)
    Item._meta.db = db
    try:
        db.create_tables([Item])
        db.dialect.max_params = 10  # type: ignore[misc]  # 5 rows of 2 columns per INSERT
        items = Item.objects.bulk_create([Item(name=f"i{i}", n=i) for i in range(23)])
        assert [i.pk for i in items] == list(range(1, 24))
        assert Item.objects.count() == 23
    finally:
        Item._meta.db = None
        db.close()


def test_file_database_pools_connections(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'pool.db'}", default=False, pool_size=1)
    Item._meta.db = db
    try:
        db.create_tables([Item])
        Item.objects.create(name="x")
        assert len(db.backend._idle) == 1  # type: ignore[attr-defined]
        with db.transaction():
            Item.objects.create(name="y")
            assert len(db.backend._idle) == 0  # type: ignore[attr-defined]
        raw = db.backend._idle[0].raw  # type: ignore[attr-defined]
        assert isinstance(raw, sqlite3.Connection)
    finally:
        Item._meta.db = None
        db.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        raw.execute("SELECT 1")  # close() closed the pooled connection
    assert db.fetch_one("SELECT COUNT(*) AS n FROM test_item") == {"n": 2}  # reopened
    db.close()


async def test_async_operation_runs_in_one_thread_hop(tmp_path, monkeypatch) -> None:
    from covet.orm.backends.sqlite import ConnectionThread

    db = Database(f"sqlite:///{tmp_path / 'hops.db'}", default=False)
    Item._meta.db = db
    try:
        await db.acreate_tables([Item])
        hops = 0
        original = ConnectionThread.call

        async def counting(self, fn, *args):  # type: ignore[no-untyped-def]
            nonlocal hops
            hops += 1
            return await original(self, fn, *args)

        monkeypatch.setattr(ConnectionThread, "call", counting)
        # SELECT, SAVEPOINT, INSERT, RELEASE inside BEGIN ... COMMIT: 3 hops, not 6
        _, created = await Item.objects.aget_or_create(name="x", defaults={"n": 1})
        assert created
        assert hops == 3
        hops = 0
        async with db.transaction():  # inside a transaction: no savepoint, one hop per operation
            await Item.objects.abulk_create([Item(name=f"b{i}") for i in range(250)])
        assert hops == 3
    finally:
        Item._meta.db = None
        await db.aclose()


def test_threads_writing_concurrently_lose_no_update(tmp_path) -> None:
    import threading

    from covet.orm import F

    db = Database(f"sqlite:///{tmp_path / 'threads.db'}", default=False)
    Item._meta.db = db
    try:
        db.create_tables([Item])
        counter = Item.objects.create(name="counter")
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(20):
                    with db.transaction():  # BEGIN IMMEDIATE: writers queue on the busy timeout
                        current = Item.objects.get(pk=counter.pk).n
                        Item.objects.filter(pk=counter.pk).update(n=current + 1)
                Item.objects.filter(pk=counter.pk).update(n=F("n") + 0)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert Item.objects.get(pk=counter.pk).n == 120
    finally:
        Item._meta.db = None
        db.close()


@pytest.mark.parametrize(
    ("sql", "text", "order"),
    [
        ("SELECT ?1, ?2", "SELECT ?, ?", None),
        ("SELECT ?", "SELECT ?", None),
        ("SELECT a FROM t", "SELECT a FROM t", None),
        # a fragment repeating a placeholder, and numbers out of textual order
        ("SELECT ?2 WHERE x = ?1 AND y = ?2", "SELECT ? WHERE x = ? AND y = ?", (1, 0, 1)),
        # a bare ? is the largest number so far plus one, as SQLite numbers it
        ("SELECT ?2, ?, ?1", "SELECT ?, ?, ?", (1, 2, 0)),
        # quoted literals and identifiers are text, not placeholders
        ("SELECT '?1', \"a?2\", ?1", "SELECT '?1', \"a?2\", ?", None),
        ("SELECT 'it''s ?3', ?2, ?1", "SELECT 'it''s ?3', ?, ?", (1, 0)),
        # only bare placeholders (a bulk INSERT): the text as it is
        ("INSERT INTO t VALUES (?, ?), (?, ?)", "INSERT INTO t VALUES (?, ?), (?, ?)", None),
        ("SELECT 'x?', \"?\", ?", "SELECT 'x?', \"?\", ?", None),
    ],
)
def test_numbered_placeholders_are_bound_as_plain_ones(sql, text, order) -> None:
    """Python 3.12 warns when a sequence binds ?NNN (3.14 refuses); compiled statements number
    their placeholders, so the executor rewrites them (once per statement text)."""
    from covet.orm.backends.sqlite import positional

    assert positional(sql) == (text, order)


def test_a_query_repeating_a_placeholder_runs_without_warnings(tmp_path) -> None:
    import warnings

    db = Database(f"sqlite:///{tmp_path / 'numbered.db'}", default=False)
    try:
        db.execute("CREATE TABLE t (a TEXT, b TEXT)")
        db.execute("INSERT INTO t VALUES (?, ?)", ["x", "y"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rows = db.fetch_all("SELECT ?2, a FROM t WHERE a = ?1 AND b <> ?2", ["x", "z"])
        assert [tuple(row.values()) for row in rows] == [("z", "x")]
    finally:
        db.close()


def test_a_bulk_insert_text_is_not_kept(tmp_path) -> None:
    """A bulk INSERT's text (thousands of bare ``?``) is rebuilt per call: the placeholder
    cache keeps statement shapes, not those texts (a long-running process would hoard them)."""
    from covet.orm.backends import sqlite as backend

    db = Database(f"sqlite:///{tmp_path / 'bulk.db'}", default=False)
    try:
        db.execute("CREATE TABLE t (a INTEGER, b TEXT)")
        values = ", ".join("(?, ?)" for _ in range(5000))
        sql = f"INSERT INTO t (a, b) VALUES {values}"
        params = [x for i in range(5000) for x in (i, str(i))]
        assert backend.positional(sql)[0] is sql
        db.execute(sql, params)
        assert sql not in backend._positional
        assert db.fetch_all("SELECT count(*) AS n FROM t")[0]["n"] == 5000
    finally:
        db.close()

"""Query observability: ``Database.on_query`` sees every statement (queries, bulk, raw SQL,
streams, transaction control) with its SQL, parameters, duration, row count and error, on every
backend through both APIs; the ``covet.orm`` logger; ``capture_queries`` and
``assert_num_queries`` with ``with`` and ``async with``."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from covet.orm import (
    CharField,
    Database,
    IntegerField,
    IntegrityError,
    Model,
    QueryEvent,
    on_query,
    sync_orm,
)
from covet.orm.testing import assert_num_queries, capture_queries


class Gauge(Model):
    name = CharField(max_length=20, unique=True)
    level = IntegerField(default=0)

    class Meta:
        table_name = "test_observe_gauge"
        ordering = ["name"]


MODELS = [Gauge]
pytestmark = pytest.mark.usefixtures("tables")
TABLE = "test_observe_gauge"


async def _fill(api: Any, count: int) -> None:
    await api(Gauge.objects, "bulk_create", [Gauge(name=f"g{i:03}", level=i) for i in range(count)])


async def test_every_kind_of_statement_reaches_the_hook(api: Any, db: Database) -> None:
    events: list[QueryEvent] = []
    hook = db.on_query(events.append)
    p = db.param
    try:
        await _fill(api, 3)  # bulk
        await api(Gauge.objects, "create", name="solo", level=7)
        assert (await api(Gauge.objects, "get", pk=4)).name == "solo"  # the get-by-pk fast path
        assert await api(Gauge.objects.filter(level__gte=1), "count") == 3
        assert await api(Gauge.objects.filter(level=0), "update", level=5) == 1
        raw = Gauge.objects.raw(f"SELECT * FROM {TABLE} WHERE level > {p(1)}", [4])
        assert len(await api.list(raw)) == 2
        result = await api(db, "execute", f"DELETE FROM {TABLE} WHERE level = {p(1)}", [7])
        assert result.rowcount == 1
        assert len(await api.list(Gauge.objects.all())) == 3
    finally:
        hook.remove()
    await api(Gauge.objects, "count")  # not seen: the hook is gone

    for event in events:
        assert event.database is db
        assert event.vendor == db.dialect.name
        assert event.alias == db.alias
        assert event.is_async is api.is_async
        assert event.error is None
        assert event.duration_ns > 0
        assert event.duration == event.duration_ns / 1e9
    queries = [e for e in events if not e.is_transaction_control]
    kinds = [(e.sql.split()[0], e.method, e.rowcount) for e in queries]
    insert, create, get, count, update, raw_select, delete, select = kinds[-8:]
    assert insert[0] == "INSERT" and insert[1] in ("execute", "executemany", "fetch_all")
    assert insert[2] == 3
    assert create[0] == "INSERT"
    assert get == ("SELECT", "fetch_all", 1)
    assert count[:2] == ("SELECT", "fetch_one") and count[2] == 1
    assert update == ("UPDATE", "execute", 1)
    assert raw_select == ("SELECT", "fetch_columns", 2)
    assert delete == ("DELETE", "execute", 1)
    assert select == ("SELECT", "fetch_all", 3)
    assert list(queries[-4].params) == [5, 0]  # the UPDATE's
    assert list(queries[-3].params) == [4]  # the raw SELECT's
    assert list(queries[-2].params) == [7]  # the DELETE's


async def test_transaction_control_is_reported(api: Any, db: Database) -> None:
    events: list[QueryEvent] = []

    def work() -> None:
        with db.transaction():
            Gauge.objects.create(name="a")
            with db.transaction():
                Gauge.objects.create(name="b")

    async def awork() -> None:
        async with db.transaction():
            await Gauge.objects.acreate(name="a")
            async with db.transaction():
                await Gauge.objects.acreate(name="b")

    with db.on_query(events.append):
        await (awork() if api.is_async else api.run(work))
    methods = [e.method for e in events]
    assert methods[0] == "begin" and methods[-1] == "commit"
    assert methods.index("savepoint") < methods.index("release")
    controls = [e for e in events if e.is_transaction_control]
    assert [e.sql.split()[0].upper() for e in controls] == [
        db.dialect.begin_sql.split()[0].upper(),
        "SAVEPOINT",
        "RELEASE",
        "COMMIT",
    ]
    assert all(e.rowcount is None for e in controls)


async def test_a_failed_statement_carries_its_error(api: Any, db: Database) -> None:
    await api(Gauge.objects, "create", name="twice")
    events: list[QueryEvent] = []
    with db.on_query(events.append), pytest.raises(IntegrityError):
        await api(Gauge.objects, "create", name="twice")
    failed = [e for e in events if e.error is not None]
    assert len(failed) == 1
    assert isinstance(failed[0].error, IntegrityError)
    assert failed[0].rowcount is None
    assert failed[0].sql.startswith("INSERT")


async def test_streams_report_once_with_every_row(api: Any, db: Database) -> None:
    await _fill(api, 25)
    events: list[QueryEvent] = []
    with db.on_query(events.append):
        if api.is_async:
            got = [g async for g in Gauge.objects.aiterator(chunk_size=7)]
        else:
            got = await api.run(lambda: list(Gauge.objects.iterator(chunk_size=7)))
        assert len(got) == 25
        assert [(e.method, e.rowcount) for e in events] == [("stream", 25)]
        # stopped early: reported when closed, with the rows read so far
        events.clear()
        sql = f"SELECT level FROM {TABLE} ORDER BY level"
        if api.is_async:
            stream = db.astream(sql, [], 10)
            assert len(await anext(stream)) == 10
            await stream.aclose()
        else:

            def first_chunk() -> None:
                stream: Any = db.stream(sql, [], 10, "stream")
                assert len(next(stream)) == 10
                stream.close()

            await api.run(first_chunk)
    assert [(e.method, e.rowcount, e.error) for e in events] == [("stream", 10, None)]


async def test_hooks_per_database_and_for_all(db: Database, tmp_path: Any) -> None:
    other = Database(f"sqlite:///{tmp_path / 'other.db'}", default=False, alias="other")
    mine: list[QueryEvent] = []
    everywhere: list[QueryEvent] = []
    try:
        with db.on_query(mine.append), on_query(everywhere.append):
            late = Database(f"sqlite:///{tmp_path / 'late.db'}", default=False)
            await db.afetch_all("SELECT 1")
            await other.afetch_all("SELECT 2")
            await late.afetch_all("SELECT 3")
            await late.aclose()
        await db.afetch_all("SELECT 4")
        await other.afetch_all("SELECT 5")
    finally:
        await other.aclose()
    assert [e.sql for e in mine] == ["SELECT 1"]
    assert [(e.sql, e.alias) for e in everywhere] == [
        ("SELECT 1", db.alias),
        ("SELECT 2", "other"),
        ("SELECT 3", "late.db"),
    ]
    assert db.query_hooks == () and other.query_hooks == ()


async def test_an_exception_in_a_hook_reaches_the_caller(db: Database) -> None:
    def refuse(event: QueryEvent) -> None:
        raise RuntimeError(f"no: {event.sql}")

    with db.on_query(refuse), pytest.raises(RuntimeError, match="no: SELECT 1"):
        await db.afetch_all("SELECT 1")
    assert await db.afetch_all("SELECT 1 AS one") == [{"one": 1}]


async def test_capture_and_assert_with_and_async_with(api: Any, db: Database) -> None:
    async with db.capture_queries() as queries:
        await api(Gauge.objects, "create", name="a")
        await api(Gauge.objects.filter(name="a"), "exists")
    assert [q.sql.split()[0] for q in queries] == ["INSERT", "SELECT"]
    assert "2. SELECT" in str(queries)

    with db.assert_num_queries(1):
        await api(Gauge.objects, "count")
    async with db.assert_num_queries(2):
        await api(Gauge.objects, "count")
        await api(Gauge.objects, "count")
    too_many = db.assert_num_queries(1)
    await too_many.__aenter__()
    await api(Gauge.objects, "count")
    await api(Gauge.objects, "count")
    with pytest.raises(AssertionError, match=r"expected 1 query, ran 2:\n1\. SELECT"):
        await too_many.__aexit__(None, None, None)
    # the module-level helpers watch every database; transaction control on request
    with capture_queries(transactions=True) as everything, assert_num_queries(1):
        async with db.transaction():
            await Gauge.objects.acreate(name="b")
    assert [q.method for q in everything] == ["begin", everything[1].method, "commit"]
    with pytest.raises(ValueError, match="inside"), db.assert_num_queries(5):
        raise ValueError("inside")  # the block's own error wins


async def test_the_logger_at_debug(
    api: Any, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="covet.orm"):
        await api(Gauge.objects, "count")
    assert not caplog.records
    with caplog.at_level(logging.DEBUG, logger="covet.orm"):
        await api(Gauge.objects, "create", name="logged")
        await api(Gauge.objects, "get", pk=1)
        with pytest.raises(IntegrityError):
            await api(Gauge.objects, "create", name="logged")
    records = [r for r in caplog.records if r.name == "covet.orm"]
    assert len(records) == 3
    assert records[0].levelno == logging.DEBUG
    assert records[0].getMessage().startswith("(") and " ms) INSERT" in records[0].getMessage()
    get: Any = records[1]
    assert get.sql.startswith("SELECT") and get.params[0] == 1
    assert get.alias == db.alias
    assert get.duration > 0
    assert "failed: IntegrityError" in records[2].getMessage()


async def test_raw_executemany_and_the_portal(db: Database) -> None:
    p = db.param
    events: list[QueryEvent] = []

    @sync_orm
    async def sync_calls_in_async_code() -> int:
        n = db.executemany(
            f"INSERT INTO {TABLE} (name, level) VALUES ({p(1)}, {p(2)})", [("x", 1), ("y", 2)]
        )
        assert db.fetch_one(f"SELECT COUNT(*) AS n FROM {TABLE}") == {"n": 2}
        return n

    with db.on_query(events.append):
        assert await sync_calls_in_async_code() == 2
    many, one = events
    assert (many.method, many.rowcount, many.params) == ("executemany", 2, [("x", 1), ("y", 2)])
    assert (one.method, one.rowcount) == ("fetch_columns", 1)
    assert many.is_async and one.is_async  # the sync API ran on the task's event loop

"""PostgreSQL backend (asyncpg): session setup, error mapping, options, pools per event loop."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import asyncpg
import psycopg
import pytest

from covet.orm import (
    CharField,
    Database,
    DataError,
    IntegrityError,
    Model,
    OperationalError,
    ProgrammingError,
    SynchronousOnlyError,
)

pytestmark = pytest.mark.parametrize("server", ["postgres"])


@pytest.fixture
def app_name() -> str:
    return f"covet-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def pg(server_db_url: str, app_name: str) -> Iterator[Database]:
    db = Database(
        server_db_url,
        default=False,
        # a lock left behind by a test fails the teardown's DROP TABLE instead of hanging it
        connect_args={"server_settings": {"application_name": app_name, "lock_timeout": "10s"}},
    )
    db.execute("DROP TABLE IF EXISTS pg_things")
    db.execute(
        "CREATE TABLE pg_things (id INTEGER PRIMARY KEY, n SMALLINT NOT NULL, u TEXT UNIQUE)"
    )
    try:
        yield db
    finally:
        db.execute("DROP TABLE IF EXISTS pg_things")
        db.close()


def connections_named(url: str, app_name: str) -> int:
    """Server-side sessions with this application_name, once the server has caught up."""
    with Database(url, default=False) as admin:
        deadline = time.monotonic() + 10
        while True:
            row = admin.fetch_one(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [app_name]
            )
            assert row is not None
            if row["n"] == 0 or time.monotonic() > deadline:
                return int(row["n"])
            time.sleep(0.05)


async def test_session_runs_in_utc_with_json_codecs(pg: Database, api) -> None:
    row = await api(pg, "fetch_one", "SHOW TimeZone")
    assert row == {"TimeZone": "UTC"}
    doc = {"a": [1, "é"], "b": None}
    row = await api(pg, "fetch_one", "SELECT $1::jsonb AS jb, $2::json AS j", [doc, doc])
    assert row == {"jb": doc, "j": doc}


@pytest.mark.parametrize(
    ("sql", "params", "error"),
    [
        ("INSERT INTO pg_things VALUES ($1, $2, $3)", [1, 1, "dup"], IntegrityError),
        ("INSERT INTO pg_things (id, n) VALUES ($1, NULL)", [3], IntegrityError),
        ("INSERT INTO pg_things (id, n) VALUES ($1, $2)", [4, 40000], DataError),
        ("INSERT INTO pg_things (id, n) VALUES ($1, $2)", [5, "not a number"], DataError),
        ("SELEC 1", [], ProgrammingError),
        ("SELECT * FROM pg_no_such_table", [], ProgrammingError),
    ],
)
async def test_driver_errors_map_onto_the_hierarchy(
    pg: Database, api, sql: str, params: list[object], error: type[Exception]
) -> None:
    await api(pg, "execute", "INSERT INTO pg_things VALUES ($1, $2, $3)", [2, 1, "dup"])
    with pytest.raises(error) as info:
        await api(pg, "execute", sql, params)
    assert info.value.driver_error is info.value.__cause__
    # the driver's own exception: asyncpg's on the async API, psycopg's on the sync API
    driver = (asyncpg.PostgresError, asyncpg.InterfaceError) if api.is_async else psycopg.Error
    assert isinstance(info.value.driver_error, driver)
    assert type(info.value) is error  # not merely a subclass of it
    # the connection is still usable afterwards
    assert await api(pg, "fetch_one", "SELECT count(*) AS n FROM pg_things") == {"n": 1}


async def test_unique_violation_keeps_the_sqlstate(pg: Database, api) -> None:
    await api(pg, "execute", "INSERT INTO pg_things VALUES (1, 1, 'x')")
    with pytest.raises(IntegrityError) as info:
        await api(pg, "execute", "INSERT INTO pg_things VALUES (2, 1, 'x')")
    unique = asyncpg.UniqueViolationError if api.is_async else psycopg.errors.UniqueViolation
    assert isinstance(info.value.driver_error, unique)
    assert info.value.driver_error.sqlstate == "23505"


async def test_command_timeout_is_an_operational_error(server_db_url: str, api) -> None:
    db = Database(server_db_url, default=False, command_timeout=0.2)
    try:
        with pytest.raises(OperationalError):
            await api(db, "execute", "SELECT pg_sleep(3)")
        assert await api(db, "fetch_one", "SELECT 1 AS one") == {"one": 1}
    finally:
        await api(db, "close")


async def test_statement_cache_can_be_disabled(server_db_url: str, api) -> None:
    db = Database(server_db_url, default=False, statement_cache_size=0)
    try:
        for i in range(3):
            assert await api(db, "fetch_one", "SELECT $1::int AS i", [i]) == {"i": i}
    finally:
        await api(db, "close")


async def test_executemany_and_rowcounts(pg: Database, api) -> None:
    rows = [[i, i, f"u{i}"] for i in range(5)]
    assert await api(pg, "executemany", "INSERT INTO pg_things VALUES ($1, $2, $3)", rows) == 5
    result = await api(pg, "execute", "UPDATE pg_things SET n = n + 1 WHERE id < $1", [3])
    assert result.rowcount == 3
    result = await api(pg, "execute", "DELETE FROM pg_things")
    assert result.rowcount == 5


def test_one_pool_per_event_loop_and_close_drops_them(server_db_url: str, app_name: str) -> None:
    db = Database(
        server_db_url,
        default=False,
        connect_args={"server_settings": {"application_name": app_name}},
    )

    async def query(i: int) -> int:
        row = await db.afetch_one("SELECT $1::int AS i", [i])
        assert row is not None
        return int(row["i"])

    async def many() -> list[int]:
        return list(await asyncio.gather(*(query(i) for i in range(4))))

    assert asyncio.run(many()) == [0, 1, 2, 3]
    assert asyncio.run(many()) == [0, 1, 2, 3]  # a new loop gets its own pool
    assert db.fetch_one("SELECT 7 AS i") == {"i": 7}  # and the sync API its pairs
    db.close()
    assert connections_named(server_db_url, app_name) == 0


async def test_aclose_closes_every_pooled_connection(server_db_url: str, app_name: str) -> None:
    db = Database(
        server_db_url,
        default=False,
        connect_args={"server_settings": {"application_name": app_name}},
    )
    await asyncio.gather(*(db.afetch_one("SELECT pg_sleep(0.05)") for _ in range(3)))
    await asyncio.to_thread(db.fetch_one, "SELECT 1")
    await db.aclose()
    assert await asyncio.to_thread(connections_named, server_db_url, app_name) == 0


def test_waiting_for_a_pooled_connection_times_out(server_db_url: str) -> None:
    db = Database(server_db_url, default=False, pool_size=1, connect_timeout=0.3)
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            db.fetch_one("SELECT 1")
        except BaseException as error:
            errors.append(error)

    try:
        with db.transaction():
            db.execute("SELECT 1")
            worker = threading.Thread(target=other_thread)
            worker.start()
            worker.join()
        assert len(errors) == 1
        assert isinstance(errors[0], OperationalError)
        assert "pool_size" in str(errors[0])
        assert db.fetch_one("SELECT 1 AS one") == {"one": 1}  # released: available again
    finally:
        db.close()


async def test_sync_call_on_the_event_loop_thread_is_refused(pg: Database) -> None:
    with pytest.raises(SynchronousOnlyError, match="afetch_one"):
        pg.fetch_one("SELECT 1")


_SLEEP = "SELECT pg_sleep(5) AS covet_cancel_probe"


def _running(db: Database, pid: int) -> bool:
    row = db.fetch_one(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active' "
        "AND query = $2",
        [pid, _SLEEP],
    )
    assert row is not None
    return bool(row["n"])


async def test_cancelled_statement_is_cancelled_on_the_server(server_db_url: str) -> None:
    """asyncpg sends a CancelRequest when the awaiting task is cancelled: verify it, and that the
    pooled connection is usable afterwards."""
    db = Database(server_db_url, default=False, pool_size=1)
    watcher = Database(server_db_url, default=False)
    try:
        row = await db.afetch_one("SELECT pg_backend_pid() AS pid")
        assert row is not None
        pid = row["pid"]
        task = asyncio.ensure_future(db.afetch_all(_SLEEP))
        for _ in range(100):  # wait until the server runs it (not a timing assertion)
            await asyncio.sleep(0.05)
            if await asyncio.to_thread(_running, watcher, pid):
                break
        else:
            raise AssertionError("the probe statement never started")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for _ in range(40):  # the CancelRequest is asynchronous on the server side
            if not await asyncio.to_thread(_running, watcher, pid):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("pg_sleep(5) still runs 2 s after the cancellation")
        assert await db.afetch_one("SELECT 1 AS one") == {"one": 1}
        assert await db.afetch_all("SELECT 2 AS two") == [{"two": 2}]
        async with db.transaction():
            assert await db.afetch_one("SELECT 3 AS three") == {"three": 3}
    finally:
        await db.aclose()
        await asyncio.to_thread(watcher.close)


def _sessions(url: str, app_name: str) -> int:
    with Database(url, default=False) as admin:
        row = admin.fetch_one(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [app_name]
        )
        assert row is not None
        return int(row["n"])


async def test_min_pool_size_opens_connections_on_first_use(
    server_db_url: str, app_name: str, api
) -> None:
    db = Database(
        server_db_url,
        default=False,
        pool_size=5,
        min_pool_size=3,
        connect_args={"server_settings": {"application_name": app_name}},
    )
    try:
        assert await asyncio.to_thread(_sessions, server_db_url, app_name) == 0  # lazy until used
        assert await api(db, "fetch_one", "SELECT 1 AS one") == {"one": 1}
        assert await asyncio.to_thread(_sessions, server_db_url, app_name) == 3
        for _ in range(3):  # one at a time: the warm connections are reused, none added
            assert await api(db, "fetch_one", "SELECT 2 AS two") == {"two": 2}
        assert await asyncio.to_thread(_sessions, server_db_url, app_name) == 3
    finally:
        await db.aclose()


@pytest.mark.parametrize(("low", "high"), [(6, 5), (-1, 5)])
def test_min_pool_size_must_fit_the_pool(server_db_url: str, low: int, high: int) -> None:
    from covet.orm import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="min_pool_size"):
        Database(server_db_url, default=False, pool_size=high, min_pool_size=low)


@pytest.mark.parametrize(
    ("sql", "seq", "count"),
    [
        # one parameter set matches nothing: executemany counts rows, not parameter sets
        ("UPDATE pg_things SET n = n + 1 WHERE id = $1", [[0], [1], [99]], 2),
        ("DELETE FROM pg_things WHERE id = $1;", [[0], [99]], 1),
        ("INSERT INTO pg_things VALUES ($1, 1, NULL) ON CONFLICT DO NOTHING", [[1], [7]], 1),
        ("UPDATE pg_things SET n = 9 WHERE id >= $1 RETURNING id", [[1], [2]], 3),
        ("UPDATE pg_things SET u = 'returning' WHERE id = $1", [[2], [98]], 1),  # loop path
    ],
)
async def test_executemany_counts_rows_changed(
    pg: Database, api, sql: str, seq: list[list[int]], count: int
) -> None:
    rows = [[i, i, f"u{i}"] for i in range(3)]
    await api(pg, "executemany", "INSERT INTO pg_things VALUES ($1, $2, $3)", rows)
    assert await api(pg, "executemany", sql, seq) == count


class Gadget(Model):
    name = CharField(max_length=20)

    class Meta:
        table_name = "pg_gadget"


async def test_bulk_update_reports_rows_matched(server_db_url: str, api) -> None:
    db = Database(server_db_url, default=True)
    try:
        await api(db, "drop_tables", [Gadget])
        await api(db, "create_tables", [Gadget])
        gadgets = [await api(Gadget.objects, "create", name=f"g{i}") for i in range(3)]
        await api(Gadget.objects.filter(pk=gadgets[1].pk), "delete")  # gone from the table
        for g in gadgets:
            g.name = g.name.upper()
        assert await api(Gadget.objects, "bulk_update", gadgets, ["name"]) == 2
        names = Gadget.objects.order_by("name").values_list("name", flat=True)
        assert await api.list(names) == ["G0", "G2"]
        await api(db, "drop_tables", [Gadget])
    finally:
        await db.aclose()


async def test_cancelled_first_use_keeps_the_warm_connections(
    server_db_url: str, app_name: str
) -> None:
    """Cancelling the first query while min_pool_size connections open leaks none of them."""
    db = Database(
        server_db_url,
        default=False,
        pool_size=5,
        min_pool_size=3,
        connect_args={"server_settings": {"application_name": app_name}},
    )
    try:
        task = asyncio.ensure_future(db.afetch_one("SELECT 1 AS one"))
        await asyncio.sleep(0)  # the connects have started
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(_sessions, server_db_url, app_name) == 3
        for _ in range(3):
            assert await db.afetch_one("SELECT 2 AS two") == {"two": 2}
        assert await asyncio.to_thread(_sessions, server_db_url, app_name) == 3
    finally:
        await db.aclose()
    assert await asyncio.to_thread(connections_named, server_db_url, app_name) == 0


async def _relation_locks(url: str, app_name: str) -> list[str]:
    admin = Database(url, default=False)
    try:
        rows = await admin.afetch_all(
            "SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE a.application_name = $1 AND l.relation IS NOT NULL",
            [app_name],
        )
    finally:
        await admin.aclose()
    return [r["mode"] for r in rows]


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT n FROM pg_things WHERE n = $1", ["not a number"]),  # asyncpg cannot encode it
        ("SELECT n FROM pg_things WHERE n = ANY($1)", [[1, "two"]]),
        (  # more arguments than the protocol carries
            "SELECT n FROM pg_things WHERE n IN ("
            + ", ".join(f"${i}" for i in range(1, 40_001))
            + ")",
            list(range(40_000)),
        ),
    ],
)
async def test_a_refused_parameter_leaves_no_lock_behind(
    pg: Database, server_db_url: str, app_name: str, api, sql: str, params: list[object]
) -> None:
    """asyncpg refuses such parameters after it sent Parse; the pooled connection used to keep
    the table's lock until its next statement, so a DROP TABLE from elsewhere hung."""
    with pytest.raises((DataError, ProgrammingError)):
        await api(pg, "fetch_all", sql, params)
    assert await _relation_locks(server_db_url, app_name) == []
    assert await api(pg, "fetch_one", "SELECT count(*) AS n FROM pg_things") == {"n": 0}


async def test_a_refused_parameter_inside_a_transaction_keeps_it(pg: Database) -> None:
    async with pg.transaction():
        await pg.aexecute("INSERT INTO pg_things VALUES (1, 1, 'a')")
        with pytest.raises(DataError):
            await pg.afetch_all("SELECT n FROM pg_things WHERE n = $1", ["x"])
        await pg.aexecute("INSERT INTO pg_things VALUES (2, 2, 'b')")
    assert await pg.afetch_one("SELECT count(*) AS n FROM pg_things") == {"n": 2}


async def test_a_refused_parameter_in_an_aborted_transaction_is_still_a_data_error(
    pg: Database,
) -> None:
    """The resync's SELECT 1 fails there (the transaction is aborted): the server answered, so
    the session is in step; the caller gets the DataError, not a lost connection."""
    await pg.afetch_all("SELECT n FROM pg_things WHERE n = $1", [1])  # a cached statement
    tx = pg.transaction()
    await tx.__aenter__()
    try:
        await pg.aexecute("INSERT INTO pg_things VALUES (1, 1, 'a')")
        with pytest.raises(DataError, match="division by zero"):
            await pg.aexecute("SELECT 1/0")
        with pytest.raises(DataError, match="query argument"):
            await pg.afetch_all("SELECT n FROM pg_things WHERE n = $1", ["x"])
    finally:
        await tx.__aexit__(RuntimeError, RuntimeError("roll back"), None)
    assert await pg.afetch_one("SELECT count(*) AS n FROM pg_things") == {"n": 0}

"""MySQL/MariaDB backend (asyncmy): session setup, autocommit, error codes, options."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator

import anyio
import asyncmy.errors
import pytest

from covet.orm import Database, DataError, IntegrityError, OperationalError, ProgrammingError

pytestmark = pytest.mark.parametrize("server", ["mysql"])


@pytest.fixture
def my(server_db_url: str) -> Iterator[Database]:
    db = Database(server_db_url, default=False)
    db.execute("DROP TABLE IF EXISTS my_things")
    db.execute(
        "CREATE TABLE my_things (id INTEGER PRIMARY KEY, n SMALLINT NOT NULL, u VARCHAR(8) UNIQUE)"
        " CHARACTER SET utf8mb4"
    )
    try:
        yield db
    finally:
        db.execute("DROP TABLE IF EXISTS my_things")
        db.close()


async def test_session_is_utc_autocommit_utf8mb4(my: Database, api) -> None:
    row = await api(
        my,
        "fetch_one",
        "SELECT @@session.time_zone AS tz, @@autocommit AS ac, @@character_set_client AS cs",
    )
    assert row == {"tz": "+00:00", "ac": 1, "cs": "utf8mb4"}
    await api(my, "execute", "INSERT INTO my_things VALUES (%s, %s, %s)", [1, 1, "😀é"])
    assert await api(my, "fetch_one", "SELECT u FROM my_things") == {"u": "😀é"}


async def test_percent_in_sql_text_with_parameters(my: Database, api) -> None:
    row = await api(my, "fetch_one", "SELECT CONCAT(%s, '%%') AS p", ["100"])
    assert row == {"p": "100%"}


@pytest.mark.parametrize(
    ("sql", "params", "error", "code"),
    [
        ("INSERT INTO my_things VALUES (%s, %s, %s)", [1, 1, "dup"], IntegrityError, 1062),
        ("INSERT INTO my_things (id, n) VALUES (%s, NULL)", [3], IntegrityError, 1048),
        ("INSERT INTO my_things (id, n) VALUES (%s, %s)", [4, 40000], DataError, 1264),
        ("INSERT INTO my_things (id, n, u) VALUES (%s, %s, %s)", [5, 1, "x" * 9], DataError, 1406),
        ("SELEC 1", [], ProgrammingError, 1064),
        ("SELECT * FROM my_no_such_table", [], ProgrammingError, 1146),
    ],
)
async def test_error_codes_map_onto_the_hierarchy(
    my: Database, api, sql: str, params: list[object], error: type[Exception], code: int
) -> None:
    await api(my, "execute", "INSERT INTO my_things VALUES (%s, %s, %s)", [2, 1, "dup"])
    with pytest.raises(error) as info:
        await api(my, "execute", sql, params)
    assert type(info.value) is error
    driver = info.value.driver_error
    assert driver is info.value.__cause__
    assert isinstance(driver, asyncmy.errors.Error)
    assert driver.args[0] == code
    assert await api(my, "fetch_one", "SELECT COUNT(*) AS n FROM my_things") == {"n": 1}


async def test_autocommit_pooled_connections_hold_no_locks(
    my: Database, server_db_url: str, api
) -> None:
    """A read on a pooled connection must not keep a snapshot or a metadata lock (DROP hangs)."""
    await api(my, "execute", "INSERT INTO my_things VALUES (1, 1, 'a')")
    assert await api(my, "fetch_all", "SELECT id FROM my_things") == [{"id": 1}]
    other = Database(server_db_url, default=False)
    try:
        # another connection's write is visible at once: no snapshot held by the idle connection
        await api(other, "execute", "INSERT INTO my_things VALUES (2, 1, 'b')")
        assert await api(my, "fetch_all", "SELECT id FROM my_things ORDER BY id") == [
            {"id": 1},
            {"id": 2},
        ]

        def drop() -> None:
            with other.transaction():
                other.execute("SET SESSION lock_wait_timeout = 5")
                other.execute("DROP TABLE my_things")

        await asyncio.to_thread(drop)
        with pytest.raises(ProgrammingError):
            await api(my, "fetch_all", "SELECT id FROM my_things")
    finally:
        await asyncio.to_thread(other.close)


async def test_command_timeout_uses_max_statement_time(server_db_url: str, api) -> None:
    db = Database(server_db_url, default=False, command_timeout=0.3)
    try:
        with pytest.raises(OperationalError) as info:
            await api(db, "fetch_all", "SELECT SLEEP(3) FROM (SELECT 1 UNION SELECT 2) AS t")
        assert info.value.driver_error.args[0] == 1969
        assert await api(db, "fetch_one", "SELECT 1 AS one") == {"one": 1}
    finally:
        await asyncio.to_thread(db.close)


async def test_executemany_and_last_id(server_db_url: str, api) -> None:
    db = Database(server_db_url, default=False)
    try:
        await api(db, "execute", "DROP TABLE IF EXISTS my_auto")
        await api(
            db, "execute", "CREATE TABLE my_auto (id BIGINT AUTO_INCREMENT PRIMARY KEY, n INT)"
        )
        result = await api(db, "execute", "INSERT INTO my_auto (n) VALUES (%s)", [10])
        assert (result.rowcount, result.last_id) == (1, 1)
        count = await api(db, "executemany", "INSERT INTO my_auto (n) VALUES (%s)", [[1], [2]])
        assert count == 2
        rows = await api(db, "fetch_all", "SELECT id, n FROM my_auto ORDER BY id")
        assert rows == [{"id": 1, "n": 10}, {"id": 2, "n": 1}, {"id": 3, "n": 2}]
        await api(db, "execute", "DROP TABLE my_auto")
    finally:
        await asyncio.to_thread(db.close)


_SLEEP = "SELECT SLEEP(5) AS covet_cancel_probe"


def _running(db: Database, thread_id: int) -> bool:
    """Whether the server still runs the probe statement on connection ``thread_id``."""
    row = db.fetch_one(
        "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE id = %s AND info = %s",
        [thread_id, _SLEEP],
    )
    assert row is not None
    return bool(row["n"])


async def test_cancelled_statement_is_killed_on_the_server(server_db_url: str) -> None:
    db = Database(server_db_url, default=False, pool_size=1)
    watcher = Database(server_db_url, default=False)
    try:
        row = await db.afetch_one("SELECT CONNECTION_ID() AS id")
        assert row is not None
        thread_id = row["id"]
        task = asyncio.ensure_future(db.afetch_all(_SLEEP))
        for _ in range(100):  # wait until the server runs it (not a timing assertion)
            await asyncio.sleep(0.05)
            if await asyncio.to_thread(_running, watcher, thread_id):
                break
        else:
            raise AssertionError("the probe statement never started")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # KILL CONNECTION was sent before the cancellation returned: the 5 s sleep is not running
        assert not await asyncio.to_thread(_running, watcher, thread_id)
        # the pool keeps working, on a clean connection
        assert await db.afetch_one("SELECT 1 AS one") == {"one": 1}
        assert await db.afetch_all("SELECT 2 AS two") == [{"two": 2}]
    finally:
        await db.aclose()
        await asyncio.to_thread(watcher.close)


async def test_cancelled_statement_in_a_transaction_is_killed(server_db_url: str) -> None:
    db = Database(server_db_url, default=False, pool_size=1)
    watcher = Database(server_db_url, default=False)
    try:
        with anyio.move_on_after(0.3) as scope:
            async with db.transaction():
                await db.afetch_all(_SLEEP)
        assert scope.cancelled_caught
        rows = await asyncio.to_thread(
            watcher.fetch_all,
            "SELECT id FROM information_schema.processlist WHERE info = %s AND db = DATABASE()",
            [_SLEEP],
        )
        assert rows == []
        async with db.transaction():
            assert await db.afetch_one("SELECT 3 AS three") == {"three": 3}
    finally:
        await db.aclose()
        await asyncio.to_thread(watcher.close)


async def test_percent_in_sql_text_without_parameters_is_untouched(my: Database, api) -> None:
    assert await api(my, "fetch_all", "SELECT 'a%b' AS p", []) == [{"p": "a%b"}]
    assert await api(my, "fetch_one", "SELECT 'a%b' AS p") == {"p": "a%b"}
    await api(my, "execute", "INSERT INTO my_things VALUES (1, 1, 'x%y')")
    rows = await api(my, "fetch_all", "SELECT u FROM my_things WHERE u LIKE 'x%'", ())
    assert rows == [{"u": "x%y"}]
    # text written for the parameter rule (every % doubled) still means one %
    assert await api(my, "fetch_one", "SELECT '100%%' AS p", []) == {"p": "100%"}


@pytest.mark.parametrize(
    ("sql", "params", "message"),
    [
        ("SELECT u FROM my_things WHERE u LIKE 'x%' AND id = %s", [1], "write %% for a literal %"),
        ("SELECT %s AS a, %s AS b", [1], "2 %s placeholders for 1 parameter"),
        ("SELECT %s AS a", [1, 2], "1 %s placeholder for 2 parameters"),
    ],
)
async def test_percent_misuse_with_parameters_is_a_programming_error(
    my: Database, api, sql: str, params: list[object], message: str
) -> None:
    with pytest.raises(ProgrammingError) as info:
        await api(my, "fetch_all", sql, params)
    assert message in str(info.value)
    with pytest.raises(ProgrammingError, match=r"literal %|placeholder"):
        await api(my, "executemany", sql, [params, params])
    assert await api(my, "fetch_one", "SELECT 1 AS one") == {"one": 1}  # connection still fine


def _sessions(db: Database) -> set[int]:
    rows = db.fetch_all("SELECT id FROM information_schema.processlist WHERE db = DATABASE()")
    return {row["id"] for row in rows}


async def test_min_pool_size_opens_connections_on_first_use(server_db_url: str, api) -> None:
    watcher = Database(server_db_url, default=False, pool_size=1)
    db = Database(server_db_url, default=False, pool_size=5, min_pool_size=3)
    try:
        before = await asyncio.to_thread(_sessions, watcher)  # the watcher and other idle pools
        assert await api(db, "fetch_one", "SELECT 1 AS one") == {"one": 1}
        ours = await asyncio.to_thread(_sessions, watcher) - before
        assert len(ours) == 3
        for _ in range(3):
            assert await api(db, "fetch_one", "SELECT 2 AS two") == {"two": 2}
        assert await asyncio.to_thread(_sessions, watcher) - before == ours  # reused, none added
    finally:
        await db.aclose()
        await asyncio.to_thread(watcher.close)


async def test_executemany_counts_rows_matched(my: Database, api) -> None:
    rows = [[i, i, f"u{i}"] for i in range(3)]
    assert await api(my, "executemany", "INSERT INTO my_things VALUES (%s, %s, %s)", rows) == 3
    sql = "UPDATE my_things SET n = 5 WHERE id = %s"
    # rows matched, not parameter sets (id 99 matches nothing)
    assert await api(my, "executemany", sql, [[0], [1], [99]]) == 2
    assert await api(my, "executemany", sql, [[0], [1]]) == 2  # unchanged but matched
    assert await api(my, "executemany", "DELETE FROM my_things WHERE id = %s", [[2], [98]]) == 1


async def test_datetimes_come_back_aware_in_utc(my: Database, api) -> None:
    """The driver decodes DATETIME/TIMESTAMP straight to aware UTC datetimes (the session runs in
    UTC), so the ORM's hydrator has nothing left to convert; NULL and odd text pass through."""
    row = await api(
        my,
        "fetch_one",
        "SELECT CAST('2024-01-02 03:04:05.123456' AS DATETIME(6)) AS d, "
        "CAST('2024-01-02 03:04:05' AS DATETIME) AS s, FROM_UNIXTIME(0) AS ts, "
        "CAST(NULL AS DATETIME) AS n",
    )
    assert row["d"] == datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.UTC)
    assert row["d"].tzinfo is datetime.UTC
    assert row["s"] == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert row["ts"] == datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    assert row["n"] is None

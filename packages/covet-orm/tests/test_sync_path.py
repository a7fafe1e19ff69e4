"""The sync API on PostgreSQL (psycopg 3) and MariaDB (asyncmy on private event loops): no thread
hop, no thread or loop started per call; worker threads share one pool."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

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


def _loop_of(db: Database) -> tuple[Any, asyncio.AbstractEventLoop]:
    from covet.orm.backends._server import LoopConnection

    conn = db.backend.acquire()
    assert isinstance(conn, LoopConnection)
    return conn, conn.loop


@pytest.mark.parametrize("server", ["mysql"])
def test_mariadb_sync_statements_create_no_task(sdb: Database) -> None:
    """The driver's coroutine is driven in the calling thread: a statement costs no Task (nor
    its context copy and extra turns of the loop); only waiting turns the loop."""
    conn, loop = _loop_of(sdb)
    made: list[object] = []

    def counting_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        made.append(coro)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting_factory)
    try:
        for i in range(5):
            assert conn.fetch_one("SELECT %s AS n", [i]) == (i,)
        conn.begin()
        conn.execute("SELECT 1")
        conn.commit()
        assert list(conn.stream("SELECT 1 UNION ALL SELECT 2", [], 1)) == [[(1,)], [(2,)]]
    finally:
        loop.set_task_factory(None)
        sdb.backend.release(conn)
    assert len(made) <= 1, made  # the stream's close (aclose) may run as one


@pytest.mark.parametrize("server", ["mysql"])
def test_mariadb_sync_stream_reads_no_further_ahead_than_async(sdb: Database) -> None:
    """A chunk the driver already holds is handed over without turning the loop. Each turn
    reads from the socket, so a loop turned per chunk read the result far ahead of the caller
    (QuerySet.iterator() on MariaDB held most of a large result: 232 MB on a million rows)."""
    count, chunk = 3000, 10
    rows = ",".join(f"({i})" for i in range(count))
    sdb.execute("CREATE TEMPORARY TABLE IF NOT EXISTS sync_path_stream (n INTEGER)")
    conn, loop = _loop_of(sdb)
    try:
        conn.execute(f"INSERT INTO sync_path_stream VALUES {rows}")
        runs = 0
        run_forever = loop.run_forever

        def counting_run_forever() -> None:
            nonlocal runs
            runs += 1
            run_forever()

        loop.run_forever = counting_run_forever  # type: ignore[method-assign]
        try:
            seen = sum(
                len(rows_) for rows_ in conn.stream("SELECT n FROM sync_path_stream", [], chunk)
            )
        finally:
            del loop.run_forever
        assert seen == count
        # the loop ran for every chunk before (300 times); now when the driver's buffer runs dry
        assert runs < count // chunk // 4, runs
    finally:
        sdb.backend.release(conn)


def test_sync_statements_take_no_condition_and_no_select(
    sdb: Database, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 (sync CPU per statement): with an idle connection ready and nobody waiting, a
    checkout and check-in take the pool's plain lock only (``Condition``'s ``with`` and
    ``notify`` are Python code), and MariaDB's private loop waits on its socket with a
    ``poll`` object it keeps, not ``select()`` and its four lists per call."""
    import select

    for _ in range(3):
        sdb.fetch_one("SELECT 1")
    used: list[str] = []
    real_enter, real_notify = threading.Condition.__enter__, threading.Condition.notify
    real_select = select.select

    def enter(self: threading.Condition) -> bool:
        used.append("Condition.__enter__")
        return real_enter(self)

    def notify(self: threading.Condition, n: int = 1) -> None:
        used.append("Condition.notify")
        real_notify(self, n)

    def counting_select(*args: Any) -> Any:
        if threading.current_thread() is threading.main_thread():
            used.append("select.select")
        return real_select(*args)

    monkeypatch.setattr(threading.Condition, "__enter__", enter)
    monkeypatch.setattr(threading.Condition, "notify", notify)
    if server == "mysql":
        monkeypatch.setattr(select, "select", counting_select)
    for i in range(10):
        assert sdb.fetch_one("SELECT %s AS n" if server == "mysql" else "SELECT $1::int AS n", [i])
    assert used == []


def test_a_release_wakes_a_thread_waiting_for_the_pool(server_db_url: str) -> None:
    """The pool notifies only when someone waits (see above): a waiting thread is still woken
    by the release, long before ``connect_timeout``."""
    db = Database(server_db_url, default=False, pool_size=1, connect_timeout=10)
    waited: list[float] = []
    try:
        with db.transaction():
            db.execute("SELECT 1")

            def other() -> None:
                started = time.monotonic()
                db.fetch_one("SELECT 1")
                waited.append(time.monotonic() - started)

            worker = threading.Thread(target=other)
            worker.start()
            time.sleep(0.2)  # the worker is waiting for the one connection
        worker.join(10)
        assert len(waited) == 1
        assert 0.1 < waited[0] < 5
    finally:
        db.close()


@pytest.mark.parametrize("server", ["mysql"])
def test_mariadb_sync_wait_is_one_blocking_turn_of_the_loop(sdb: Database) -> None:
    """Issue 11: a sync statement waits in one turn of its private loop, blocked in the loop's
    own selector (no timeout: no timer armed) until the answer is there, as a task's await;
    the future that completes stops the loop in that turn. Before: a 2 ms poll() of its own
    (a timer armed and cancelled per statement, measurable CPU in a VM), then a non-blocking
    turn; an answer slower than 2 ms took one more turn to run the callback that stopped it."""
    conn, loop = _loop_of(sdb)
    selector = loop._selector  # type: ignore[attr-defined]
    real_select = selector.select
    timeouts: list[float | None] = []

    def select(timeout: float | None = None) -> Any:
        timeouts.append(timeout)
        return real_select(timeout)

    selector.select = select
    try:
        for sql in ("SELECT 1", "SELECT SLEEP(0.05)", "SELECT 2"):
            timeouts.clear()
            conn.fetch_all(sql)
            assert timeouts and all(t is None for t in timeouts), (sql, timeouts)
    finally:
        del selector.select
        sdb.backend.release(conn)

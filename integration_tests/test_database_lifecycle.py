"""Databases follow a covet.http app's life (issue 12 §3): their connections, sync and async,
are closed when the app shuts down, with no code in the app; closing them by hand in an async
lifespan works with either API, and a database closed that way reopens for the app's next
lifespan (issue 11)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import pytest

from covet.http import Covet
from covet.http.testing import TestClient
from covet.orm import CharField, Database, Model

from ._servers import server_database


class Item(Model):
    name = CharField(max_length=20)

    class Meta:
        table_name = "lifecycle_item"


@pytest.fixture(params=["postgres", "mysql"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    with server_database(request.param, "life") as found:
        yield found


def connections(url: str) -> int:
    """Connections the server has open to the test database (seen from a separate one)."""
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + ("/postgres" if url.startswith("postgres") else "/")
    with Database(admin_url, default=False, pool_size=1, min_pool_size=0) as admin:
        if url.startswith("postgres"):
            row = admin.fetch_one(
                "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1", [name]
            )
        else:
            row = admin.fetch_one(
                "SELECT count(*) AS n FROM information_schema.processlist WHERE db = %s", [name]
            )
    assert row is not None
    return int(row["n"])


def closed(url: str) -> bool:
    """No connection left (the server may take a moment to notice a client going away)."""
    deadline = time.monotonic() + 5
    while connections(url):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def items_app(db: Database, **options: Any) -> Covet:
    app = Covet(**options)

    @app.post("/items")
    async def create(data: dict[str, Any]) -> dict[str, Any]:
        item = Item(**data)
        await item.asave()
        return item.to_dict()

    @app.get("/count")
    def count() -> int:  # the sync API, on a worker thread: the sync pool
        return Item.objects.count()

    return app


def test_connections_are_closed_at_shutdown_without_app_code(url: str) -> None:
    db = Database(url, default=True)
    db.create_tables([Item])
    try:
        app = items_app(db)
        for round_ in (1, 2):  # started again: the database connects again
            with TestClient(app) as client:
                assert client.post("/items", json={"name": "a"}).status_code == 200
                assert client.get("/count").json() == round_
                assert connections(url) >= 2  # one async, one sync at least
            assert closed(url)
    finally:
        db.close()


def test_turned_off_the_connections_stay_open(url: str) -> None:
    db = Database(url, default=True)
    db.create_tables([Item])
    try:
        with TestClient(items_app(db, extensions={"database_lifecycle": False})) as client:
            client.post("/items", json={"name": "a"})
            client.get("/count")
        assert connections(url) >= 1
    finally:
        db.close()
    assert closed(url)


@pytest.mark.parametrize("how", ["aclose", "close"])
def test_closing_by_hand_in_an_async_lifespan_closes_both_pools(url: str, how: str) -> None:
    db = Database(url, default=True)
    db.create_tables([Item])

    async def lifespan(app: Covet) -> AsyncIterator[None]:
        yield
        if how == "aclose":
            await db.aclose()
        else:
            db.close()  # the sync API in an async lifespan: through the portal, not blocking

    app = items_app(db, lifespan=lifespan, extensions={"database_lifecycle": False})
    try:
        # the same app run twice (a test client per test, a reloading server): the database
        # closed by the first lifespan's shutdown reopens for the second, both APIs
        for round_ in (1, 2):
            with TestClient(app) as client:
                assert client.post("/items", json={"name": "a"}).status_code == 200
                assert client.get("/count").json() == round_
                assert connections(url) >= 2  # the async pool and the sync pool
            assert db.closed and closed(url)

        async def sync_call() -> Any:
            return await anyio.to_thread.run_sync(db.fetch_one, "SELECT 1 AS one")

        assert anyio.run(sync_call) == {"one": 1}  # and outside any app
        assert not db.closed
    finally:
        db.close()
    assert closed(url)


def test_a_closed_database_reopens_once_under_concurrent_use(url: str) -> None:
    """Threads that find the database closed open one new backend between them: every
    connection they open is closed by the next close()."""
    db = Database(url, default=False, pool_size=4)
    try:
        assert db.fetch_one("SELECT 1 AS one") == {"one": 1}
        db.close()
        barrier = threading.Barrier(8)

        def query() -> Any:
            barrier.wait()
            return db.fetch_one("SELECT 1 AS one")

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(lambda _: query(), range(8))) == [{"one": 1}] * 8
        assert not db.closed and 1 <= connections(url) <= 4  # one pool of 4 at most
    finally:
        db.close()
    assert closed(url)


# -- one connection per request -------------------------------------------------------------------


class CountingCheckouts:
    """Counts the pool's checkouts and returns (wraps the backend's own methods)."""

    def __init__(self, db: Database) -> None:
        self.acquired = self.released = 0
        backend = db.backend
        acquire, release = backend.aacquire, backend.arelease

        async def counted_acquire() -> Any:
            self.acquired += 1
            return await acquire()

        async def counted_release(conn: Any, *, discard: bool = False) -> None:
            self.released += 1
            await release(conn, discard=discard)

        backend.aacquire = counted_acquire  # type: ignore[method-assign]
        backend.arelease = counted_release  # type: ignore[method-assign]
        self.sync_acquired = self.sync_released = 0
        sync_acquire, sync_release = backend.acquire, backend.release

        def counted_sync_acquire() -> Any:
            self.sync_acquired += 1
            return sync_acquire()

        def counted_sync_release(conn: Any, *, discard: bool = False) -> None:
            self.sync_released += 1
            sync_release(conn, discard=discard)

        backend.acquire = counted_sync_acquire  # type: ignore[method-assign]
        backend.release = counted_sync_release  # type: ignore[method-assign]


def queries_app(**options: Any) -> Covet:
    app = Covet(**options)

    @app.get("/queries")
    async def queries() -> dict[str, Any]:
        for _ in range(5):
            await Item.objects.filter(name="a").acount()
        async with Item._meta.database.transaction():
            await Item(name="b").asave()
        Item.objects.count()  # the sync API through the portal: the same connection
        return {"items": await Item.objects.acount()}

    @app.get("/sync-queries")
    def sync_queries() -> dict[str, Any]:  # a def handler: the sync pool, on a worker thread
        for _ in range(5):
            Item.objects.filter(name="a").count()
        with Item._meta.database.transaction():
            Item(name="c").save()
        return {"items": Item.objects.count()}

    return app


@pytest.mark.parametrize(
    ("extensions", "checkouts", "sync_checkouts"),
    [(True, 1, 1), ({"request_connection": False}, 8, 7)],
)
def test_a_request_checks_out_one_connection(
    url: str, extensions: Any, checkouts: int, sync_checkouts: int
) -> None:
    db = Database(url, default=True)
    db.create_tables([Item])
    try:
        with TestClient(queries_app(extensions=extensions)) as client:
            counter = CountingCheckouts(db)
            assert client.get("/queries").json() == {"items": 1}
            assert counter.acquired == checkouts and counter.released == checkouts
            counter.acquired = counter.released = 0
            assert client.get("/queries").json() == {"items": 2}
            assert counter.acquired == counter.released == checkouts
            assert client.get("/sync-queries").json() == {"items": 3}
            assert counter.sync_acquired == counter.sync_released == sync_checkouts
            assert counter.acquired == checkouts  # nothing more from the async pool
    finally:
        db.close()


def test_a_broken_request_connection_is_replaced(url: str) -> None:
    if not url.startswith("postgres"):
        pytest.skip("a session ending itself: pg_terminate_backend")
    from covet.orm import OperationalError

    db = Database(url, default=True)
    app = Covet()

    @app.get("/break")
    async def break_() -> dict[str, Any]:
        first = await db.afetch_one("SELECT pg_backend_pid() AS pid")
        with pytest.raises(OperationalError):
            await db.aexecute("SELECT pg_terminate_backend(pg_backend_pid())")
        second = await db.afetch_one("SELECT pg_backend_pid() AS pid")
        assert first is not None and second is not None
        return {"replaced": first["pid"] != second["pid"]}

    try:
        with TestClient(app) as client:
            assert client.get("/break").json() == {"replaced": True}
    finally:
        db.close()

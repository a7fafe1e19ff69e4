"""One connection shared by every thread, task and event loop: the test plugin's ``db`` fixture.

A test's own code (sync, or async on pytest-asyncio's loop) and the app it drives (covet.http's
``TestClient`` runs it on an event loop in another thread) must see the same uncommitted rows,
so they must use one connection inside one transaction. A driver connection belongs to one event
loop, so the connection lives on a loop of its own, in a thread (``ConnectionHost``); the sync
view (``SyncView``) and the async view (``AsyncView``) send each call there and wait for it. Calls
run one at a time, in the order they arrive.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Awaitable, Coroutine, Generator, Iterable
from concurrent.futures import Future
from typing import Any, TypeVar

from covet.orm._database import Database
from covet.orm.backends.base import (
    AsyncConnection,
    Backend,
    ExecResult,
    Params,
    Row,
    SyncConnection,
)

T = TypeVar("T")


class ConnectionHost:
    """An event loop in a daemon thread that owns one pooled async connection at a time, of
    ``db``'s current backend (``Database.adisconnect`` replaces it)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.loop = asyncio.new_event_loop()
        self._lock: asyncio.Lock | None = None
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="covet-orm-pinned", daemon=True
        )
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(self._serialised(coro), self.loop)

    async def _serialised(self, coro: Awaitable[T]) -> T:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            return await coro

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the host's loop; block the calling thread until it ends."""
        return self.submit(coro).result()

    async def acall(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the host's loop; await it from another loop."""
        return await asyncio.wrap_future(self.submit(coro))

    def close(self) -> None:
        """Close the host loop's pool (its async generators) and stop the thread."""

        async def shutdown() -> None:
            await self.loop.shutdown_asyncgens()

        if self.loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class SyncView(SyncConnection):
    """The pinned connection seen from sync code, in any thread."""

    def __init__(self, host: ConnectionHost, conn: AsyncConnection) -> None:
        self.host = host
        self.conn = conn
        self.dialect = conn.dialect

    def execute(self, sql: str, params: Params = ()) -> ExecResult:
        return self.host.call(self.conn.execute(sql, params))

    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        return self.host.call(self.conn.executemany(sql, list(seq_of_params)))

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.host.call(self.conn.fetch_all(sql, params))

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return self.host.call(self.conn.fetch_one(sql, params))

    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        return self.host.call(self.conn.fetch_columns(sql, params))

    def stream(self, sql: str, params: Params, chunk_size: int) -> Generator[list[Row], None, None]:
        chunks = self.conn.stream(sql, params, chunk_size)
        try:
            while True:
                try:
                    rows = self.host.call(_next(chunks))
                except StopAsyncIteration:
                    return
                yield rows
        finally:
            self.host.call(chunks.aclose())

    def begin(self) -> None:
        self.host.call(self.conn.begin())

    def commit(self) -> None:
        self.host.call(self.conn.commit())

    def rollback(self) -> None:
        self.host.call(self.conn.rollback())

    def savepoint(self, name: str) -> None:
        self.host.call(self.conn.savepoint(name))

    def release(self, name: str) -> None:
        self.host.call(self.conn.release(name))

    def rollback_to(self, name: str) -> None:
        self.host.call(self.conn.rollback_to(name))

    def close(self) -> None:
        """The host owns the connection: nothing to close here."""


class AsyncView(AsyncConnection):
    """The pinned connection seen from async code, on any event loop."""

    def __init__(self, host: ConnectionHost, conn: AsyncConnection) -> None:
        self.host = host
        self.conn = conn
        self.dialect = conn.dialect

    async def execute(self, sql: str, params: Params = ()) -> ExecResult:
        return await self.host.acall(self.conn.execute(sql, params))

    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        return await self.host.acall(self.conn.executemany(sql, list(seq_of_params)))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self.host.acall(self.conn.fetch_all(sql, params))

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self.host.acall(self.conn.fetch_one(sql, params))

    async def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        return await self.host.acall(self.conn.fetch_columns(sql, params))

    async def stream(
        self, sql: str, params: Params, chunk_size: int
    ) -> AsyncGenerator[list[Row], None]:
        chunks = self.conn.stream(sql, params, chunk_size)
        try:
            while True:
                try:
                    rows = await self.host.acall(_next(chunks))
                except StopAsyncIteration:
                    return
                yield rows
        finally:
            await self.host.acall(chunks.aclose())

    async def begin(self) -> None:
        await self.host.acall(self.conn.begin())

    async def commit(self) -> None:
        await self.host.acall(self.conn.commit())

    async def rollback(self) -> None:
        await self.host.acall(self.conn.rollback())

    async def savepoint(self, name: str) -> None:
        await self.host.acall(self.conn.savepoint(name))

    async def release(self, name: str) -> None:
        await self.host.acall(self.conn.release(name))

    async def rollback_to(self, name: str) -> None:
        await self.host.acall(self.conn.rollback_to(name))

    async def close(self) -> None:
        """The host owns the connection: nothing to close here."""


async def _next(chunks: AsyncGenerator[list[Row], None]) -> list[Row]:
    return await anext(chunks)


class PinnedTransaction:
    """``with PinnedTransaction(host):`` -- every thread and task of the process uses one
    connection of ``host``'s backend, inside a transaction rolled back at the end; transaction
    blocks inside are savepoints."""

    def __init__(self, host: ConnectionHost) -> None:
        self.host = host
        self.backend: Backend = host.db.backend
        self._conn: AsyncConnection | None = None

    def __enter__(self) -> PinnedTransaction:
        backend = self.backend = self.host.db.backend
        if backend.pinned is not None:
            raise RuntimeError("this database already has a pinned connection")
        conn = self._conn = self.host.call(backend.aacquire())
        try:
            self.host.call(conn.begin())
        except BaseException:
            self.host.call(backend.arelease(conn, discard=True))
            raise
        backend.pin(SyncView(self.host, conn), AsyncView(self.host, conn), depth=1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        backend, conn = self.backend, self._conn
        assert conn is not None
        backend.unpin()
        discard = False
        try:
            self.host.call(conn.rollback())
        except Exception:
            discard = True
            raise
        finally:
            self.host.call(backend.arelease(conn, discard=discard))

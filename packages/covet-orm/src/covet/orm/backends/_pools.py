"""Pools of the server backends, and the ``ServerBackend`` that owns them (see ``_server``).

* ``AsyncPool``: the connections of one event loop (a driver connection belongs to its loop).
* ``SyncPool``: (connection, private loop) pairs shared by threads, one thread at a time.

Both open at most ``pool_size`` connections: ``min_pool_size`` of them together on the pool's
first use, the others one at a time when needed. They check a connection before handing it out
(a dead one is replaced) and make callers wait up to ``connect_timeout`` when all are busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from abc import abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable

import anyio

from covet.orm import _exceptions as exc
from covet.orm.backends._server import LoopConnection, ServerConnection
from covet.orm.backends.base import (
    AsyncConnection,
    Backend,
    DatabaseOptions,
    DatabaseURL,
    SyncConnection,
)


class AsyncPool:
    """Connections of one event loop: at most ``size`` open, idle ones reused last-in first-out."""

    def __init__(
        self, connect: Callable[[], Awaitable[ServerConnection]], options: DatabaseOptions
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self._connect = connect
        self._size = options.pool_size
        self._min = options.min_pool_size
        self._timeout = options.connect_timeout
        self._idle: list[ServerConnection] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def _warm(self) -> None:
        """Open ``min_pool_size`` connections together (the first caller takes one of them)."""
        count, self._min = min(self._min, self._size) - self._open, 0
        if count <= 1:
            return
        self._open += count
        tasks = [asyncio.ensure_future(self._connect()) for _ in range(count)]
        try:
            await asyncio.wait(tasks)
        finally:
            # cancelled meanwhile: the connects still end (within connect_timeout) and what
            # opened is pooled, never leaked
            with anyio.CancelScope(shield=True):
                await asyncio.wait(tasks)
            opened = [t.result() for t in tasks if not t.cancelled() and t.exception() is None]
            self._open -= count - len(opened)
            self._idle.extend(opened)
            self._wake()
        if not opened:
            for task in tasks:
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    raise error

    async def acquire(self) -> ServerConnection:
        if self._min:
            await self._warm()
        deadline = self.loop.time() + self._timeout
        while True:
            while self._idle:
                conn = self._idle.pop()
                if conn.alive(probe=False):  # this loop has been reading it: flags are current
                    conn.fresh = True
                    return conn
                self._drop(conn)
            if self._open < self._size:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._wake()
                    raise
            waiter: asyncio.Future[None] = self.loop.create_future()
            self._waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, max(0.0, deadline - self.loop.time()))
            except TimeoutError:
                raise exc.OperationalError(
                    f"timed out after {self._timeout}s waiting for one of {self._size} pooled "
                    "connections (raise pool_size or connect_timeout)"
                ) from None
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def release(self, conn: ServerConnection, *, discard: bool = False) -> None:
        if discard or conn.in_transaction or not conn.alive(probe=False):
            self._drop(conn)
        else:
            self._idle.append(conn)
        self._wake()

    def _drop(self, conn: ServerConnection) -> None:
        self._open -= 1
        conn.terminate()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            self._open -= 1
            await conn.close()

    def terminate(self) -> None:
        """Drop idle connections from outside this pool's loop (it may be closed or elsewhere)."""
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        if self.loop.is_closed() or not self.loop.is_running():
            for conn in idle:
                conn.terminate()
        else:
            for conn in idle:
                self.loop.call_soon_threadsafe(conn.terminate)


class SyncPool:
    """(connection, private loop) pairs shared by threads; one thread uses a pair at a time."""

    def __init__(
        self, connect: Callable[[], Awaitable[ServerConnection]], options: DatabaseOptions
    ) -> None:
        self._connect = connect
        self._size = options.pool_size
        self._min = options.min_pool_size
        self._timeout = options.connect_timeout
        self._idle: list[LoopConnection] = []
        self._open = 0
        self._cond = threading.Condition(threading.Lock())
        self.closed = False

    def _warm(self) -> None:
        """Open ``min_pool_size`` pairs into the pool (the caller takes one of them)."""
        with self._cond:
            count, self._min = max(0, min(self._min, self._size) - self._open), 0
            self._open += count
        for _ in range(count):
            try:
                conn = self._open_pair()
            except BaseException:
                with self._cond:
                    self._open -= 1
                    self._cond.notify()
                raise
            self.release(conn)

    def _open_pair(self) -> LoopConnection:
        loop = asyncio.SelectorEventLoop()  # a BaseEventLoop: drive() steps it directly
        try:
            aconn = loop.run_until_complete(self._connect())
        except BaseException:
            loop.close()
            raise
        return LoopConnection(aconn, loop)

    def acquire(self) -> LoopConnection:
        if self._min:
            self._warm()
        deadline = time.monotonic() + self._timeout
        with self._cond:
            while True:
                if self.closed:
                    raise exc.InterfaceError("the database is closed")
                while self._idle:
                    conn = self._idle.pop()
                    if conn.aconn.alive():  # no loop read its socket while idle: probe it
                        conn.aconn.fresh = True
                        return conn
                    self._open -= 1
                    self._discard(conn)
                if self._open < self._size:
                    self._open += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    raise exc.OperationalError(
                        f"timed out after {self._timeout}s waiting for one of {self._size} pooled "
                        "connections (raise pool_size or connect_timeout)"
                    )
        try:
            return self._open_pair()
        except BaseException:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise

    def release(self, conn: LoopConnection, *, discard: bool = False) -> None:
        aconn = conn.aconn
        drop = discard or self.closed or aconn.in_transaction or not aconn.alive(probe=False)
        with self._cond:
            if drop:
                self._open -= 1
            else:
                self._idle.append(conn)
            self._cond.notify()
        if drop:
            self._discard(conn)

    @staticmethod
    def _discard(conn: LoopConnection) -> None:
        conn.aconn.terminate()
        with contextlib.suppress(Exception):  # let the transport close its socket, free the loop
            conn.loop.run_until_complete(asyncio.sleep(0))
        conn.loop.close()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()


class ServerBackend(Backend):
    """A backend whose sync and async APIs share one async driver (see the module docstring)."""

    def __init__(self, url: DatabaseURL, options: DatabaseOptions) -> None:
        if not 0 <= options.min_pool_size <= options.pool_size:
            raise exc.ImproperlyConfigured(
                f"min_pool_size ({options.min_pool_size}) must be between 0 and pool_size "
                f"({options.pool_size})"
            )
        super().__init__(url, options)
        self._apools: dict[asyncio.AbstractEventLoop, AsyncPool] = {}
        self._spool = SyncPool(self.connect, options)
        self._closed = False

    @abstractmethod
    async def connect(self) -> ServerConnection:
        """Open one driver connection on the running loop, session set up (UTC, codecs, ...)."""

    # -- sync -------------------------------------------------------------------------------
    def acquire(self) -> SyncConnection:
        return self._spool.acquire()

    def release(self, conn: SyncConnection, *, discard: bool = False) -> None:
        assert isinstance(conn, LoopConnection)
        self._spool.release(conn, discard=discard)

    # -- async ------------------------------------------------------------------------------
    def _pool(self) -> AsyncPool:
        loop = asyncio.get_running_loop()
        pool = self._apools.get(loop)
        if pool is None:
            if self._closed:
                raise exc.InterfaceError("the database is closed")
            for old in [lp for lp in self._apools if lp.is_closed()]:
                self._apools.pop(old).terminate()
            pool = self._apools[loop] = AsyncPool(self.connect, self.options)
        return pool

    async def aacquire(self) -> AsyncConnection:
        return await self._pool().acquire()

    async def arelease(self, conn: AsyncConnection, *, discard: bool = False) -> None:
        assert isinstance(conn, ServerConnection)
        pool = self._apools.get(asyncio.get_running_loop())
        if pool is None or self._closed:
            await conn.close()
        else:
            pool.release(conn, discard=discard)

    # -- closing ------------------------------------------------------------------------------
    def close(self) -> None:
        self._closed = True
        self._spool.close()
        pools, self._apools = self._apools, {}
        for pool in pools.values():
            pool.terminate()

    async def aclose(self) -> None:
        self._closed = True
        loop = asyncio.get_running_loop()
        pool = self._apools.pop(loop, None)
        if pool is not None:
            await pool.aclose()
        # the sync pairs' loops cannot run inside this one: close them from a worker thread
        await asyncio.to_thread(self.close)

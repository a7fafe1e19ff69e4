"""Pools of the server backends, and the ``ServerBackend`` that owns them (see ``_server``).

* ``AsyncPool``: the connections of one event loop (a driver connection belongs to its loop). The
  pool is tied to its loop's life through an async generator: when the loop shuts down
  (``asyncio.run`` returning, ``asyncio.Runner.close``, pytest-asyncio's teardown all call
  ``loop.shutdown_asyncgens()``), the pool closes its connections while the loop still runs, so
  no connection outlives the loop it belongs to.
* ``SyncPool``: the sync API's connections, shared by threads, one thread at a time.

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
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Protocol

import anyio

from covet.orm import _exceptions as exc
from covet.orm.backends._server import ServerConnection
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
        self.closed = False
        self._life: AsyncGenerator[None, None] | None = None

    def tie(self) -> None:
        """Close this pool when its loop shuts its async generators down (call in the loop)."""
        life = self._lifetime()
        with contextlib.suppress(StopIteration):  # runs to its ``yield``: no await before it
            life.__anext__().send(None)
        self._life = life

    async def _lifetime(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if not self.closed:
                await self.aclose()

    def untie(self) -> None:
        """End the lifetime generator without running the loop (the pool is closed otherwise)."""
        life, self._life = self._life, None
        self.closed = True
        if life is not None:
            with contextlib.suppress(StopIteration, RuntimeError):
                life.aclose().send(None)

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
        self.closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self._open -= 1
            await conn.close()
        self.untie()

    def terminate(self) -> None:
        """Drop idle connections from outside this pool's loop (it may be closed or elsewhere)."""
        self.untie()
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        if self.loop.is_closed() or not self.loop.is_running():
            for conn in idle:
                conn.terminate()
        else:
            for conn in idle:
                self.loop.call_soon_threadsafe(conn.terminate)


class PooledSync(Protocol):
    """What ``SyncPool`` needs of a sync server connection (``LoopConnection``, psycopg's)."""

    fresh: bool

    @property
    def in_transaction(self) -> bool: ...

    def alive(self, probe: bool = True) -> bool: ...

    def terminate(self) -> None: ...

    def close(self) -> None: ...


class SyncPool:
    """Sync connections shared by threads; one thread uses a connection at a time."""

    def __init__(self, connect: Callable[[], PooledSync], options: DatabaseOptions) -> None:
        self._connect = connect
        self._size = options.pool_size
        self._min = options.min_pool_size
        self._timeout = options.connect_timeout
        self._idle: list[PooledSync] = []
        self._open = 0
        #: guards the idle list and the counts; ``_cond`` (on the same lock) wakes a waiting
        #: caller. The hot path (an idle connection there, nobody waiting) takes the plain lock
        #: only: ``Condition``'s ``with`` and ``notify`` are Python code
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        #: callers waiting in ``_cond.wait`` (under the lock)
        self._waiting = 0
        self.closed = False

    def _warm(self) -> None:
        """Open ``min_pool_size`` connections into the pool (the caller takes one of them)."""
        with self._cond:
            count, self._min = max(0, min(self._min, self._size) - self._open), 0
            self._open += count
        for _ in range(count):
            try:
                conn = self._connect()
            except BaseException:
                with self._cond:
                    self._open -= 1
                    self._cond.notify()
                raise
            self.release(conn)

    def acquire(self) -> PooledSync:
        if self._min:
            self._warm()
        with self._lock:  # the hot path: an idle connection that is still alive
            idle = self._idle
            while idle and not self.closed:
                conn = idle.pop()
                if conn.alive():  # nobody read its socket while idle: probe it
                    conn.fresh = True
                    return conn
                self._open -= 1
                conn.terminate()
        return self._acquire_waiting()

    def _acquire_waiting(self) -> PooledSync:
        """No idle connection: open one if ``pool_size`` allows, else wait for one."""
        deadline = time.monotonic() + self._timeout
        with self._lock:
            while True:
                if self.closed:
                    raise exc.InterfaceError("the database is closed")
                while self._idle:
                    conn = self._idle.pop()
                    if conn.alive():
                        conn.fresh = True
                        return conn
                    self._open -= 1
                    conn.terminate()
                if self._open < self._size:
                    self._open += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._wait(remaining):
                    raise exc.OperationalError(
                        f"timed out after {self._timeout}s waiting for one of {self._size} pooled "
                        "connections (raise pool_size or connect_timeout)"
                    )
        try:
            return self._connect()
        except BaseException:
            with self._lock:
                self._open -= 1
                if self._waiting:
                    self._cond.notify()
            raise

    def _wait(self, timeout: float) -> bool:
        """Wait (holding the lock) until a release notifies, or ``timeout`` seconds."""
        self._waiting += 1
        try:
            return self._cond.wait(timeout)
        finally:
            self._waiting -= 1

    def release(self, conn: PooledSync, *, discard: bool = False) -> None:
        drop = discard or self.closed or conn.in_transaction or not conn.alive(probe=False)
        with self._lock:
            if drop:
                self._open -= 1
            else:
                self._idle.append(conn)
            if self._waiting:
                self._cond.notify()
        if drop:
            conn.terminate()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()


class ServerBackend(Backend):
    """A backend with an async pool per event loop and one sync pool (see the module docstring)."""

    hold_per_request = True

    @property
    def closed(self) -> bool:
        return self._closed

    def __init__(self, url: DatabaseURL, options: DatabaseOptions) -> None:
        if not 0 <= options.min_pool_size <= options.pool_size:
            raise exc.ImproperlyConfigured(
                f"min_pool_size ({options.min_pool_size}) must be between 0 and pool_size "
                f"({options.pool_size})"
            )
        super().__init__(url, options)
        self._apools: dict[asyncio.AbstractEventLoop, AsyncPool] = {}
        self._spool = SyncPool(self.connect_sync, options)
        self._closed = False

    @abstractmethod
    async def connect(self) -> ServerConnection:
        """Open one async driver connection on the running loop, session set up (UTC, ...)."""

    @abstractmethod
    def connect_sync(self) -> PooledSync:
        """Open one sync connection (a ``SyncConnection``), its session set up the same way."""

    # -- sync -------------------------------------------------------------------------------
    def acquire(self) -> SyncConnection:
        # connect_sync() makes SyncConnections; no isinstance() here: an ABC's check is a
        # Python-level call on every statement
        return self._spool.acquire()  # type: ignore[return-value]

    def release(self, conn: SyncConnection, *, discard: bool = False) -> None:
        self._spool.release(conn, discard=discard)  # type: ignore[arg-type]

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
            pool.tie()
        elif pool.closed:  # closed at the loop's shutdown, and the loop is still in use
            pool = self._apools[loop] = AsyncPool(self.connect, self.options)
            pool.tie()
        return pool

    async def aacquire(self) -> AsyncConnection:
        return await self._pool().acquire()

    async def arelease(self, conn: AsyncConnection, *, discard: bool = False) -> None:
        assert isinstance(conn, ServerConnection)
        pool = self._apools.get(asyncio.get_running_loop())
        if pool is None or pool.closed or self._closed:
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

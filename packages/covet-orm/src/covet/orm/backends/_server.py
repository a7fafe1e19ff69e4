"""Pools and the sync executor shared by the PostgreSQL and MySQL/MariaDB backends.

Both server backends speak to the database through one async driver (asyncpg, asyncmy):

* The async API uses a pool per event loop (``AsyncPool``), keyed by the running loop, because a
  driver connection belongs to the loop that opened it.
* The sync API uses the same driver connections, each paired with a private event loop that is
  *not* running in any thread (``LoopConnection``). A sync call runs the driver coroutine with
  ``loop.run_until_complete`` in the calling thread: no thread switch per statement, and the pool
  (``SyncPool``) hands a (connection, loop) pair to one thread at a time. This was chosen by
  measurement over a loop thread (two thread switches per statement) and over sync drivers
  (psycopg 3 / PyMySQL); see docs/orm-backends.md and scripts/bench/orm/sync_path.py.

Dead idle connections (server restarted, ``pg_terminate_backend``, MariaDB ``KILL``) are replaced
when they are checked out; a statement that fails because the connection died is retried once on a
new connection only when it is the first statement after check-out, outside a transaction, and
either read-only or known not to have run (see ``ServerConnection.retryable``).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import threading
import time
from abc import abstractmethod
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from covet.orm import _exceptions as exc
from covet.orm.backends.base import (
    AsyncConnection,
    Backend,
    DatabaseOptions,
    DatabaseURL,
    ExecResult,
    Params,
    Row,
    SyncConnection,
)
from covet.orm.sql.dialect import Dialect

T = TypeVar("T")

_READ_ONLY = ("SELECT", "SHOW", "EXPLAIN", "VALUES")


def is_read_only(sql: str) -> bool:
    """True for statements that cannot change data (safe to run twice)."""
    head = sql.lstrip()[:8].upper()
    return head.startswith(_READ_ONLY) and " FOR UPDATE" not in sql.upper()


def socket_readable(fileno: int) -> bool:
    """True when an idle connection's socket has something to read: EOF or a server goodbye."""
    if fileno < 0:
        return True
    try:
        readable, _, _ = select.select([fileno], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def drop_transport(transport: Any) -> None:
    """Close a driver's asyncio transport now, even when its event loop is already closed.

    ``transport.abort()`` schedules the socket's close on the loop; a closed loop (``asyncio.run``
    has returned, a test's loop is gone) would never run it and the socket would leak.
    """
    if transport is None:
        return
    loop = getattr(transport, "_loop", None)
    if loop is not None and not loop.is_closed():
        transport.abort()
        return
    sock = getattr(transport, "_sock", None)  # selector transports: close the socket ourselves
    if sock is not None:
        sock.close()
        transport._sock = None
    transport._closing = True


class ServerConnection(AsyncConnection):
    """An async driver connection with transaction tracking and one guarded retry.

    Subclasses implement the ``_do_*`` methods with the raw driver (raising driver errors), plus
    ``translate``, ``lost`` and the connection lifecycle (``_connect``, ``alive``, ``terminate``).
    """

    def __init__(self, dialect: Dialect, connect: Callable[[], Awaitable[Any]], raw: Any) -> None:
        self.dialect = dialect
        self._connect = connect
        self.raw = raw
        self.in_transaction = False
        #: no statement has run since the pool handed this connection out
        self.fresh = True

    # -- driver specifics -------------------------------------------------------------------
    @abstractmethod
    async def _do_execute(self, sql: str, params: Params) -> ExecResult: ...

    @abstractmethod
    async def _do_executemany(self, sql: str, seq: list[Params]) -> int: ...

    @abstractmethod
    async def _do_fetch_all(self, sql: str, params: Params) -> list[Row]: ...

    @abstractmethod
    async def _do_fetch_one(self, sql: str, params: Params) -> Row | None: ...

    @abstractmethod
    async def _do_fetch_columns(self, sql: str, params: Params) -> tuple[list[str], list[Row]]: ...

    @abstractmethod
    def translate(self, error: BaseException) -> exc.DatabaseError | None:
        """The covet.orm error for a driver error, or None if ``error`` is not a driver error."""

    @abstractmethod
    def not_executed(self, error: BaseException) -> bool:
        """True when the server reported that the statement did not run (it was shut down)."""

    @abstractmethod
    def alive(self) -> bool:
        """Cheap check on check-out: not closed and nothing unsolicited on the socket."""

    @abstractmethod
    def terminate(self) -> None:
        """Drop the connection without a goodbye (any thread, loop running or not)."""

    @abstractmethod
    async def _close_raw(self) -> None: ...

    # -- the guarded call ---------------------------------------------------------------------
    def retryable(self, error: exc.DatabaseError, cause: BaseException, sql: str) -> bool:
        """Retry only a dead idle connection's first statement, outside a transaction, and only
        when the statement is read-only or the server said it did not run."""
        if not self.fresh or self.in_transaction or not isinstance(error, exc.OperationalError):
            return False
        if self.alive():  # the connection survived: a real error, not a dead socket
            return False
        return is_read_only(sql) or self.not_executed(cause)

    async def _call(self, op: Callable[..., Awaitable[T]], sql: str, params: Any) -> T:
        try:
            result = await op(sql, params)
        except Exception as error:
            translated = self.translate(error)
            if translated is None:
                raise
            if not isinstance(translated, exc.OperationalError) and not self.alive():
                # whatever the driver said, the connection is gone: that is a lost connection
                translated = exc.OperationalError(f"connection lost: {translated}", error)
            if not self.retryable(translated, error, sql):
                raise translated from error
            self.terminate()
            try:
                self.raw = await self._connect()
            except exc.DatabaseError:
                raise translated from error
            try:
                result = await op(sql, params)
            except Exception as again:
                translated = self.translate(again)
                if translated is None:
                    raise
                raise translated from again
        self.fresh = False
        return result

    # -- AsyncConnection ----------------------------------------------------------------------
    async def execute(self, sql: str, params: Params = ()) -> ExecResult:
        return await self._call(self._do_execute, sql, params)

    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        return await self._call(self._do_executemany, sql, list(seq_of_params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._call(self._do_fetch_all, sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._call(self._do_fetch_one, sql, params)

    async def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        return await self._call(self._do_fetch_columns, sql, params)

    async def begin(self) -> None:
        await self.execute(self.dialect.begin_sql)
        self.in_transaction = True

    async def commit(self) -> None:
        try:
            await self.execute("COMMIT")
        finally:
            self.in_transaction = False

    async def rollback(self) -> None:
        """Roll back; on a connection the server has dropped, the server already did."""
        try:
            if self.alive():
                await self.execute("ROLLBACK")
        except exc.DatabaseError:
            if self.alive():
                raise
        finally:
            self.in_transaction = False

    async def close(self) -> None:
        try:
            await self._close_raw()
        except Exception:
            self.terminate()


def drive(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, T],
    on_interrupt: Callable[[], None] | None = None,
) -> T:
    """Run ``coro`` to completion on ``loop`` in this thread: ``run_until_complete`` without a Task.

    The coroutine is stepped directly; whenever it waits on a future, the loop runs one iteration at
    a time (its selector blocks until the driver's socket is readable or a timer is due) until the
    future is done. This skips the Task, the run_forever set-up and the stop round of
    ``run_until_complete``: about a quarter of the per-statement cost on a loaded machine
    (scripts/bench/orm/sync_path.py). ``loop`` must be a ``BaseEventLoop`` no other thread runs.
    If waiting is interrupted (Ctrl-C), the coroutine is closed, ``on_interrupt`` runs (the
    connection is mid-statement: drop it) and the exception propagates unchanged.
    """
    run_once = loop._run_once  # type: ignore[attr-defined]
    asyncio._set_running_loop(loop)
    try:
        send, value = coro.send, None
        while True:
            try:
                fut = send(value)
            except StopIteration as stop:
                result: T = stop.value
                return result
            if fut is not None:
                try:
                    while not fut.done():
                        run_once()
                except BaseException:
                    coro.close()
                    if on_interrupt is not None:
                        on_interrupt()
                    raise
    finally:
        asyncio._set_running_loop(None)


class LoopConnection(SyncConnection):
    """A ``ServerConnection`` driven from sync code on its own (not running) event loop."""

    __slots__ = ("aconn", "dialect", "loop")

    def __init__(self, aconn: ServerConnection, loop: asyncio.AbstractEventLoop) -> None:
        self.aconn = aconn
        self.loop = loop
        self.dialect = aconn.dialect

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if asyncio._get_running_loop() is not None:
            coro.close()
            raise exc.SynchronousOnlyError("Database.execute")
        return drive(self.loop, coro, self.aconn.terminate)

    def execute(self, sql: str, params: Params = ()) -> ExecResult:
        return self._run(self.aconn.execute(sql, params))

    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        return self._run(self.aconn.executemany(sql, seq_of_params))

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._run(self.aconn.fetch_all(sql, params))

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return self._run(self.aconn.fetch_one(sql, params))

    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        return self._run(self.aconn.fetch_columns(sql, params))

    def begin(self) -> None:
        self._run(self.aconn.begin())

    def commit(self) -> None:
        self._run(self.aconn.commit())

    def rollback(self) -> None:
        self._run(self.aconn.rollback())

    def close(self) -> None:
        try:
            if not self.loop.is_closed():
                self._run(asyncio.wait_for(self.aconn.close(), 5))
        except Exception:
            self.aconn.terminate()
        finally:
            if not self.loop.is_closed():
                self.loop.close()


class AsyncPool:
    """Connections of one event loop: at most ``size`` open, idle ones reused last-in first-out."""

    def __init__(
        self, connect: Callable[[], Awaitable[ServerConnection]], options: DatabaseOptions
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self._connect = connect
        self._size = options.pool_size
        self._timeout = options.connect_timeout
        self._idle: list[ServerConnection] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> ServerConnection:
        deadline = self.loop.time() + self._timeout
        while True:
            while self._idle:
                conn = self._idle.pop()
                if conn.alive():
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
        if discard or conn.in_transaction or not conn.alive():
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
        self._timeout = options.connect_timeout
        self._idle: list[LoopConnection] = []
        self._open = 0
        self._cond = threading.Condition(threading.Lock())
        self.closed = False

    def acquire(self) -> LoopConnection:
        deadline = time.monotonic() + self._timeout
        with self._cond:
            while True:
                if self.closed:
                    raise exc.InterfaceError("the database is closed")
                while self._idle:
                    conn = self._idle.pop()
                    if conn.aconn.alive():
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
        loop = asyncio.SelectorEventLoop()  # a BaseEventLoop: drive() steps it directly
        try:
            aconn = loop.run_until_complete(self._connect())
        except BaseException:
            loop.close()
            with self._cond:
                self._open -= 1
                self._cond.notify()
            raise
        return LoopConnection(aconn, loop)

    def release(self, conn: LoopConnection, *, discard: bool = False) -> None:
        drop = discard or self.closed or conn.aconn.in_transaction or not conn.aconn.alive()
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

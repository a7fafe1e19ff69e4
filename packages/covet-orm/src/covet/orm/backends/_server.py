"""Connections and the sync executor shared by the PostgreSQL and MySQL/MariaDB backends.

Both server backends speak to the database through one async driver (asyncpg, asyncmy):

* The async API uses a pool per event loop (``AsyncPool``), keyed by the running loop, because a
  driver connection belongs to the loop that opened it.
* The sync API uses the same driver connections, each paired with a private event loop that is
  *not* running in any thread (``LoopConnection``). A sync call steps the driver coroutine on that
  loop in the calling thread (``drive``): no thread switch per statement, and the pool
  (``SyncPool`` in ``_pools``) hands a (connection, loop) pair to one thread at a time. This was
  chosen by measurement over a loop thread (two thread switches per statement) and over sync
  drivers (psycopg 3 / PyMySQL); see docs/orm-backends.md and scripts/bench/orm/sync_path.py.

Dead idle connections (server restarted, ``pg_terminate_backend``, MariaDB ``KILL``) are replaced
when they are checked out; a statement that fails because the connection died is retried once on a
new connection only when it is the first statement after check-out, outside a transaction, and
either read-only or known not to have run (see ``ServerConnection.retryable``).
"""

from __future__ import annotations

import asyncio
import select
import time
from abc import abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

import anyio

from covet.orm import _exceptions as exc
from covet.orm.backends.base import (
    AsyncConnection,
    ExecResult,
    Params,
    Row,
    SyncConnection,
)
from covet.orm.sql.dialect import Dialect

T = TypeVar("T")

_READ_ONLY = ("SELECT", "SHOW", "VALUES")


def is_read_only(sql: str) -> bool:
    """True for statements safe to run twice: plain reads. A SELECT calling a function with side
    effects is the caller's risk; EXPLAIN is excluded (EXPLAIN ANALYZE runs its statement)."""
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
    def alive(self, probe: bool = True) -> bool:
        """Not closed, by the driver's own flags; with ``probe``, also nothing unsolicited waiting
        on the socket (one ``select``): needed when no loop has been reading it (sync pairs)."""

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

    async def cancelled(self) -> None:
        """The running statement was cancelled: stop it on the server and leave this connection
        clean, or dead (``terminate``) so that the pool drops it. Runs shielded from
        cancellation; must bound its own time. Default: nothing (the driver handles it)."""

    def refused_by_driver(self, error: BaseException) -> bool:
        """True when the driver raised ``error`` itself, mid-exchange, without the server
        having answered (see ``resync``). Default: never."""
        return False

    async def resync(self) -> None:
        """Bring the session back to idle after ``refused_by_driver``: asyncpg that refuses a
        parameter after it sent Parse leaves the server holding the statement's table locks
        until the next command, and a pooled connection could sit like that for hours,
        blocking every ALTER/DROP/TRUNCATE of the table. One round trip ends it; a connection
        that cannot make it is dropped."""
        try:
            await self._do_execute("SELECT 1", ())
        except Exception as error:
            # the server answering with an error (a transaction already aborted) is in step too
            if self.refused_by_driver(error) or not self.alive(probe=False):
                self.terminate()

    async def _call(self, op: Callable[..., Awaitable[T]], sql: str, params: Any) -> T:
        try:
            result = await self._guarded(op, sql, params)
        except asyncio.CancelledError:
            with anyio.CancelScope(shield=True):
                await self.cancelled()
            raise
        self.fresh = False
        return result

    async def _guarded(self, op: Callable[..., Awaitable[T]], sql: str, params: Any) -> T:
        try:
            return await op(sql, params)
        except Exception as error:
            translated = self.translate(error)
            if translated is None:
                raise
            if self.refused_by_driver(error) and self.alive(probe=False):
                await self.resync()
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
                return await op(sql, params)
            except Exception as again:
                translated = self.translate(again)
                if translated is None:
                    raise
                raise translated from again

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


def transport_quiet(transport: Any) -> bool:
    """The connection's socket exists and has nothing unsolicited waiting on it (a server that
    closed it, or an error packet nobody asked for): ``alive(probe=True)`` for both drivers."""
    sock = transport.get_extra_info("socket") if transport is not None else None
    return sock is not None and not socket_readable(sock.fileno())


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
    If waiting is interrupted (Ctrl-C), the statement is cancelled the way a cancelled Task
    cancels it (``_unwind``: asyncpg sends a CancelRequest, covet's MariaDB connection KILLs its
    query), so the server stops instead of running it to the end; then ``on_interrupt`` runs (the
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
                    _interrupted(loop, coro, fut, on_interrupt)
                    raise  # the interruption itself, whatever happened while unwinding
    finally:
        asyncio._set_running_loop(None)


#: seconds an interrupted sync call spends cancelling its statement on the server
UNWIND_TIMEOUT = 5.0


def _interrupted(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any],
    fut: Any,
    on_interrupt: Callable[[], None] | None,
) -> None:
    """Clean up after an interrupted wait; never raises (the caller re-raises the interruption).

    Cancel the future ``coro`` waits on and let ``coro`` finish as a Task, so the cancellation
    code in it (timeouts, shields, MariaDB's KILL) runs as it does in the async API, then run
    what the driver started meanwhile (asyncpg's CancelRequest), all within ``UNWIND_TIMEOUT``.
    A second interruption, or the time running out, abandons that: the task is cancelled and
    left (its coroutine is the task's to close), and ``on_interrupt`` drops the connection."""
    task: asyncio.Task[Any] | None = None
    try:
        fut.cancel()
        task = loop.create_task(coro)  # resumes it at its await: CancelledError raised inside
        _settle(loop, task, UNWIND_TIMEOUT)
    except BaseException:  # noqa: S110 - a second Ctrl-C while unwinding: stop unwinding
        pass
    finally:
        try:
            if task is None:
                coro.close()
            elif not task.done():
                task.cancel()
                _settle(loop, task, 0.2)
            elif not task.cancelled():
                task.exception()  # retrieved: the interruption's aftermath, not news
        except BaseException:  # noqa: S110 - nothing here may replace the interruption
            pass
        finally:
            if on_interrupt is not None:
                on_interrupt()


def _settle(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], timeout: float) -> None:
    """Run ``loop`` until ``task`` and every task started meanwhile are done, or ``timeout``."""
    run_once = loop._run_once  # type: ignore[attr-defined]
    ready = loop._ready  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    wake = loop.call_later(timeout, lambda: None)  # so a blocking run_once returns in time
    try:
        while time.monotonic() < deadline:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            if task.done() and not pending and not ready:
                return
            run_once()
    finally:
        wake.cancel()


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

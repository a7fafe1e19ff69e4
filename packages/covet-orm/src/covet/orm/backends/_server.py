"""Connections shared by the PostgreSQL and MySQL/MariaDB backends.

* ``ServerConnection``: an async driver connection (asyncpg, asyncmy) with transaction tracking,
  cancellation that reaches the server, an optional client-side statement deadline, and one
  guarded retry. The async API uses it directly, from a pool per event loop.
* ``LoopConnection``: the sync API's view of a ``ServerConnection`` that lives on a private event
  loop no other thread runs; each call is one ``loop.run_until_complete`` in the calling thread
  (public asyncio API only). MariaDB's sync API uses it; PostgreSQL's uses psycopg 3 instead
  (``backends/postgres.py``), chosen by measurement (docs/orm-backends.md).
* ``Watchdog``: a deadline for blocking sync drivers that have no timeout of their own.

Dead idle connections (server restarted, ``pg_terminate_backend``, MariaDB ``KILL``) are replaced
when they are checked out; a statement that fails because the connection died is retried once on a
new connection only when it is the first statement after check-out, outside a transaction, and
either read-only or known not to have run (``may_retry``).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import threading
import time
from abc import abstractmethod
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
)
from typing import Any, Protocol, TypeVar

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

#: seconds an interrupted sync call spends cancelling its statement on the server
UNWIND_TIMEOUT = 5.0
#: seconds past ``command_timeout`` before the client gives up on a server that does not answer
#: (the server's own statement timeout, set to ``command_timeout``, normally ends it first)
CLIENT_GRACE = 1.0


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


def may_retry(conn: Guarded, error: exc.DatabaseError, cause: BaseException, sql: str) -> bool:
    """Retry only a dead idle connection's first statement, outside a transaction, and only when
    the statement is read-only or the server (or driver) said it did not run."""
    if not conn.fresh or conn.in_transaction or not isinstance(error, exc.OperationalError):
        return False
    if conn.alive(probe=False):  # the connection survived: a real error, not a dead socket
        return False
    return is_read_only(sql) or conn.not_executed(cause)


class Guarded(Protocol):
    fresh: bool
    in_transaction: bool

    def alive(self, probe: bool = True) -> bool: ...

    def not_executed(self, error: BaseException) -> bool: ...


def refuse_on_event_loop(method: str = "Database.execute") -> None:
    """A blocking call on a thread that runs an event loop would stall it: refuse."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise exc.SynchronousOnlyError(method)


class ServerConnection(AsyncConnection):
    """An async driver connection with transaction tracking and one guarded retry.

    Subclasses implement the ``_do_*`` methods with the raw driver (raising driver errors), plus
    ``translate``, ``not_executed`` and the connection lifecycle (``alive``, ``terminate``,
    ``_close_raw``); ``_connect`` opens a new raw connection for the retry.
    """

    #: client-side deadline of one statement (None: the driver keeps its own, or none)
    timeout: float | None = None

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
    def stream(self, sql: str, params: Params, chunk_size: int) -> AsyncGenerator[list[Row], None]:
        """Rows in chunks of at most ``chunk_size``, read from the server as they are needed."""

    @abstractmethod
    def translate(self, error: BaseException) -> exc.DatabaseError | None:
        """The covet.orm error for a driver error, or None if ``error`` is not a driver error."""

    @abstractmethod
    def not_executed(self, error: BaseException) -> bool:
        """True when the statement certainly did not run (refused before sending, or the server
        said it shut down before running it)."""

    @abstractmethod
    def alive(self, probe: bool = True) -> bool:
        """Not closed, by the driver's own flags (the pool's loop has been reading the socket,
        so they are current); ``probe`` is for sync connections whose socket nobody reads."""

    @abstractmethod
    def terminate(self) -> None:
        """Drop the connection without a goodbye."""

    @abstractmethod
    async def _close_raw(self) -> None: ...

    # -- the guarded call ---------------------------------------------------------------------
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
        if self.timeout is None:
            result = await self._cancellable(op, sql, params)
        else:
            try:
                async with asyncio.timeout(self.timeout):
                    result = await self._cancellable(op, sql, params)
            except TimeoutError as error:
                raise exc.OperationalError(
                    f"the server did not answer within {self.timeout:g}s (command_timeout); "
                    "the statement was cancelled and the connection dropped",
                    error,
                ) from error
        self.fresh = False
        return result

    async def _cancellable(self, op: Callable[..., Awaitable[T]], sql: str, params: Any) -> T:
        try:
            return await self._guarded(op, sql, params)
        except asyncio.CancelledError:
            with anyio.CancelScope(shield=True):
                await self.cancelled()
            raise

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
            if not may_retry(self, translated, error, sql):
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


class LoopConnection(SyncConnection):
    """A ``ServerConnection`` used from sync code, on its own event loop that no thread runs.

    Each call is ``loop.run_until_complete`` in the calling thread: no thread switch, and the pool
    hands the pair to one thread at a time. If Ctrl-C (or any exception raised by a signal
    handler) interrupts the wait, the statement's task is cancelled and given up to
    ``UNWIND_TIMEOUT`` seconds to stop the statement on the server, exactly as a cancelled task of
    the async API does (a second interruption skips that); the connection is then dropped and the
    interruption propagates unchanged.
    """

    __slots__ = ("aconn", "dialect", "loop")

    def __init__(self, aconn: ServerConnection, loop: asyncio.AbstractEventLoop) -> None:
        self.aconn = aconn
        self.loop = loop
        self.dialect = aconn.dialect

    # the pool's view
    @property
    def fresh(self) -> bool:
        return self.aconn.fresh

    @fresh.setter
    def fresh(self, value: bool) -> None:
        self.aconn.fresh = value

    @property
    def in_transaction(self) -> bool:
        return self.aconn.in_transaction

    def alive(self, probe: bool = True) -> bool:
        """``probe``: nobody reads an idle connection's socket, so look at it (``aconn``)."""
        return self.aconn.alive(probe)

    def terminate(self) -> None:
        self.aconn.terminate()
        if not self.loop.is_closed():
            with contextlib.suppress(Exception):  # let the transport finish closing
                self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            refuse_on_event_loop()
        except BaseException:
            coro.close()
            raise
        task = self.loop.create_task(coro)
        try:
            return self.loop.run_until_complete(task)
        except BaseException:
            if not task.done():  # interrupted while waiting: stop the statement, then drop
                self._unwind(task)
            raise

    def _unwind(self, task: asyncio.Task[Any]) -> None:
        """Cancel the interrupted task and let its cancellation code (asyncmy's KILL) run, for at
        most ``UNWIND_TIMEOUT`` seconds; never raises (the caller re-raises the interruption)."""
        loop = self.loop
        try:
            task.cancel()
            loop.run_until_complete(asyncio.wait([task], timeout=UNWIND_TIMEOUT))
        except BaseException:  # noqa: S110 - a second Ctrl-C while unwinding: stop unwinding
            pass
        finally:
            try:
                if not task.done():
                    task.cancel()
                    loop.run_until_complete(asyncio.wait([task], timeout=0.2))
                if task.done() and not task.cancelled():
                    task.exception()  # retrieved: the interruption's aftermath, not news
            except BaseException:  # noqa: S110 - nothing here may replace the interruption
                pass
            finally:
                self.terminate()

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

    def stream(self, sql: str, params: Params, chunk_size: int) -> Generator[list[Row], None, None]:
        chunks = self.aconn.stream(sql, params, chunk_size)
        try:
            while True:
                try:
                    yield self._run(_anext(chunks))
                except StopAsyncIteration:
                    return
        finally:
            if not self.loop.is_closed():
                self._run(chunks.aclose())

    def begin(self) -> None:
        self._run(self.aconn.begin())

    def commit(self) -> None:
        self._run(self.aconn.commit())

    def rollback(self) -> None:
        self._run(self.aconn.rollback())

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self._run(self.aconn.close())
        except Exception:
            self.aconn.terminate()
        finally:
            self.loop.close()


async def _anext(chunks: AsyncIterator[list[Row]]) -> list[Row]:
    return await chunks.__anext__()


class Watchdog:
    """Ends sync statements that outlive ``command_timeout`` when the server does not.

    A sync driver blocked on a socket (psycopg waiting for a frozen server or a broken network)
    has no deadline of its own. One daemon thread per database, started on first use, checks the
    running statements every ``interval`` seconds and calls ``abort`` (which must unblock the
    waiting thread: shut its socket down) on those past their deadline. A statement costs two
    dictionary writes, no lock; ``abort`` runs under the lock that ``done`` takes, so a statement
    that just finished is never aborted by mistake.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.interval = min(0.25, limit / 4)
        self._running: dict[int, tuple[float, Callable[[], None]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, key: int, abort: Callable[[], None]) -> None:
        self._running[key] = (time.monotonic() + self.limit, abort)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._watch, name="covet-orm-watchdog", daemon=True
                    )
                    self._thread.start()

    def done(self, key: int) -> None:
        with self._lock:
            self._running.pop(key, None)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            for key, entry in list(self._running.items()):
                if entry[0] > now:
                    continue
                with self._lock:
                    if self._running.get(key) is not entry:
                        continue
                    del self._running[key]
                    try:
                        entry[1]()
                    except Exception:  # noqa: S112 - the statement's thread reports the error
                        continue

    def stop(self) -> None:
        self._stop.set()

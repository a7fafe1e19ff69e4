"""Connections shared by the PostgreSQL and MySQL/MariaDB backends.

* ``ServerConnection``: an async driver connection (asyncpg, asyncmy) with transaction tracking,
  cancellation that reaches the server, an optional client-side statement deadline, and one
  guarded retry. The async API uses it directly, from a pool per event loop.
* ``LoopConnection``: the sync API's view of a ``ServerConnection`` that lives on a private event
  loop no other thread runs; each call drives the driver's coroutine in the calling thread and
  turns the loop only while it waits (public asyncio API only). MariaDB's sync API uses it;
  PostgreSQL's uses psycopg 3 instead (``backends/postgres.py``), chosen by measurement
  (docs/orm-backends.md).
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
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
)
from sys import get_asyncgen_hooks
from typing import Any, Protocol, TypeVar

import anyio

from covet.orm import _exceptions as exc
from covet.orm.backends.base import (
    AsyncConnection,
    ExecResult,
    Params,
    Row,
    SyncConnection,
    loop_running,
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


def socket_readable(fileno: int, timeout: float = 0) -> bool:
    """True when a socket has something to read (for an idle connection: EOF or a server
    goodbye), waiting up to ``timeout`` seconds for it."""
    if fileno < 0:
        return True
    try:
        readable, _, _ = select.select([fileno], [], [], timeout)
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
    if loop_running():
        raise exc.SynchronousOnlyError(method)


def shielded() -> contextlib.AbstractContextManager[Any]:
    """anyio's shield from cancellation, for cleanup that must finish; where no event loop runs
    (a coroutine ``LoopConnection`` drives itself) nothing can cancel it, and there is no task
    to shield."""
    return anyio.CancelScope(shield=True) if loop_running() else contextlib.nullcontext()


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
        call = self._guarded(op, sql, params)
        if self.timeout is None:  # the hot path: no frame more than it needs
            result = await self._cancellable(call)
        else:
            result = await self._bounded(call)
        self.fresh = False
        return result

    async def recover(
        self, op: Callable[..., Awaitable[T]], sql: str, params: Any, error: Exception
    ) -> T:
        """What ``_call`` does after ``op(sql, params)`` raised ``error``, for a caller that ran
        ``op`` itself (``LoopConnection``): translate, resync, or retry once."""
        result = await self._bounded(self._recover(op, sql, params, error))
        self.fresh = False
        return result

    def timeout_error(self, error: BaseException) -> exc.OperationalError:
        return exc.OperationalError(
            f"the server did not answer within {self.timeout:g}s (command_timeout); "
            "the statement was cancelled and the connection dropped",
            error,
        )

    async def _bounded(self, call: Coroutine[Any, Any, T]) -> T:
        """``call`` within ``timeout``; a cancelled call first stops its statement."""
        if self.timeout is None:
            return await self._cancellable(call)
        try:
            async with asyncio.timeout(self.timeout):
                return await self._cancellable(call)
        except TimeoutError as error:
            raise self.timeout_error(error) from error

    async def _cancellable(self, call: Coroutine[Any, Any, T]) -> T:
        try:
            return await call
        except asyncio.CancelledError:
            with anyio.CancelScope(shield=True):
                await self.cancelled()
            raise

    async def _guarded(self, op: Callable[..., Awaitable[T]], sql: str, params: Any) -> T:
        try:
            return await op(sql, params)
        except Exception as error:
            return await self._recover(op, sql, params, error)

    async def _recover(
        self, op: Callable[..., Awaitable[T]], sql: str, params: Any, error: Exception
    ) -> T:
        translated = self.translate(error)
        if translated is None:
            raise error
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


class PrivateLoop(asyncio.SelectorEventLoop):
    """The event loop of one ``LoopConnection``, which no thread runs: the connection turns it
    only while its driver waits for ``waiting_for``. Its futures (``create_future``, the
    extension point asyncio gives loops) stop it in the turn that completes that one, so the
    wait is a single turn in which the loop itself blocks until the socket is readable (or its
    next timer is due), as a task's await is, instead of one more turn to run a done callback
    that stops it. asyncio's own loop, with its selector, timers and transports: only the
    futures differ."""

    #: the future a sync call waits for while it turns the loop (else None)
    waiting_for: asyncio.Future[Any] | None = None

    def create_future(self) -> asyncio.Future[Any]:
        return _Awaitable(loop=self)

    def turn_until(self, waited: asyncio.Future[Any]) -> None:
        """Turn until ``waited``, one of this loop's futures, is done (or cancelled): usually a
        single turn, which completing it stops."""
        self.waiting_for = waited
        try:
            while not waited.done():
                self.run_forever()
        finally:
            self.waiting_for = None


_future_set_result = asyncio.Future.set_result
_future_set_exception = asyncio.Future.set_exception
_future_cancel = asyncio.Future.cancel


class _Awaitable(asyncio.Future):  # type: ignore[type-arg]
    """A future of ``PrivateLoop``: the loop stops when the one it waits for is done. (Its
    methods call ``asyncio.Future``'s directly: ``super()`` costs a tenth of a microsecond
    more, on every wait.)"""

    __slots__ = ()

    def set_result(self, result: Any) -> None:
        _future_set_result(self, result)
        loop = self.get_loop()
        if loop.waiting_for is self:  # type: ignore[attr-defined]
            loop.stop()

    def set_exception(self, exception: type | BaseException) -> None:
        _future_set_exception(self, exception)
        loop = self.get_loop()
        if loop.waiting_for is self:  # type: ignore[attr-defined]
            loop.stop()

    def cancel(self, msg: Any | None = None) -> bool:
        cancelled = _future_cancel(self, msg)
        loop = self.get_loop()
        if loop.waiting_for is self:  # type: ignore[attr-defined]
            loop.stop()
        return cancelled


class LoopConnection(SyncConnection):
    """A ``ServerConnection`` used from sync code, on its own event loop that no thread runs.

    A statement is the driver's coroutine driven in the calling thread (``_drive``): it runs
    until it waits for a future of the loop (the server's answer), then the loop turns until that
    future is done, and so on. The loop is a ``PrivateLoop``: its own selector blocks until the
    socket is readable (or its next timer, or the driver's unsent bytes, need it), and the future
    that completes stops it in that same turn: one turn and one read per wait, as a task's
    ``await`` costs. No Task per statement, and the loop turns only while the driver waits: a
    stream's next chunk that is already in the driver's buffer is read without turning it (every
    turn would read more of the result from the socket, ahead of the caller, so an
    ``iterator()`` would end up holding most of its result). Whatever needs a task of its own
    (connecting, recovering from an error, cancelling a statement with ``KILL``, closing) runs
    as one (``_run``).

    ``command_timeout``: past ``aconn.timeout`` the awaited future is cancelled, as a cancelled
    task's would be; the driver then drops its half-read connection, ``aconn.cancelled()`` stops
    the statement on the server, and the caller gets ``OperationalError``. If Ctrl-C (or any
    exception raised by a signal handler) interrupts the wait, the statement is cancelled the same
    way, with up to ``UNWIND_TIMEOUT`` seconds for ``aconn.cancelled()`` (a second interruption
    skips that); the connection is then dropped and the interruption propagates unchanged.
    """

    __slots__ = ("_stop", "aconn", "dialect", "loop")

    def __init__(self, aconn: ServerConnection, loop: PrivateLoop) -> None:
        self.aconn = aconn
        self.loop = loop
        self.dialect = aconn.dialect
        self._stop: Callable[[asyncio.Future[Any]], None] = lambda _: loop.stop()

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
        self._close_loop()

    def _close_loop(self) -> None:
        """Close the loop once nothing is left on it: tasks still pending are cancelled and
        callbacks still queued run (a closed transport's last one closes its socket), so no
        socket waits for the garbage collector."""
        loop = self.loop
        if loop.is_closed():
            return
        try:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.wait(pending, timeout=UNWIND_TIMEOUT))
            for _ in range(2):  # a callback may queue one more (connection_lost)
                loop.run_until_complete(asyncio.sleep(0))
        except BaseException:  # noqa: S110 - closing regardless; the caller's error stands
            pass
        finally:
            loop.close()

    # -- running coroutines -------------------------------------------------------------------
    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """``coro`` as a task of the loop (for code that needs one: anyio, asyncio.timeout)."""
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
                task.cancel()
                self._unwind(task)
            raise

    def _drive(self, step: Coroutine[Any, Any, T]) -> T:
        """Run ``step`` (a driver call that needs no task) in this thread to its end, turning
        the loop only while it waits; see the class docstring. The caller has checked that no
        event loop runs in this thread."""
        aconn = self.aconn
        expiry = None if aconn.timeout is None else _Expiry(self.loop, aconn.timeout)
        waiting = False
        try:
            waited = step.send(None)
            loop = self.loop
            while True:
                waiting = True
                if expiry is None and type(waited) is _Awaitable:
                    # the common wait, without ``_wait``'s checks: the loop turns, blocking in
                    # its own selector until the answer is there, and stops in the turn that
                    # completes ``waited``: one turn, one read, as when a task waits
                    if not waited.done():
                        loop.turn_until(waited)
                else:
                    self._wait(waited, expiry)
                waiting = False
                waited = step.send(None)
        except StopIteration as stop:
            result: T = stop.value
            return result
        except Exception:
            if waiting:  # the loop failed while it waited: the statement's fate is unknown
                self._interrupted(step)
            raise
        except BaseException as error:
            timed_out = expiry is not None and expiry.fired
            if timed_out and not waiting and isinstance(error, asyncio.CancelledError):
                # the driver dropped its half-read connection; stop the statement on the server
                self._run(aconn.cancelled())
                raise aconn.timeout_error(error) from error
            self._interrupted(step)
            raise
        finally:
            if expiry is not None:
                expiry.cancel()

    def _wait(self, waited: Any, expiry: _Expiry | None) -> None:
        """Turn the loop until ``waited`` (what the driven coroutine yielded) is done. Raises
        only for an interruption: the future's own outcome goes back into the coroutine."""
        loop = self.loop
        if not asyncio.isfuture(waited):  # a bare ``yield`` (asyncio.sleep(0)): one turn
            loop.run_until_complete(asyncio.sleep(0))
            return
        if expiry is not None:
            expiry.waited = waited
            if expiry.fired:
                waited.cancel()
        if waited.done():
            return
        if type(waited) is _Awaitable:  # completing or cancelling it (the expiry) stops the loop
            loop.turn_until(waited)
            return
        # a future of another kind: run_until_complete(waited), without its checks and
        # wrapping; the loop stops one turn after the future is done, whatever its outcome
        stop = self._stop
        waited.add_done_callback(stop)
        try:
            while not waited.done():
                loop.run_forever()
        finally:
            waited.remove_done_callback(stop)

    def _interrupted(self, step: Coroutine[Any, Any, Any]) -> None:
        """Ctrl-C (or a signal handler's exception) while ``step`` ran: cancel it as a task
        would be (asyncmy drops its half-read connection), stop the statement on the server,
        drop the connection. Never raises."""
        try:
            try:
                step.throw(asyncio.CancelledError())
            finally:
                step.close()
        except BaseException:  # noqa: S110 - the interruption is what the caller gets
            pass
        self._unwind(self.loop.create_task(self.aconn.cancelled()))

    def _unwind(self, task: asyncio.Task[Any]) -> None:
        """Give ``task`` (a cancelled statement's, or ``aconn.cancelled()``: asyncmy's KILL) at
        most ``UNWIND_TIMEOUT`` seconds to end, then drop the connection; never raises (the
        caller re-raises the interruption)."""
        loop = self.loop
        try:
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

    def _call(self, op: Callable[[str, Any], Coroutine[Any, Any, T]], sql: str, params: Any) -> T:
        """One statement: ``op`` driven without a task; an error it raises is handled (translated,
        or retried once on a new connection) by ``aconn.recover`` in a task."""
        if get_asyncgen_hooks().firstiter is not None:  # loop_running()'s cheap "no", inline
            refuse_on_event_loop()
        aconn = self.aconn
        try:
            result = self._drive(op(sql, params))
        except exc.DatabaseError:  # ours already (a timeout, % misuse): nothing to recover
            raise
        except Exception as error:
            return self._run(aconn.recover(op, sql, params, error))
        aconn.fresh = False
        return result

    # -- SyncConnection -----------------------------------------------------------------------
    def execute(self, sql: str, params: Params = ()) -> ExecResult:
        return self._call(self.aconn._do_execute, sql, params)

    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        return self._call(self.aconn._do_executemany, sql, list(seq_of_params))

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._call(self.aconn._do_fetch_all, sql, params)

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return self._call(self.aconn._do_fetch_one, sql, params)

    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        return self._call(self.aconn._do_fetch_columns, sql, params)

    def stream(self, sql: str, params: Params, chunk_size: int) -> Generator[list[Row], None, None]:
        refuse_on_event_loop()
        chunks = self.aconn.stream(sql, params, chunk_size)
        try:
            while True:
                try:
                    yield self._drive(chunks.asend(None))
                except StopAsyncIteration:
                    return
        finally:
            if not self.loop.is_closed():
                self._run(chunks.aclose())

    def begin(self) -> None:
        self.execute(self.dialect.begin_sql)
        self.aconn.in_transaction = True

    def commit(self) -> None:
        try:
            self.execute("COMMIT")
        finally:
            self.aconn.in_transaction = False

    def rollback(self) -> None:
        """As ``ServerConnection.rollback``: on a dropped connection the server rolled back."""
        try:
            if self.alive():
                self.execute("ROLLBACK")
        except exc.DatabaseError:
            if self.alive():
                raise
        finally:
            self.aconn.in_transaction = False

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            self._run(self.aconn.close())
        except Exception:
            self.aconn.terminate()
        finally:
            self._close_loop()


class _Expiry:
    """``command_timeout`` of one driven statement: when it fires, the future the statement
    waits for is cancelled (as ``Task.cancel`` would)."""

    __slots__ = ("fired", "handle", "waited")

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.fired = False
        self.waited: asyncio.Future[Any] | None = None
        self.handle = loop.call_later(timeout, self._fire)

    def _fire(self) -> None:
        self.fired = True
        if self.waited is not None:
            self.waited.cancel()

    def cancel(self) -> None:
        self.handle.cancel()


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

"""SQLite executors: stdlib ``sqlite3`` for both APIs; the async API runs each connection in a
thread of its own (``ConnectionThread``), one hop per operation.

Every connection is opened with ``isolation_level=None`` (autocommit; transactions are explicit
``BEGIN IMMEDIATE``), WAL for files, a busy timeout, foreign keys on, case-sensitive LIKE and a
registered ``REGEXP``. ``:memory:`` is one database per connection, so a memory database has exactly
one connection, shared by the sync and async APIs and handed out under a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import re
import sqlite3
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Iterator
from functools import lru_cache
from typing import Any, TypeVar

import anyio
import anyio.to_thread

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
from covet.orm.sql.sqlite import SqliteDialect

T = TypeVar("T")
_JOURNAL_MODES = {"wal", "delete", "truncate", "persist", "memory", "off"}
_PROGRAMMING = (
    "no such table",
    "no such column",
    "syntax error",
    "has no column",
    "already exists",
)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _regexp(pattern: str | None, value: Any) -> bool | None:
    if pattern is None or value is None:
        return None
    return _compile(pattern).search(str(value)) is not None


#: what binding and running a statement raises: sqlite3's errors, and the bare errors of values
#: it cannot bind
_DRIVER_ERRORS = (sqlite3.Error, OverflowError, UnicodeEncodeError)


def translate(error: sqlite3.Error | OverflowError | UnicodeEncodeError) -> exc.DatabaseError:
    """The covet.orm error for a sqlite3 error (raise it ``from`` the original).

    sqlite3 raises a bare ``OverflowError`` when binding an integer beyond 64 bits and a
    ``UnicodeEncodeError`` for text with a lone surrogate; that is bad data, a ``DataError``, as
    PostgreSQL reports it.
    """
    message = str(error)
    cls: type[exc.DatabaseError]
    if isinstance(error, OverflowError):
        cls = exc.DataError
        message = f"integer out of range for SQLite (64-bit): {message}"
    elif isinstance(error, UnicodeEncodeError):
        cls = exc.DataError
        message = f"text that is not valid Unicode (a lone surrogate): {message}"
    elif isinstance(error, sqlite3.IntegrityError):
        cls = exc.IntegrityError
    elif isinstance(error, sqlite3.OperationalError):
        low = message.lower()
        cls = exc.ProgrammingError if any(p in low for p in _PROGRAMMING) else exc.OperationalError
    elif isinstance(error, sqlite3.ProgrammingError):
        cls = exc.InterfaceError if "closed" in message else exc.ProgrammingError
    elif isinstance(error, sqlite3.DataError):
        cls = exc.DataError
    elif isinstance(error, sqlite3.NotSupportedError):
        cls = exc.NotSupportedError
    elif isinstance(error, sqlite3.InterfaceError):
        cls = exc.InterfaceError
    else:
        cls = exc.DatabaseError
    return cls(message, error)


def open_connection(path: str, options: DatabaseOptions) -> sqlite3.Connection:
    try:
        conn: sqlite3.Connection = sqlite3.connect(
            path,
            isolation_level=None,
            check_same_thread=False,
            timeout=options.busy_timeout,
            cached_statements=options.statement_cache_size,
            **options.connect_args,
        )
        conn.execute(f"PRAGMA busy_timeout = {int(options.busy_timeout * 1000)}")
        if path != ":memory:":
            mode = options.journal_mode.lower()
            if mode not in _JOURNAL_MODES:
                raise exc.ImproperlyConfigured(
                    f"journal_mode must be one of {sorted(_JOURNAL_MODES)}"
                )
            conn.execute(f"PRAGMA journal_mode = {mode}")
            if mode == "wal":
                conn.execute("PRAGMA synchronous = NORMAL")
        # the limit the dialect plans for (SQLite's default since 3.32), whatever this build
        # allows, so statements that work here work on every build
        limit = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
        conn.setlimit(limit, min(conn.getlimit(limit), SqliteDialect.max_params))
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA case_sensitive_like = ON")
        conn.create_function("REGEXP", 2, _regexp, deterministic=True)
        for name, nargs, function in SqliteDialect.functions:  # what the dialect's SQL calls
            conn.create_function(name, nargs, function, deterministic=True)
    except sqlite3.Error as error:
        raise translate(error) from error
    return conn


#: a numbered placeholder, possibly inside a literal (then the full rewrite below decides)
_NUMBERED = re.compile(r"\?\d")
#: a placeholder (``?`` or ``?NNN``) outside quoted literals and identifiers
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d*)")


def positional(sql: str) -> tuple[str, tuple[int, ...] | None]:
    """``sql`` with plain ``?`` placeholders, and the order to bind the parameters in (``None``:
    as given).

    Compiled statements number their placeholders (``?3``: a fragment may repeat one), but
    sqlite3 binds a sequence to numbered placeholders only with a DeprecationWarning since
    Python 3.12 and refuses from 3.14; binding a dict instead costs 2.5 us a statement. So the
    text is rewritten once per distinct statement (cached) and the values reordered to match,
    keeping SQLite's rule that a bare ``?`` is the largest number so far plus one."""
    if _NUMBERED.search(sql) is None:
        # only bare ``?`` (a bulk INSERT's thousands): bound in order as they are, and found by
        # one scan in C instead of a Python call per placeholder
        return sql, None
    order: list[int] = []
    largest = 0

    def plain(match: re.Match[str]) -> str:
        nonlocal largest
        digits = match.group(1)
        if digits is None:
            return match.group(0)  # a quoted literal or identifier
        index = int(digits) if digits else largest + 1
        largest = max(largest, index)
        order.append(index - 1)
        return "?"

    text = _PLACEHOLDER.sub(plain, sql) if "?" in sql else sql
    return text, (None if order == list(range(len(order))) else tuple(order))


#: statement text -> ``positional(text)``; bounded by emptying (statement shapes are few)
_CACHED_TEXT = 8192
_positional: dict[str, tuple[str, tuple[int, ...] | None]] = {}


def _bind(sql: str, params: Params) -> tuple[str, Params]:
    found = _positional.get(sql)
    if found is None:
        found = positional(sql)
        if len(sql) <= _CACHED_TEXT:  # a bulk INSERT's text is rebuilt per call: not kept
            if len(_positional) >= 4096:
                _positional.clear()
            _positional[sql] = found
    text, order = found
    if order is None:
        return text, params
    return text, [params[i] for i in order]


#: ``ExecResult`` built in C (the NamedTuple's Python ``__new__`` costs 150 ns a statement)
_new_result = tuple.__new__


class SqliteConnection(SyncConnection):
    __slots__ = ("dialect", "raw")

    def __init__(self, raw: sqlite3.Connection, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> ExecResult:
        found = _positional.get(sql)  # _bind inlined, as in fetch_all
        try:
            if found is not None and found[1] is None:
                cur = self.raw.execute(found[0], params)
            else:
                cur = self.raw.execute(*_bind(sql, params))
        except _DRIVER_ERRORS as error:
            raise translate(error) from error
        return _new_result(ExecResult, (cur.rowcount, cur.lastrowid))  # in C, as new_stmt

    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        try:
            text, order = positional(sql)  # once for the whole batch
            if order is not None:
                seq_of_params = ([p[i] for i in order] for p in seq_of_params)
            return self.raw.executemany(text, seq_of_params).rowcount
        except _DRIVER_ERRORS as error:
            raise translate(error) from error

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        found = _positional.get(sql)  # _bind inlined: the hot path of every SELECT
        try:
            if found is not None and found[1] is None:
                return self.raw.execute(found[0], params).fetchall()
            return self.raw.execute(*_bind(sql, params)).fetchall()
        except _DRIVER_ERRORS as error:
            raise translate(error) from error

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        try:
            row: Row | None = self.raw.execute(*_bind(sql, params)).fetchone()
        except _DRIVER_ERRORS as error:
            raise translate(error) from error
        return row

    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        try:
            cur = self.raw.execute(*_bind(sql, params))
            rows = cur.fetchall()
        except _DRIVER_ERRORS as error:
            raise translate(error) from error
        return [d[0] for d in cur.description or ()], rows

    def stream(self, sql: str, params: Params, chunk_size: int) -> Generator[list[Row], None, None]:
        """Rows stepped out of SQLite ``chunk_size`` at a time (sqlite3 steps as it fetches)."""
        try:
            cur = self.raw.execute(*_bind(sql, params))
        except _DRIVER_ERRORS as error:
            raise translate(error) from error
        try:
            while True:
                try:
                    rows = cur.fetchmany(chunk_size)
                except sqlite3.Error as error:
                    raise translate(error) from error
                if not rows:
                    return
                yield rows
        finally:
            cur.close()

    def close(self) -> None:
        self.raw.close()


class TimedSqliteConnection(SqliteConnection):
    """``command_timeout`` on SQLite: a progress handler interrupts a statement past its deadline
    (checked every 1,000 virtual-machine steps; the statement fails with ``OperationalError``)."""

    __slots__ = ("timeout",)

    def __init__(self, raw: sqlite3.Connection, dialect: Dialect, timeout: float) -> None:
        super().__init__(raw, dialect)
        self.timeout = timeout

    @contextlib.contextmanager
    def _deadline(self) -> Iterator[None]:
        deadline = time.monotonic() + self.timeout
        self.raw.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        try:
            yield
        except exc.OperationalError as error:
            if time.monotonic() <= deadline or "interrupted" not in str(error):
                raise
            raise exc.OperationalError(
                f"statement cancelled after {self.timeout:g}s (command_timeout)",
                error.driver_error,
            ) from error.driver_error
        finally:
            self.raw.set_progress_handler(None, 0)

    def execute(self, sql: str, params: Params = ()) -> ExecResult:
        with self._deadline():
            return super().execute(sql, params)

    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        with self._deadline():
            return super().executemany(sql, seq_of_params)

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        with self._deadline():
            return super().fetch_all(sql, params)

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        with self._deadline():
            return super().fetch_one(sql, params)

    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        with self._deadline():
            return super().fetch_columns(sql, params)

    def stream(self, sql: str, params: Params, chunk_size: int) -> Generator[list[Row], None, None]:
        chunks = super().stream(sql, params, chunk_size)
        try:
            while True:
                with self._deadline():
                    rows = next(chunks, None)
                if rows is None:
                    return
                yield rows
        finally:
            chunks.close()


class ConnectionThread:
    """A thread that owns one sqlite3 connection's calls for the async API.

    ``await call(fn, *args)`` runs ``fn(*args)`` in the thread and hands the result (or the
    exception) back to the caller's event loop with ``call_soon_threadsafe``: one hop there and
    one back, public asyncio API only. Calls run one at a time, in order. A daemon thread, so a
    forgotten close never holds up the interpreter's exit.
    """

    _STOP = object()

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name="covet-orm-sqlite", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            item = self._calls.get()
            if item is self._STOP:
                return
            loop, future, fn, args = item
            if loop is None:  # submitted without waiting (closing from sync code)
                with contextlib.suppress(Exception):
                    fn(*args)
                continue
            try:
                result = fn(*args)
            except BaseException as error:
                with contextlib.suppress(RuntimeError):  # the caller's loop is gone
                    loop.call_soon_threadsafe(_set_exception, future, error)
            else:
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_set_result, future, result)

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((loop, future, fn, args))
        return await future

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` without waiting for it (closing from sync code)."""
        self._calls.put((None, None, fn, args))

    def stop(self) -> None:
        """Let the thread end after the calls already queued."""
        self._calls.put(self._STOP)


def _set_result(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


def _set_exception(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class AsyncSqliteConnection(AsyncConnection):
    """One sqlite3 connection driven from async code; each call is a single hop to its thread."""

    __slots__ = ("closed", "dialect", "raw", "sync", "thread")

    def __init__(
        self, raw: sqlite3.Connection, thread: ConnectionThread, sync: SqliteConnection
    ) -> None:
        self.raw = raw
        self.dialect = sync.dialect
        self.thread = thread
        #: the same sqlite3 connection's blocking view, used inside the thread
        self.sync = sync
        self.closed = False

    async def drive(self, driver: Callable[[Any, SyncConnection], T], op: Any) -> T:
        """Run a whole operation in the connection's thread: one hop, not one per statement.

        ``driver`` is the sync loop (``_drive``); the operation's statements go through a
        ``SqliteConnection`` over the same sqlite3 connection, inside the connection's thread."""
        if self.closed:
            raise exc.InterfaceError("the connection is closed")
        try:
            return await self.thread.call(driver, op, self.sync)
        except asyncio.CancelledError:
            self._interrupt()
            raise

    def _interrupt(self) -> None:
        """A cancelled await leaves the statement running in the connection's thread: abort it,
        as PostgreSQL and MariaDB abort theirs, so a cancelled write does not happen anyway."""
        with contextlib.suppress(sqlite3.Error):
            self.raw.interrupt()

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self.closed:
            raise exc.InterfaceError("the connection is closed")
        try:
            return await self.thread.call(fn, *args)
        except asyncio.CancelledError:
            self._interrupt()
            raise

    async def execute(self, sql: str, params: Params = ()) -> ExecResult:
        return await self._call(self.sync.execute, sql, params)

    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        return await self._call(self.sync.executemany, sql, list(seq_of_params))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._call(self.sync.fetch_all, sql, params)

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._call(self.sync.fetch_one, sql, params)

    async def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        return await self._call(self.sync.fetch_columns, sql, params)

    async def stream(
        self, sql: str, params: Params, chunk_size: int
    ) -> AsyncGenerator[list[Row], None]:
        """Rows stepped out of SQLite a chunk at a time, each chunk one hop."""
        chunks = self.sync.stream(sql, params, chunk_size)
        try:
            while rows := await self._call(next, chunks, []):
                yield rows
        finally:
            with anyio.CancelScope(shield=True):
                await self._call(chunks.close)

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                await self.thread.call(self.raw.close)
            finally:
                self.thread.stop()

    def stop(self) -> None:
        """Close from sync code: queue the close and the thread's exit without waiting."""
        if not self.closed:
            self.closed = True
            self.thread.submit(self.raw.close)
            self.thread.stop()


class SqliteBackend(Backend):
    name = "sqlite"

    def __init__(self, url: DatabaseURL, options: DatabaseOptions) -> None:
        super().__init__(url, options)
        self.path = url.database
        self.memory = self.path == ":memory:" or "mode=memory" in self.path
        self._idle: list[SqliteConnection] = []
        self._aidle: list[AsyncSqliteConnection] = []
        self._closed = False
        self._limits_read = False
        # :memory: -- one connection shared by both APIs, handed out under this lock
        self._lock = threading.Lock()
        self._shared: SqliteConnection | None = None
        self._ashared: AsyncSqliteConnection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._closed:
            raise exc.InterfaceError("the database is closed")
        conn = open_connection(self.path, self.options)
        if not self._limits_read:
            # bulk inserts are chunked under the variable limit this SQLite was compiled with
            self._limits_read = True
            limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self.dialect.max_params = min(limit, 32766)  # type: ignore[misc]
        return conn

    def _wrap(self, raw: sqlite3.Connection) -> SqliteConnection:
        timeout = self.options.command_timeout
        if timeout:
            return TimedSqliteConnection(raw, self.dialect, timeout)
        return SqliteConnection(raw, self.dialect)

    # -- sync -------------------------------------------------------------------------------
    def acquire(self) -> SqliteConnection:
        if self.memory:
            if not self._lock.acquire(timeout=self.options.connect_timeout):
                raise exc.OperationalError("timed out waiting for the :memory: connection")
            try:
                if self._shared is None:
                    self._shared = self._wrap(self._open())
            except BaseException:
                self._lock.release()
                raise
            return self._shared
        try:
            return self._idle.pop()
        except IndexError:
            return self._wrap(self._open())

    def release(self, conn: SyncConnection, *, discard: bool = False) -> None:
        assert isinstance(conn, SqliteConnection)
        if self.memory:
            self._lock.release()
            return
        if discard or self._closed or len(self._idle) >= self.options.pool_size:
            conn.close()
        else:
            self._idle.append(conn)

    # -- async ------------------------------------------------------------------------------
    async def _aopen(self, raw: sqlite3.Connection | None = None) -> AsyncSqliteConnection:
        if self._closed:
            raise exc.InterfaceError("the database is closed")
        thread = ConnectionThread()
        if raw is None:
            try:
                raw = await thread.call(open_connection, self.path, self.options)
            except BaseException:
                thread.stop()
                raise
        return AsyncSqliteConnection(raw, thread, self._wrap(raw))

    async def aacquire(self) -> AsyncSqliteConnection:
        if self.memory:
            if not self._lock.acquire(blocking=False):
                got = await anyio.to_thread.run_sync(
                    self._lock.acquire, True, self.options.connect_timeout
                )
                if not got:
                    raise exc.OperationalError("timed out waiting for the :memory: connection")
            try:
                if self._shared is None:
                    self._shared = self._wrap(self._open())
                if self._ashared is None:
                    self._ashared = await self._aopen(self._shared.raw)
            except BaseException:
                self._lock.release()
                raise
            return self._ashared
        try:
            return self._aidle.pop()
        except IndexError:
            return await self._aopen()

    async def arelease(self, conn: AsyncConnection, *, discard: bool = False) -> None:
        assert isinstance(conn, AsyncSqliteConnection)
        if self.memory:
            self._lock.release()
            return
        if discard or self._closed or len(self._aidle) >= self.options.pool_size:
            await conn.close()
        else:
            self._aidle.append(conn)

    # -- closing ----------------------------------------------------------------------------
    def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        aidle, self._aidle = self._aidle, []
        for aconn in aidle:
            aconn.stop()
        if self._ashared is not None:
            self._ashared.stop()  # closes the shared raw connection in its own thread
            self._ashared = None
            self._shared = None
        elif self._shared is not None:
            self._shared.close()
            self._shared = None

    async def aclose(self) -> None:
        self._closed = True
        aidle, self._aidle = self._aidle, []
        for aconn in aidle:
            await aconn.close()
        if self._ashared is not None:
            await self._ashared.close()
            self._ashared = None
            self._shared = None
        self.close()

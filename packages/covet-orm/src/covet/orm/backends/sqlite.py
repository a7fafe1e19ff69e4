"""SQLite executors: stdlib ``sqlite3`` for the sync API, aiosqlite for the async API.

Every connection is opened with ``isolation_level=None`` (autocommit; transactions are explicit
``BEGIN IMMEDIATE``), WAL for files, a busy timeout, foreign keys on, case-sensitive LIKE and a
registered ``REGEXP``. ``:memory:`` is one database per connection, so a memory database has exactly
one connection, shared by the sync and async APIs and handed out under a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

import aiosqlite
import aiosqlite.core
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


def translate(error: sqlite3.Error | OverflowError) -> exc.DatabaseError:
    """The covet.orm error for a sqlite3 error (raise it ``from`` the original).

    sqlite3 raises a bare ``OverflowError`` when binding an integer beyond 64 bits; that is bad
    data, a ``DataError``, as PostgreSQL reports it.
    """
    message = str(error)
    cls: type[exc.DatabaseError]
    if isinstance(error, OverflowError):
        cls = exc.DataError
        message = f"integer out of range for SQLite (64-bit): {message}"
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


class SqliteConnection(SyncConnection):
    __slots__ = ("dialect", "raw")

    def __init__(self, raw: sqlite3.Connection, dialect: Dialect) -> None:
        self.raw = raw
        self.dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> ExecResult:
        try:
            cur = self.raw.execute(sql, params)
        except (sqlite3.Error, OverflowError) as error:
            raise translate(error) from error
        return ExecResult(cur.rowcount, cur.lastrowid)

    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        try:
            return self.raw.executemany(sql, seq_of_params).rowcount
        except (sqlite3.Error, OverflowError) as error:
            raise translate(error) from error

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return self.raw.execute(sql, params).fetchall()
        except (sqlite3.Error, OverflowError) as error:
            raise translate(error) from error

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        try:
            row: Row | None = self.raw.execute(sql, params).fetchone()
        except (sqlite3.Error, OverflowError) as error:
            raise translate(error) from error
        return row

    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        try:
            cur = self.raw.execute(sql, params)
            rows = cur.fetchall()
        except (sqlite3.Error, OverflowError) as error:
            raise translate(error) from error
        return [d[0] for d in cur.description or ()], rows

    def close(self) -> None:
        self.raw.close()


def _t_execute(raw: sqlite3.Connection, sql: str, params: Params) -> ExecResult:
    cur = raw.execute(sql, params)
    return ExecResult(cur.rowcount, cur.lastrowid)


def _t_executemany(raw: sqlite3.Connection, sql: str, seq: Iterable[Params]) -> int:
    return raw.executemany(sql, list(seq)).rowcount


def _t_fetch_all(raw: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    return raw.execute(sql, params).fetchall()


def _t_fetch_one(raw: sqlite3.Connection, sql: str, params: Params) -> Row | None:
    row: Row | None = raw.execute(sql, params).fetchone()
    return row


def _t_fetch_columns(
    raw: sqlite3.Connection, sql: str, params: Params
) -> tuple[list[str], list[Row]]:
    cur = raw.execute(sql, params)
    rows = cur.fetchall()
    return [d[0] for d in cur.description or ()], rows


class AsyncSqliteConnection(AsyncConnection):
    """One aiosqlite connection; each call is a single hop to its thread."""

    __slots__ = ("aio", "dialect", "raw", "sync")

    def __init__(
        self, aio: aiosqlite.Connection, raw: sqlite3.Connection, dialect: Dialect
    ) -> None:
        self.aio = aio
        self.raw = raw
        self.dialect = dialect
        self.sync = SqliteConnection(raw, dialect)

    async def drive(self, driver: Callable[[Any, SyncConnection], T], op: Any) -> T:
        """Run a whole operation in the connection's thread: one hop, not one per statement.

        ``driver`` is the sync loop (``_drive``); the operation's statements go through a
        ``SqliteConnection`` over the same sqlite3 connection, inside aiosqlite's thread."""
        if self.aio._connection is None:
            raise exc.InterfaceError("the connection is closed")
        try:
            result: T = await self.aio._execute(driver, op, self.sync)  # type: ignore[no-untyped-call]
        except asyncio.CancelledError:
            self._interrupt()
            raise
        return result

    def _interrupt(self) -> None:
        """A cancelled await leaves the statement running in the connection's thread: abort it,
        as PostgreSQL and MariaDB abort theirs, so a cancelled write does not happen anyway."""
        with contextlib.suppress(sqlite3.Error):
            self.raw.interrupt()

    async def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return await self.aio._execute(fn, self.raw, *args)  # type: ignore[no-untyped-call]
        except asyncio.CancelledError:
            self._interrupt()
            raise
        except (sqlite3.Error, OverflowError) as error:
            raise translate(error) from error
        except ValueError as error:  # aiosqlite: "Connection closed"
            raise exc.InterfaceError(str(error), error) from error

    async def execute(self, sql: str, params: Params = ()) -> ExecResult:
        result: ExecResult = await self._call(_t_execute, sql, params)
        return result

    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        count: int = await self._call(_t_executemany, sql, seq_of_params)
        return count

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        rows: list[Row] = await self._call(_t_fetch_all, sql, params)
        return rows

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self._call(_t_fetch_one, sql, params)
        return row

    async def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        result: tuple[list[str], list[Row]] = await self._call(_t_fetch_columns, sql, params)
        return result

    async def close(self) -> None:
        await self.aio.close()

    def stop(self) -> None:
        """Close from sync code: queue the close and the thread's exit without awaiting."""
        aio = self.aio

        def close_and_stop() -> object:
            if aio._connection is not None:
                aio._connection.close()
                aio._connection = None
            return aiosqlite.core._STOP_RUNNING_SENTINEL

        aio._running = False
        aio._tx.put_nowait((None, close_and_stop))


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

    # -- sync -------------------------------------------------------------------------------
    def acquire(self) -> SqliteConnection:
        if self.memory:
            if not self._lock.acquire(timeout=self.options.connect_timeout):
                raise exc.OperationalError("timed out waiting for the :memory: connection")
            try:
                if self._shared is None:
                    self._shared = SqliteConnection(self._open(), self.dialect)
            except BaseException:
                self._lock.release()
                raise
            return self._shared
        try:
            return self._idle.pop()
        except IndexError:
            return SqliteConnection(self._open(), self.dialect)

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
        opened: list[sqlite3.Connection] = []

        def connector() -> sqlite3.Connection:
            conn = raw if raw is not None else open_connection(self.path, self.options)
            opened.append(conn)
            return conn

        aio = aiosqlite.Connection(connector, 64)
        aio._thread.daemon = True  # a forgotten close() must not hang interpreter exit
        await aio
        return AsyncSqliteConnection(aio, opened[0], self.dialect)

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
                    self._shared = SqliteConnection(self._open(), self.dialect)
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

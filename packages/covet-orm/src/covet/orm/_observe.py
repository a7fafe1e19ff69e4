"""Query observability: the one hook every statement passes, the ``covet.orm`` logger, and the
query capture tests use.

``Database.run``/``arun``, ``fetch_rows``/``afetch_rows``, ``stream``/``astream`` and the
transaction blocks ask once per call whether anyone listens (hooks registered, or the
``covet.orm`` logger enabled for DEBUG). When nobody does they call the connection directly;
otherwise they pass each statement through a ``QueryObserver``, which times it with
``time.monotonic_ns`` and hands a ``QueryEvent`` to every hook, then to the logger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covet.orm._database import Database, Stmt
    from covet.orm.backends.base import AsyncConnection, Row, SyncConnection

logger = logging.getLogger("covet.orm")
#: ``log_enabled(DEBUG)``: the logger's own cached level check, called as a bound method (every
#: statement asks: a ``functools.partial`` around it costs 35 ns more)
log_enabled = logger.isEnabledFor
DEBUG = logging.DEBUG

#: connection methods that take a savepoint name / nothing instead of SQL and parameters
NAME_ONLY = frozenset({"savepoint", "release", "rollback_to"})
NO_ARGS = frozenset({"begin", "commit", "rollback"})
TRANSACTION_METHODS = NAME_ONLY | NO_ARGS

QueryHookFunction = Callable[["QueryEvent"], object]


@dataclass(slots=True)
class QueryEvent:
    """One statement that ran (or failed), as hooks receive it (treat it as read-only: every
    hook gets the same object)."""

    #: the SQL text, in the dialect's placeholder style (BEGIN, COMMIT, SAVEPOINT ... included)
    sql: str
    #: its parameters: a sequence, or a list of sequences for ``executemany``
    params: Any
    #: the connection method: ``fetch_all``, ``fetch_one``, ``fetch_columns``, ``execute``,
    #: ``executemany``, ``stream``, or transaction control (``begin``, ``commit``, ``rollback``,
    #: ``savepoint``, ``release``, ``rollback_to``)
    method: str
    #: wall time of the statement in nanoseconds (``time.monotonic_ns``); for ``stream``, from
    #: the first fetch to the end of the stream, the consumer's time between chunks included
    duration_ns: int
    #: rows returned (fetches, streams) or affected (``execute``, ``executemany``); ``None``
    #: for transaction control and failed statements
    rowcount: int | None
    #: the exception the statement raised, or ``None``
    error: BaseException | None
    database: Database
    #: ``Database.alias``
    alias: str
    #: ``sqlite``, ``postgresql`` or ``mysql``
    vendor: str
    #: run by the async API (``arun``, ``astream``, sync calls through a portal) or the sync one
    is_async: bool

    @property
    def duration(self) -> float:
        """``duration_ns`` in seconds."""
        return self.duration_ns / 1e9

    @property
    def is_transaction_control(self) -> bool:
        return self.method in TRANSACTION_METHODS


def invoke(conn: Any, stmt: Stmt) -> Any:
    """Call the connection method a statement names (a coroutine on an ``AsyncConnection``)."""
    op = stmt.op
    if op in NAME_ONLY:
        return getattr(conn, op)(stmt.sql)
    if op in NO_ARGS:
        return getattr(conn, op)()
    return getattr(conn, op)(stmt.sql, stmt.params)


def _rowcount(op: str, result: Any) -> int | None:
    if op == "fetch_all":
        return len(result)
    if op == "execute":
        count: int = result.rowcount
        return count
    if op == "fetch_one":
        return 0 if result is None else 1
    if op == "fetch_columns":
        return len(result[1])
    if op == "executemany":
        return int(result)
    return None


def _statement_sql(conn: Any, stmt: Stmt) -> str:
    op = stmt.op
    if op not in TRANSACTION_METHODS:
        return stmt.sql
    dialect = conn.dialect
    if op == "begin":
        sql: str = dialect.begin_sql
        return sql
    if op == "savepoint":
        return str(dialect.savepoint(stmt.sql))
    if op == "release":
        return str(dialect.release_savepoint(stmt.sql))
    if op == "rollback_to":
        return str(dialect.rollback_to_savepoint(stmt.sql))
    return op.upper()  # COMMIT, ROLLBACK


class QueryObserver:
    """Runs statements of one database and one API side (sync or async) with timing, and tells
    the hooks and the logger about each."""

    __slots__ = ("db", "is_async")

    def __init__(self, db: Database, is_async: bool) -> None:
        self.db = db
        self.is_async = is_async

    def call(self, conn: SyncConnection, stmt: Stmt) -> Any:
        start = time.monotonic_ns()
        try:
            result = invoke(conn, stmt)
        except BaseException as exc:
            self.emit(conn, stmt, start, None, exc)
            raise
        self.emit(conn, stmt, start, _rowcount(stmt.op, result), None)
        return result

    async def acall(self, conn: AsyncConnection, stmt: Stmt) -> Any:
        start = time.monotonic_ns()
        try:
            result = await invoke(conn, stmt)
        except BaseException as exc:
            self.emit(conn, stmt, start, None, exc)
            raise
        self.emit(conn, stmt, start, _rowcount(stmt.op, result), None)
        return result

    def stream(self, conn: SyncConnection, stmt: Stmt, chunk_size: int) -> Iterator[list[Row]]:
        start = time.monotonic_ns()
        count = 0
        error: BaseException | None = None
        chunks = conn.stream(stmt.sql, stmt.params, chunk_size)
        try:
            for chunk in chunks:
                count += len(chunk)
                yield chunk
        except GeneratorExit:
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            self.emit(conn, stmt, start, None if error else count, error)

    async def astream(
        self, conn: AsyncConnection, stmt: Stmt, chunk_size: int
    ) -> AsyncGenerator[list[Row], None]:
        start = time.monotonic_ns()
        count = 0
        error: BaseException | None = None
        chunks = conn.stream(stmt.sql, stmt.params, chunk_size)
        try:
            async for chunk in chunks:
                count += len(chunk)
                yield chunk
        except GeneratorExit:
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            await chunks.aclose()
            self.emit(conn, stmt, start, None if error else count, error)

    def emit(
        self,
        conn: Any,
        stmt: Stmt,
        start: int,
        rowcount: int | None,
        error: BaseException | None,
    ) -> None:
        duration = time.monotonic_ns() - start
        db = self.db
        event = QueryEvent(
            _statement_sql(conn, stmt),
            stmt.params,
            stmt.op,
            duration,
            rowcount,
            error,
            db,
            db.alias,
            db.dialect.name,
            self.is_async,
        )
        for hook in db.query_hooks:
            hook(event)
        if log_enabled(DEBUG):
            log_event(event)


def log_event(event: QueryEvent) -> None:
    extra = {
        "duration": event.duration,
        "sql": event.sql,
        "params": event.params,
        "alias": event.alias,
    }
    if event.error is None:
        logger.debug(
            "(%.3f ms) %s; params=%r; alias=%s",
            event.duration_ns / 1e6,
            event.sql,
            event.params,
            event.alias,
            extra=extra,
        )
    else:
        logger.debug(
            "(%.3f ms) %s; params=%r; alias=%s; failed: %s: %s",
            event.duration_ns / 1e6,
            event.sql,
            event.params,
            event.alias,
            type(event.error).__name__,
            event.error,
            extra=extra,
        )


class QueryHook:
    """A registered hook (``Database.on_query``): ``remove()`` unregisters it; as a context
    manager (``with db.on_query(hook):``) it is removed when the block ends."""

    __slots__ = ("db", "function")

    def __init__(self, function: QueryHookFunction, db: Database | None) -> None:
        from covet.orm import _database

        self.function = function
        #: the database it listens to; ``None``: every database of the process
        self.db = db
        _database.add_query_hook(function, db)

    def remove(self) -> None:
        """Unregister the hook (once; later calls do nothing)."""
        from covet.orm import _database

        _database.remove_query_hook(self.function, self.db)

    def __enter__(self) -> QueryHook:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<QueryHook {self.function!r} on {self.db!r}>"


def on_query(hook: QueryHookFunction) -> QueryHook:
    """Call ``hook(event)`` after every statement of every ``Database`` of the process (those
    created later included); ``Database.on_query`` listens to one database."""
    return QueryHook(hook, None)


class CapturedQueries(list[QueryEvent]):
    """The statements run while the block runs, in the order they ended (``with`` or ``async
    with``; every thread and task). Transaction control (BEGIN, COMMIT, SAVEPOINT, ...) is left
    out unless ``transactions=True``."""

    def __init__(self, db: Database | None = None, *, transactions: bool = False) -> None:
        super().__init__()
        self.db = db
        self.transactions = transactions
        self._hook: QueryHook | None = None

    def _record(self, event: QueryEvent) -> None:
        if self.transactions or event.method not in TRANSACTION_METHODS:
            self.append(event)

    def __enter__(self) -> CapturedQueries:
        self.clear()
        self._hook = QueryHook(self._record, self.db)
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    async def __aenter__(self) -> CapturedQueries:
        return self.__enter__()

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(et, e, tb)

    def __str__(self) -> str:
        return "\n".join(
            f"{i}. {event.sql}  {list(event.params)!r}" for i, event in enumerate(self, 1)
        )

    # a list compares by content; a capture is still the one object
    __hash__ = object.__hash__  # type: ignore[assignment]


class AssertNumQueries(CapturedQueries):
    """``CapturedQueries`` that fails the block unless it ran exactly ``expected`` queries; the
    failure lists them. A block that raised keeps its own exception."""

    def __init__(
        self, expected: int, db: Database | None = None, *, transactions: bool = False
    ) -> None:
        super().__init__(db, transactions=transactions)
        self.expected = expected

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        super().__exit__(et, e, tb)
        if et is None and len(self) != self.expected:
            self.fail(
                f"expected {self.expected} quer{'y' if self.expected == 1 else 'ies'}, "
                f"ran {len(self)}:\n{self}"
            )

    def fail(self, message: str) -> None:
        raise AssertionError(message)

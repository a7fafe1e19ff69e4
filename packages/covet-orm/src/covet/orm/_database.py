"""``Database``: a URL, a backend, transactions, and the two loops that drive every operation.

Every ORM operation is a generator that yields ``Stmt`` (an operation name, SQL and parameters)
and receives the connection method's result (or has the ``DatabaseError`` thrown into it). The
sync API drives it with ``Database.run`` and the async API with ``Database.arun``: the business
logic exists once.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import weakref
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Sequence,
)
from contextvars import ContextVar, Token
from sys import get_asyncgen_hooks
from threading import get_ident
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload

import anyio
import anyio.to_thread

from covet.orm._exceptions import (
    DatabaseError,
    ImproperlyConfigured,
    InterfaceError,
    OperationalError,
    SynchronousOnlyError,
    TransactionManagementError,
)
from covet.orm._observe import (
    DEBUG,
    TRANSACTION_METHODS,
    AssertNumQueries,
    CapturedQueries,
    QueryHook,
    QueryHookFunction,
    QueryObserver,
    invoke,
    log_enabled,
)
from covet.orm._portal import has_portal, suspend
from covet.orm.backends.base import (
    AsyncConnection,
    Backend,
    Binding,
    DatabaseOptions,
    DatabaseURL,
    ExecResult,
    Row,
    SyncConnection,
    backend_class,
    current_task,
    loop_running,
)

if TYPE_CHECKING:
    from covet.orm._model import Model

T = TypeVar("T")


class Stmt(NamedTuple):
    """One step of an operation: ``op`` is a connection method name; ``sql`` a savepoint name
    for the savepoint methods."""

    op: str
    sql: str
    params: Any = ()


Op = Generator[Stmt, Any, T]

#: ``new_stmt(Stmt, (op, sql, params))`` builds a Stmt in C; ``Stmt(op, sql, params)`` runs the
#: NamedTuple's generated Python ``__new__`` (150 ns more), which the statements of every save,
#: delete and query would pay
new_stmt = tuple.__new__

_default: Database | None = None
#: every Database of the process (``disconnect_all``)
_databases: weakref.WeakSet[Database] = weakref.WeakSet()


def get_default_database() -> Database:
    if _default is None:
        raise ImproperlyConfigured(
            "no database: create a Database(url) (the first one becomes the default) "
            "or set Meta.db on the model"
        )
    return _default


def _portal() -> bool:
    """Whether the running task may suspend from sync code (``_portal``: covet.http apps open a
    portal per request; ``SyncORMMiddleware`` and ``@sync_orm`` elsewhere)."""
    return has_portal()


def _suspend(awaitable: Awaitable[T]) -> T:
    """Run ``awaitable`` on this task's event loop from sync code, through the task's portal:
    the task suspends while it waits, and the loop goes on serving other tasks."""
    return suspend(awaitable)


#: hooks listening to every database (``covet.orm.on_query``)
_global_hooks: tuple[QueryHookFunction, ...] = ()


def add_query_hook(hook: QueryHookFunction, db: Database | None) -> None:
    """Register a hook on one database, or on every database (``db=None``)."""
    global _global_hooks
    if db is None:
        _global_hooks = (*_global_hooks, hook)
        for each in list(_databases):
            each._refresh_hooks()
    else:
        db._own_hooks = (*db._own_hooks, hook)
        db._refresh_hooks()


def remove_query_hook(hook: QueryHookFunction, db: Database | None) -> None:
    global _global_hooks
    if db is None:
        _global_hooks = _without(_global_hooks, hook)
        for each in list(_databases):
            each._refresh_hooks()
    else:
        db._own_hooks = _without(db._own_hooks, hook)
        db._refresh_hooks()


def _without(
    hooks: tuple[QueryHookFunction, ...], hook: QueryHookFunction
) -> tuple[QueryHookFunction, ...]:
    for i, each in enumerate(hooks):
        if each is hook or each == hook:
            return hooks[:i] + hooks[i + 1 :]
    return hooks


def _drive(gen: Op[T], conn: SyncConnection, obs: QueryObserver | None = None) -> T:
    result: Any = None
    error: DatabaseError | None = None
    while True:
        try:
            stmt = gen.send(result) if error is None else gen.throw(error)
        except StopIteration as stop:
            value: T = stop.value
            return value
        try:
            if obs is not None:
                result = obs.call(conn, stmt)
            elif stmt.op in TRANSACTION_METHODS:
                result = invoke(conn, stmt)
            else:  # invoke() inlined: a statement with SQL and parameters (nearly all)
                result = getattr(conn, stmt.op)(stmt.sql, stmt.params)
            error = None
        except DatabaseError as exc:
            result, error = None, exc


async def _adrive(gen: Op[T], conn: AsyncConnection, obs: QueryObserver | None = None) -> T:
    result: Any = None
    error: DatabaseError | None = None
    while True:
        try:
            stmt = gen.send(result) if error is None else gen.throw(error)
        except StopIteration as stop:
            value: T = stop.value
            return value
        try:
            if obs is None:
                result = await invoke(conn, stmt)
            else:
                result = await obs.acall(conn, stmt)
            error = None
        except DatabaseError as exc:
            result, error = None, exc


async def _adrive_on(gen: Op[T], conn: AsyncConnection, obs: QueryObserver | None) -> T:
    """Drive with the async loop, or hand the whole operation to a connection that can run it
    in its own thread in one hop (aiosqlite: ``drive``). Observed operations always use the
    async loop, so hooks run in the calling task (its context: the current span, ...)."""
    drive = getattr(conn, "drive", None)
    if drive is not None and obs is None:
        result: T = await drive(_drive, gen)
        return result
    return await _adrive(gen, conn, obs)


_BROKEN = (OperationalError, InterfaceError)


class RequestConnections:
    """The connections one request holds: one per server database, checked out at the
    request's first query and returned when it ends (``RequestConnectionMiddleware``), instead
    of one checkout per query. Async: only the request's own task uses them. Sync (a ``def``
    handler on a worker thread): only the thread that checked it out. A stream (``iterator``,
    ``aiterator``) takes a connection of its own."""

    __slots__ = ("conns", "sync_conns", "task")

    def __init__(self) -> None:
        self.task = current_task()
        self.conns: dict[Backend, AsyncConnection] = {}
        #: backend -> (connection, the thread that uses it)
        self.sync_conns: dict[Backend, tuple[SyncConnection, int]] = {}

    async def release(self, *, idle_only: bool = False) -> None:
        """Return the connections to their pools (``idle_only``: not those in a transaction)."""
        for backend, conn in list(self.conns.items()):
            if idle_only and getattr(conn, "in_transaction", False):
                continue
            del self.conns[backend]
            await backend.arelease(conn)
        for backend, (sync_conn, _) in list(self.sync_conns.items()):
            idle = not getattr(sync_conn, "in_transaction", False)
            if idle_only and not idle:
                continue
            del self.sync_conns[backend]
            alive = getattr(sync_conn, "alive", None)
            pooled = idle and alive is not None and alive(False)
            if pooled and not getattr(backend, "closed", True):
                backend.release(sync_conn)  # back to the idle list: no I/O
            else:  # dropping it closes it: blocking work, off the loop
                await anyio.to_thread.run_sync(backend.release, sync_conn)


#: the connections of the request being served (none outside a request)
held_connections: ContextVar[RequestConnections | None] = ContextVar(
    "covet_orm_request_connections", default=None
)


async def _acheckout(backend: Backend) -> tuple[AsyncConnection, RequestConnections | None]:
    held = held_connections.get()
    if held is not None and backend.hold_per_request and held.task is current_task():
        conn = held.conns.get(backend)
        if conn is None:
            conn = held.conns[backend] = await backend.aacquire()
        return conn, held
    return await backend.aacquire(), None


def _checkout(backend: Backend) -> tuple[SyncConnection, RequestConnections | None]:
    held = held_connections.get()  # copied into the worker thread of a def handler
    if held is not None and backend.hold_per_request:
        me = threading.get_ident()
        found = held.sync_conns.get(backend)
        if found is None:
            conn = backend.acquire()
            found = held.sync_conns.setdefault(backend, (conn, me))
            if found[0] is conn:
                return conn, held
            return conn, None  # another thread of the request won the race: use ours alone
        if found[1] == me:
            return found[0], held
    return backend.acquire(), None


def _checkin(
    backend: Backend, conn: SyncConnection, held: RequestConnections | None, discard: bool
) -> None:
    if held is None:
        backend.release(conn, discard=discard)
    elif discard:
        found = held.sync_conns.get(backend)
        if found is not None and found[0] is conn:
            del held.sync_conns[backend]
        backend.release(conn, discard=True)


async def _acheckin(
    backend: Backend, conn: AsyncConnection, held: RequestConnections | None, discard: bool
) -> None:
    if held is None:
        await backend.arelease(conn, discard=discard)
    elif discard:  # the request's connection broke: the next query takes a new one
        if held.conns.get(backend) is conn:
            del held.conns[backend]
        await backend.arelease(conn, discard=True)


class _Reopening:
    """``Database.backend`` once ``close()`` has dropped it: the read that finds no instance
    attribute opens a new backend. An open database's backend is a plain instance attribute,
    so the hot path pays nothing for this."""

    @overload
    def __get__(self, db: None, owner: type) -> _Reopening: ...

    @overload
    def __get__(self, db: Database, owner: type) -> Backend: ...

    def __get__(self, db: Database | None, owner: type) -> Backend | _Reopening:
        return self if db is None else db._reopen()


class Database:
    """A database reached through a URL; see ``DatabaseOptions`` for ``**options`` and defaults.

    ``sqlite:///app.db``, ``sqlite:///:memory:``, ``postgresql://user@host/db``,
    ``mysql://root@host/db`` (or ``mariadb://``). The first Database created becomes the default
    database of models without ``Meta.db`` unless ``default=False``.
    """

    def __init__(
        self, url: str, *, default: bool | None = None, alias: str | None = None, **options: Any
    ) -> None:
        global _default
        self.url = DatabaseURL.parse(url)
        #: the name logs, query events and spans give this database (default: the URL's
        #: database name, or the SQLite file's name)
        self.alias = alias or _default_alias(self.url)
        self.options = DatabaseOptions.build(self.url.query, options)
        #: ``close()`` ran and no statement has connected since (the next one reopens)
        self.closed = False
        self._own_hooks: tuple[QueryHookFunction, ...] = ()
        #: the hooks every statement is reported to: this database's and the global ones
        self.query_hooks: tuple[QueryHookFunction, ...] = _global_hooks
        self._sync_observer = QueryObserver(self, False)
        self._async_observer = QueryObserver(self, True)
        self._reopening = threading.Lock()
        self._new_backend()
        # a closed default gives way to the next Database, as if it had been dropped
        if default or (default is None and (_default is None or _default.closed)):
            _default = self
        _databases.add(self)

    def __repr__(self) -> str:
        return f"Database({self.url!r})"

    # -- observability -----------------------------------------------------------------------
    def on_query(self, hook: QueryHookFunction) -> QueryHook:
        """Call ``hook(event)`` (a ``QueryEvent``) after every statement this database runs,
        in the thread or task that ran it; ``remove()`` the returned ``QueryHook``, or use it
        as a context manager, to stop. An exception the hook raises propagates to the caller."""
        return QueryHook(hook, self)

    def capture_queries(self, *, transactions: bool = False) -> CapturedQueries:
        """``with db.capture_queries() as queries:`` (or ``async with``): the ``QueryEvent``
        of every statement this database ran in the block; transaction control only with
        ``transactions=True``."""
        return CapturedQueries(self, transactions=transactions)

    def assert_num_queries(self, expected: int, *, transactions: bool = False) -> CapturedQueries:
        """``with db.assert_num_queries(2):`` (or ``async with``) raises ``AssertionError``,
        listing the queries, unless the block ran exactly ``expected`` of them."""
        return AssertNumQueries(expected, self, transactions=transactions)

    def _refresh_hooks(self) -> None:
        self.query_hooks = (*self._own_hooks, *_global_hooks)

    # -- lifecycle ---------------------------------------------------------------------------
    backend = _Reopening()

    def _new_backend(self) -> Backend:
        backend: Backend = backend_class(self.url.scheme)(self.url, self.options)
        self.__dict__["backend"] = backend  # read at C speed until close() drops it
        self.dialect = backend.dialect
        return backend

    def _reopen(self) -> Backend:
        with self._reopening:
            backend: Backend | None = self.__dict__.get("backend")
            if backend is None:
                backend = self._new_backend()
                self.closed = False
            return backend

    def _dropped(self) -> Backend | None:
        """The open backend, no longer this database's (None if it is closed already)."""
        with self._reopening:
            backend: Backend | None = self.__dict__.pop("backend", None)
            if backend is not None:
                self.closed = True
            return backend

    def close(self) -> None:
        """Close every connection, async and sync, as SQLAlchemy's ``Engine.dispose()``: the
        database stays usable and the next statement connects again (a second lifespan of the
        same app, a reloaded server). A ``:memory:`` database starts empty again."""
        if loop_running():
            if _portal():
                _suspend(self.aclose())
                return
            raise SynchronousOnlyError("Database.close", "Database.aclose")
        backend = self._dropped()
        if backend is not None:
            backend.close()

    async def aclose(self) -> None:
        """The async twin of ``close()``."""
        backend = self._dropped()
        if backend is not None:
            await backend.aclose()

    async def adisconnect(self) -> None:
        """Close every pooled connection, async and sync; the next call connects again.
        covet.http apps do this for every database at shutdown. Unlike ``aclose()``, nothing
        happens while the test plugin's ``db`` fixture holds a connection."""
        old: Backend | None = self.__dict__.get("backend")
        if old is None or old.pinned is not None:
            return
        self._new_backend()
        await old.aclose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the two loops -----------------------------------------------------------------------
    def run(self, gen: Op[T], method: str, *, atomic: bool = False, hint: str | None = None) -> T:
        """Drive an operation with the sync API; ``method`` (and ``hint``) name it in errors."""
        if get_asyncgen_hooks().firstiter is not None and loop_running():
            if _portal():
                return _suspend(self.arun(gen, atomic=atomic))
            gen.close()
            raise SynchronousOnlyError(method, hint)
        obs = self._sync_observer if self.query_hooks or log_enabled(DEBUG) else None
        backend = self.backend
        binding = backend.bound() if backend.pinned is not None else backend._sync_binding.get()
        if binding is not None and (binding.owner == get_ident() or backend.pinned is not None):
            # inside a transaction: atomic already (no savepoint, as Django)
            return _drive(gen, binding.conn, obs)
        if atomic:
            with self.transaction():
                bound = backend.bound()
                assert bound is not None
                return _drive(gen, bound.conn, obs)
        conn, held = _checkout(backend)
        discard = False
        try:
            return _drive(gen, conn, obs)
        except _BROKEN:
            discard = True
            raise
        finally:
            _checkin(backend, conn, held, discard)

    async def arun(self, gen: Op[T], *, atomic: bool = False) -> T:
        """Drive an operation with the async API."""
        obs = self._async_observer if self.query_hooks or log_enabled(DEBUG) else None
        backend = self.backend
        binding = backend.abound()
        if binding is not None:  # inside a transaction: atomic already (no savepoint, as Django)
            return await _adrive_on(gen, binding.conn, obs)
        if atomic:
            async with self.transaction():
                bound = backend.abound()
                assert bound is not None
                return await _adrive_on(gen, bound.conn, obs)
        conn, held = await _acheckout(backend)
        discard = False
        try:
            return await _adrive_on(gen, conn, obs)
        except _BROKEN:
            discard = True
            raise
        finally:
            await _acheckin(backend, conn, held, discard)

    def fetch_rows(self, sql: str, params: Sequence[Any], method: str) -> list[Row]:
        """One SELECT straight through the executor (the hot path of ``get`` by primary key)."""
        if get_asyncgen_hooks().firstiter is not None and loop_running():
            if _portal():
                return _suspend(self.afetch_rows(sql, params))
            raise SynchronousOnlyError(method)
        obs = self._sync_observer if self.query_hooks or log_enabled(DEBUG) else None
        backend = self.backend
        # backend.bound() inlined (a call less per statement), as in run()
        binding = backend.bound() if backend.pinned is not None else backend._sync_binding.get()
        if binding is not None and (binding.owner == get_ident() or backend.pinned is not None):
            if obs is None:
                rows: list[Row] = binding.conn.fetch_all(sql, params)
                return rows
            found: list[Row] = obs.call(binding.conn, Stmt("fetch_all", sql, params))
            return found
        if held_connections.get() is None:  # _checkout / _checkin inlined: no request binding
            conn = backend.acquire()
            try:
                if obs is None:
                    rows = conn.fetch_all(sql, params)
                else:
                    rows = obs.call(conn, Stmt("fetch_all", sql, params))
            except _BROKEN:
                backend.release(conn, discard=True)
                raise
            except BaseException:
                backend.release(conn)
                raise
            backend.release(conn)
            return rows
        conn, held = _checkout(backend)
        discard = False
        try:
            if obs is None:
                return conn.fetch_all(sql, params)
            fetched: list[Row] = obs.call(conn, Stmt("fetch_all", sql, params))
            return fetched
        except _BROKEN:
            discard = True
            raise
        finally:
            _checkin(backend, conn, held, discard)

    async def afetch_rows(self, sql: str, params: Sequence[Any]) -> list[Row]:
        obs = self._async_observer if self.query_hooks or log_enabled(DEBUG) else None
        backend = self.backend
        binding = backend.abound()
        if binding is not None:
            if obs is None:
                rows: list[Row] = await binding.conn.fetch_all(sql, params)
                return rows
            found: list[Row] = await obs.acall(binding.conn, Stmt("fetch_all", sql, params))
            return found
        conn, held = await _acheckout(backend)
        discard = False
        try:
            if obs is None:
                return await conn.fetch_all(sql, params)
            fetched: list[Row] = await obs.acall(conn, Stmt("fetch_all", sql, params))
            return fetched
        except _BROKEN:
            discard = True
            raise
        finally:
            await _acheckin(backend, conn, held, discard)

    def stream(
        self, sql: str, params: Sequence[Any], chunk_size: int, method: str
    ) -> Iterator[list[Row]]:
        """Rows of one SELECT in chunks of at most ``chunk_size``, fetched as they are consumed
        (a server-side cursor on PostgreSQL, an unbuffered result on MariaDB, stepping on
        SQLite). The connection stays checked out until the iterator is exhausted or closed."""
        if loop_running():
            if _portal():
                yield from _suspended_stream(self.astream(sql, params, chunk_size))
                return
            raise SynchronousOnlyError(method)
        obs = self._sync_observer if self.query_hooks or log_enabled(DEBUG) else None
        backend = self.backend
        binding = backend.bound()
        if binding is not None:
            if obs is None:
                yield from binding.conn.stream(sql, params, chunk_size)
            else:
                yield from obs.stream(binding.conn, Stmt("stream", sql, params), chunk_size)
            return
        conn = backend.acquire()
        discard = False
        try:
            if obs is None:
                yield from conn.stream(sql, params, chunk_size)
            else:
                yield from obs.stream(conn, Stmt("stream", sql, params), chunk_size)
        except _BROKEN:
            discard = True
            raise
        finally:
            backend.release(conn, discard=discard)

    async def astream(
        self, sql: str, params: Sequence[Any], chunk_size: int
    ) -> AsyncGenerator[list[Row], None]:
        """The async twin of ``stream``."""
        obs = self._async_observer if self.query_hooks or log_enabled(DEBUG) else None
        backend = self.backend
        binding = backend.abound()
        if binding is not None:
            async with contextlib.aclosing(
                _astream_on(binding.conn, obs, sql, params, chunk_size)
            ) as rows:
                async for chunk in rows:
                    yield chunk
            return
        conn = await backend.aacquire()
        discard = False
        try:
            async with contextlib.aclosing(_astream_on(conn, obs, sql, params, chunk_size)) as rows:
                async for chunk in rows:
                    yield chunk
        except _BROKEN:
            discard = True
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await backend.arelease(conn, discard=discard)

    # -- raw SQL -----------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> ExecResult:
        """Run one statement; returns ``(rowcount, last_id)``. Placeholders are the driver's."""
        result: ExecResult = self.run(_one("execute", sql, params), "Database.execute")
        return result

    async def aexecute(self, sql: str, params: Sequence[Any] = ()) -> ExecResult:
        result: ExecResult = await self.arun(_one("execute", sql, params))
        return result

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> int:
        op = _one("executemany", sql, list(seq_of_params))
        count: int = self.run(op, "Database.executemany")
        return count

    async def aexecutemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> int:
        count: int = await self.arun(_one("executemany", sql, list(seq_of_params)))
        return count

    def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return self.run(_dicts(sql, params), "Database.fetch_all")

    async def afetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return await self.arun(_dicts(sql, params))

    def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.run(_dicts(sql, params), "Database.fetch_one")
        return rows[0] if rows else None

    async def afetch_one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = await self.arun(_dicts(sql, params))
        return rows[0] if rows else None

    def param(self, index: int = 1) -> str:
        """This database's placeholder for the ``index``-th parameter (``?``, ``$1``, ``%s``)."""
        return self.dialect.param(index)

    # -- schema ------------------------------------------------------------------------------
    def create_tables(self, models: Iterable[type[Model]]) -> None:
        """CREATE TABLE / INDEX ... IF NOT EXISTS for each model, in order."""
        from covet.orm.sql.ddl import create_table_sql

        stmts = [s for m in _with_through(models) for s in create_table_sql(m, self.dialect)]
        self.run(_script(stmts), "Database.create_tables")

    async def acreate_tables(self, models: Iterable[type[Model]]) -> None:
        from covet.orm.sql.ddl import create_table_sql

        stmts = [s for m in _with_through(models) for s in create_table_sql(m, self.dialect)]
        await self.arun(_script(stmts))

    def drop_tables(self, models: Iterable[type[Model]]) -> None:
        """DROP TABLE IF EXISTS for each model, in reverse order."""
        models = _with_through(models)
        stmts = [self.dialect.drop_table(m._meta.table_name) for m in reversed(models)]
        self.run(_script(stmts), "Database.drop_tables")

    async def adrop_tables(self, models: Iterable[type[Model]]) -> None:
        models = _with_through(models)
        stmts = [self.dialect.drop_table(m._meta.table_name) for m in reversed(models)]
        await self.arun(_script(stmts))

    # -- transactions ------------------------------------------------------------------------
    def transaction(self) -> Transaction:
        """``with db.transaction():`` or ``async with db.transaction():``; nested = savepoint."""
        return Transaction(self)

    def in_transaction(self) -> bool:
        if loop_running() and self.backend.abound() is not None:
            return True
        return self.backend.bound() is not None

    def on_commit(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` after the outermost transaction commits (now, if none is open).

        Callbacks registered inside a savepoint that rolls back are dropped. In async transactions
        a callback may return an awaitable; it is awaited.
        """
        binding = self.backend.abound() if loop_running() else None
        if binding is None:
            binding = self.backend.bound()
        if binding is None:
            result = callback()
            if inspect.isawaitable(result):
                raise TransactionManagementError(
                    "an async on_commit callback needs an open async transaction"
                )
            return
        binding.callbacks.append(callback)


def _astream_on(
    conn: AsyncConnection,
    obs: QueryObserver | None,
    sql: str,
    params: Sequence[Any],
    chunk_size: int,
) -> AsyncGenerator[list[Row], None]:
    if obs is None:
        return conn.stream(sql, params, chunk_size)
    return obs.astream(conn, Stmt("stream", sql, params), chunk_size)


def _default_alias(url: DatabaseURL) -> str:
    if url.scheme == "sqlite":
        return url.database.rsplit("/", 1)[-1] or ":memory:"
    return url.database or url.scheme


def _suspended_stream(chunks: AsyncGenerator[list[Row], None]) -> Iterator[list[Row]]:
    """The async stream's chunks, each awaited through the task's portal."""
    try:
        while True:
            try:
                chunk = _suspend(anext(chunks))
            except StopAsyncIteration:
                return
            yield chunk
    finally:
        if _portal():
            _suspend(chunks.aclose())
        # else: closed outside its task (garbage collected later): the event loop's async
        # generator finalizer closes ``chunks``, which returns the connection


async def disconnect_all() -> None:
    """``adisconnect`` every database of the process (an app's lifespan shutdown)."""
    for db in list(_databases):
        await db.adisconnect()


def check_params(params: Any) -> None:
    """Raw SQL parameters are a sequence of values; a string would bind one value per character."""
    if isinstance(params, str | bytes | bytearray):
        raise TypeError(
            f"params must be a sequence of values (a list or tuple), not a string: [{params!r}]"
        )


def _one(op: str, sql: str, params: Any) -> Op[Any]:
    if op == "executemany":
        for row in params:
            check_params(row)
    else:
        check_params(params)
    result = yield Stmt(op, sql, params)
    return result


def _dicts(sql: str, params: Sequence[Any]) -> Op[list[dict[str, Any]]]:
    check_params(params)
    names, rows = yield Stmt("fetch_columns", sql, params)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _script(statements: list[str]) -> Op[None]:
    for sql in statements:
        yield Stmt("execute", sql, ())


def _is_cancellation(et: type[BaseException]) -> bool:
    return not issubclass(et, Exception)  # CancelledError, KeyboardInterrupt, SystemExit, ...


class _Outcome(NamedTuple):
    committed: bool
    #: the connection's state is unknown: drop it instead of pooling it
    discard: bool
    #: a COMMIT that failed, raised once the connection is released
    error: DatabaseError | None = None


def _leave(savepoint: str | None, et: type[BaseException] | None) -> Op[_Outcome]:
    """The statements that end a transaction block, written once for both APIs.

    * A savepoint is released, or rolled back to and released when the block raised. If that
      fails while a cancellation unwinds (a cancelled statement may have ended the whole
      transaction: SQLite rolls it back when interrupted), the cancellation goes on and the
      outer block rolls back; otherwise the error is raised.
    * The outermost block commits, or rolls back when it raised. A ROLLBACK that fails (the
      database ended the transaction itself, or the connection broke) must not hide the block's
      own exception: the connection is dropped.
    * A COMMIT that fails may leave the transaction open (SQLite keeps it after a deferred
      foreign key violation) or not (PostgreSQL and MariaDB end it): a ROLLBACK follows either
      way, the connection goes back to the pool only if that ROLLBACK worked, and the COMMIT's
      error is raised.
    """
    if savepoint is not None:
        if et is None:
            yield Stmt("release", savepoint)
            return _Outcome(False, False)
        try:
            yield Stmt("rollback_to", savepoint)
            yield Stmt("release", savepoint)
        except DatabaseError:
            if not _is_cancellation(et):
                raise
        return _Outcome(False, False)
    if et is not None:
        try:
            yield Stmt("rollback", "")
        except DatabaseError:
            return _Outcome(False, True)
        return _Outcome(False, False)
    try:
        yield Stmt("commit", "")
    except DatabaseError as failed:
        try:
            yield Stmt("rollback", "")
        except DatabaseError:
            return _Outcome(False, True, failed)
        return _Outcome(False, False, failed)
    return _Outcome(True, False)


class Transaction:
    """A transaction (outermost) or savepoint (nested), sync or async."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._binding: Binding | None = None
        self._token: Token[Binding | None] | None = None
        self._savepoint: str | None = None
        self._mark = 0
        #: entered from sync code through a portal: the async transaction underneath
        self._suspended = False
        #: the request's connections, when the transaction runs on one of them
        self._held: RequestConnections | None = None

    # -- sync --------------------------------------------------------------------------------
    def __enter__(self) -> Transaction:
        if loop_running():
            if not _portal():
                raise SynchronousOnlyError(
                    "Database.transaction().__enter__", "async with db.transaction"
                )
            # the async transaction, entered through the task's portal: one transaction for
            # the sync and async calls of this task
            self._suspended = True
            _suspend(self.__aenter__())
            return self
        db = self.db
        obs = db._sync_observer if db.query_hooks or log_enabled(DEBUG) else None
        backend = db.backend
        binding = backend.bound()
        if binding is None:
            conn, self._held = _checkout(backend)
            try:
                if obs is None:
                    conn.begin()
                else:
                    obs.call(conn, Stmt("begin", ""))
            except BaseException:
                # whether BEGIN took effect is unknown: never pool a connection that may be
                # inside a transaction (the next user's autocommit writes would never commit)
                _checkin(backend, conn, self._held, True)
                raise
            self._binding, self._token = backend.bind(conn)
            self._binding.depth = 1
        else:
            self._enter_savepoint(binding)
            assert self._savepoint is not None
            if obs is None:
                binding.conn.savepoint(self._savepoint)
            else:
                obs.call(binding.conn, Stmt("savepoint", self._savepoint))
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._suspended:
            _suspend(self.__aexit__(et, e, tb))
            return
        binding = self._leaving(et)
        db = self.db
        obs = db._sync_observer if db.query_hooks or log_enabled(DEBUG) else None
        if self._savepoint is not None:
            _drive(_leave(self._savepoint, et), binding.conn, obs)
            return
        backend = db.backend
        discard = True  # unless the steps below say otherwise (Ctrl-C mid-COMMIT: drop it)
        try:
            outcome = _drive(_leave(None, et), binding.conn, obs)
            discard = outcome.discard
        finally:
            assert self._token is not None
            backend.unbind(self._token)
            _checkin(backend, binding.conn, self._held, discard)
        if outcome.error is not None:
            raise outcome.error
        if outcome.committed:
            for callback in binding.callbacks:
                callback()

    # -- async -------------------------------------------------------------------------------
    async def __aenter__(self) -> Transaction:
        db = self.db
        obs = db._async_observer if db.query_hooks or log_enabled(DEBUG) else None
        backend = db.backend
        binding = backend.abound()
        if binding is None:
            conn, self._held = await _acheckout(backend)
            try:
                if obs is None:
                    await conn.begin()
                else:
                    await obs.acall(conn, Stmt("begin", ""))
            except BaseException:
                # cancelled or failed: BEGIN may have taken effect, so the connection is dropped
                with anyio.CancelScope(shield=True):
                    await _acheckin(backend, conn, self._held, True)
                raise
            self._binding, self._token = backend.abind(conn)
            self._binding.depth = 1
        else:
            self._enter_savepoint(binding)
            assert self._savepoint is not None
            if obs is None:
                await binding.conn.savepoint(self._savepoint)
            else:
                await obs.acall(binding.conn, Stmt("savepoint", self._savepoint))
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        binding = self._leaving(et)
        db = self.db
        obs = db._async_observer if db.query_hooks or log_enabled(DEBUG) else None
        # leaving because of an error or a cancellation: the ROLLBACK must not be cancelled too
        if self._savepoint is not None:
            with anyio.CancelScope(shield=et is not None):
                await _adrive(_leave(self._savepoint, et), binding.conn, obs)
            return
        backend = db.backend
        discard = True
        try:
            with anyio.CancelScope(shield=et is not None):
                outcome = await _adrive(_leave(None, et), binding.conn, obs)
            discard = outcome.discard
        finally:
            assert self._token is not None
            backend.aunbind(self._token)
            with anyio.CancelScope(shield=True):
                await _acheckin(backend, binding.conn, self._held, discard)
        if outcome.error is not None:
            raise outcome.error
        if outcome.committed:
            for callback in binding.callbacks:
                result = callback()
                if inspect.isawaitable(result):
                    await result

    def _leaving(self, et: type[BaseException] | None) -> Binding:
        binding = self._binding
        assert binding is not None
        binding.depth -= 1
        if self._savepoint is not None and et is not None:
            del binding.callbacks[self._mark :]  # registered inside the rolled-back savepoint
        return binding

    def _enter_savepoint(self, binding: Binding) -> None:
        binding.savepoints += 1
        self._binding = binding
        self._savepoint = f"covet_sp_{binding.savepoints}"
        self._mark = len(binding.callbacks)
        binding.depth += 1


def _with_through(models: Iterable[type[Model]]) -> list[type[Model]]:
    """The models, each after the models of the list it references (a foreign key needs its
    table first; a cycle keeps the given order), then their many-to-many join tables."""
    todo = list(models)
    extra = [t for m in todo for t in getattr(m._meta, "auto_through", ()) if t not in todo]
    ordered: list[type[Model]] = []
    while todo:
        for model in todo:
            refs = [f.remote_model for f in getattr(model._meta, "forward", {}).values()]
            if not any(r in todo and r is not model for r in refs):
                break
        else:
            model = todo[0]
        todo.remove(model)
        ordered.append(model)
    return ordered + extra

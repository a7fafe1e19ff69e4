"""Backend and connection interfaces: the only layer of covet.orm that touches a driver.

Contract for backend authors (SQLite here; PostgreSQL/asyncpg and MySQL/asyncmy in
``backends/postgres.py`` and ``backends/mysql.py``):

* ``DatabaseURL.parse(url)`` splits a URL; ``backend_class(scheme)`` maps its scheme through
  ``BACKENDS`` (``sqlite``; ``postgresql``/``postgres``; ``mysql``/``mariadb``; a ``+driver`` suffix
  is ignored) to a ``Backend`` subclass, importing it lazily. A missing driver becomes
  ``ImproperlyConfigured("... pip install 'covet-orm[postgres]'")``.
* ``Backend(url, options)`` owns the pools. Subclasses implement four pool hooks and two closers:
  ``acquire() -> SyncConnection`` / ``release(conn, discard=)`` and
  ``await aacquire() -> AsyncConnection`` / ``await arelease(conn, discard=)``, ``close()`` /
  ``await aclose()``. ``discard=True`` means the connection saw an error that may have broken it
  (drop it, do not reuse). Async pools that belong to one event loop must be keyed by loop.
* The base class binds a checked-out connection to the current thread (sync) or task (async) with
  a ``ContextVar`` holding a ``Binding`` (owner, connection, transaction state). A binding made by
  another thread or task is ignored (contexts are copied into child tasks and ``to_thread`` calls,
  a transaction must not follow them). ``bound()`` / ``abound()`` return the binding or ``None``.
* ``SyncConnection`` and ``AsyncConnection`` share one small surface (async methods awaited):
  ``execute(sql, params) -> ExecResult(rowcount, last_id)``, ``executemany(sql, seq) -> rowcount``,
  ``fetch_all(sql, params) -> list[Row]`` (rows are tuples or tuple-like records, by position),
  ``fetch_one(sql, params) -> Row | None``, ``fetch_columns(sql, params) -> (names, rows)`` for
  dict/raw access, ``stream(sql, params, chunk_size)`` (an iterator, async iterator for
  ``AsyncConnection``, of row lists read from the server as they are consumed; the connection is
  busy until it ends), ``begin()``, ``commit()``, ``rollback()``, ``savepoint(name)``,
  ``release(name)``, ``rollback_to(name)``, ``close()``. SQL arrives in the dialect's placeholder
  style, params as a tuple or list (never ``None``); on MySQL a ``%%`` in text is one ``%``, and a
  lone ``%`` with parameters is a ``ProgrammingError``.
* Optional: an ``AsyncConnection`` with a blocking connection in its own thread may define
  ``async drive(driver, op)`` to run a whole operation there in one hop (``driver(op, sync_conn)``
  is the sync loop); ``Database.arun`` uses it when present (the SQLite executor does).
* Every driver exception leaving a connection method is translated with ``raise
  OurError(str(exc), exc) from exc`` into the ``covet.orm`` hierarchy (``IntegrityError`` for
  unique/FK/not-null/check, ``OperationalError`` for lost connections and lock timeouts, ...).
* Servers run in UTC sessions; PostgreSQL connections register json/jsonb codecs
  (``json.dumps``/``json.loads``); MySQL connections use autocommit (see ``sql/dialect.py``) and
  the ``CLIENT.FOUND_ROWS`` flag: an UPDATE's rowcount must be the rows *matched*, not changed
  (``save()`` inserts when an UPDATE by primary key matched nothing).
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from covet.orm._exceptions import ImproperlyConfigured
from covet.orm.sql.dialect import Dialect

Row = Sequence[Any]
Params = Sequence[Any]


def loop_running() -> bool:
    """Whether this thread runs an event loop (public API: ``get_running_loop`` raises if not).

    Every sync statement asks, and the answer is nearly always "no", where raising and catching
    the RuntimeError costs a quarter of a microsecond. A running asyncio (or uvloop) loop installs
    its async-generator hooks on its thread for as long as it runs, so a thread without hooks
    runs no loop: that answer comes without an exception. The hottest callers test the hooks
    inline before calling this."""
    if sys.get_asyncgen_hooks().firstiter is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class ExecResult(NamedTuple):
    rowcount: int
    last_id: Any


@dataclass(frozen=True)
class DatabaseURL:
    scheme: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str = ""
    query: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, url: str) -> DatabaseURL:
        parts = urlsplit(url)
        if not parts.scheme:
            raise ImproperlyConfigured(f"database URL {url!r} has no scheme (sqlite:///app.db)")
        scheme = parts.scheme.lower().split("+", 1)[0]
        if scheme == "sqlite":
            # sqlite:///relative.db, sqlite:////abs/path.db, sqlite:///:memory:, sqlite://
            path = url.split("://", 1)[1].split("?", 1)[0]
            database = unquote(path[1:] if path.startswith("/") else path) or ":memory:"
            return cls(scheme, database=database, query=dict(parse_qsl(parts.query)))
        try:
            port = parts.port
        except ValueError as exc:
            raise ImproperlyConfigured(f"bad port in database URL: {exc}") from None
        return cls(
            scheme,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname,
            port=port,
            database=unquote(parts.path.lstrip("/")),
            query=dict(parse_qsl(parts.query)),
        )

    def __repr__(self) -> str:  # never print the password
        auth = (
            f"{self.username}:***@"
            if self.password
            else (f"{self.username}@" if self.username else "")
        )
        where = f"{self.host or ''}{':' + str(self.port) if self.port else ''}"
        return f"DatabaseURL('{self.scheme}://{auth}{where}/{self.database}')"


@dataclass
class DatabaseOptions:
    """Options of ``Database(url, **options)``; URL query parameters override nothing set here."""

    #: most connections a pool opens (SQLite: idle connections kept per API)
    pool_size: int = 10
    #: connections opened eagerly when a server pool starts
    min_pool_size: int = 1
    #: seconds to wait when connecting or waiting for a pooled connection
    connect_timeout: float = 10.0
    #: seconds a single statement may run (None: no limit)
    command_timeout: float | None = None
    #: prepared statements each connection keeps (asyncpg / sqlite3 statement cache)
    statement_cache_size: int = 256
    #: SQLite: seconds to wait for a lock held by another connection
    busy_timeout: float = 5.0
    #: SQLite: journal mode for file databases
    journal_mode: str = "wal"
    #: extra keyword arguments passed to the driver's connect()
    connect_args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, query: dict[str, str], options: dict[str, Any]) -> DatabaseOptions:
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ImproperlyConfigured(
                f"unknown database option(s) {', '.join(unknown)}; valid: {', '.join(known)}"
            )
        merged: dict[str, Any] = {}
        for key, raw in query.items():
            if key not in known or key == "connect_args":
                continue
            default = getattr(cls, key, None)
            try:
                merged[key] = type(default)(raw) if default is not None else float(raw)
            except ValueError:
                raise ImproperlyConfigured(f"bad value {raw!r} for URL option {key}") from None
        merged.update(options)
        return cls(**merged)


class Binding:
    """A connection bound to one thread or task, with its transaction state."""

    __slots__ = ("callbacks", "conn", "depth", "owner", "savepoints")

    def __init__(self, owner: object, conn: Any) -> None:
        self.owner = owner
        self.conn = conn
        self.depth = 0
        self.savepoints = 0
        self.callbacks: list[Callable[[], Any]] = []


class PinnedBinding(Binding):
    """One side (sync or async) of a connection pinned for every thread and task
    (``Backend.pin``); both sides share the transaction state."""

    __slots__ = ("shared",)

    def __init__(self, conn: Any, shared: Binding) -> None:
        self.owner = None
        self.conn = conn
        self.shared = shared

    @property
    def depth(self) -> int:
        return self.shared.depth

    @depth.setter
    def depth(self, value: int) -> None:
        self.shared.depth = value

    @property
    def savepoints(self) -> int:
        return self.shared.savepoints

    @savepoints.setter
    def savepoints(self, value: int) -> None:
        self.shared.savepoints = value

    @property
    def callbacks(self) -> list[Callable[[], Any]]:
        return self.shared.callbacks

    @callbacks.setter
    def callbacks(self, value: list[Callable[[], Any]]) -> None:
        self.shared.callbacks = value


class SyncConnection(ABC):
    """A blocking connection (see the module docstring for the contract)."""

    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> ExecResult: ...

    @abstractmethod
    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int: ...

    @abstractmethod
    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]: ...

    @abstractmethod
    def stream(self, sql: str, params: Params, chunk_size: int) -> Iterator[list[Row]]: ...

    @abstractmethod
    def close(self) -> None: ...

    def begin(self) -> None:
        self.execute(self.dialect.begin_sql)

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        self.execute("ROLLBACK")

    def savepoint(self, name: str) -> None:
        self.execute(self.dialect.savepoint(name))

    def release(self, name: str) -> None:
        self.execute(self.dialect.release_savepoint(name))

    def rollback_to(self, name: str) -> None:
        self.execute(self.dialect.rollback_to_savepoint(name))


class AsyncConnection(ABC):
    """An async connection with the same surface as ``SyncConnection``."""

    dialect: Dialect

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> ExecResult: ...

    @abstractmethod
    async def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    @abstractmethod
    async def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]: ...

    @abstractmethod
    def stream(
        self, sql: str, params: Params, chunk_size: int
    ) -> AsyncGenerator[list[Row], None]: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def begin(self) -> None:
        await self.execute(self.dialect.begin_sql)

    async def commit(self) -> None:
        await self.execute("COMMIT")

    async def rollback(self) -> None:
        await self.execute("ROLLBACK")

    async def savepoint(self, name: str) -> None:
        await self.execute(self.dialect.savepoint(name))

    async def release(self, name: str) -> None:
        await self.execute(self.dialect.release_savepoint(name))

    async def rollback_to(self, name: str) -> None:
        await self.execute(self.dialect.rollback_to_savepoint(name))


class Backend(ABC):
    """Owns a database's pools; hands out connections and binds them to threads and tasks."""

    #: dialect name: ``sqlite``, ``postgresql`` or ``mysql``
    name: ClassVar[str]
    #: a request may keep one async connection for all its queries (``RequestConnections``):
    #: worth it where checking out can mean waiting for a busy pool
    hold_per_request: ClassVar[bool] = False

    def __init__(self, url: DatabaseURL, options: DatabaseOptions) -> None:
        from covet.orm.sql.dialect import get_dialect

        self.url = url
        self.options = options
        self.dialect = get_dialect(self.name)
        self._sync_binding: ContextVar[Binding | None] = ContextVar(
            f"covet_orm_sync_{id(self)}", default=None
        )
        self._async_binding: ContextVar[Binding | None] = ContextVar(
            f"covet_orm_async_{id(self)}", default=None
        )
        #: (sync side, async side) of a connection every thread and task uses (``pin``)
        self.pinned: tuple[PinnedBinding, PinnedBinding] | None = None

    # -- pool hooks (subclasses) -------------------------------------------------------------
    @abstractmethod
    def acquire(self) -> SyncConnection: ...

    @abstractmethod
    def release(self, conn: SyncConnection, *, discard: bool = False) -> None: ...

    @abstractmethod
    async def aacquire(self) -> AsyncConnection: ...

    @abstractmethod
    async def arelease(self, conn: AsyncConnection, *, discard: bool = False) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    async def aclose(self) -> None: ...

    # -- binding (shared) ----------------------------------------------------------------------
    def pin(self, sync_conn: SyncConnection, async_conn: AsyncConnection, depth: int) -> None:
        """Make every thread and task use one connection, seen through a sync and an async
        view, inside a transaction ``depth`` deep (blocks nest as savepoints in it): the test
        plugin's ``db`` fixture. ``unpin()`` ends it."""
        shared = Binding(None, None)
        shared.depth = depth
        self.pinned = (PinnedBinding(sync_conn, shared), PinnedBinding(async_conn, shared))

    def unpin(self) -> None:
        self.pinned = None

    def bound(self) -> Binding | None:
        """The binding of the current thread, if it made one."""
        if self.pinned is not None:
            return self.pinned[0]
        b = self._sync_binding.get()
        if b is not None and b.owner == threading.get_ident():
            return b
        return None

    def bind(self, conn: SyncConnection) -> tuple[Binding, Token[Binding | None]]:
        b = Binding(threading.get_ident(), conn)
        return b, self._sync_binding.set(b)

    def unbind(self, token: Token[Binding | None]) -> None:
        try:
            self._sync_binding.reset(token)
        except ValueError:  # reset from another context: clear our value instead
            self._sync_binding.set(None)

    def abound(self) -> Binding | None:
        """The binding of the current task, if it made one."""
        if self.pinned is not None:
            return self.pinned[1]
        b = self._async_binding.get()
        if b is not None and b.owner is current_task():
            return b
        return None

    def abind(self, conn: AsyncConnection) -> tuple[Binding, Token[Binding | None]]:
        b = Binding(current_task(), conn)
        return b, self._async_binding.set(b)

    def aunbind(self, token: Token[Binding | None]) -> None:
        try:
            self._async_binding.reset(token)
        except ValueError:
            self._async_binding.set(None)


def current_task() -> object:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


#: URL scheme -> "module:Class"; extend with ``register_backend``.
BACKENDS: dict[str, str] = {
    "sqlite": "covet.orm.backends.sqlite:SqliteBackend",
    "postgresql": "covet.orm.backends.postgres:PostgresBackend",
    "postgres": "covet.orm.backends.postgres:PostgresBackend",
    "mysql": "covet.orm.backends.mysql:MySQLBackend",
    "mariadb": "covet.orm.backends.mysql:MySQLBackend",
}
_EXTRAS = {"asyncpg": "postgres", "psycopg": "postgres", "asyncmy": "mysql", "pymysql": "mysql"}


def register_backend(scheme: str, target: str) -> None:
    """Map a URL scheme to ``"package.module:BackendClass"``."""
    BACKENDS[scheme] = target


def backend_class(scheme: str) -> type[Backend]:
    try:
        target = BACKENDS[scheme]
    except KeyError:
        raise ImproperlyConfigured(
            f"no backend for URL scheme {scheme!r}; known: {', '.join(sorted(BACKENDS))}"
        ) from None
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in _EXTRAS:
            raise ImproperlyConfigured(
                f"the {scheme!r} backend needs the {missing} driver: "
                f"pip install 'covet-orm[{_EXTRAS[missing]}]'"
            ) from exc
        raise
    cls: type[Backend] = getattr(module, attr)
    return cls

"""Fixtures shared by the covet.orm tests.

* ``backend``: parametrized over ``BACKENDS`` (SQLite always; the server backends from the marked
  section below).
* ``db``: a fresh ``Database`` for the test, made the default database of models without Meta.db.
* ``tables``: creates the test module's ``MODELS`` before the test and drops them after.
* ``api``: parametrized ``sync`` / ``async``. ``await api(obj, "count")`` calls ``obj.count()`` in a
  worker thread (the sync API, as a ``def`` handler would) or ``await obj.acount()`` (the async
  API), so one test body covers both.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

from covet.orm import Database

BACKENDS: list[str] = ["sqlite"]

# ---- server backends (orm-servers) -----------------------------------------------------------
# Add "postgres" / "mysql" to SERVER_BACKENDS and fill server_url(); each must return a URL to a
# database reserved for this test session, or call pytest.skip / pytest.fail (CI=true).
SERVER_BACKENDS: list[str] = ["postgres", "mysql"]
SERVER_ENV = {"postgres": "COVET_TEST_POSTGRES_URL", "mysql": "COVET_TEST_MYSQL_URL"}
_session_dbs: dict[str, str | BaseException] = {}


def _admin(url: str, statements: list[str]) -> None:
    """Run statements on the server's default database through covet.orm's own backend."""
    from covet.orm.backends.base import DatabaseOptions, DatabaseURL, backend_class

    parsed = DatabaseURL.parse(url)
    backend = backend_class(parsed.scheme)(parsed, DatabaseOptions(pool_size=1, connect_timeout=5))
    try:
        conn = backend.acquire()
        try:
            for sql in statements:
                conn.execute(sql, ())
        finally:
            backend.release(conn)
    finally:
        backend.close()


def _session_db_name(backend: str) -> str:
    return f"covet_test_{os.getpid()}_{backend}"


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _create_session_db(backend: str) -> str:
    admin = os.environ[SERVER_ENV[backend]]
    name = _session_db_name(backend)
    _admin(admin, [_drop_sql(backend, name), _create_sql(backend, name)])
    return _with_database(admin, name)


def _drop_sql(backend: str, name: str) -> str:
    if backend == "postgres":
        return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    return f"DROP DATABASE IF EXISTS `{name}`"


def _create_sql(backend: str, name: str) -> str:
    if backend == "postgres":
        return f'CREATE DATABASE "{name}"'
    return f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"


def server_url(backend: str) -> str:
    """URL of this session's own database on the server (created on first use, dropped at exit)."""
    if backend not in _session_dbs:
        try:
            _session_dbs[backend] = _create_session_db(backend)
        except Exception as error:  # unreachable server: skip here, fail in CI
            _session_dbs[backend] = error
    found = _session_dbs[backend]
    if isinstance(found, str):
        return found
    message = f"{backend} unreachable ({found}); set {SERVER_ENV[backend]} to a reachable server"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _drop_server_databases() -> Iterator[None]:
    yield
    for backend, found in _session_dbs.items():
        if not isinstance(found, str):
            continue
        _admin(os.environ[SERVER_ENV[backend]], [_drop_sql(backend, _session_db_name(backend))])


@pytest.fixture(params=SERVER_BACKENDS)
def server(request: pytest.FixtureRequest) -> str:
    """Each server backend (for tests that only make sense on PostgreSQL and MariaDB)."""
    name: str = request.param
    return name


@pytest.fixture
def server_db_url(server: str) -> str:
    return server_url(server)


# ---- end of server backends ------------------------------------------------------------------

BACKENDS += SERVER_BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return server_url(backend)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url, default=True)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def tables(db: Database, request: pytest.FixtureRequest) -> Iterator[Database]:
    models = getattr(request.module, "MODELS", [])
    db.drop_tables(models)
    db.create_tables(models)
    try:
        yield db
    finally:
        db.drop_tables(models)


class Api:
    """Calls the sync method in a worker thread or awaits its ``a``-prefixed twin."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_async = name == "async"

    def __repr__(self) -> str:
        return self.name

    async def __call__(self, target: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        if self.is_async:
            return await getattr(target, async_name(method))(*args, **kwargs)
        call = functools.partial(getattr(target, method), *args, **kwargs)
        return await anyio.to_thread.run_sync(call)

    async def list(self, iterable: Any) -> list[Any]:
        if self.is_async:
            return [item async for item in iterable]
        return await anyio.to_thread.run_sync(list, iterable)

    async def run(self, fn: Callable[[], Any]) -> Any:
        """Run a block of sync code in a worker thread (sync API only)."""
        return await anyio.to_thread.run_sync(fn)


def async_name(method: str) -> str:
    return "a" + method


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Api:
    return Api(request.param)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    os.environ.setdefault("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")

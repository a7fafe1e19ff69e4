"""Fixtures for the covet.migrate tests: a fresh, empty database per test on each backend.

``db_url`` is parametrized over SQLite, PostgreSQL and MariaDB; the server backends create a
database for the test and drop it afterwards (``COVET_TEST_POSTGRES_URL`` /
``COVET_TEST_MYSQL_URL`` name the servers; unreachable servers skip, or fail when ``CI=true``).
The model modules the tests migrate live in ``tests/apps`` (put on ``sys.path`` here).
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from covet.orm import Database

APPS = Path(__file__).parent / "apps"
if str(APPS) not in sys.path:
    sys.path.insert(0, str(APPS))

SERVER_ENV = {"postgres": "COVET_TEST_POSTGRES_URL", "mysql": "COVET_TEST_MYSQL_URL"}
DEFAULT_URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/test",
    "mysql": "mysql://root@127.0.0.1:3306/test",
}
_counter = itertools.count()


def admin(url: str, statements: list[str]) -> None:
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


def _quote(backend: str, name: str) -> str:
    return f'"{name}"' if backend == "postgres" else f"`{name}`"


def _drop(backend: str, name: str) -> str:
    force = " WITH (FORCE)" if backend == "postgres" else ""
    return f"DROP DATABASE IF EXISTS {_quote(backend, name)}{force}"


@pytest.fixture
def fresh_server_db(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A factory: ``fresh_server_db(backend)`` -> URL of a new empty database."""
    made: list[tuple[str, str, str]] = []

    def make(backend: str) -> str:
        server = os.environ.get(SERVER_ENV[backend], DEFAULT_URLS[backend])
        name = f"covet_mig_{os.getpid()}_{next(_counter)}"
        charset = "" if backend == "postgres" else " CHARACTER SET utf8mb4"
        try:
            admin(
                server, [_drop(backend, name), f"CREATE DATABASE {_quote(backend, name)}{charset}"]
            )
        except Exception as error:
            message = f"{backend} unreachable ({error}); set {SERVER_ENV[backend]}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        made.append((backend, server, name))
        return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))

    yield make
    for backend, server, name in made:
        admin(server, [_drop(backend, name)])


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def db_url(backend: str, tmp_path: Path, fresh_server_db: Any) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = fresh_server_db(backend)
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url, default=False)
    try:
        yield database
    finally:
        database.close()

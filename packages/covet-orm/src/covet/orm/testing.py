"""covet-orm's pytest plugin, enabled when covet-orm is installed (entry point ``pytest11``).

Fixtures (docs/testing.md):

* ``db``: the test runs inside a transaction that is rolled back at its end. Every thread, task
  and event loop of the process uses that transaction's connection, so the app under covet.http's
  ``TestClient`` (another thread and loop) or ``AsyncTestClient`` sees the test's uncommitted rows
  and the test sees the app's; ``with db.transaction():`` blocks inside are savepoints. Sync and
  async tests.
* ``transactional_db``: real commits (for code that needs them: ``on_commit`` callbacks, several
  connections); the tables of ``covet_models`` are emptied afterwards.
* ``assert_num_queries``: ``with assert_num_queries(2): ...`` fails the test unless the block ran
  exactly that many queries (transaction control statements are not counted); the captured
  queries are in the failure message.
* ``covet_database_url`` (session): the URL of this run's test database: ``--covet-db-url``, else
  ``COVET_TEST_DATABASE_URL``, else the ``covet_db_url`` ini option, else a SQLite file in the
  run's temporary directory. On PostgreSQL and MariaDB the database named in the URL gets a
  ``_test`` suffix (``_test_gw0``, ``_test_gw1``, ... per pytest-xdist worker), is created at the
  start (dropped first if a previous run left it) and dropped at the end; ``--covet-reuse-db``
  keeps it.
* ``covet_db`` (session): the ``Database`` the fixtures act on: ``Database(covet_database_url)``,
  the default database, with the tables of ``covet_models`` created. Override it in a
  ``conftest.py`` to hand over your app's own ``Database`` (pointed at ``covet_database_url``).
* ``covet_models`` (session): the models whose tables ``covet_db`` creates and
  ``transactional_db`` empties; none by default: override it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import pytest

from covet.orm import _database
from covet.orm._database import Database, Stmt
from covet.orm._pinned import ConnectionHost, PinnedTransaction

if TYPE_CHECKING:
    from covet.orm._model import Model

__all__ = [
    "CapturedQueries",
    "capture_queries",
    "create_test_database",
    "drop_test_database",
    "isolated_database_url",
]

ENV = "COVET_TEST_DATABASE_URL"
_NAME = re.compile(r"[A-Za-z0-9_]+")


# -- helpers (usable without pytest) ----------------------------------------------------------
class CapturedQueries(list[Stmt]):
    """The queries run inside ``capture_queries()``, in order."""

    def __str__(self) -> str:
        return "\n".join(
            f"{i}. {stmt.sql}  {list(stmt.params)!r}" for i, stmt in enumerate(self, 1)
        )


@contextlib.contextmanager
def capture_queries() -> Iterator[CapturedQueries]:
    """Collect every query any thread or task runs while the block runs."""
    captured = CapturedQueries()
    observer: Callable[[Stmt], None] = captured.append
    _database.observers.append(observer)
    try:
        yield captured
    finally:
        _database.observers.remove(observer)


def isolated_database_url(url: str, worker: str | None = None) -> str:
    """The test database for ``url``: its name with ``_test`` (and ``_<worker>``) appended; a
    SQLite file gets the suffix before its extension; ``:memory:`` stays as it is."""
    suffix = "_test" + (f"_{worker}" if worker else "")
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme == "sqlite":
        path = url.split("://", 1)[1].split("?", 1)[0]
        if not path.strip("/") or ":memory:" in path or "mode=memory" in url:
            return url
        file = Path(path[1:] if path.startswith("/") else path)
        target = file.with_name(f"{file.stem}{suffix}{file.suffix}")
        query = f"?{parts.query}" if parts.query else ""
        return f"{parts.scheme}:///{target}{query}"
    name = parts.path.lstrip("/") or "covet"
    return urlunsplit(parts._replace(path=f"/{name}{suffix}"))


def _server_admin(url: str) -> tuple[str, str, str]:
    """(scheme, database name, URL of the server's maintenance database) for a server URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    name = parts.path.lstrip("/")
    if not _NAME.fullmatch(name):
        raise ValueError(f"test database names are letters, digits and _ only: {name!r}")
    maintenance = "/postgres" if scheme in ("postgresql", "postgres") else "/"
    return scheme, name, urlunsplit(parts._replace(path=maintenance))


def create_test_database(url: str) -> None:
    """Create the database ``url`` names (dropping one left by an earlier run); for SQLite
    remove the file."""
    scheme = urlsplit(url).scheme.split("+", 1)[0].lower()
    if scheme == "sqlite":
        _remove_sqlite(url)
        return
    scheme, name, admin_url = _server_admin(url)
    with Database(admin_url, default=False, pool_size=1, min_pool_size=0) as admin:
        if scheme in ("postgresql", "postgres"):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        else:
            admin.execute(f"DROP DATABASE IF EXISTS `{name}`")
            admin.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")


def drop_test_database(url: str) -> None:
    scheme = urlsplit(url).scheme.split("+", 1)[0].lower()
    if scheme == "sqlite":
        _remove_sqlite(url)
        return
    scheme, name, admin_url = _server_admin(url)
    with Database(admin_url, default=False, pool_size=1, min_pool_size=0) as admin:
        if scheme in ("postgresql", "postgres"):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            admin.execute(f"DROP DATABASE IF EXISTS `{name}`")


def _remove_sqlite(url: str) -> None:
    path = url.split("://", 1)[1].split("?", 1)[0]
    if not path.strip("/") or ":memory:" in path:
        return
    file = Path(path[1:] if path.startswith("/") else path)
    for extra in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{file}{extra}").unlink()


def _empty_tables(db: Database, models: list[type[Model]]) -> None:
    tables = [db.dialect.quote(m._meta.table_name) for m in reversed(models)]
    if not tables:
        return
    name = db.dialect.name
    if name == "postgresql":
        db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    elif name == "mysql":
        with db.transaction():
            db.execute("SET FOREIGN_KEY_CHECKS = 0")
            try:
                for table in tables:
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 (quoted names)
            finally:
                db.execute("SET FOREIGN_KEY_CHECKS = 1")
        for table in tables:
            db.execute(f"ALTER TABLE {table} AUTO_INCREMENT = 1")
    else:
        with db.transaction():
            for table in tables:
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (quoted names)
            with contextlib.suppress(Exception):  # no AUTOINCREMENT table: no sqlite_sequence
                db.execute("DELETE FROM sqlite_sequence")


# -- the plugin -------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("covet-orm")
    group.addoption(
        "--covet-db-url",
        dest="covet_db_url",
        default=None,
        help=f"database URL the test database is derived from (else ${ENV}, else SQLite)",
    )
    group.addoption(
        "--covet-reuse-db",
        dest="covet_reuse_db",
        action="store_true",
        default=False,
        help="keep the test database at the end of the run",
    )
    parser.addini("covet_db_url", "database URL the test database is derived from", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "covet_db: the test uses covet-orm's database fixtures (informational)"
    )


def _base_url(config: pytest.Config, tmp: Path) -> str:
    option: str | None = config.getoption("covet_db_url")
    url = option or os.environ.get(ENV) or str(config.getini("covet_db_url") or "")
    return url or f"sqlite:///{tmp / 'covet.db'}"


@pytest.fixture(scope="session")
def covet_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    config = request.config
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = isolated_database_url(_base_url(config, tmp_path_factory.getbasetemp()), worker)
    create_test_database(url)
    yield url
    if not config.getoption("covet_reuse_db"):
        drop_test_database(url)


@pytest.fixture(scope="session")
def covet_models() -> list[type[Model]]:
    return []


@pytest.fixture(scope="session")
def covet_db(covet_database_url: str, covet_models: list[type[Model]]) -> Iterator[Database]:
    database = Database(covet_database_url, default=True)
    database.create_tables(covet_models)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture(scope="session")
def _covet_connection_host(covet_db: Database) -> Iterator[ConnectionHost]:
    host = ConnectionHost(covet_db.backend)
    try:
        yield host
    finally:
        host.close()


@pytest.fixture
def db(covet_db: Database, _covet_connection_host: ConnectionHost) -> Iterator[Database]:
    with PinnedTransaction(_covet_connection_host):
        yield covet_db


@pytest.fixture
def transactional_db(covet_db: Database, covet_models: list[type[Model]]) -> Iterator[Database]:
    try:
        yield covet_db
    finally:
        _empty_tables(covet_db, covet_models)


@pytest.fixture
def assert_num_queries() -> Callable[[int], contextlib.AbstractContextManager[CapturedQueries]]:
    @contextlib.contextmanager
    def check(expected: int) -> Iterator[CapturedQueries]:
        with capture_queries() as captured:
            yield captured
        if len(captured) != expected:
            pytest.fail(
                f"expected {expected} quer{'y' if expected == 1 else 'ies'}, "
                f"ran {len(captured)}:\n{captured}",
                pytrace=False,
            )

    return check

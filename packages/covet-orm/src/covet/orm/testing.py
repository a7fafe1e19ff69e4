"""covet-orm's pytest plugin, enabled when covet-orm is installed (entry point ``pytest11``).

Fixtures (docs/testing.md):

* ``db``: the test runs inside a transaction that is rolled back at its end. Every thread, task
  and event loop of the process uses that transaction's connection, so the app under covet.http's
  ``TestClient`` (another thread and loop) or ``AsyncTestClient`` sees the test's uncommitted rows
  and the test sees the app's; ``with db.transaction():`` blocks inside are savepoints. Sync and
  async tests.
* ``transactional_db``: real commits (for code that needs them: ``on_commit`` callbacks, several
  connections); the tables of ``covet_models`` are emptied afterwards.
* ``assert_num_queries``: ``with assert_num_queries(2): ...`` (or ``async with``) fails the test
  unless the block ran exactly that many queries on any database (transaction control statements
  are not counted); the captured queries are in the failure message.
* ``capture_queries``: ``with capture_queries() as queries: ...`` (or ``async with``) collects
  the ``QueryEvent`` of every query any database runs in the block.
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

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from covet.orm._database import Database
from covet.orm._observe import AssertNumQueries, CapturedQueries
from covet.orm._pinned import ConnectionHost, PinnedTransaction
from covet.orm._testdb import (
    assert_num_queries,
    capture_queries,
    create_test_database,
    drop_test_database,
    empty_tables,
    isolated_database_url,
)

if TYPE_CHECKING:
    from covet.orm._model import Model

__all__ = [
    "AssertNumQueries",
    "CapturedQueries",
    "assert_num_queries",
    "capture_queries",
    "create_test_database",
    "drop_test_database",
    "empty_tables",
    "isolated_database_url",
]

ENV = "COVET_TEST_DATABASE_URL"


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
    host = ConnectionHost(covet_db)
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
        empty_tables(covet_db, covet_models)


class _FailingCount(AssertNumQueries):
    """The fixture's check: a test failure with the queries, not an assertion traceback."""

    def fail(self, message: str) -> None:
        pytest.fail(message, pytrace=False)


@pytest.fixture(name="assert_num_queries")
def _assert_num_queries_fixture() -> Callable[..., AssertNumQueries]:
    def check(expected: int, *, transactions: bool = False) -> AssertNumQueries:
        return _FailingCount(expected, None, transactions=transactions)

    return check


@pytest.fixture(name="capture_queries")
def _capture_queries_fixture() -> Callable[..., CapturedQueries]:
    return capture_queries

"""Test databases and query capture: the helpers behind covet-orm's pytest plugin
(``covet.orm.testing`` re-exports them), importable without pytest."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from covet.orm._database import Database
from covet.orm._observe import AssertNumQueries, CapturedQueries

if TYPE_CHECKING:
    from covet.orm._model import Model

_NAME = re.compile(r"[A-Za-z0-9_]+")


def capture_queries(*, transactions: bool = False) -> CapturedQueries:
    """``with capture_queries() as queries:`` (or ``async with``): every statement any database,
    thread or task runs while the block runs; ``Database.capture_queries`` watches one."""
    return CapturedQueries(None, transactions=transactions)


def assert_num_queries(expected: int, *, transactions: bool = False) -> AssertNumQueries:
    """``with assert_num_queries(2):`` (or ``async with``) over every database: raises
    ``AssertionError`` listing the queries unless the block ran exactly ``expected``."""
    return AssertNumQueries(expected, None, transactions=transactions)


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


def empty_tables(db: Database, models: list[type[Model]]) -> None:
    """Delete every row of the models' tables and restart their ids."""
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

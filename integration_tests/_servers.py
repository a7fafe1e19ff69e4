"""The real database servers the integration tests use (shared/SERVICES.md), and a database of
its own on one of them for a test."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from covet.orm.testing import create_test_database, drop_test_database, isolated_database_url

#: backend -> (the environment variable that overrides its URL, the local default)
SERVERS = {
    "postgres": ("COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


@contextlib.contextmanager
def server_database(backend: str, tag: str, tmp_path: Path | None = None) -> Iterator[str]:
    """The URL of a database made for this test on ``backend``'s server (``tag`` and the process
    id name it), dropped afterwards; ``sqlite`` is a file in ``tmp_path``. An unreachable server
    skips the test, and fails it under ``CI=true`` (where every server must be up)."""
    if backend == "sqlite":
        assert tmp_path is not None, "a SQLite test database needs tmp_path"
        yield f"sqlite:///{tmp_path / f'{tag}.db'}"
        return
    variable, default = SERVERS[backend]
    url = isolated_database_url(os.environ.get(variable, default), f"{tag}_{os.getpid()}")
    try:
        create_test_database(url)
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{backend} unreachable: {exc}")
        pytest.skip(f"{backend} unreachable ({exc}); set {variable}")
    try:
        yield url
    finally:
        drop_test_database(url)

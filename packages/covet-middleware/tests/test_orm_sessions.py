"""Server-side sessions in SQLite, PostgreSQL and MariaDB through covet-orm."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from covet.middleware import DatabaseSessionBackend, SessionMiddleware

URLS = {
    "sqlite": None,
    "postgres": os.environ.get(
        "COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}
VARIABLES = {"postgres": "COVET_TEST_POSTGRES_URL", "mysql": "COVET_TEST_MYSQL_URL"}


@pytest.fixture(params=list(URLS))
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[DatabaseSessionBackend]:
    from covet.orm import Database

    url = URLS[request.param] or f"sqlite:///{tmp_path / 'sessions.db'}"
    database = Database(url, default=False)
    table = f"covet_sessions_{secrets.token_hex(4)}"
    backend = DatabaseSessionBackend(database, table_name=table)
    try:
        await backend.create_table()
    except Exception as exc:  # the server is not there
        await database.aclose()
        variable = VARIABLES.get(request.param, "")
        if os.environ.get("CI") == "true":
            pytest.fail(f"{request.param} unreachable at {url} ({variable}): {exc}")
        pytest.skip(f"{request.param} unreachable; set {variable} (tried {url}): {exc}")
    try:
        yield backend
    finally:
        await database.aexecute(f"DROP TABLE {table}")
        await database.aclose()


async def test_logout_kills_a_captured_cookie_and_login_changes_the_id(
    build: Any, make_client: Any, backend: DatabaseSessionBackend
) -> None:
    app = build((SessionMiddleware, {"backend": backend}))
    async with make_client(app) as client:
        await client.get("/session/set", params={"cart": "3"})
        before_login = client.cookies["session"]
        await client.get("/login", params={"user": "ada"})
        captured = client.cookies["session"]
        assert captured != before_login
        assert (await client.get("/session")).json() == {"cart": "3", "user": "ada"}
        await client.get("/session/set", params={"theme": "dark"})
        assert (await client.get("/session")).json()["theme"] == "dark"
        assert "Max-Age=0" in (await client.get("/logout")).headers["set-cookie"]
    for stale in (before_login, captured):
        async with make_client(app, cookies={"session": stale}) as attacker:
            assert (await attacker.get("/session")).json() == {}
    assert await backend.model.objects.acount() == 0


async def test_expired_rows_are_ignored_and_purged(backend: DatabaseSessionBackend) -> None:
    _, cookie = await backend.save(None, {"a": 1}, 1_000, 60)  # expired long ago
    live_id, live_cookie = await backend.save(None, {"b": 2}, 4_000_000_000, 60)
    assert await backend.load(cookie, 10**12) is None
    assert await backend.load(live_cookie, 10**12) == (live_id, {"b": 2}, 4_000_000_000)
    assert await backend.purge_expired() == 1
    assert await backend.model.objects.acount() == 1

"""Acceptance test: examples/fullstack/app.py, a bookmarks API built from every CovetPy package.

Part 1 drives the app in-process with covet.http's TestClient through a user's journey; part 2
(``slow``) starts it under a real uvicorn process and repeats a short journey over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import importlib.util
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from covet.auth import PasswordHasher
from covet.http import Covet
from covet.http.testing import AsyncTestClient, TestClient
from covet.orm import Database, IntegerField, Model, ORMError

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "examples" / "fullstack"
ORIGIN = "https://app.example.com"
PROBLEM = "application/problem+json"


def _load() -> ModuleType:
    # loaded once: its models are module-level classes, as in a user's app
    spec = importlib.util.spec_from_file_location("covet_fullstack_app", APP_DIR / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["covet_fullstack_app"] = module
    spec.loader.exec_module(module)
    return module


fullstack = _load()


def make_app(tmp_path: Path, **options: Any) -> Covet:
    app: Covet = fullstack.create_app(
        f"sqlite:///{tmp_path / 'bookmarks.db'}",
        password_hasher=PasswordHasher.for_testing(),
        **options,
    )
    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(make_app(tmp_path), base_url="https://testserver") as test_client:
        yield test_client


def signup(client: TestClient, username: str, password: str) -> None:
    reply = client.post("/auth/signup", json={"username": username, "password": password})
    assert reply.status_code == 201, reply.text


def orm_user(username: str, password: str, **fields: Any) -> Any:
    """A user made straight through covet.orm's sync API (as a fixture or admin script would)."""
    user = fullstack.User(username=username, scopes=["bookmarks"], **fields)
    user.set_password(password)
    user.save()
    return user


def login(client: TestClient, username: str, password: str) -> dict[str, Any]:
    reply = client.post("/auth/token", data={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    tokens: dict[str, Any] = reply.json()
    assert tokens["token_type"] == "bearer"
    return tokens


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_problem(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


# -- part 1: in-process ----------------------------------------------------------------------


def test_bookmarks_crud_for_the_owner(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    ada = bearer(login(client, "ada", "analytical engine"))
    assert fullstack.User.objects.get(username="ada").last_login is not None  # on_login ran

    first = client.post(
        "/bookmarks",
        json={"url": "https://covet.dev/docs", "title": "Covet docs", "tags": ["python"]},
        headers=ada,
    )
    assert first.status_code == 201
    created = first.json()
    assert first.headers["location"] == f"/bookmarks/{created['id']}"
    assert created["title"] == "Covet docs" and created["tags"] == ["python"]
    second = client.post(
        "/bookmarks", json={"url": "https://example.org", "title": "Example"}, headers=ada
    )
    assert second.status_code == 201

    listed = client.get("/bookmarks", headers=ada)  # the sync `def` handler
    assert [b["title"] for b in listed.json()] == ["Covet docs", "Example"]
    assert [b["title"] for b in client.get("/bookmarks?q=DOCS", headers=ada).json()] == [
        "Covet docs"
    ]
    assert client.get(f"/bookmarks/{created['id']}", headers=ada).json() == created

    patched = client.patch(
        f"/bookmarks/{created['id']}", json={"title": "CovetPy docs"}, headers=ada
    )  # select_for_update inside a transaction
    assert patched.status_code == 200
    assert patched.json()["title"] == "CovetPy docs"
    assert patched.json()["url"] == "https://covet.dev/docs"
    assert fullstack.Bookmark.objects.get(pk=created["id"]).title == "CovetPy docs"

    visited = client.post(f"/bookmarks/{created['id']}/visit", headers=ada)
    assert visited.json()["visits"] == 1

    deleted = client.delete(f"/bookmarks/{second.json()['id']}", headers=ada)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_problem(client.get(f"/bookmarks/{second.json()['id']}", headers=ada), 404)
    assert [b["id"] for b in client.get("/bookmarks", headers=ada).json()] == [created["id"]]


def test_another_user_can_neither_see_nor_change_a_bookmark(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    orm_user("bob", "the builder!")
    ada = bearer(login(client, "ada", "analytical engine"))
    bob = bearer(login(client, "bob", "the builder!"))
    mine = client.post("/bookmarks", json={"url": "https://a.example", "title": "A"}, headers=ada)
    path = f"/bookmarks/{mine.json()['id']}"

    assert client.get("/bookmarks", headers=bob).json() == []
    assert_problem(client.get(path, headers=bob), 404)
    assert_problem(client.patch(path, json={"title": "pwned"}, headers=bob), 404)
    assert_problem(client.post(f"{path}/visit", headers=bob), 404)
    assert_problem(client.delete(path, headers=bob), 404)
    assert client.get(path, headers=ada).json() == mine.json()  # untouched

    theirs = client.post("/bookmarks", json={"url": "https://b.example", "title": "B"}, headers=bob)
    assert theirs.status_code == 201
    assert [b["title"] for b in client.get("/bookmarks", headers=ada).json()] == ["A"]


def test_bad_input_gets_422_with_field_errors(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    ada = bearer(login(client, "ada", "analytical engine"))

    shape = assert_problem(client.post("/bookmarks", json={"title": 3}, headers=ada), 422)
    assert [(e["loc"], e["type"]) for e in shape["errors"]] == [
        (["body", "url"], "missing"),
        (["body", "title"], "string_type"),
    ]
    values = assert_problem(
        client.post(
            "/bookmarks", json={"url": "javascript:alert(1)", "title": "x" * 201}, headers=ada
        ),
        422,
    )
    assert {e["loc"][1] for e in values["errors"]} == {"url", "title"}
    assert fullstack.Bookmark.objects.count() == 0

    good = client.post("/bookmarks", json={"url": "https://ok.example", "title": "ok"}, headers=ada)
    bad_patch = client.patch(f"/bookmarks/{good.json()['id']}", json={"url": "nope"}, headers=ada)
    assert [e["loc"] for e in assert_problem(bad_patch, 422)["errors"]] == [["body", "url"]]
    assert fullstack.Bookmark.objects.get(pk=good.json()["id"]).url == "https://ok.example"
    assert_problem(client.get("/bookmarks/abc", headers=ada), 404)  # {id:int} does not match
    assert_problem(client.put("/bookmarks", headers=ada), 405)
    assert_problem(client.post("/auth/signup", json={"username": "ada", "password": "x" * 8}), 409)
    assert_problem(client.post("/auth/signup", json={"username": "eve", "password": "short"}), 422)
    assert_problem(
        client.post("/auth/signup", json={"username": "e\x00", "password": "x" * 8}), 422
    )
    too_long = client.post("/auth/signup", json={"username": "eve", "password": "x" * 5000})
    assert assert_problem(too_long, 422)["errors"][0]["loc"] == ["body", "password"]


def test_anonymous_and_bad_tokens_get_401(client: TestClient) -> None:
    anonymous = assert_problem(client.get("/bookmarks"), 401)
    assert anonymous["detail"]
    assert client.get("/bookmarks").headers["www-authenticate"].startswith("Bearer")
    forged = client.get("/bookmarks", headers={"Authorization": "Bearer not.a.token"})
    assert_problem(forged, 401)
    assert 'error="invalid_token"' in forged.headers["www-authenticate"]
    assert client.get("/health").json() == {"status": "ok"}  # public routes stay public
    signup(client, "ada", "analytical engine")
    wrong = client.post("/auth/token", data={"username": "ada", "password": "nope"})
    assert_problem(wrong, 401)
    tokens = login(client, "ada", "analytical engine")
    swapped = client.get(
        "/bookmarks", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert assert_problem(swapped, 401)["detail"] == "expected an access token, got 'refresh'"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    first = login(client, "ada", "analytical engine")

    rotated = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/bookmarks", headers=bearer(second)).status_code == 200

    replayed = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(replayed, 401)
    # the whole session is gone: the descendant access and refresh tokens too
    assert_problem(client.get("/bookmarks", headers=bearer(second)), 401)
    assert_problem(client.get("/bookmarks", headers=bearer(first)), 401)
    later = client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_problem(later, 401)

    # a new login starts a new, working session
    assert (
        client.get("/bookmarks", headers=bearer(login(client, "ada", "analytical engine"))).json()
        == []
    )


def test_logout_revokes_the_session(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    tokens = login(client, "ada", "analytical engine")
    assert client.get("/bookmarks", headers=bearer(tokens)).status_code == 200

    out = client.post(
        "/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=bearer(tokens)
    )
    assert out.status_code == 204
    after = client.get("/bookmarks", headers=bearer(tokens))
    assert_problem(after, 401)
    assert 'error="invalid_token"' in after.headers["www-authenticate"]
    refresh = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refresh, 401)


def test_logout_with_the_access_token_alone_also_ends_the_refresh_token(
    client: TestClient,
) -> None:
    signup(client, "ada", "analytical engine")
    tokens = login(client, "ada", "analytical engine")
    assert client.post("/auth/logout", headers=bearer(tokens)).status_code == 204
    refresh = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refresh, 401)
    # an invalid token on a public route is just an anonymous request
    assert client.get("/health", headers=bearer(tokens)).json() == {"status": "ok"}


def test_repeated_wrong_passwords_lock_the_account(tmp_path: Path) -> None:
    with TestClient(make_app(tmp_path, lockout_delay=60)) as client:
        _lock_out(client)


def _lock_out(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    wrong = {"username": "ada", "password": "guess"}
    # 5 free attempts; the 6th runs and locks the account (60 s here); the 7th is refused
    statuses = [client.post("/auth/token", json=wrong).status_code for _ in range(6)]
    assert statuses == [401] * 6
    locked = client.post("/auth/token", json=wrong, headers={"Origin": ORIGIN})
    assert_problem(locked, 429)
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    assert locked.json()["detail"].endswith("seconds")
    assert locked.headers["access-control-allow-origin"] == ORIGIN  # the page can read the 429
    assert "ratelimit-limit" in locked.headers  # the address limit is a separate layer


def test_a_deactivated_user_loses_access_and_refresh(client: TestClient) -> None:
    user = orm_user("mallory", "soon disabled")
    tokens = login(client, "mallory", "soon disabled")
    assert client.get("/bookmarks", headers=bearer(tokens)).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_problem(client.get("/bookmarks", headers=bearer(tokens)), 401)
    refresh = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refresh, 401)


def test_cors_preflight_only_for_the_allowed_origin(client: TestClient) -> None:
    request_headers = {
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    allowed = client.options("/bookmarks/1", headers={"Origin": ORIGIN, **request_headers})
    assert allowed.status_code in (200, 204)
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "PATCH" in allowed.headers["access-control-allow-methods"]
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

    evil = client.options(
        "/bookmarks/1", headers={"Origin": "https://evil.example", **request_headers}
    )
    assert "access-control-allow-origin" not in evil.headers
    assert assert_problem(evil, 400)["detail"] == "Disallowed CORS origin"
    unlisted = client.options(
        "/bookmarks", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert assert_problem(unlisted, 400)["detail"] == "Disallowed CORS method"
    assert not any(h.startswith("access-control-allow-") for h in evil.headers)

    simple = client.get("/health", headers={"Origin": ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    assert "origin" in simple.headers["vary"].lower()
    other = client.get("/health", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers
    # an error answer for the allowed origin still carries CORS headers, so the page can read it
    denied = client.get("/bookmarks", headers={"Origin": ORIGIN})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == ORIGIN


def test_large_responses_are_compressed(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    ada = bearer(login(client, "ada", "analytical engine"))
    for n in range(20):
        client.post(
            "/bookmarks",
            json={"url": f"https://e.example/{n}", "title": f"Bookmark {n}"},
            headers=ada,
        )

    plain = client.get("/bookmarks", headers={**ada, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    gzipped = client.get("/bookmarks", headers={**ada, "Accept-Encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in gzipped.headers["vary"].lower()
    assert gzipped.json() == plain.json()  # httpx decompressed it
    assert len(plain.json()) == 20
    brotli = client.get("/bookmarks", headers={**ada, "Accept-Encoding": "br, gzip"})
    assert brotli.headers["content-encoding"] == "br"
    assert brotli.json() == plain.json()
    tiny = client.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in tiny.headers  # under minimum_size


def test_login_is_rate_limited_with_retry_after(tmp_path: Path) -> None:
    with TestClient(make_app(tmp_path, login_rate=(3, 60))) as client:
        signup(client, "ada", "analytical engine")
        statuses = []
        for n in range(3):
            reply = client.post("/auth/token", data={"username": f"nobody{n}", "password": "x"})
            statuses.append(reply.status_code)
            assert reply.headers["ratelimit-limit"] == "3"
        assert statuses == [401, 401, 401]
        limited = client.post(
            "/auth/token", data={"username": "ada", "password": "analytical engine"}
        )
        assert_problem(limited, 429)
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["x-content-type-options"] == "nosniff"
        # only the login route is limited
        assert client.get("/health").status_code == 200
        assert "ratelimit-limit" not in client.get("/health").headers
        assert (
            client.post("/auth/signup", json={"username": "bob", "password": "b" * 8}).status_code
            == 201
        )


def test_every_response_carries_request_id_and_security_headers(client: TestClient) -> None:
    for reply in (client.get("/health"), client.get("/nowhere"), client.get("/bookmarks")):
        assert len(reply.headers["x-request-id"]) == 32
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["x-frame-options"] == "DENY"
        assert reply.headers["strict-transport-security"].startswith("max-age=")  # https base_url
    echoed = client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["x-request-id"] == "trace-123"
    assert_problem(client.get("/nowhere"), 404)


async def test_concurrent_visits_are_not_lost(tmp_path: Path) -> None:
    # each visit is a read-modify-write inside a transaction with select_for_update
    async with AsyncTestClient(make_app(tmp_path)) as client:
        reply = await client.post(
            "/auth/signup", json={"username": "ada", "password": "analytical engine"}
        )
        assert reply.status_code == 201
        login_reply = await client.post(
            "/auth/token", json={"username": "ada", "password": "analytical engine"}
        )
        ada = bearer(login_reply.json())
        created = await client.post(
            "/bookmarks", json={"url": "https://a.example", "title": "A"}, headers=ada
        )
        path = f"/bookmarks/{created.json()['id']}"
        replies = await asyncio.gather(
            *(client.post(f"{path}/visit", headers=ada) for _ in range(12))
        )
        assert [r.status_code for r in replies] == [200] * 12
        assert sorted(r.json()["visits"] for r in replies) == list(range(1, 13))
        assert (await client.get(path, headers=ada)).json()["visits"] == 12


SERVERS = {
    "postgres": ("COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


@pytest.mark.parametrize("server_name", sorted(SERVERS))
async def test_the_journey_on_server_databases(server_name: str, tmp_path: Path) -> None:
    # select_for_update is a real FOR UPDATE here; the same app code, only the URL changes
    variable, default = SERVERS[server_name]
    url = os.environ.get(variable, default)
    probe = Database(url, default=False, connect_timeout=3)
    try:
        await probe.afetch_one("SELECT 1")
    except (ORMError, OSError) as exc:
        await probe.aclose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{server_name} unreachable at {variable}={url}: {exc}")
    app = fullstack.create_app(url, password_hasher=PasswordHasher.for_testing())
    try:
        async with AsyncTestClient(app) as client:
            await fullstack.Bookmark.objects.all().adelete()
            await fullstack.User.objects.all().adelete()
            signup_reply = await client.post(
                "/auth/signup", json={"username": "ada", "password": "analytical engine"}
            )
            assert signup_reply.status_code == 201
            await client.post("/auth/signup", json={"username": "bob", "password": "the builder!"})
            tokens = await client.post(
                "/auth/token", json={"username": "ada", "password": "analytical engine"}
            )
            ada = bearer(tokens.json())
            bob_tokens = await client.post(
                "/auth/token", json={"username": "bob", "password": "the builder!"}
            )
            bob = bearer(bob_tokens.json())
            created = await client.post(
                "/bookmarks", json={"url": "https://a.example", "title": "A"}, headers=ada
            )
            path = created.headers["location"]
            visits = await asyncio.gather(
                *(client.post(f"{path}/visit", headers=ada) for _ in range(10))
            )
            assert [v.status_code for v in visits] == [200] * 10
            patched = await client.patch(path, json={"title": "B"}, headers=ada)
            assert patched.json()["title"] == "B" and patched.json()["visits"] == 10
            listed = await client.get("/bookmarks", headers=ada)  # the sync `def` handler
            assert [b["title"] for b in listed.json()] == ["B"]
            assert (await client.get(path, headers=bob)).status_code == 404
            assert (await client.delete(path, headers=bob)).status_code == 404
            assert (await client.get(f"/bookmarks/{10**23}", headers=ada)).status_code == 404
            assert (await client.delete(path, headers=ada)).status_code == 204
    finally:
        for table in ("bookmarks", "bookmark_users"):
            await probe.aexecute(f"DROP TABLE IF EXISTS {probe.dialect.quote(table)}")
        await probe.aclose()


def test_an_id_beyond_64_bits_is_a_404_not_a_500(client: TestClient) -> None:
    signup(client, "ada", "analytical engine")
    ada = bearer(login(client, "ada", "analytical engine"))
    huge = 10**23
    assert_problem(client.get(f"/bookmarks/{huge}", headers=ada), 404)
    assert_problem(client.patch(f"/bookmarks/{huge}", json={"title": "x"}, headers=ada), 404)
    assert_problem(client.delete(f"/bookmarks/{2**63}", headers=ada), 404)


async def test_orm_integer_filter_beyond_64_bits_on_sqlite_matches_nothing(
    tmp_path: Path,
) -> None:
    overflow_db = Database(f"sqlite:///{tmp_path / 'overflow.db'}", default=False)

    class Counter(Model):
        n = IntegerField(default=0)

        class Meta:
            db = overflow_db
            table_name = "fullstack_overflow_counter"

    try:
        await overflow_db.acreate_tables([Counter])
        assert await Counter.objects.filter(pk=1).afirst() is None
        # no 64-bit column holds it: no row matches (as Django), the driver never sees it
        assert await Counter.objects.filter(pk=10**23).afirst() is None
    finally:
        await overflow_db.aclose()


def test_a_crash_below_the_error_middleware_is_a_500_with_the_request_id(tmp_path: Path) -> None:
    # the user loader (inside AuthenticationMiddleware) fails: ErrorMiddleware answers
    app = make_app(tmp_path)
    with TestClient(app, raise_server_exceptions=False) as client:
        signup(client, "ada", "analytical engine")
        headers = {**bearer(login(client, "ada", "analytical engine")), "X-Request-ID": "req-77"}
        with contextlib.closing(sqlite3.connect(tmp_path / "bookmarks.db")) as connection:
            connection.execute("DROP TABLE bookmark_users")
        crashed = client.get("/bookmarks", headers=headers)
    body = assert_problem(crashed, 500)
    assert body["request_id"] == "req-77" == crashed.headers["x-request-id"]
    assert "bookmark_users" not in crashed.text and "Traceback" not in crashed.text
    assert crashed.headers["x-content-type-options"] == "nosniff"


# -- part 2: a real uvicorn process ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "BOOKMARKS_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}",
        "BOOKMARKS_TEST_HASHER": "1",
        "BOOKMARKS_TRUSTED_PROXIES": "127.0.0.1",
    }
    command = [
        sys.executable, "-m", "uvicorn", "app:create_app", "--factory",
        "--app-dir", str(APP_DIR), "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--lifespan", "on",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"uvicorn exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("uvicorn did not answer /health within 30 seconds")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


@pytest.mark.slow
def test_journey_over_real_http(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert (
            http.post(
                "/auth/signup", json={"username": "ada", "password": "analytical engine"}
            ).status_code
            == 201
        )
        assert (
            http.post(
                "/auth/signup", json={"username": "bob", "password": "the builder!"}
            ).status_code
            == 201
        )
        tokens = http.post(
            "/auth/token", data={"username": "ada", "password": "analytical engine"}
        ).json()
        ada = bearer(tokens)
        bob = bearer(
            http.post("/auth/token", json={"username": "bob", "password": "the builder!"}).json()
        )

        created = http.post(
            "/bookmarks", json={"url": "https://covet.dev", "title": "Covet"}, headers=ada
        )
        assert created.status_code == 201
        path = created.headers["location"]
        patched = http.patch(path, json={"title": "CovetPy"}, headers=ada)
        assert patched.json()["title"] == "CovetPy"
        assert [b["title"] for b in http.get("/bookmarks", headers=ada).json()] == ["CovetPy"]
        assert_problem(http.get(path, headers=bob), 404)
        assert_problem(http.post("/bookmarks", json={"url": 1}, headers=ada), 422)

        for n in range(15):
            http.post(
                "/bookmarks", json={"url": f"https://e.example/{n}", "title": f"B{n}"}, headers=ada
            )
        listed = http.get("/bookmarks", headers={**ada, "Accept-Encoding": "gzip"})
        assert listed.headers["content-encoding"] == "gzip"
        assert len(listed.json()) == 16
        with http.stream("GET", "/bookmarks", headers={**ada, "Accept-Encoding": "gzip"}) as raw:
            compressed = b"".join(raw.iter_raw())
        assert json.loads(gzip.decompress(compressed)) == listed.json()
        assert len(compressed) < len(listed.content)

        with ThreadPoolExecutor(max_workers=8) as pool:
            visits = list(pool.map(lambda _: http.post(f"{path}/visit", headers=ada), range(16)))
        assert [v.status_code for v in visits] == [200] * 16
        assert http.get(path, headers=ada).json()["visits"] == 16

        preflight = http.options(
            "/bookmarks",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.headers["access-control-allow-origin"] == ORIGIN

        rotated = http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).json()
        assert_problem(
            http.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 401
        )
        assert_problem(http.get("/bookmarks", headers=bearer(rotated)), 401)  # family revoked

        assert http.post("/auth/logout", headers=bob).status_code == 204
        assert_problem(http.get("/bookmarks", headers=bob), 401)

        # the peer (127.0.0.1) is a trusted proxy: X-Forwarded-For picks the rate-limit bucket
        attempts = [
            http.post(
                "/auth/token",
                data={"username": f"nobody{n}", "password": "x"},
                headers={"X-Forwarded-For": "203.0.113.9"},
            )
            for n in range(11)
        ]
        assert [a.status_code for a in attempts] == [401] * 10 + [429]
        assert int(attempts[-1].headers["retry-after"]) >= 1
        other_client = http.post(
            "/auth/token",
            data={"username": "ada", "password": "analytical engine"},
            headers={"X-Forwarded-For": "198.51.100.4"},
        )
        assert other_client.status_code == 200

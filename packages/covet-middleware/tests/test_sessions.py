from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from covet.http import ConfigurationError
from covet.middleware import (
    EncryptedCookieBackend,
    MemoryStore,
    SessionBackend,
    SessionMiddleware,
    SignedCookieBackend,
    StoreBackend,
)

KEY = "session-key-" + "a" * 40
OLD_KEY = "session-old-" + "b" * 40


@pytest.fixture(params=["signed", "encrypted", "memory", "redis"])
async def backend_factory(
    request: pytest.FixtureRequest, open_redis: Any
) -> AsyncIterator[Callable[[list[str]], SessionBackend]]:
    """Builds a backend for a list of keys; server-side ones share one store per test."""
    if request.param == "signed":
        yield SignedCookieBackend
    elif request.param == "encrypted":
        yield EncryptedCookieBackend
    elif request.param == "memory":
        memory = MemoryStore()
        yield lambda keys: StoreBackend(memory)
    else:
        async with open_redis() as redis:
            yield lambda keys: StoreBackend(redis)


def app_with(build: Any, backend: SessionBackend, **options: Any) -> Any:
    return build((SessionMiddleware, {"backend": backend, **options}))


async def test_values_persist_between_requests(
    build: Any, make_client: Any, backend_factory: Any
) -> None:
    app = app_with(build, backend_factory([KEY]))
    async with make_client(app) as client:
        first = await client.get("/session/set", params={"colour": "green"})
        second = await client.get("/session")
        third = await client.get("/session")
    assert first.json() == {"colour": "green"}
    assert second.json() == {"colour": "green"}
    cookie = first.headers["set-cookie"]
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"):
        assert attribute in cookie
    assert "set-cookie" not in third.headers  # unchanged and fresh: nothing to write


async def test_tampered_cookie_is_rejected(
    build: Any, make_client: Any, backend_factory: Any
) -> None:
    app = app_with(build, backend_factory([KEY]))
    async with make_client(app) as client:
        await client.get("/session/set", params={"role": "user"})
        value = client.cookies["session"]
        first = "x" if value[0] != "x" else "y"  # a random id starts with "x" one time in 64
        for tampered in (value[:-2] + ("AA" if value[-2:] != "AA" else "BB"), first + value[1:]):
            client.cookies.clear()
            client.cookies.set("session", tampered)
            response = await client.get("/session")
            assert response.json() == {}
            assert "Max-Age=0" in response.headers["set-cookie"]


async def test_signed_cookie_payload_cannot_be_rewritten(build: Any, make_client: Any) -> None:
    app = app_with(build, SignedCookieBackend(KEY))
    async with make_client(app) as client:
        await client.get("/session/set", params={"role": "user"})
        encoded, _, signature = client.cookies["session"].rpartition(".")
        payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
        payload["d"]["role"] = "admin"
        forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        client.cookies.clear()
        client.cookies.set("session", f"{forged}.{signature}")
        assert (await client.get("/session")).json() == {}


async def test_key_rotation_keeps_old_sessions(
    build: Any, make_client: Any, backend_factory: Any
) -> None:
    old_app = app_with(build, backend_factory([OLD_KEY]))
    async with make_client(old_app) as client:
        await client.get("/session/set", params={"user": "ada"})
        cookies = client.cookies
    new_app = app_with(build, backend_factory([KEY, OLD_KEY]))
    async with make_client(new_app, cookies=cookies) as client:
        assert (await client.get("/session")).json() == {"user": "ada"}
        await client.get("/session/set", params={"more": "1"})
        cookies = client.cookies
    # A re-written session is signed with the new key only: dropping the old key keeps it.
    newest = app_with(build, backend_factory([KEY]))
    async with make_client(newest, cookies=cookies) as client:
        assert (await client.get("/session")).json() == {"user": "ada", "more": "1"}


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_logout_kills_a_captured_cookie_and_login_changes_the_id(
    build: Any, make_client: Any, open_redis: Any, kind: str
) -> None:
    async with open_redis() if kind == "redis" else _memory() as store:
        app = app_with(build, StoreBackend(store))
        async with make_client(app) as client:
            await client.get("/session/set", params={"cart": "3"})
            before_login = client.cookies["session"]
            await client.get("/login", params={"user": "ada"})
            after_login = client.cookies["session"]
            assert before_login != after_login
            # The pre-login id (which an attacker may have planted) is dead.
            async with make_client(app, cookies={"session": before_login}) as attacker:
                assert (await attacker.get("/session")).json() == {}
            captured = after_login
            assert (await client.get("/session")).json() == {"cart": "3", "user": "ada"}
            logout = await client.get("/logout")
            assert "Max-Age=0" in logout.headers["set-cookie"]
        async with make_client(app, cookies={"session": captured}) as attacker:
            assert (await attacker.get("/session")).json() == {}


class _memory:
    async def __aenter__(self) -> MemoryStore:
        return MemoryStore()

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_cookie_backend_logout_sends_a_deletion_cookie(build: Any, make_client: Any) -> None:
    app = app_with(build, SignedCookieBackend(KEY))
    async with make_client(app) as client:
        await client.get("/session/set", params={"a": "1"})
        response = await client.get("/logout")
        assert "Max-Age=0" in response.headers["set-cookie"]
        assert (await client.get("/session")).json() == {}


async def test_expired_cookie_is_ignored_and_sliding_renewal_reissues(
    build: Any, make_client: Any
) -> None:
    backend = SignedCookieBackend(KEY)
    app = app_with(build, backend, max_age=1000)
    now = int(time.time())
    _, expired = await backend.save(None, {"a": "1"}, now - 1001, 1000)
    _, ageing = await backend.save(None, {"a": "2"}, now - 200, 1000)
    _, fresh = await backend.save(None, {"a": "3"}, now - 5, 1000)
    async with make_client(app, cookies={"session": expired}) as client:
        assert (await client.get("/session")).json() == {}
    async with make_client(app, cookies={"session": ageing}) as client:
        response = await client.get("/session")
        assert response.json() == {"a": "2"}
        assert "Max-Age=1000" in response.headers["set-cookie"]  # renewed: another 1000 s
    async with make_client(app, cookies={"session": fresh}) as client:
        response = await client.get("/session")
        assert response.json() == {"a": "3"}
        assert "set-cookie" not in response.headers


async def test_no_sliding_means_no_renewal(build: Any, make_client: Any) -> None:
    backend = SignedCookieBackend(KEY)
    app = app_with(build, backend, max_age=1000, sliding=False)
    _, ageing = await backend.save(None, {"a": "2"}, int(time.time()) - 900, 1000)
    async with make_client(app, cookies={"session": ageing}) as client:
        response = await client.get("/session")
    assert response.json() == {"a": "2"}
    assert "set-cookie" not in response.headers


async def test_encrypted_cookie_hides_the_data(build: Any, make_client: Any) -> None:
    app = app_with(build, EncryptedCookieBackend(KEY))
    async with make_client(app) as client:
        await client.get("/session/set", params={"secret": "plaintext-value"})
        raw = base64.urlsafe_b64decode(client.cookies["session"] + "==")
    assert b"plaintext-value" not in raw


@pytest.mark.parametrize("backend", [SignedCookieBackend, EncryptedCookieBackend])
def test_short_keys_are_refused(backend: Any) -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        backend("too-short")


def test_session_middleware_needs_a_key_or_backend() -> None:
    with pytest.raises(TypeError, match="secret_key"):
        SessionMiddleware(lambda *a: None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        SessionMiddleware(lambda *a: None, secret_key="short")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="secure"):
        SessionMiddleware(lambda *a: None, secret_key=KEY, samesite="none", secure=False)  # type: ignore[arg-type]


async def test_oversized_cookie_session_fails_loudly(build: Any, make_client: Any) -> None:
    app = app_with(build, SignedCookieBackend(KEY))
    async with make_client(app) as client:
        with pytest.raises(ValueError, match="4000-byte"):
            await client.get("/session/set", params={"blob": "x" * 5000})


async def test_websocket_sees_the_session_read_only() -> None:
    backend = SignedCookieBackend(KEY)
    _, cookie = await backend.save(None, {"user": "ada"}, int(time.time()), 3600)
    seen: dict[str, Any] = {}
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope["session"])
        scope["session"]["changed"] = True
        await send({"type": "websocket.accept"})

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "websocket", "headers": [(b"cookie", f"session={cookie}".encode())]}
    await SessionMiddleware(app, backend=backend)(scope, None, send)  # type: ignore[arg-type]
    assert seen == {"user": "ada"}
    assert sent == [{"type": "websocket.accept"}]


async def test_split_cookie_headers_pick_the_same_session_as_the_request(asgi_call: Any) -> None:
    # HTTP/2 sends each cookie as its own header line; the middleware must pick the cookie the
    # app's request.cookies would (the first one, as covet.http's parse_cookies does).
    backend = SignedCookieBackend(KEY)
    _, first = await backend.save(None, {"user": "ada"}, int(time.time()), 3600)
    _, second = await backend.save(None, {"user": "eve"}, int(time.time()), 3600)
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope["session"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    headers = [
        (b"host", b"testserver"),
        (b"cookie", f"theme=dark; session={first}".encode()),
        (b"cookie", f"session={second}".encode()),
    ]
    await asgi_call(SessionMiddleware(app, backend=backend), {"headers": headers})
    assert seen == {"user": "ada"}

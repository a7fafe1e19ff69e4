"""A shared store that is down answers 503 (or lets requests pass, where asked), never 500.

"Down" is real: a port where nothing listens (connection refused), a private ``redis-server``
killed in the middle of the test, and a socket that accepts connections but never answers.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any

import pytest
import redis.exceptions
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse as StarletteJSON
from starlette.routing import Route

from covet.http import Covet, Depends, HTTPException, Request
from covet.http.testing import TestClient
from covet.middleware import (
    ErrorMiddleware,
    RateLimiter,
    RateLimitMiddleware,
    RedisStore,
    SessionMiddleware,
    StoreBackend,
    StoreUnavailable,
)

# a well-formed server-side session id, so the store is read
COOKIE = {"cookie": "session=" + "s" * 43}


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    body = response.json()
    assert body["status"] == 503
    assert body["title"] == "Service Unavailable"
    assert "127.0.0.1" not in response.text and "hunter2" not in response.text


# ---- RedisStore ------------------------------------------------------------------------------


async def test_every_method_raises_store_unavailable_naming_the_host_not_the_password(
    dead_store: RedisStore,
) -> None:
    calls = [
        dead_store.get("k"),
        dead_store.set("k", b"v", ttl=5),
        dead_store.add("k", b"v"),
        dead_store.delete("k"),
        dead_store.incr("k", ttl=5),
        dead_store.ttl("k"),
        dead_store.expire("k", 5),
        dead_store.hit_fixed_window("k", 1, 5),
        dead_store.hit_sliding_window("k", 1, 5),
    ]
    for call in calls:
        with pytest.raises(StoreUnavailable) as info:
            await call
        message = str(info.value)
        port = dead_store.location.rsplit(":", 1)[1]
        assert f"redis://127.0.0.1:{port}" in message
        assert "hunter2" not in message and "hunter2" not in repr(info.value)
        assert isinstance(info.value.__cause__, redis.exceptions.ConnectionError | OSError)
        assert isinstance(info.value, HTTPException) and info.value.status_code == 503
        assert info.value.headers == {"Retry-After": "5"}
        assert "127.0.0.1" not in info.value.detail


async def test_a_server_that_goes_away_after_working_raises_store_unavailable(
    private_redis: Any,
) -> None:
    store = RedisStore(private_redis.url, prefix="outage:")
    try:
        await store.set("k", b"v")
        assert await store.get("k") == b"v"
        private_redis.kill()
        with pytest.raises(StoreUnavailable, match=f"127.0.0.1:{private_redis.port}"):
            await store.get("k")
        with pytest.raises(StoreUnavailable):  # and again, once the pool reconnects
            await store.incr("n")
    finally:
        await store.close()


async def test_a_black_holed_server_times_out_instead_of_hanging() -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        store = RedisStore(f"redis://127.0.0.1:{port}/0", socket_timeout=0.3)
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as info:
                await asyncio.wait_for(store.get("k"), timeout=10)
            assert time.monotonic() - started < 3
            assert isinstance(info.value.__cause__, redis.exceptions.TimeoutError | TimeoutError)
        finally:
            await store.close()


def test_default_timeouts_are_bounded() -> None:
    store = RedisStore("redis://127.0.0.1:6379/0")
    options = store.client.connection_pool.connection_kwargs
    assert options["socket_connect_timeout"] == 2.0
    assert options["socket_timeout"] == 5.0


# ---- RateLimitMiddleware and RateLimiter ------------------------------------------------------


async def test_rate_limit_denies_with_503_when_the_store_is_down(
    build: Any, make_client: Any, dead_store: RedisStore
) -> None:
    app = build((RateLimitMiddleware, {"limit": 5, "window": 60, "store": dead_store}))
    async with make_client(app) as client:
        response = await client.get("/text")
    assert_unavailable(response)
    assert "ratelimit-limit" not in response.headers


async def test_rate_limit_allow_lets_requests_through_and_logs_once(
    build: Any, make_client: Any, dead_store: RedisStore, caplog: pytest.LogCaptureFixture
) -> None:
    options = {"limit": 1, "window": 60, "store": dead_store, "on_store_error": "allow"}
    app = build((RateLimitMiddleware, options))
    async with make_client(app) as client:
        with caplog.at_level(logging.WARNING, logger="covet.middleware.ratelimit"):
            responses = [await client.get("/text") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5  # limit=1, yet nothing is counted
    assert all("ratelimit-limit" not in r.headers for r in responses)
    records = [r for r in caplog.records if r.name == "covet.middleware.ratelimit"]
    assert len(records) == 1
    assert "without a limit" in records[0].getMessage()


async def test_rate_limit_turns_to_503_when_redis_dies_mid_test(
    build: Any, make_client: Any, private_redis: Any
) -> None:
    store = RedisStore(private_redis.url)
    app = build((RateLimitMiddleware, {"limit": 5, "window": 60, "store": store}))
    try:
        async with make_client(app) as client:
            first = await client.get("/text")
            assert first.status_code == 200
            assert first.headers["ratelimit-remaining"] == "4"
            private_redis.kill()
            assert_unavailable(await client.get("/text"))
    finally:
        await store.close()


def test_on_store_error_is_checked() -> None:
    with pytest.raises(ValueError, match="on_store_error"):
        RateLimitMiddleware(lambda *a: None, limit=1, on_store_error="open")  # type: ignore[arg-type]


@pytest.mark.parametrize("policy", ["deny", "allow"])
def test_rate_limiter_dependency_under_a_covet_app(dead_redis_url: str, policy: str) -> None:
    store = RedisStore(dead_redis_url)
    limiter = RateLimiter(1, 60, store=store, on_store_error=policy)  # type: ignore[arg-type]
    app = Covet()

    @app.get("/limited", dependencies=[Depends(limiter.dependency)])
    async def limited() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as client:
        responses = [client.get("/limited") for _ in range(3)]
    if policy == "allow":
        assert [r.status_code for r in responses] == [200, 200, 200]
    else:
        for response in responses:
            assert_unavailable(response)


async def test_rate_limiter_dependency_under_fastapi_with_error_middleware(
    make_client: Any, dead_store: RedisStore
) -> None:
    from fastapi import Depends as FastAPIDepends
    from fastapi import FastAPI

    limiter = RateLimiter(2, 60, store=dead_store)

    async def limited(request: StarletteRequest) -> None:
        await limiter(request)

    app = FastAPI()

    @app.get("/", dependencies=[FastAPIDepends(limited)])
    async def index() -> dict[str, bool]:
        return {"ok": True}

    app.add_middleware(ErrorMiddleware)
    async with make_client(app) as client:
        assert_unavailable(await client.get("/"))


# ---- SessionMiddleware ------------------------------------------------------------------------


async def test_session_load_failure_answers_503_before_the_handler_runs(
    asgi_call: Any, dead_store: RedisStore, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        ran.append(dict(scope["session"]))

    middleware = SessionMiddleware(app, backend=StoreBackend(dead_store))
    cookie = [(b"cookie", COOKIE["cookie"].encode())]
    with caplog.at_level(logging.WARNING, logger="covet.middleware.sessions"):
        sent = await asgi_call(middleware, {"headers": cookie})
    assert ran == []  # not run as if logged out
    assert sent[0]["status"] == 503
    assert (b"retry-after", b"5") in sent[0]["headers"]
    assert any(r.name == "covet.middleware.sessions" for r in caplog.records)


async def test_session_store_down_answers_503(
    build: Any, make_client: Any, dead_store: RedisStore
) -> None:
    app = build((SessionMiddleware, {"backend": StoreBackend(dead_store)}))
    async with make_client(app) as client:
        assert_unavailable(await client.get("/session", headers=COOKIE))
        # no cookie: nothing to load, but the login cannot be saved -- not a silent success
        saved = await client.get("/session/set?user=ada")
        assert_unavailable(saved)
        assert "set-cookie" not in saved.headers
        # a session that is never written needs no store at all
        assert (await client.get("/text")).status_code == 200


async def test_session_turns_to_503_when_redis_dies_mid_test(
    build: Any, make_client: Any, private_redis: Any
) -> None:
    store = RedisStore(private_redis.url)
    app = build((SessionMiddleware, {"backend": StoreBackend(store)}))
    try:
        async with make_client(app) as client:
            assert (await client.get("/login?user=ada")).status_code == 200
            assert (await client.get("/session")).json() == {"user": "ada"}
            private_redis.kill()
            assert_unavailable(await client.get("/session"))
    finally:
        await store.close()


def test_session_store_down_under_a_covet_app(dead_redis_url: str) -> None:
    app = Covet()

    @app.get("/me")
    async def me(request: Request) -> dict[str, Any]:
        return {"user": request.session.get("user")}

    app.add_middleware(SessionMiddleware, backend=StoreBackend(RedisStore(dead_redis_url)))
    with TestClient(app, base_url="https://testserver") as client:
        assert_unavailable(client.get("/me", headers=COOKIE))


# ---- ErrorMiddleware and covet.http's own error handling ---------------------------------------


def store_endpoint_app(store: RedisStore, **error_options: Any) -> Starlette:
    async def read(request: StarletteRequest) -> StarletteJSON:
        return StarletteJSON({"value": str(await store.get("k"))})

    app = Starlette(routes=[Route("/read", read)])
    app.add_middleware(ErrorMiddleware, **error_options)
    return app


async def test_error_middleware_answers_503_without_internals(
    make_client: Any, dead_store: RedisStore, caplog: pytest.LogCaptureFixture
) -> None:
    app = store_endpoint_app(dead_store)
    async with make_client(app) as client:
        with caplog.at_level(logging.WARNING, logger="covet.middleware.errors"):
            response = await client.get("/read", headers={"x-request-id": "r-1"})
    assert_unavailable(response)
    assert response.json()["request_id"] == response.headers["x-request-id"]
    records = [r for r in caplog.records if r.name == "covet.middleware.errors"]
    assert len(records) == 1
    assert dead_store.location in records[0].getMessage()


async def test_error_middleware_debug_names_the_store(
    make_client: Any, dead_store: RedisStore
) -> None:
    app = store_endpoint_app(dead_store, debug=True)
    async with make_client(app) as client:
        response = await client.get("/read")
    assert response.status_code == 503
    assert dead_store.location in response.json()["detail"]
    assert "hunter2" not in response.text


def test_covet_app_without_error_middleware_answers_503(dead_redis_url: str) -> None:
    store = RedisStore(dead_redis_url)
    app = Covet()

    @app.get("/read")
    async def read() -> dict[str, Any]:
        return {"value": await store.get("k")}

    with TestClient(app) as client:
        assert_unavailable(client.get("/read"))


async def test_a_redis_that_answers_but_cannot_write_is_unavailable(private_redis: Any) -> None:
    """A read-only replica after a failover, or a server out of memory under noeviction:
    StoreUnavailable (503), not a bare redis error (500); a script bug stays an error."""
    import redis.asyncio

    store = RedisStore(private_redis.url)
    admin = redis.asyncio.Redis.from_url(private_redis.url)
    try:
        await store.set("k", b"v")
        await admin.config_set("maxmemory", "1")  # noeviction is the default policy
        with pytest.raises(StoreUnavailable, match="cannot serve: OutOfMemoryError"):
            await store.set("k2", b"v")
        await admin.config_set("maxmemory", "0")
        await admin.execute_command("REPLICAOF", "127.0.0.1", str(unused_port()))
        with pytest.raises(StoreUnavailable, match="cannot serve: ReadOnlyError"):
            await store.incr("n")
        with pytest.raises(StoreUnavailable):
            await store.hit_fixed_window("rl", 10, 60.0)
        with pytest.raises(redis.exceptions.ResponseError):  # not an outage: a caller's bug
            await store.client.execute_command("NOSUCHCOMMAND")
    finally:
        await admin.aclose()
        await store.close()


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port

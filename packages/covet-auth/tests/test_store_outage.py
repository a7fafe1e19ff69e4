"""A revocation or throttle store that is down answers 503 with Retry-After: never 500, never
"not revoked". "Down" is real: a port where nothing listens, and a private redis-server killed
in the middle of the test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from covet.auth import (
    AuthenticationMiddleware,
    JWTAuth,
    LoginThrottle,
    PasswordHasher,
    auth_router,
    login_required,
)
from covet.http import Covet, Request, WebSocketDisconnect
from covet.http.testing import TestClient
from covet.middleware import RedisStore, StoreUnavailable

SECRET = "o" * 64
HASHER = PasswordHasher.for_testing()


@dataclass
class User:
    id: int
    username: str
    password_hash: str
    is_active: bool = True
    scopes: list[str] = field(default_factory=list)


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json()["status"] == 503
    assert "127.0.0.1" not in response.text and "hunter2" not in response.text


@pytest.fixture
async def dead_store(dead_redis_url: str) -> AsyncIterator[RedisStore]:
    store = RedisStore(dead_redis_url)
    yield store
    await store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def covet_app(backend: JWTAuth, ran: list[str], **options: Any) -> Covet:
    app = Covet()

    @app.get("/public")
    async def public(request: Request) -> dict[str, bool]:
        ran.append("public")
        return {"authenticated": request.user.is_authenticated}

    @app.get("/me", dependencies=[login_required])
    async def me(request: Request) -> dict[str, str]:
        ran.append("me")
        return {"id": request.user.identity}

    @app.websocket("/ws")
    async def ws(websocket: Any) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app.add_middleware(AuthenticationMiddleware, backend=backend, **options)
    return app


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_verify_and_refresh_raise_store_unavailable(dead_store: RedisStore) -> None:
    backend = JWTAuth(secret=SECRET, store=dead_store)
    with pytest.raises(StoreUnavailable):
        await backend.verify(backend.create_access_token("u"))
    with pytest.raises(StoreUnavailable):
        await backend.refresh(backend.create_refresh_token("u", family="f"))


@pytest.mark.parametrize("on_invalid", ["anonymous", "reject"])
async def test_middleware_answers_503_for_a_token_it_cannot_check(
    dead_store: RedisStore, on_invalid: str, caplog: pytest.LogCaptureFixture
) -> None:
    backend = JWTAuth(secret=SECRET, store=dead_store)
    ran: list[str] = []
    app = covet_app(backend, ran, on_invalid=on_invalid)
    token = backend.create_access_token("ada")
    async with asgi_client(app) as client:
        with caplog.at_level(logging.WARNING, logger="covet.auth"):
            for path in ("/public", "/me"):
                assert_unavailable(await client.get(path, headers=bearer(token)))
        assert ran == []  # neither as the user nor as anonymous
        # no credentials: the store is not needed
        assert (await client.get("/public")).json() == {"authenticated": False}
    assert any("unavailable" in r.getMessage() for r in caplog.records if r.name == "covet.auth")


def test_websocket_handshake_is_closed_try_again_later(dead_redis_url: str) -> None:
    backend = JWTAuth(secret=SECRET, store=RedisStore(dead_redis_url))
    app = covet_app(backend, [])
    token = backend.create_access_token("ada")
    with (
        TestClient(app) as client,
        pytest.raises(WebSocketDisconnect) as info,
        client.websocket_connect("/ws", headers=bearer(token)) as session,
    ):
        session.receive_text()
    assert info.value.code == 1013


async def test_middleware_under_starlette(dead_store: RedisStore) -> None:
    async def whoami(request: StarletteRequest) -> JSONResponse:
        return JSONResponse({"user": request.user.identity})

    backend = JWTAuth(secret=SECRET, store=dead_store)
    app = Starlette(routes=[Route("/whoami", whoami)])
    app.add_middleware(AuthenticationMiddleware, backend=backend)
    async with asgi_client(app) as client:
        assert_unavailable(
            await client.get("/whoami", headers=bearer(backend.create_access_token("s")))
        )
        assert (await client.get("/whoami")).json() == {"user": ""}


async def test_token_checks_turn_to_503_when_redis_dies_mid_test(private_redis: Any) -> None:
    async def whoami(request: StarletteRequest) -> JSONResponse:
        return JSONResponse({"user": request.user.identity})

    store = RedisStore(private_redis.url)
    backend = JWTAuth(secret=SECRET, store=store)
    app = Starlette(routes=[Route("/whoami", whoami)])
    app.add_middleware(AuthenticationMiddleware, backend=backend)
    token = backend.create_access_token("ada")
    try:
        async with asgi_client(app) as client:
            assert (await client.get("/whoami", headers=bearer(token))).json() == {"user": "ada"}
            private_redis.kill()
            assert_unavailable(await client.get("/whoami", headers=bearer(token)))
    finally:
        await store.close()


def router_app(store: RedisStore) -> tuple[Covet, JWTAuth]:
    users = {"alice": User(1, "alice", HASHER.hash("wonderland"))}
    backend = JWTAuth(secret=SECRET, store=store)
    app = Covet()
    throttle = LoginThrottle(store)
    router = auth_router(backend, get_user=users.get, hasher=HASHER, throttle=throttle)
    app.include_router(router, prefix="/auth")
    app.add_middleware(AuthenticationMiddleware, backend=backend)
    return app, backend


async def test_login_refresh_and_logout_answer_503_when_the_store_is_down(
    dead_store: RedisStore,
) -> None:
    app, backend = router_app(dead_store)
    refresh_token = backend.create_refresh_token("1", family="fam")
    login = {"username": "alice", "password": "wonderland"}
    async with asgi_client(app) as client:
        for response in (
            await client.post("/auth/token", json=login),
            await client.post("/auth/refresh", json={"refresh_token": refresh_token}),
            await client.post("/auth/logout", json={"refresh_token": refresh_token}),
        ):
            assert_unavailable(response)
            assert response.headers["cache-control"] == "no-store"


async def test_login_throttle_and_refresh_turn_to_503_when_redis_dies_mid_test(
    private_redis: Any,
) -> None:
    store = RedisStore(private_redis.url)
    app, _ = router_app(store)
    login = {"username": "alice", "password": "wonderland"}
    try:
        async with asgi_client(app) as client:
            pair = (await client.post("/auth/token", json=login)).json()
            private_redis.kill()
            refresh = {"refresh_token": pair["refresh_token"]}
            for response in (
                await client.post("/auth/token", json=login),
                await client.post("/auth/refresh", json=refresh),
            ):
                assert_unavailable(response)
                assert response.headers["cache-control"] == "no-store"
    finally:
        await store.close()

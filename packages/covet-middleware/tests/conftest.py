"""One test app in three flavours (plain ASGI, Starlette, FastAPI) and real-Redis fixtures.

Every middleware test takes the ``build`` fixture, so the whole suite runs once per framework:
``build((CORSMiddleware, {...}), ...)`` wraps the framework's app in the given layers, outermost
first. ``build(..., add=True)`` installs them with the framework's own ``add_middleware`` instead
(plain ASGI has no such thing, so it wraps).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from covet.http._types import ASGIApp, Message, Receive, Scope, Send
from covet.middleware import MemoryStore, RedisStore, Store, get_request_id

FRAMEWORKS = ["asgi", "starlette", "fastapi"]
PROBE: contextvars.ContextVar[str | None] = contextvars.ContextVar("probe", default=None)
BIG = ("covet middleware compresses this line nicely. " * 500).encode()
Layer = tuple[Any, dict[str, Any]]


class Gate:
    """Lets a test hold a streaming endpoint between its first and second chunk."""

    def __init__(self) -> None:
        self.event = asyncio.Event()


# ---- endpoint logic shared by the three flavours -------------------------------------------

Result = tuple[int, list[tuple[str, str]], bytes]


def _json(data: Any, status: int = 200) -> Result:
    return status, [("content-type", "application/json")], json.dumps(data).encode()


def handle(name: str, scope: Scope, body: bytes, query: dict[str, str]) -> Result:
    if name == "echo":
        client = scope.get("client")
        host = next((v.decode() for k, v in scope["headers"] if k == b"host"), None)
        return _json(
            {
                "method": scope["method"],
                "client": list(client) if client else None,
                "scheme": scope["scheme"],
                "host": host,
                "body_length": len(body),
                "body": body.decode("latin-1")[:200],
            }
        )
    if name == "text":
        return 200, [("content-type", "text/plain; charset=utf-8")], b"hello"
    if name == "big":
        return 200, [("content-type", "text/plain; charset=utf-8"), ("etag", '"v1"')], BIG
    if name == "png":
        return 200, [("content-type", "image/png")], BIG
    if name == "encoded":
        import gzip

        return (
            200,
            [("content-type", "text/plain"), ("content-encoding", "gzip")],
            gzip.compress(BIG),
        )
    if name == "partial":
        return 206, [("content-type", "text/plain"), ("content-range", "bytes 0-99/999")], BIG
    if name == "session":
        return _json(dict(scope["session"]))
    if name == "session-set":
        scope["session"].update(query)
        return _json(dict(scope["session"]))
    if name == "login":
        scope["session"].cycle()
        scope["session"]["user"] = query.get("user", "alice")
        return _json({"id_changed": True})
    if name == "logout":
        scope["session"].invalidate()
        return _json({})
    if name == "error":
        secret_local = "hunter2-local"  # noqa: F841 - shown by the debug page
        raise RuntimeError("boom")
    if name == "contextvar":
        PROBE.set("set-by-handler")
        return _json({"ok": True})
    if name == "request-id":
        return _json({"request_id": get_request_id(), "state": scope["state"]["request_id"]})
    if name == "csrf-token":
        return _json({"token": scope["state"]["csrf_token"]})
    raise LookupError(name)


ROUTES = {
    "/echo": "echo",
    "/text": "text",
    "/big": "big",
    "/png": "png",
    "/encoded": "encoded",
    "/partial": "partial",
    "/session": "session",
    "/session/set": "session-set",
    "/login": "login",
    "/logout": "logout",
    "/error": "error",
    "/contextvar": "contextvar",
    "/request-id": "request-id",
    "/csrf-token": "csrf-token",
}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


async def stream_chunks(gate: Gate, sse: bool) -> AsyncIterator[bytes]:
    yield b"data: first\n\n" if sse else BIG[:1000]
    await gate.event.wait()
    yield b"data: second\n\n" if sse else BIG[1000:2000]


async def slow() -> None:
    await asyncio.sleep(30)


# ---- the three flavours ----------------------------------------------------------------------


def asgi_app(gate: Gate) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            await send(
                {"type": "websocket.send", "text": json.dumps(dict(scope.get("session", {})))}
            )
            await send({"type": "websocket.close", "code": 1000})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path = scope["path"]
        if path in ("/stream", "/sse"):
            media = b"text/event-stream" if path == "/sse" else b"text/plain"
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", media)],
                }
            )
            async for chunk in stream_chunks(gate, path == "/sse"):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        if path == "/slow":
            await slow()
        from urllib.parse import parse_qsl

        query = dict(parse_qsl(scope["query_string"].decode()))
        headers: list[tuple[str, str]]
        if path not in ROUTES:
            status, headers, payload = 404, [], b"not found"
        else:
            status, headers, payload = handle(ROUTES[path], scope, body, query)
        raw = [(k.encode(), v.encode()) for k, v in headers]
        raw.append((b"content-length", str(len(payload)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else payload}
        )

    return app


def _starlette_endpoints(gate: Gate) -> list[tuple[str, Callable[..., Awaitable[Any]]]]:
    def make(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            status, headers, payload = handle(name, request.scope, body, dict(request.query_params))
            response = Response(payload, status_code=status)
            for key, value in headers:
                response.headers[key] = value
            return response

        return endpoint

    async def stream(request: Request) -> Response:
        sse = request.url.path == "/sse"
        media = "text/event-stream" if sse else "text/plain"
        return StreamingResponse(stream_chunks(gate, sse), media_type=media)

    async def slow_endpoint(request: Request) -> Response:
        await slow()
        return Response(b"late")

    endpoints: list[tuple[str, Callable[..., Awaitable[Any]]]] = [
        (path, make(name)) for path, name in ROUTES.items()
    ]
    endpoints += [("/stream", stream), ("/sse", stream), ("/slow", slow_endpoint)]
    return endpoints


def starlette_app(gate: Gate, middleware: list[Layer]) -> ASGIApp:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    routes = [Route(p, e, methods=METHODS) for p, e in _starlette_endpoints(gate)]
    return Starlette(routes=routes, middleware=[Middleware(c, **o) for c, o in middleware])


def fastapi_app(gate: Gate, middleware: list[Layer]) -> ASGIApp:
    from fastapi import FastAPI
    from starlette.middleware import Middleware

    app = FastAPI(middleware=[Middleware(c, **o) for c, o in middleware])
    for path, endpoint in _starlette_endpoints(gate):
        app.api_route(path, methods=METHODS, include_in_schema=False)(endpoint)
    return app


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def probe_var() -> contextvars.ContextVar[str | None]:
    """The context variable the ``/contextvar`` endpoint sets."""
    return PROBE


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def build(framework: str, gate: Gate) -> Callable[..., ASGIApp]:
    def build(*layers: Layer, add: bool = False) -> ASGIApp:
        if framework == "asgi":
            app = asgi_app(gate)
        elif add:
            app = (starlette_app if framework == "starlette" else fastapi_app)(gate, list(layers))
            return app
        else:
            app = (starlette_app if framework == "starlette" else fastapi_app)(gate, [])
        for cls, options in reversed(layers):
            app = cls(app, **options)
        return app

    return build


def client(
    app: ASGIApp, *, peer: str = "127.0.0.1", base_url: str = "https://testserver", **kw: Any
) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 4321))
    return httpx.AsyncClient(transport=transport, base_url=base_url, **kw)


@pytest.fixture
def make_client() -> Callable[..., httpx.AsyncClient]:
    return client


async def call(
    app: ASGIApp,
    scope_overrides: dict[str, Any] | None = None,
    body: list[bytes] | None = None,
    on_message: Callable[[Message], Awaitable[None]] | None = None,
) -> list[Message]:
    """Drive ``app`` by hand: return every message it sent (for streaming assertions)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 4321),
        "server": ("testserver", 443),
    }
    scope.update(scope_overrides or {})
    chunks = list(body or [b""])
    sent: list[Message] = []
    disconnected = asyncio.Event()

    async def receive() -> Message:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        await disconnected.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if on_message is not None:
            await on_message(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            disconnected.set()

    await app(scope, receive, send)
    return sent


@pytest.fixture
def asgi_call() -> Callable[..., Awaitable[list[Message]]]:
    return call


# ---- Redis -----------------------------------------------------------------------------------

REDIS_URL = os.environ.get("COVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@contextlib.asynccontextmanager
async def open_redis_store() -> AsyncIterator[RedisStore]:
    """A RedisStore on COVET_TEST_REDIS_URL under a prefix unique to the test; keys are removed."""
    store = RedisStore(REDIS_URL, prefix=f"covet-test:{secrets.token_hex(6)}:")
    try:
        await store.client.ping()
    except Exception as exc:  # any connection failure means "no server"
        await store.close()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at COVET_TEST_REDIS_URL={REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis unreachable; set COVET_TEST_REDIS_URL (tried {REDIS_URL}): {exc}")
    try:
        yield store
    finally:
        keys = [key async for key in store.client.scan_iter(match=store.prefix + "*")]
        if keys:
            await store.client.delete(*keys)
        await store.close()


@pytest.fixture
def open_redis() -> Callable[[], contextlib.AbstractAsyncContextManager[RedisStore]]:
    """``async with open_redis() as store:`` for tests that need a store inside the test body."""
    return open_redis_store


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisStore]:
    async with open_redis_store() as store:
        yield store


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """Each shared-state test runs on the in-process store and on real Redis."""
    if request.param == "memory":
        yield MemoryStore()
    else:
        async with open_redis_store() as redis:
            yield redis


# ---- Redis that is down ----------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL (with a password, which must never show in errors) where nothing listens."""
    return f"redis://:hunter2-redis@127.0.0.1:{free_port()}/0"


@pytest.fixture
async def dead_store(dead_redis_url: str) -> AsyncIterator[RedisStore]:
    store = RedisStore(dead_redis_url, prefix="covet-test:dead:")
    yield store
    await store.close()


class PrivateRedis:
    """A ``redis-server`` of the test's own on a free port, which the test may kill."""

    def __init__(self) -> None:
        import shutil
        import subprocess

        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI") == "true":
                pytest.fail("redis-server is not on PATH")
            pytest.skip("redis-server is not on PATH; install Redis to run the outage tests")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), *options, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )

    async def ready(self) -> None:
        import time

        deadline = time.monotonic() + 10
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                assert self.process.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start in 10 s"
                await asyncio.sleep(0.05)
                continue
            writer.write(b"PING\r\n")
            answer = await reader.readline()
            writer.close()
            await writer.wait_closed()
            if answer == b"+PONG\r\n":
                return

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        await server.ready()
        yield server
    finally:
        server.kill()

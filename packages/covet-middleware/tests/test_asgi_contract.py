"""What every middleware promises: same task, streaming stays streaming, disconnects and
lifespan pass through."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from covet.middleware import (
    CompressionMiddleware,
    CORSMiddleware,
    CSRFMiddleware,
    ErrorMiddleware,
    HTTPSRedirectMiddleware,
    ProxyHeadersMiddleware,
    RateLimitMiddleware,
    RequestIDMiddleware,
    SecurityHeadersMiddleware,
    SessionMiddleware,
    TimeoutMiddleware,
    TrustedHostMiddleware,
)

KEY = "contract-key-" + "c" * 40
MIDDLEWARE = [
    (ProxyHeadersMiddleware, {"trusted_proxies": "*"}),
    (CORSMiddleware, {"allow_origins": ["https://a.example"]}),
    (CSRFMiddleware, {"secret_key": KEY}),
    (SessionMiddleware, {"secret_key": KEY}),
    (RateLimitMiddleware, {"limit": 1000}),
    (CompressionMiddleware, {}),
    (ErrorMiddleware, {}),
    (SecurityHeadersMiddleware, {}),
    (TrustedHostMiddleware, {"allowed_hosts": ["testserver"]}),
    (HTTPSRedirectMiddleware, {}),
    (RequestIDMiddleware, {}),
    (TimeoutMiddleware, {"timeout": 30}),
]
IDS = [cls.__name__ for cls, _ in MIDDLEWARE]
OUTER: contextvars.ContextVar[str | None] = contextvars.ContextVar("outer", default=None)


@pytest.mark.parametrize(("cls", "options"), MIDDLEWARE, ids=IDS)
async def test_handler_contextvars_are_visible_outside(
    cls: Any, options: dict[str, Any], asgi_call: Any
) -> None:
    async def handler(scope: Any, receive: Any, send: Any) -> None:
        OUTER.set("from-handler")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = cls(handler, **options)
    seen = []

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)
        seen.append(OUTER.get())

    await asgi_call(probe)
    assert seen == ["from-handler"]


@pytest.mark.parametrize(("cls", "options"), MIDDLEWARE, ids=IDS)
async def test_framework_handlers_run_in_the_same_task(
    cls: Any, options: dict[str, Any], build: Any, asgi_call: Any, probe_var: Any
) -> None:
    app = build((cls, options))
    seen = []

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)
        seen.append(probe_var.get())

    sent = await asgi_call(probe, {"path": "/contextvar", "raw_path": b"/contextvar"})
    assert sent[0]["status"] == 200
    assert seen == ["set-by-handler"]


@pytest.mark.parametrize(("cls", "options"), MIDDLEWARE, ids=IDS)
async def test_http_disconnect_passes_through(cls: Any, options: dict[str, Any]) -> None:
    received = []

    async def handler(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            received.append(message["type"])
            if message["type"] == "http.disconnect":
                return

    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"part", "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        raise AssertionError(f"nothing should be sent, got {message}")

    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"x-csrf-token", b"t")],
        "client": ("127.0.0.1", 1),
    }
    if cls is CSRFMiddleware:
        middleware = CSRFMiddleware(handler, KEY, exempt_paths=["/"])
    else:
        middleware = cls(handler, **options)
    await middleware(scope, receive, send)
    assert received == ["http.request", "http.disconnect"]


@pytest.mark.parametrize(("cls", "options"), MIDDLEWARE, ids=IDS)
async def test_lifespan_passes_through_untouched(cls: Any, options: dict[str, Any]) -> None:
    seen = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: Any) -> None:
        pass

    async def handler(scope: Any, rcv: Any, snd: Any) -> None:
        seen.append((scope, rcv, snd))

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    await cls(handler, **options)(scope, receive, send)
    assert seen == [(scope, receive, send)]
    assert scope == {"type": "lifespan", "asgi": {"version": "3.0"}}


@pytest.mark.parametrize(("cls", "options"), MIDDLEWARE, ids=IDS)
async def test_streaming_stays_streaming(
    cls: Any, options: dict[str, Any], build: Any, gate: Any, asgi_call: Any
) -> None:
    app = build((cls, options))
    first_body = asyncio.Event()

    async def on_message(message: Any) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            first_body.set()

    task = asyncio.create_task(
        asgi_call(
            app,
            {
                "path": "/stream",
                "raw_path": b"/stream",
                "headers": [(b"host", b"testserver"), (b"accept-encoding", b"gzip")],
            },
            on_message=on_message,
        )
    )
    await asyncio.wait_for(first_body.wait(), timeout=10)
    assert not task.done()
    gate.event.set()
    sent = await asyncio.wait_for(task, timeout=10)
    assert sent[0]["status"] == 200

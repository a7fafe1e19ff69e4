from __future__ import annotations

import logging
from typing import Any

import pytest

from covet.http import ConfigurationError
from covet.middleware import (
    HTTPSRedirectMiddleware,
    ProxyHeadersMiddleware,
    RequestIDLogFilter,
    RequestIDMiddleware,
    SecurityHeadersMiddleware,
    TimeoutMiddleware,
    TrustedHostMiddleware,
    get_request_id,
)


async def test_security_headers_defaults(build: Any, make_client: Any) -> None:
    app = build((SecurityHeadersMiddleware, {}))
    async with make_client(app) as client:
        secure = await client.get("/text")
    async with make_client(app, base_url="http://testserver") as client:
        plain = await client.get("/text")
    assert secure.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert secure.headers["x-content-type-options"] == "nosniff"
    assert secure.headers["x-frame-options"] == "DENY"
    assert secure.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert secure.headers["cross-origin-opener-policy"] == "same-origin"
    assert "content-security-policy" not in secure.headers
    assert "strict-transport-security" not in plain.headers  # HSTS only over HTTPS


async def test_security_headers_csp_and_app_values_win(asgi_call: Any) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"x-frame-options", b"SAMEORIGIN")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    mw = SecurityHeadersMiddleware(
        app, content_security_policy="default-src 'self'", hsts_preload=True
    )
    sent = await asgi_call(mw)
    headers = dict(sent[0]["headers"])
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"
    assert headers[b"content-security-policy"] == b"default-src 'self'"
    assert headers[b"strict-transport-security"].endswith(b"; preload")


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("example.com", 200),
        ("example.com:8443", 200),
        ("api.example.com", 200),
        ("deep.api.example.com", 200),
        ("evil.com", 400),
        ("example.com.evil.com", 400),
        ("notexample.com", 400),
        ("", 400),
        ("EXAMPLE.COM", 200),
        ("example.com:", 400),
        ("example.com:x", 400),
        ("example.com:8443:1", 400),
        # Host-header poisoning past a wildcard: an app that builds absolute URLs from Host
        # (password-reset links) would point them at evil.com.
        ("evil.com/.example.com", 400),
        ("evil.com?.example.com", 400),
        ("evil.com#.example.com", 400),
        ("evil.com\\.example.com", 400),
        ("a b.example.com", 400),
        ("user@api.example.com", 400),
    ],
)
async def test_trusted_host(build: Any, make_client: Any, host: str, status: int) -> None:
    app = build((TrustedHostMiddleware, {"allowed_hosts": ["example.com", "*.example.com"]}))
    async with make_client(app) as client:
        response = await client.get("/text", headers={"host": host})
    assert response.status_code == status


async def test_trusted_host_ipv6_literals(asgi_call: Any) -> None:
    async def ok(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    mw = TrustedHostMiddleware(ok, allowed_hosts=["[::1]"])
    cases = ((b"[::1]:8000", 200), (b"[::1]", 200), (b"[::1]x", 400), (b"[::2]", 400))
    for host, status in cases:
        sent = await asgi_call(mw, {"headers": [(b"host", host)]})
        assert sent[0]["status"] == status, host


def test_trusted_host_refuses_bad_configuration() -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        TrustedHostMiddleware(lambda *a: None, allowed_hosts=[])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="wildcard"):
        TrustedHostMiddleware(lambda *a: None, allowed_hosts=["ex*.com"])  # type: ignore[arg-type]


async def test_https_redirect(build: Any, make_client: Any) -> None:
    app = build((HTTPSRedirectMiddleware, {}))
    async with make_client(app, base_url="http://testserver") as client:
        response = await client.post("/echo?a=1&b=%20", content=b"x")
    assert response.status_code == 308
    assert response.headers["location"] == "https://testserver/echo?a=1&b=%20"
    async with make_client(app) as client:
        assert (await client.get("/text")).status_code == 200


async def test_https_redirect_honours_trusted_proxy(build: Any, make_client: Any) -> None:
    app = build(
        (ProxyHeadersMiddleware, {"trusted_proxies": ["10.0.0.1"]}),
        (HTTPSRedirectMiddleware, {}),
    )
    headers = {"x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.1"}
    async with make_client(app, base_url="http://testserver", peer="10.0.0.1") as client:
        assert (await client.get("/text", headers=headers)).status_code == 200
    async with make_client(app, base_url="http://testserver", peer="203.0.113.1") as client:
        assert (await client.get("/text", headers=headers)).status_code == 308


async def test_https_redirect_refuses_a_host_that_is_not_a_host(asgi_call: Any) -> None:
    mw = HTTPSRedirectMiddleware(lambda *a: None)  # type: ignore[arg-type]
    sent = await asgi_call(mw, {"scheme": "http", "headers": [(b"host", b"evil.com/x?")]})
    assert sent[0]["status"] == 400


async def test_request_id_generated_propagated_and_sanitised(build: Any, make_client: Any) -> None:
    app = build((RequestIDMiddleware, {}))
    async with make_client(app) as client:
        generated = await client.get("/request-id")
        given = await client.get("/request-id", headers={"x-request-id": "abc-123"})
        hostile = await client.get("/request-id", headers={"x-request-id": "a\tb<script>"})
    data = generated.json()
    assert data["request_id"] == data["state"] == generated.headers["x-request-id"]
    assert len(data["request_id"]) == 32
    assert given.json()["request_id"] == "abc-123" == given.headers["x-request-id"]
    assert hostile.json()["request_id"] != "a\tb<script>"
    assert get_request_id() is None


async def test_request_id_untrusted_incoming_is_replaced(build: Any, make_client: Any) -> None:
    app = build((RequestIDMiddleware, {"trust_incoming": False}))
    async with make_client(app) as client:
        response = await client.get("/request-id", headers={"x-request-id": "abc-123"})
    assert response.json()["request_id"] != "abc-123"
    assert response.headers.get_list("x-request-id") == [response.json()["request_id"]]


async def test_request_id_reaches_log_records(asgi_call: Any) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("test.request_id")
    handler = Keep()
    handler.addFilter(RequestIDLogFilter())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        logger.info("inside")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    try:
        await asgi_call(RequestIDMiddleware(app), {"headers": [(b"x-request-id", b"log-1")]})
        logger.info("outside")
    finally:
        logger.removeHandler(handler)
    assert [r.request_id for r in records] == ["log-1", "-"]  # type: ignore[attr-defined]


async def test_timeout_answers_504(build: Any, make_client: Any) -> None:
    app = build((TimeoutMiddleware, {"timeout": 0.05}))
    async with make_client(app) as client:
        slow = await client.get("/slow")
        fast = await client.get("/text")
    assert slow.status_code == 504
    assert slow.headers["content-type"] == "application/problem+json"
    assert fast.status_code == 200


async def test_timeout_does_not_cut_a_started_stream(build: Any, gate: Any, asgi_call: Any) -> None:
    import asyncio

    app = build((TimeoutMiddleware, {"timeout": 0.05}))

    async def open_gate_later() -> None:
        await asyncio.sleep(0.2)
        gate.event.set()

    opener = asyncio.create_task(open_gate_later())
    sent = await asgi_call(app, {"path": "/stream", "raw_path": b"/stream"})
    await opener
    assert sent[0]["status"] == 200
    assert (
        b"".join(m.get("body", b"") for m in sent[1:])
        == (b"covet middleware compresses this line nicely. " * 500)[:2000]
    )


@pytest.mark.parametrize("responds", [True, False])
async def test_timeout_when_the_handler_swallows_its_cancellation(
    asgi_call: Any, responds: bool
) -> None:
    # A handler that catches CancelledError (cleanup, then an answer) used to make the
    # middleware raise RuntimeError("Cannot change state of expiring Timeout"): a 500.
    import asyncio
    import contextlib

    async def stubborn(scope: Any, receive: Any, send: Any) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(30)
        if responds:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"late"})

    sent = await asgi_call(TimeoutMiddleware(stubborn, timeout=0.05))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 504


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TimeoutMiddleware(lambda *a: None, timeout=0)  # type: ignore[arg-type]


def test_request_id_on_a_refused_websocket_handshake() -> None:
    """A handshake refused with an HTTP response (denial extension) carries the id too."""
    from covet.http import Covet, HTTPException, WebSocket
    from covet.http.testing import TestClient, WebSocketDenialResponse

    app = Covet()

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        raise HTTPException(403, "no")

    app.add_middleware(RequestIDMiddleware)
    with pytest.raises(WebSocketDenialResponse) as info:
        TestClient(app).websocket_connect("/ws", headers={"x-request-id": "ws-1"}).__enter__()
    assert info.value.status_code == 403
    assert info.value.headers["x-request-id"] == "ws-1"

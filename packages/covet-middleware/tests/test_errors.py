from __future__ import annotations

import logging
from typing import Any

import pytest

from covet.http import HTTPException
from covet.middleware import ErrorMiddleware, RequestIDMiddleware


async def test_production_answer_hides_internals_and_logs(
    build: Any, make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = build((RequestIDMiddleware, {}), (ErrorMiddleware, {}), add=True)
    async with make_client(app) as client:
        with caplog.at_level(logging.ERROR, logger="covet.middleware.errors"):
            response = await client.get("/error", headers={"x-request-id": "req-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 500
    assert body["request_id"] == "req-123"
    assert response.headers["x-request-id"] == "req-123"
    assert "boom" not in response.text
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    records = [r for r in caplog.records if r.name == "covet.middleware.errors"]
    assert len(records) == 1
    assert "req-123" in records[0].getMessage()
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], RuntimeError)


async def test_generated_request_id_without_request_id_middleware(
    build: Any, make_client: Any
) -> None:
    app = build((ErrorMiddleware, {}), add=True)
    async with make_client(app) as client:
        response = await client.get("/error")
    assert response.status_code == 500
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert len(response.json()["request_id"]) == 32


async def test_debug_html_page_shows_traceback_and_locals(build: Any, make_client: Any) -> None:
    app = build((ErrorMiddleware, {"debug": True}), add=True)
    async with make_client(app) as client:
        response = await client.get("/error", headers={"accept": "text/html,*/*"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "RuntimeError" in response.text
    assert "boom" in response.text
    assert "secret_local" in response.text
    assert "hunter2-local" in response.text
    assert "<h2>Traceback</h2>" in response.text


async def test_debug_json_for_api_clients(build: Any, make_client: Any) -> None:
    app = build((ErrorMiddleware, {"debug": True}), add=True)
    async with make_client(app) as client:
        response = await client.get("/error", headers={"accept": "application/json"})
    body = response.json()
    assert body["exception"] == "RuntimeError"
    assert body["detail"] == "RuntimeError: boom"
    frame = body["traceback"][-1]
    assert frame["function"] == "handle"
    assert frame["locals"]["secret_local"] == "'hunter2-local'"


async def test_debug_page_escapes_html() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("<script>alert(1)</script>")

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept", b"text/html")]}
    await ErrorMiddleware(app, debug=True)(scope, None, send)  # type: ignore[arg-type]
    assert b"<script>" not in sent[1]["body"]
    assert b"&lt;script&gt;" in sent[1]["body"]


async def test_http_exception_becomes_its_problem_details(asgi_call: Any) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise HTTPException(418, "short and stout", headers={"x-tea": "1"})

    sent = await asgi_call(ErrorMiddleware(app))
    assert sent[0]["status"] == 418
    assert (b"x-tea", b"1") in sent[0]["headers"]
    assert b"short and stout" in sent[1]["body"]


async def test_exception_after_response_started_is_reraised(asgi_call: Any) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    with pytest.raises(RuntimeError, match="mid-stream"):
        await asgi_call(ErrorMiddleware(app))


@pytest.mark.parametrize("accept", [b"text/html", b"application/json"])
async def test_debug_page_survives_unprintable_exceptions_and_locals(
    asgi_call: Any, accept: bytes
) -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise ValueError("no str")

    class BadRepr:
        def __repr__(self) -> str:
            raise ValueError("no repr")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        local = BadRepr()  # noqa: F841 - shown by the debug page
        raise Unprintable()

    sent = await asgi_call(ErrorMiddleware(app, debug=True), {"headers": [(b"accept", accept)]})
    assert sent[0]["status"] == 500
    assert b"Unprintable" in sent[1]["body"]

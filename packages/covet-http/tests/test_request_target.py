"""RFC 9112 3.2: origin-form targets and one valid Host, at the app's edge and in uvicorn."""

from __future__ import annotations

from typing import Any

import pytest

from covet.http import Covet, Request, Router
from covet.http.testing import TestClient


def make_app() -> Covet:
    app = Covet()

    @app.get("/url")
    async def url(request: Request) -> dict[str, Any]:
        return {"host": request.url.hostname, "port": request.url.port, "path": request.url.path}

    @app.get("/{rest:path}")
    async def anything(rest: str, request: Request) -> dict[str, Any]:
        return {"rest": rest, "host": request.url.hostname}

    return app


async def call(
    app: Any, path: str, headers: list[tuple[bytes, bytes]], method: str = "GET"
) -> tuple[int, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode("latin-1"), "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize("path", ["@url", "url", "http://evil.example/url", "*", ""])
async def test_a_target_that_is_not_a_path_is_a_400(path: str) -> None:
    status, body = await call(make_app(), path, [(b"host", b"testserver")])
    assert status == 400
    assert b"absolute path" in body


async def test_options_asterisk_is_about_the_server() -> None:
    status, _ = await call(make_app(), "*", [(b"host", b"testserver")], method="OPTIONS")
    assert status == 204


@pytest.mark.parametrize(
    "host", [b"[:::]", b"x:99999", b"evil.example/x", b"user@evil.example", b"a b", b"x:8o"]
)
async def test_a_malformed_host_is_a_400(host: bytes) -> None:
    status, body = await call(make_app(), "/url", [(b"host", host)])
    assert status == 400
    assert b"Host header" in body


async def test_a_second_host_header_is_ignored_everywhere() -> None:
    # URL, Host routing and the edge check all read the first Host, so they cannot disagree
    headers = [(b"host", b"a.example"), (b"host", b"[:::]")]
    status, body = await call(make_app(), "/url", headers)
    assert (status, body) == (200, b'{"host":"a.example","port":null,"path":"/url"}')
    status, _ = await call(make_app(), "/url", [(b"host", b"[:::]"), (b"host", b"a.example")])
    assert status == 400


async def test_no_host_or_an_empty_one_falls_back_to_the_server() -> None:
    for headers in ([], [(b"host", b"")]):
        status, body = await call(make_app(), "/url", headers)
        assert (status, body) == (200, b'{"host":"127.0.0.1","port":8000,"path":"/url"}')


async def test_a_bare_router_refuses_a_target_that_is_not_a_path() -> None:
    router = Router()
    router.add_route("/url", lambda: "url")
    status, _ = await call(router, "@url", [(b"host", b"testserver")])
    assert status == 400


def test_a_malformed_host_reaches_no_handler_through_the_test_client() -> None:
    client = TestClient(make_app())
    assert client.get("/url", headers={"host": "[:::]"}).status_code == 400
    assert client.get("/url", headers={"host": "example.org:8080"}).json() == {
        "host": "example.org",
        "port": 8080,
        "path": "/url",
    }


def test_a_websocket_with_a_malformed_host_is_refused() -> None:
    app = Covet()

    @app.websocket("/ws")
    async def ws(websocket: Any) -> None:  # pragma: no cover - never reached
        await websocket.accept()

    from covet.http.testing import WebSocketDenialResponse

    with pytest.raises(WebSocketDenialResponse) as info:
        TestClient(app).websocket_connect("/ws", headers={"host": "x:99999"}).__enter__()
    assert info.value.status_code == 400


# -- through a real uvicorn ------------------------------------------------------------------


def test_uvicorn_never_routes_a_target_without_a_slash(
    live_server: Any, http_implementation: str
) -> None:
    server = live_server(make_app(), http_implementation)
    for target in ("@url", "url", "@evil.example/url"):
        status, _, body = server.request("GET", target)
        assert status == 400, (target, body)
        assert b'"host"' not in body  # no handler ran
    status, _, body = server.request("GET", "/url")
    assert (status, body) == (200, b'{"host":"testserver","port":null,"path":"/url"}')


def test_uvicorn_and_a_malformed_host(live_server: Any, http_implementation: str) -> None:
    server = live_server(make_app(), http_implementation)
    for host in ("[:::]", "x:99999", "a@b"):
        status, _, _ = server.request("GET", "/url", [("Host", host)])
        assert status == 400, host
    status, _, body = server.request("GET", "/url", [("Host", "a.example"), ("Host", "b.example")])
    if http_implementation == "h11":  # h11 refuses a second Host itself
        assert status == 400
    else:  # httptools passes both: covet reads the first, everywhere
        assert (status, body) == (200, b'{"host":"a.example","port":null,"path":"/url"}')

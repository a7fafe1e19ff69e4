from __future__ import annotations

import importlib
import sys
from typing import Any

import anyio
import pytest

from covet.http._cookies import parse_cookies
from covet.http._json import json_loads
from covet.http._responses import JSONResponse, PlainTextResponse, RedirectResponse
from covet.http._types import Message, Receive, Scope, Send
from covet.http.testing import AsyncTestClient, TestClient


class LifespanApp:
    """A bare ASGI app with a lifespan; echoes the request as JSON."""

    def __init__(self, fail_startup: bool = False) -> None:
        self.events: list[str] = []
        self.fail_startup = fail_startup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.events.append("startup")
                    if self.fail_startup:
                        await send({"type": "lifespan.startup.failed", "message": "no db"})
                        return
                    scope["state"]["db"] = "connected"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.events.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path == "/login":
            response: Any = PlainTextResponse("ok")
            response.set_cookie("sid", "s1")
            response.set_cookie("theme", "dark")
        elif path == "/redirect":
            response = RedirectResponse("/echo?from=redirect")
        elif path == "/error":
            raise ZeroDivisionError("handler bug")
        elif path == "/silent":
            return
        else:
            headers = dict((k.decode(), v.decode()) for k, v in scope["headers"])
            response = JSONResponse(
                {
                    "method": scope["method"],
                    "path": path,
                    "raw_path": scope["raw_path"].decode(),
                    "query": scope["query_string"].decode(),
                    "root_path": scope["root_path"],
                    "body": body.decode(),
                    "cookies": parse_cookies(headers.get("cookie", "")),
                    "user_agent": headers.get("user-agent"),
                    "state": scope.get("state", {}),
                    "server": list(scope["server"]),
                }
            )
        await response(scope, receive, send)


def test_request_reaches_the_app_as_a_proper_scope() -> None:
    client = TestClient(LifespanApp(), root_path="/api")
    reply = client.post("/echo/a%2Fb?x=1&y=%20", content=b"payload")
    data = reply.json()
    assert data["method"] == "POST"
    assert data["path"] == "/echo/a/b"
    assert data["raw_path"] == "/echo/a%2Fb"
    assert data["query"] == "x=1&y=%20"
    assert data["root_path"] == "/api"
    assert data["body"] == "payload"
    assert data["user_agent"] == "testclient"
    assert data["server"] == ["testserver", 80]
    assert data["state"] == {}


def test_lifespan_runs_around_the_with_block_and_shares_state() -> None:
    app = LifespanApp()
    with TestClient(app) as client:
        assert app.events == ["startup"]
        assert client.get("/echo").json()["state"] == {"db": "connected"}
    assert app.events == ["startup", "shutdown"]
    TestClient(app).get("/echo")
    assert app.events == ["startup", "shutdown"]  # no lifespan without `with`


def test_lifespan_startup_failure_raises() -> None:
    with pytest.raises(RuntimeError, match="lifespan startup failed: no db"):  # noqa: SIM117
        with TestClient(LifespanApp(fail_startup=True)):
            pass


def test_app_without_lifespan_support_is_reported_clearly() -> None:
    with pytest.raises(RuntimeError, match="do not speak the lifespan protocol"):  # noqa: SIM117
        with TestClient(PlainTextResponse("x")):
            pass


def test_cookies_persist_between_requests() -> None:
    with TestClient(LifespanApp()) as client:
        client.get("/login")
        assert client.get("/echo").json()["cookies"] == {"sid": "s1", "theme": "dark"}
    preset = TestClient(LifespanApp(), cookies={"a": "1"})
    assert preset.get("/echo").json()["cookies"] == {"a": "1"}


def test_redirects_are_followed_by_default() -> None:
    reply = TestClient(LifespanApp()).get("/redirect")
    assert reply.status_code == 200
    assert reply.json()["query"] == "from=redirect"
    assert len(reply.history) == 1


def test_server_exceptions_are_raised_or_become_500() -> None:
    with pytest.raises(ZeroDivisionError, match="handler bug"):
        TestClient(LifespanApp()).get("/error")
    reply = TestClient(LifespanApp(), raise_server_exceptions=False).get("/error")
    assert reply.status_code == 500
    with pytest.raises(RuntimeError, match="without sending a response"):
        TestClient(LifespanApp()).get("/silent")


def test_errors_after_the_response_started_are_raised() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("mid-stream")

    with pytest.raises(ValueError, match="mid-stream"):
        TestClient(app).get("/")
    reply = TestClient(app, raise_server_exceptions=False).get("/")
    assert reply.content == b"partial"


def test_closing_a_stream_disconnects_the_app() -> None:
    disconnected: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        message = await receive()
        disconnected.append(message["type"] == "http.disconnect")

    with TestClient(app).stream("GET", "/") as reply:
        assert next(reply.iter_bytes()) == b"first"
    assert disconnected == [True]


async def test_async_client_lifespan_cookies_and_json() -> None:
    app = LifespanApp()
    async with AsyncTestClient(app) as client:
        assert app.events == ["startup"]
        await client.get("/login")
        reply = await client.post("/echo", json={"a": 1})
        data = reply.json()
        assert data["cookies"] == {"sid": "s1", "theme": "dark"}
        assert json_loads(data["body"]) == {"a": 1}
        assert data["state"] == {"db": "connected"}
    assert app.events == ["startup", "shutdown"]


async def test_async_client_raises_app_errors() -> None:
    with pytest.raises(ZeroDivisionError):
        await AsyncTestClient(LifespanApp()).get("/error")
    reply = await AsyncTestClient(LifespanApp(), raise_server_exceptions=False).get("/error")
    assert reply.status_code == 500


async def test_async_client_streams_and_disconnects() -> None:
    gone = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for number in range(3):
            await send({"type": "http.response.body", "body": b"%d" % number, "more_body": True})
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()

    async with AsyncTestClient(app).stream("GET", "/") as reply:
        chunks = [chunk async for chunk in _take(reply.aiter_bytes(), 2)]
    assert chunks == [b"0", b"1"]
    assert gone.is_set()


async def _take(iterator: Any, count: int) -> Any:
    async for item in iterator:
        yield item
        count -= 1
        if count == 0:
            return


def test_missing_httpx_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    for name in ["covet.http.testing", "covet.http._testing_common"]:
        monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(ImportError, match=r"pip install 'covet-http\[testing\]'"):
        importlib.import_module("covet.http.testing")


def test_an_endless_stream_runs_only_a_little_ahead_of_the_reader() -> None:
    from covet.http._responses import StreamingResponse
    from covet.http.testing import WINDOW

    produced = 0

    def endless() -> Any:
        nonlocal produced
        while True:
            produced += 1
            yield b"x"

    with TestClient(StreamingResponse(endless())).stream("GET", "/") as reply:
        chunks = reply.iter_bytes()
        for _ in range(10):
            assert next(chunks) == b"x"
        assert produced <= 10 + WINDOW + 1
    stopped_at = produced
    assert stopped_at <= 10 + WINDOW + 2


async def test_async_client_raises_errors_after_the_response_started() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("mid-stream")

    with pytest.raises(ValueError, match="mid-stream"):
        await AsyncTestClient(app).get("/")
    reply = await AsyncTestClient(app, raise_server_exceptions=False).get("/")
    assert reply.content == b"partial"


def test_streams_left_open_are_closed_when_the_client_exits() -> None:
    from covet.http._responses import StreamingResponse

    closed: list[bool] = []

    async def endless() -> Any:
        try:
            while True:
                yield b"x"
                await anyio.lowlevel.checkpoint()
        finally:
            closed.append(True)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":  # returning on "lifespan" means: no lifespan support
            await StreamingResponse(endless())(scope, receive, send)

    with TestClient(app) as client:
        reply = client.send(client.build_request("GET", "/"), stream=True)
        assert next(reply.iter_bytes()) == b"x"
    assert closed == [True]


async def test_async_streams_left_open_are_closed_when_the_client_exits() -> None:
    from covet.http._responses import StreamingResponse

    closed: list[bool] = []

    async def endless() -> Any:
        try:
            while True:
                yield b"x"
                await anyio.lowlevel.checkpoint()
        finally:
            closed.append(True)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await StreamingResponse(endless())(scope, receive, send)

    async with AsyncTestClient(app) as client:
        reply = await client.send(client.build_request("GET", "/"), stream=True)
        assert await reply.aiter_bytes().__anext__() == b"x"
    assert closed == [True]


class ShutdownFailsApp:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.failed", "message": "pool would not close"})


def test_lifespan_shutdown_failure_raises_when_the_block_ends() -> None:
    client = TestClient(ShutdownFailsApp())
    with pytest.raises(RuntimeError, match="lifespan shutdown failed: pool would not close"):  # noqa: SIM117
        with client:
            pass


async def test_async_client_lifespan_shutdown_failure_raises() -> None:
    client = AsyncTestClient(ShutdownFailsApp())
    with pytest.raises(RuntimeError, match="lifespan shutdown failed: pool would not close"):
        async with client:
            pass


def test_uploads_cookies_and_base_url_like_starlette() -> None:
    from covet.http import Covet, Request

    app = Covet()

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        form = await request.form()
        files = form.getlist("doc")
        return {
            "names": [getattr(item, "filename", None) for item in files],
            "host": request.url.netloc,
            "scheme": request.url.scheme,
            "cookie": request.cookies.get("seen"),
        }

    @app.get("/set")
    async def set_cookie() -> Any:
        response = RedirectResponse("/echo", status_code=303)
        response.set_cookie("seen", "yes")
        return response

    @app.get("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        return {"cookie": request.cookies.get("seen"), "path": request.url.path}

    with TestClient(app, base_url="https://example.org") as client:
        followed = client.get("/set")  # the cookie is kept across the redirect
        assert followed.json() == {"cookie": "yes", "path": "/echo"}
        assert [r.status_code for r in followed.history] == [303]
        files = [("doc", ("a.txt", b"A", "text/plain")), ("doc", ("b.txt", b"B", "text/plain"))]
        reply = client.post("/upload", files=files)
        assert reply.json() == {
            "names": ["a.txt", "b.txt"],
            "host": "example.org",
            "scheme": "https",
            "cookie": "yes",
        }

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from covet.http._background import BackgroundTask, BackgroundTasks
from covet.http._responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from covet.http._types import Message, Scope
from covet.http.testing import TestClient


def http_scope(method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "method": method, "path": "/", "headers": headers or []}


async def call_asgi(app: Any, scope: Scope, incoming: list[Message] | None = None) -> list[Message]:
    """Run an ASGI app with scripted receive messages; returns everything it sent."""
    pending = list(incoming or [{"type": "http.request", "body": b""}])
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_response_renders_once_with_content_length_and_charset() -> None:
    response = Response("h\u00e9", media_type="text/plain")
    assert response.body == "h\u00e9".encode()
    sent = await call_asgi(response, http_scope())
    assert sent == [
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"3"), (b"content-type", b"text/plain; charset=utf-8")],
        },
        {"type": "http.response.body", "body": "h\u00e9".encode()},
    ]


async def test_head_sends_headers_but_no_body() -> None:
    sent = await call_asgi(PlainTextResponse("hello"), http_scope("HEAD"))
    assert (b"content-length", b"5") in sent[0]["headers"]
    assert sent[1] == {"type": "http.response.body", "body": b""}


async def test_multiple_set_cookie_lines_stay_separate() -> None:
    response = PlainTextResponse("x")
    response.set_cookie("a", "1", httponly=True)
    response.set_cookie("b", "2", secure=True, samesite="strict")
    response.delete_cookie("old")
    sent = await call_asgi(response, http_scope())
    cookies = [value for name, value in sent[0]["headers"] if name == b"set-cookie"]
    assert cookies == [
        b"a=1; Path=/; HttpOnly; SameSite=Lax",
        b"b=2; Path=/; Secure; SameSite=Strict",
        b"old=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; SameSite=Lax",
    ]
    assert response.headers.getlist("set-cookie")[0] == "a=1; Path=/; HttpOnly; SameSite=Lax"


def test_headers_view_edits_the_raw_list() -> None:
    response = Response(b"x", headers={"X-A": "1"})
    response.headers["x-b"] = "2"
    response.headers.append("x-a", "3")
    assert response.raw_headers == [
        (b"x-a", b"1"),
        (b"content-length", b"1"),
        (b"x-b", b"2"),
        (b"x-a", b"3"),
    ]


def test_explicit_content_type_and_length_win_and_no_length_for_204_304() -> None:
    response = Response(b"abc", headers={"Content-Type": "x/y", "Content-Length": "3"})
    assert response.raw_headers == [(b"content-type", b"x/y"), (b"content-length", b"3")]
    assert Response(status_code=204).raw_headers == []
    assert Response(status_code=304).raw_headers == []
    assert Response(status_code=200).raw_headers == [(b"content-length", b"0")]
    assert Response(b"", headers=[("set-cookie", "a=1"), ("set-cookie", "b=2")]).raw_headers[
        :2
    ] == [
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
    ]


def test_json_html_and_text_responses() -> None:
    @dataclasses.dataclass
    class Item:
        name: str
        when: datetime.date

    response = JSONResponse({"item": Item("x", datetime.date(2024, 1, 2))}, status_code=201)
    assert response.body == b'{"item":{"name":"x","when":"2024-01-02"}}'
    assert response.headers["content-type"] == "application/json"
    assert response.status_code == 201
    assert JSONResponse(None).body == b"null"
    assert HTMLResponse("<p>").headers["content-type"] == "text/html; charset=utf-8"
    assert PlainTextResponse(b"raw").body == b"raw"
    assert Response(bytearray(b"ab")).body == b"ab"


def test_redirect_quotes_the_location() -> None:
    response = RedirectResponse("/caf\u00e9 menu?q=a b#top")
    assert response.status_code == 307
    assert response.headers["location"] == "/caf%C3%A9%20menu?q=a%20b#top"
    assert RedirectResponse("https://example.com/a", status_code=302).headers["location"] == (
        "https://example.com/a"
    )


def test_responses_through_the_test_client() -> None:
    client = TestClient(JSONResponse({"ok": True}, headers={"X-Extra": "1"}))
    reply = client.get("/")
    assert reply.status_code == 200
    assert reply.json() == {"ok": True}
    assert reply.headers["x-extra"] == "1"
    assert reply.headers["content-length"] == str(len(b'{"ok":true}'))
    redirect = TestClient(RedirectResponse("/next"), follow_redirects=False).get("/")
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "/next"


async def test_background_tasks_run_after_the_body_in_order() -> None:
    events: list[str] = []

    async def async_task(name: str) -> None:
        events.append(f"async {name}")

    def sync_task(name: str, *, suffix: str) -> None:
        events.append(f"sync {name}{suffix}")

    tasks = BackgroundTasks()
    tasks.add_task(async_task, "a")
    tasks.add_task(sync_task, "b", suffix="!")
    response = PlainTextResponse("done", background=tasks)
    sent: list[Message] = []

    async def send(message: Message) -> None:
        events.append(message["type"])
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    await response(http_scope(), receive, send)
    assert events == ["http.response.start", "http.response.body", "async a", "sync b!"]


async def test_single_background_task_and_callable_objects() -> None:
    seen: list[int] = []

    class Recorder:
        async def __call__(self, value: int) -> None:
            seen.append(value)

    task = BackgroundTask(Recorder(), 7)
    assert task.is_async
    await call_asgi(Response(b"", background=task), http_scope())
    assert seen == [7]


async def test_streaming_async_and_sync_iterables() -> None:
    async def numbers() -> Any:
        for number in range(3):
            yield str(number)

    sent = await call_asgi(StreamingResponse(numbers(), media_type="text/plain"), http_scope())
    assert sent[0]["headers"] == [(b"content-type", b"text/plain; charset=utf-8")]
    assert [m["body"] for m in sent[1:]] == [b"0", b"1", b"2", b""]
    assert [m.get("more_body", False) for m in sent[1:]] == [True, True, True, False]
    chunks: list[str | bytes] = [b"a", "b"]
    sent = await call_asgi(StreamingResponse(iter(chunks)), http_scope())
    assert [m["body"] for m in sent[1:]] == [b"a", b"b", b""]


async def test_streaming_head_sends_no_body_and_never_runs_the_generator() -> None:
    started = False

    async def body() -> Any:
        nonlocal started
        started = True
        yield b"x"

    sent = await call_asgi(StreamingResponse(body()), http_scope("HEAD"))
    assert sent[1:] == [{"type": "http.response.body", "body": b""}]
    assert not started


async def test_disconnect_cancels_an_endless_async_generator() -> None:
    state = {"closed": False, "chunks": 0}
    disconnect = anyio.Event()

    async def endless() -> Any:
        try:
            while True:
                state["chunks"] += 1
                if state["chunks"] == 3:
                    disconnect.set()
                yield b"tick"
                await anyio.lowlevel.checkpoint()
        finally:
            state["closed"] = True

    messages = [{"type": "http.request", "body": b""}]

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await disconnect.wait()
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await StreamingResponse(endless())(http_scope(), receive, send)
    assert state["closed"]
    assert all(m.get("more_body") for m in sent[1:])  # never finished normally


async def test_disconnect_closes_a_sync_generator() -> None:
    closed = []
    disconnect = anyio.Event()

    def endless() -> Any:
        try:
            while True:
                disconnect.set()
                yield b"x"
        finally:
            closed.append(True)

    first = True

    async def receive() -> Message:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b""}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await anyio.lowlevel.checkpoint()

    with anyio.fail_after(5):
        await StreamingResponse(endless())(http_scope(), receive, send)
    assert closed == [True]


async def test_send_failing_with_oserror_stops_the_stream_quietly() -> None:
    closed = []

    async def body() -> Any:
        try:
            while True:
                yield b"x"
        finally:
            closed.append(True)

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    count = 0

    async def send(message: Message) -> None:
        nonlocal count
        count += 1
        if count == 3:
            raise OSError("client went away")

    await StreamingResponse(body())(http_scope(), receive, send)
    assert closed == [True]


async def test_generator_errors_propagate_unwrapped() -> None:
    async def broken() -> Any:
        yield b"a"
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await call_asgi(StreamingResponse(broken()), http_scope())


def test_streaming_through_the_test_client_chunk_by_chunk() -> None:
    async def lines() -> Any:
        for number in range(1000):
            yield f"line {number}\n"

    client = TestClient(StreamingResponse(lines(), media_type="text/plain"))
    with client.stream("GET", "/") as reply:
        assert reply.status_code == 200
        assert "content-length" not in reply.headers
        first = next(reply.iter_lines())
    assert first == "line 0"


def test_content_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="content must be str or bytes, not dict"):
        Response({"a": 1})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("x-a", "a\r\nSet-Cookie: session=attacker"),
        ("x-a", "a\nb"),
        ("x-a", "a\rb"),
        ("x-a", "a\x00b"),
        ("x-a\r\nSet-Cookie", "x"),
        ("x a", "x"),
        ("x:a", "x"),
        ("", "x"),
    ],
)
def test_header_injection_is_refused(name: str, value: str) -> None:
    # uvicorn's h11 and httptools protocols check too; other servers may not
    with pytest.raises(ValueError, match="header"):
        Response("x", headers={name: value})
    with pytest.raises(ValueError, match="header"):
        StreamingResponse(iter([b"x"]), headers=[(name, value)])
    response = Response("x")
    with pytest.raises(ValueError, match="header"):
        response.headers[name] = value
    with pytest.raises(ValueError, match="header"):
        response.headers.append(name, value)
    assert all(key != name.encode() for key, _ in response.raw_headers)


def test_ordinary_header_values_pass() -> None:
    response = Response("x", headers={"x-tab": "a\tb", "x-latin": "caf\u00e9", "x-empty": ""})
    assert (b"x-tab", b"a\tb") in response.raw_headers
    assert (b"x-latin", b"caf\xe9") in response.raw_headers
    response.headers["x-quote"] = '"q" (c) <a>'
    assert response.headers["x-quote"] == '"q" (c) <a>'


async def test_generator_is_closed_when_send_fails_with_an_error() -> None:
    events: list[str] = []

    async def numbers() -> Any:
        try:
            for number in range(100):
                yield f"{number}\n"
        finally:
            events.append("closed")

    sent: list[Message] = []

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        if len(sent) == 3:
            raise RuntimeError("server bug")
        sent.append(message)

    with pytest.raises(RuntimeError, match="server bug"):
        await StreamingResponse(numbers())(http_scope(), receive, send)
    assert events == ["closed"]


@pytest.mark.parametrize("status", [204, 304, 101])
async def test_statuses_without_a_body_never_send_one(status: int) -> None:
    # JSONResponse(None, 204) rendered b"null": uvicorn then fails the response, since a 204
    # has no Content-Length to cover it
    for response in (
        Response(b"x", status_code=status),
        JSONResponse(None, status_code=status),
        Response("x", status_code=status, headers={"etag": '"a"'}),
    ):
        sent = await call_asgi(response, http_scope())
        assert sent[1]["body"] == b""
        assert all(name != b"content-length" for name, _ in sent[0]["headers"])

from __future__ import annotations

import re
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given
from hypothesis import strategies as st

from covet.http._sse import EventSourceResponse, ServerSentEvent, encode_event
from covet.http._types import Message
from covet.http.testing import AsyncTestClient, TestClient


def test_event_formatting() -> None:
    assert encode_event("hello") == b"data: hello\n\n"
    assert encode_event("a\nb\r\nc") == b"data: a\ndata: b\ndata: c\n\n"
    assert encode_event({"event": "update", "data": {"n": 1}, "id": 7, "retry": 3000}) == (
        b'id: 7\nevent: update\nretry: 3000\ndata: {"n":1}\n\n'
    )
    assert encode_event({"comment": "keep"}) == b": keep\n\n"
    assert encode_event({"n": 1}) == b'data: {"n":1}\n\n'  # a plain dict is data
    assert encode_event([1, 2]) == b"data: [1,2]\n\n"
    assert encode_event(b"raw") == b"data: raw\n\n"
    assert encode_event(ServerSentEvent("")) == b"data: \n\n"


@pytest.mark.parametrize(
    "event",
    [
        ServerSentEvent("x", event="a\nb"),
        ServerSentEvent("x", id="1\r2"),
        ServerSentEvent("x", id="1\x002"),  # browsers ignore an id holding NUL
        ServerSentEvent("x", retry="soon"),  # type: ignore[arg-type]
    ],
)
def test_event_fields_cannot_inject_lines(event: ServerSentEvent) -> None:
    with pytest.raises(ValueError, match="SSE"):
        event.encode()


def parse_event_stream(stream: str) -> list[dict[str, str]]:
    """The WHATWG EventSource parser, reduced to what these tests need."""
    events: list[dict[str, str]] = []
    data: list[str] = []
    fields: dict[str, str] = {}
    for line in re.split(r"\r\n|\r|\n", stream):
        if line == "":
            if data or fields:
                events.append({**fields, "data": "\n".join(data)})
            data, fields = [], {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        else:
            fields[name] = value
    return events


@given(
    data=st.text(),
    event=st.one_of(st.none(), st.text().filter(lambda text: not re.search("[\r\n]", text))),
)
def test_what_a_browser_reads_back_is_what_was_sent(data: str, event: str | None) -> None:
    stream = ServerSentEvent(data, event=event, id=1).encode().decode("utf-8")
    [parsed] = parse_event_stream(stream)
    assert parsed["data"] == re.sub(r"\r\n|\r", "\n", data)  # the format has one line break
    assert parsed["id"] == "1"
    assert parsed.get("event") == event


def test_unicode_line_separators_stay_inside_a_data_line() -> None:
    # str.splitlines() also splits on these; the EventSource format splits only on CR and LF
    for char in "\u2028\u2029\x85\x0b\x0c\x1c":
        assert encode_event(f"a{char}b") == f"data: a{char}b\n\n".encode()
    assert encode_event("ends with a newline\n") == b"data: ends with a newline\ndata: \n\n"


def test_headers_and_body_through_the_test_client() -> None:
    async def events() -> Any:
        yield {"event": "greeting", "data": "hi"}
        yield ServerSentEvent({"n": 2}, id="2")

    reply = TestClient(EventSourceResponse(events())).get("/")
    assert reply.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert reply.headers["cache-control"] == "no-cache"
    assert reply.headers["x-accel-buffering"] == "no"
    assert reply.text == 'event: greeting\ndata: hi\n\nid: 2\ndata: {"n":2}\n\n'


async def test_ping_is_sent_while_the_generator_is_idle() -> None:
    pinged = anyio.Event()

    async def waits_for_a_ping() -> Any:
        await pinged.wait()
        yield "after ping"

    async def receive() -> Message:
        await anyio.sleep_forever()
        raise AssertionError

    bodies: list[bytes] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            bodies.append(message["body"])
            if message["body"] == b": ping\n\n":
                pinged.set()

    scope = {"type": "http", "method": "GET", "headers": []}
    with anyio.fail_after(5):
        await EventSourceResponse(waits_for_a_ping(), ping=0.001)(scope, receive, send)
    assert bodies[0] == b": ping\n\n"
    assert b"data: after ping\n\n" in bodies
    assert bodies[-1] == b""


def test_ping_must_be_positive() -> None:
    with pytest.raises(ValueError, match="ping"):
        EventSourceResponse(iter([]), ping=0)


async def test_disconnect_stops_an_endless_generator() -> None:
    closed = anyio.Event()

    async def endless() -> Any:
        try:
            number = 0
            while True:
                number += 1
                yield {"id": number, "data": "tick"}
                await anyio.lowlevel.checkpoint()
        finally:
            closed.set()

    lines = []
    async with AsyncTestClient(EventSourceResponse(endless())).stream("GET", "/") as reply:
        async for line in reply.aiter_lines():
            lines.append(line)
            if len(lines) == 6:
                break
    with anyio.fail_after(5):
        await closed.wait()
    assert lines[:3] == ["id: 1", "data: tick", ""]


async def test_disconnect_as_raw_asgi_messages() -> None:
    produced = 0
    closed = False
    gone = anyio.Event()

    async def endless() -> Any:
        nonlocal produced, closed
        try:
            while True:
                produced += 1
                if produced == 2:
                    gone.set()
                yield "x"
                await anyio.lowlevel.checkpoint()
        finally:
            closed = True

    first = True

    async def receive() -> Message:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": b""}
        await gone.wait()
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": []}
    with anyio.fail_after(5):
        await EventSourceResponse(endless(), ping=None)(scope, receive, send)
    assert closed
    assert sent[1]["body"] == b"data: x\n\n"


def test_head_request_gets_no_events() -> None:
    async def events() -> Any:
        yield "never"

    reply = TestClient(EventSourceResponse(events())).head("/")
    assert reply.status_code == 200
    assert reply.content == b""


@pytest.mark.slow
def test_a_real_server_disconnect_stops_the_generator() -> None:
    """Under uvicorn, closing the client connection cancels an endless event generator."""
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    closed = threading.Event()

    async def endless() -> Any:
        try:
            number = 0
            while True:
                number += 1
                yield {"data": number}
                await anyio.sleep(0.01)
        finally:
            closed.set()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await EventSourceResponse(endless())(scope, receive, send)

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        with httpx.stream("GET", f"http://127.0.0.1:{port}/", timeout=10) as reply:
            lines = reply.iter_lines()
            assert next(lines) == "data: 1"
        assert closed.wait(timeout=10), "the generator kept running after the client left"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

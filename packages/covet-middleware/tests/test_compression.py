from __future__ import annotations

import asyncio
import gzip
import zlib
from typing import Any

import brotli  # type: ignore[import-untyped]
import pytest

from covet.middleware import CompressionMiddleware
from covet.middleware._compression import choose_encoding

BIG = ("covet middleware compresses this line nicely. " * 500).encode()


def headers_of(message: dict[str, Any]) -> dict[str, str]:
    return {k.decode().lower(): v.decode() for k, v in message["headers"]}


async def get(
    app: Any, asgi_call: Any, path: str, accept: str | None
) -> tuple[dict[str, str], bytes, int]:
    request_headers = [(b"host", b"testserver")]
    if accept is not None:
        request_headers.append((b"accept-encoding", accept.encode()))
    sent = await asgi_call(
        app, {"path": path, "raw_path": path.encode(), "headers": request_headers}
    )
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return headers_of(start), body, start["status"]


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("*", "br"),
        ("gzip;q=0, *;q=0.2", "br"),
        ("identity", None),
        ("gzip;q=0, br;q=0", None),
        ("deflate", None),
    ],
)
async def test_encoding_follows_q_values_and_round_trips(
    build: Any, asgi_call: Any, accept: str, coding: str | None
) -> None:
    app = build((CompressionMiddleware, {}))
    headers, body, status = await get(app, asgi_call, "/big", accept)
    assert status == 200
    assert headers.get("content-encoding") == coding
    assert "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(body)
    if coding == "gzip":
        assert gzip.decompress(body) == BIG
    elif coding == "br":
        assert brotli.decompress(body) == BIG
    else:
        assert body == BIG
    if coding is not None:
        assert headers["etag"] == 'W/"v1"'
        assert len(body) < len(BIG) // 10


@pytest.mark.parametrize("path", ["/text", "/png", "/encoded", "/partial"])
async def test_small_encoded_partial_and_excluded_bodies_are_untouched(
    build: Any, asgi_call: Any, path: str
) -> None:
    plain_headers, plain_body, _ = await get(build(), asgi_call, path, "gzip, br")
    headers, body, _ = await get(build((CompressionMiddleware, {})), asgi_call, path, "gzip, br")
    assert body == plain_body
    assert headers.get("content-encoding") == plain_headers.get("content-encoding")
    assert headers.get("content-length") == plain_headers.get("content-length")


async def test_configured_media_types_are_skipped(build: Any, asgi_call: Any) -> None:
    app = build((CompressionMiddleware, {"exclude_media_types": ["text/plain"]}))
    headers, body, _ = await get(app, asgi_call, "/big", "gzip")
    assert "content-encoding" not in headers
    assert body == BIG


async def test_no_transform_is_respected(asgi_call: Any) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/plain"), (b"cache-control", b"no-transform")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": BIG})

    headers, body, _ = await get(CompressionMiddleware(app), asgi_call, "/", "gzip")
    assert "content-encoding" not in headers
    assert body == BIG


async def run_streaming(
    asgi_call: Any, app: Any, gate: Any, path: str, accept: str
) -> tuple[list[Any], Any]:
    """Start a request, return once the first body chunk has arrived (gate still closed)."""
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[dict[str, Any]] = []

    async def on_message(message: dict[str, Any]) -> None:
        await queue.put(message)

    async def request() -> None:
        from_call = await asgi_call(
            app,
            {
                "path": path,
                "raw_path": path.encode(),
                "headers": [(b"host", b"testserver"), (b"accept-encoding", accept.encode())],
            },
            on_message=on_message,
        )
        sent.extend(from_call)

    task = asyncio.create_task(request())
    messages = []
    while True:
        message = await asyncio.wait_for(queue.get(), timeout=10)
        messages.append(message)
        if message["type"] == "http.response.body":
            break
    assert not gate.event.is_set()
    assert not task.done()
    return messages, task


async def test_sse_first_event_arrives_before_the_generator_finishes(
    build: Any, gate: Any, asgi_call: Any
) -> None:
    app = build((CompressionMiddleware, {"minimum_size": 0}))
    messages, task = await run_streaming(asgi_call, app, gate, "/sse", "gzip, br")
    start, first = messages
    assert "content-encoding" not in headers_of(start)
    assert first["body"] == b"data: first\n\n"
    gate.event.set()
    await asyncio.wait_for(task, timeout=10)


async def test_streamed_bodies_are_compressed_chunk_by_chunk(
    build: Any, gate: Any, asgi_call: Any
) -> None:
    app = build((CompressionMiddleware, {}))
    messages, task = await run_streaming(asgi_call, app, gate, "/stream", "gzip")
    start, first = messages
    headers = headers_of(start)
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    decoder = zlib.decompressobj(31)
    assert decoder.decompress(first["body"]) == BIG[:1000]  # flushed: readable on its own
    gate.event.set()
    await asyncio.wait_for(task, timeout=10)


async def test_pathsend_releases_the_held_start_uncompressed(asgi_call: Any) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"9999")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.pathsend", "path": "/tmp/file"})

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"accept-encoding", b"gzip")]}
    await CompressionMiddleware(app)(scope, None, send)  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.pathsend"]
    assert (b"content-length", b"9999") in sent[0]["headers"]
    assert b"content-encoding" not in dict(sent[0]["headers"])


def test_choose_encoding_handles_malformed_q() -> None:
    assert choose_encoding("gzip;q=abc, br", ["br", "gzip"]) == "br"
    assert choose_encoding("gzip;q=abc", ["br", "gzip"]) is None
    assert choose_encoding("GZIP", ["br", "gzip"]) == "gzip"


async def test_websocket_and_lifespan_pass_through() -> None:
    seen = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    mw = CompressionMiddleware(app)
    await mw({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    await mw({"type": "websocket", "headers": []}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan", "websocket"]


async def test_head_announces_the_same_encoding_as_get(build: Any, asgi_call: Any) -> None:
    # RFC 9110 9.3.2: HEAD answers with the header fields GET would. Without a body to measure
    # the compressed length is unknown: no Content-Length, like a streamed GET.
    app = build((CompressionMiddleware, {}))
    request = {"path": "/big", "raw_path": b"/big", "method": "HEAD"}
    request["headers"] = [(b"host", b"testserver"), (b"accept-encoding", b"gzip")]
    sent = await asgi_call(app, request)
    head = headers_of(sent[0])
    get_headers, _, _ = await get(app, asgi_call, "/big", "gzip")
    for name in ("content-encoding", "vary", "etag"):
        assert head.get(name) == get_headers.get(name), name
    # Starlette sends the body on HEAD too (the server drops it), so it gets the GET length.
    empty = b"".join(m.get("body", b"") for m in sent[1:]) == b""
    assert head.get("content-length") == (None if empty else get_headers["content-length"])

"""The floor: a hand-written ASGI app serving the five benchmark endpoints.

No framework, no routing table, no request object: what uvicorn alone costs, plus the least work
each endpoint needs (int parsing, a query-string split, ``json.loads``/``json.dumps``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PLAINTEXT = b"Hello, World!"
TEXT_HEADERS = [(b"content-type", b"text/plain; charset=utf-8")]
JSON_TYPE = (b"content-type", b"application/json")
encode_json = json.JSONEncoder(separators=(",", ":")).encode  # built once: json.dumps(**kw) is not


async def respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def respond_json(send: Send, status: int, data: Any) -> None:
    body = encode_json(data).encode()
    await respond(send, status, body, [JSON_TYPE])


async def read_body(receive: Receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def search(scope: Scope, send: Send) -> None:
    params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
    errors = []
    if "q" not in params:
        errors.append({"loc": ["query", "q"], "msg": "field required"})
    values: dict[str, Any] = {"q": params.get("q")}
    for name, default in (("page", 1), ("size", 10)):
        raw = params.get(name)
        try:
            values[name] = default if raw is None else int(raw)
        except ValueError:
            errors.append({"loc": ["query", name], "msg": "not a valid integer"})
    if errors:
        await respond_json(send, 422, {"errors": errors})
    else:
        await respond_json(send, 200, values)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":  # lifespan: accept and finish
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        return
    path: str = scope["path"]
    method: str = scope["method"]
    if path == "/plaintext" and method == "GET":
        await respond(send, 200, PLAINTEXT, TEXT_HEADERS)
    elif path == "/json" and method == "GET":
        await respond_json(send, 200, {"message": "Hello, World!"})
    elif path.startswith("/users/") and method == "GET":
        raw = path[len("/users/") :]
        if raw.isdigit():
            await respond_json(send, 200, {"id": int(raw)})
        else:
            await respond(send, 404, b"Not Found", TEXT_HEADERS)
    elif path == "/search" and method == "GET":
        await search(scope, send)
    elif path == "/echo" and method == "POST":
        try:
            data = json.loads(await read_body(receive))
        except ValueError:
            await respond_json(send, 400, {"detail": "invalid JSON"})
        else:
            await respond_json(send, 200, data)
    else:
        await respond(send, 404, b"Not Found", TEXT_HEADERS)

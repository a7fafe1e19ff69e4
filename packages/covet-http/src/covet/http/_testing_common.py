"""Pieces both test clients share: building a scope from an httpx request, driving the lifespan."""

from __future__ import annotations

import contextlib
import math
from typing import Any, Literal, Protocol
from urllib.parse import unquote

import anyio

try:
    import httpx
except ImportError as exc:  # pragma: no cover - exercised only without httpx
    raise ImportError(
        "covet.http.testing needs httpx; install it with: pip install 'covet-http[testing]'"
    ) from exc

from covet.http._types import ASGIApp, Message, Scope

__all__ = [
    "WINDOW",
    "ClientSettings",
    "Lifespan",
    "RequestReceiver",
    "build_scope",
    "client_scope",
    "httpx",
    "no_response",
]

#: How many body chunks the app may send ahead of what the test has read.
WINDOW = 16

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def build_scope(
    request: httpx.Request,
    kind: Literal["http", "websocket"],
    *,
    root_path: str,
    client: tuple[str, int],
    state: dict[str, Any],
) -> Scope:
    url = request.url
    scheme = url.scheme
    if kind == "websocket":
        scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
    raw_path, _, query = url.raw_path.partition(b"?")
    scope: Scope = {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": scheme,
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": root_path,
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "client": client,
        "server": (url.host, url.port or _DEFAULT_PORTS.get(scheme, 80)),
        "extensions": {},
        "state": dict(state),
    }
    if kind == "http":
        scope["method"] = request.method
    return scope


class ClientSettings(Protocol):
    root_path: str
    client_address: tuple[str, int]
    lifespan_state: dict[str, Any]


def client_scope(
    client: ClientSettings, request: httpx.Request, kind: Literal["http", "websocket"] = "http"
) -> Scope:
    """The scope for ``request`` as sent by a test client with these settings."""
    return build_scope(
        request,
        kind,
        root_path=client.root_path,
        client=client.client_address,
        state=client.lifespan_state,
    )


class RequestReceiver:
    """The app's ``receive`` for one exchange: the whole request body once, then
    ``http.disconnect`` as soon as the client has gone (``disconnected`` is set)."""

    body: bytes | None
    disconnected: anyio.Event

    async def receive(self) -> Message:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.disconnected.wait()
        return {"type": "http.disconnect"}


def no_response(
    error: BaseException | None, raise_errors: bool, request: httpx.Request
) -> httpx.Response:
    """What a client gets when the app finished without starting a response."""
    if error is None:
        error = RuntimeError("the ASGI app returned without sending a response")
    if raise_errors:
        raise error
    return httpx.Response(500, request=request)


class Lifespan:
    """Drives the ASGI lifespan protocol. ``run()`` is the app's task; ``startup()`` and
    ``shutdown()`` are awaited on the same event loop by the client."""

    def __init__(self, app: ASGIApp, state: dict[str, Any], raise_errors: bool) -> None:
        self.app = app
        self.state = state
        self.raise_errors = raise_errors
        self._to_app, self._app_receive = anyio.create_memory_object_stream[Message](math.inf)
        self._app_send, self._from_app = anyio.create_memory_object_stream[Message](math.inf)
        self.exited = False
        self.error: Exception | None = None

    async def run(self) -> None:
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        try:
            await self.app(scope, self._app_receive.receive, self._app_send.send)
        except Exception as exc:
            self.error = exc
        finally:
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._app_send.send_nowait({"type": "lifespan.exited"})
            self._app_send.close()
            self._app_receive.close()

    async def _next(self, expected: str) -> Message:
        message = await self._from_app.receive()
        kind = message["type"]
        if kind == "lifespan.exited":
            self.exited = True
        elif not kind.startswith(expected):
            raise RuntimeError(
                f"the app sent {kind!r} during the lifespan {expected.rsplit('.', 2)[-2]}; "
                "use the client without `with` for apps that do not speak the lifespan protocol"
            )
        return message

    async def _tell_app(self, kind: str) -> None:
        with contextlib.suppress(anyio.BrokenResourceError):  # the app has already returned
            await self._to_app.send({"type": kind})

    def close(self) -> None:
        self._to_app.close()
        self._from_app.close()

    async def startup(self) -> None:
        try:
            await self._tell_app("lifespan.startup")
            message = await self._next("lifespan.startup.")
            if message["type"] == "lifespan.startup.failed":
                raise RuntimeError(f"lifespan startup failed: {message.get('message', '')}")
            if self.exited and self.error is not None and self.raise_errors:
                raise self.error
        except BaseException:
            self.close()
            raise

    async def shutdown(self) -> None:
        try:
            if self.exited:
                return
            await self._tell_app("lifespan.shutdown")
            message = await self._next("lifespan.shutdown.")
            if message["type"] == "lifespan.shutdown.failed":
                raise RuntimeError(f"lifespan shutdown failed: {message.get('message', '')}")
            while not self.exited:
                await self._next("lifespan.shutdown.")
            if self.error is not None and self.raise_errors:
                raise self.error
        finally:
            self.close()

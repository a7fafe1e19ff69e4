"""The websocket side of ``TestClient``: a session that talks to the app in its portal thread."""

from __future__ import annotations

import contextlib
import math
import queue
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Literal, Self

import anyio
import anyio.from_thread

from covet.http._json import json_dumps, json_loads
from covet.http._testing_common import httpx
from covet.http._types import ASGIApp, Message, Scope
from covet.http._websockets import WebSocketDisconnect, check_json_mode

__all__ = ["WebSocketDenialResponse", "WebSocketTestSession"]

PortalFactory = Callable[[], contextlib.AbstractContextManager[anyio.from_thread.BlockingPortal]]


class WebSocketDenialResponse(Exception):
    """The app refused the handshake with an HTTP response instead of accepting it.

    Reads like the response: ``status_code``, ``headers`` (``httpx.Headers``: case-insensitive,
    repeated lines kept), ``content``, ``text`` and ``json()``.
    """

    def __init__(self, status_code: int, headers: list[tuple[bytes, bytes]], content: bytes):
        self.status_code = status_code
        self.headers = httpx.Headers(headers)
        self.content = content
        super().__init__(f"websocket denied with HTTP {status_code}")

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json_loads(self.content)


class WebSocketTestSession:
    """One websocket connection to the app. Use it as a context manager::

    with client.websocket_connect("/ws") as ws:
        ws.send_text("hi")
        assert ws.receive_text() == "hi"
    """

    def __init__(
        self, app: ASGIApp, scope: Scope, portal_factory: PortalFactory, raise_errors: bool
    ) -> None:
        self.app = app
        self.scope = scope
        self._portal_factory = portal_factory
        self._raise = raise_errors
        self._from_app: queue.Queue[Message] = queue.Queue()
        self._stack = contextlib.ExitStack()
        self._future: Future[None] | None = None
        self._error: BaseException | None = None
        self._app_finished = False
        self.accepted_subprotocol: str | None = None
        self.extra_headers: list[tuple[bytes, bytes]] = []

    def __enter__(self) -> Self:
        portal = self._stack.enter_context(self._portal_factory())
        self._portal = portal
        to_app, app_receive = anyio.create_memory_object_stream[Message](math.inf)
        self._to_app = to_app

        async def send(message: Message) -> None:
            self._from_app.put(message)

        async def run_app() -> None:
            try:
                await self.app(self.scope, app_receive.receive, send)
            except Exception as exc:
                self._error = exc
                self._from_app.put({"type": "covet.testclient.error"})
            finally:
                app_receive.close()
                self._from_app.put({"type": "covet.testclient.exited"})

        try:
            self._future = portal.start_task_soon(run_app)
            self.send({"type": "websocket.connect"})
            message = self._next()
            if message["type"] == "websocket.accept":
                self.accepted_subprotocol = message.get("subprotocol")
                self.extra_headers = list(message.get("headers") or [])
                return self
            if message["type"] == "websocket.http.response.start":
                raise self._denial(message)
            if message["type"] == "websocket.close":
                raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
            raise WebSocketDisconnect(1006, "the app returned without accepting the connection")
        except BaseException:
            self._finish()
            raise

    def _denial(self, start: Message) -> WebSocketDenialResponse:
        body = b""
        while True:
            message = self._next()
            if message["type"] != "websocket.http.response.body":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        return WebSocketDenialResponse(start["status"], list(start.get("headers", [])), body)

    def _next(self) -> Message:
        if self._app_finished:
            raise WebSocketDisconnect(1006, "the app has returned")
        message = self._from_app.get()
        if message["type"] == "covet.testclient.error":
            self._app_finished = True
            assert self._error is not None
            error, self._error = self._error, None
            if self._raise:
                raise error
            raise WebSocketDisconnect(1011, "the app raised an exception")
        if message["type"] == "covet.testclient.exited":
            self._app_finished = True
            raise WebSocketDisconnect(1006, "the app returned without closing the connection")
        return message

    def _finish(self) -> None:
        try:
            if self._future is not None:
                self._future.result()
        finally:
            try:
                self._portal.call(self._to_app.close)
            finally:
                self._stack.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if not self._app_finished:
                self.close(1000)
        finally:
            self._finish()
        if self._error is not None and self._raise and exc_type is None:
            error, self._error = self._error, None
            raise error

    # Client -> app ---------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send a raw ASGI message to the app (dropped once the app has returned)."""
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            self._portal.call(self._to_app.send, message)

    def send_text(self, data: str) -> None:
        self.send({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self.send({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        check_json_mode(mode)
        encoded = json_dumps(data)
        if mode == "text":
            self.send_text(encoded.decode("utf-8"))
        else:
            self.send_bytes(encoded)

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close from the client side: the app receives ``websocket.disconnect``."""
        self.send({"type": "websocket.disconnect", "code": code, "reason": reason or ""})

    # App -> client ---------------------------------------------------------------------------

    def receive(self) -> Message:
        return self._next()

    def _receive_data(self) -> Message:
        message = self._next()
        if message["type"] == "websocket.close":
            self._app_finished = True
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        return message

    def receive_text(self) -> str:
        message = self._receive_data()
        if message.get("text") is None:
            raise TypeError("expected a text frame, received a binary frame")
        return message["text"]  # type: ignore[no-any-return]

    def receive_bytes(self) -> bytes:
        message = self._receive_data()
        if message.get("bytes") is None:
            raise TypeError("expected a binary frame, received a text frame")
        return message["bytes"]  # type: ignore[no-any-return]

    def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        check_json_mode(mode)
        if mode == "text":
            return json_loads(self.receive_text())
        return json_loads(self.receive_bytes())

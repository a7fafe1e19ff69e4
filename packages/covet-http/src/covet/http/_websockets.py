"""The WebSocket connection object handed to websocket handlers."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Literal

from covet.http._cookies import parse_cookies
from covet.http._datastructures import URL, Address, Headers, QueryParams, State
from covet.http._exceptions import CovetHTTPError, WebSocketException
from covet.http._json import InvalidJSON, json_dumps, json_loads
from covet.http._types import Message, Receive, Scope, Send
from covet.http._urls import base_url, url_for

__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketState", "check_json_mode"]


def check_json_mode(mode: str) -> None:
    if mode not in ("text", "binary"):
        raise ValueError(f"mode must be 'text' or 'binary', not {mode!r}")


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class _WrongFrame(WebSocketException, TypeError):
    """A binary frame where text was expected, or the reverse: closes with 1003 (RFC 6455)."""

    def __init__(self, reason: str) -> None:
        super().__init__(1003, reason)


class _InvalidJSONFrame(WebSocketException, InvalidJSON):
    """A frame that is not JSON where JSON was expected: closes with 1003."""

    def __init__(self, reason: str) -> None:
        super().__init__(1003, reason)


class WebSocketDisconnect(CovetHTTPError):
    """The client closed the connection (``code`` and ``reason`` are what it sent)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""
        super().__init__(code, self.reason)

    def __repr__(self) -> str:
        return f"WebSocketDisconnect(code={self.code!r}, reason={self.reason!r})"


class WebSocket:
    """A websocket connection: ``await ws.accept()``, then send and receive text, bytes or JSON.

    Receiving after the client left raises ``WebSocketDisconnect``. The connection tracks the
    ASGI state machine on both sides and refuses messages that are out of order.
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise ValueError(f"WebSocket needs a 'websocket' scope, got {scope['type']!r}")
        self.scope = scope
        self._receive = receive
        self._send = send
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING
        self._headers: Headers | None = None
        self._query_params: QueryParams | None = None
        self._cookies: dict[str, str] | None = None

    # Connection details ------------------------------------------------------------------------

    @property
    def url(self) -> URL:
        return URL(scope=self.scope)

    @property
    def base_url(self) -> URL:
        return base_url(self.scope)

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """The absolute URL of the app's route called ``name``, as ``Request.url_for``."""
        return url_for(self.scope, name, path_params)

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(scope=self.scope)
        return self._headers

    @property
    def query_params(self) -> QueryParams:
        if self._query_params is None:
            self._query_params = QueryParams(self.scope.get("query_string", b""))
        return self._query_params

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            header = self.headers.get("cookie")
            self._cookies = parse_cookies(header) if header else {}
        return self._cookies

    @property
    def path_params(self) -> dict[str, Any]:
        return self.scope.get("path_params", {})  # type: ignore[no-any-return]

    @property
    def client(self) -> Address | None:
        client = self.scope.get("client")
        return Address(*client) if client is not None else None

    @property
    def state(self) -> State:
        return State(self.scope.setdefault("state", {}))

    @property
    def app(self) -> Any:
        return self.scope.get("app")

    # The ASGI state machine -------------------------------------------------------------------

    async def receive(self) -> Message:
        """Receive the next raw ASGI message."""
        if self.client_state == WebSocketState.CONNECTING:
            message = await self._receive()
            if message["type"] != "websocket.connect":
                raise RuntimeError(f"expected 'websocket.connect', got {message['type']!r}")
            self.client_state = WebSocketState.CONNECTED
            return message
        if self.client_state == WebSocketState.CONNECTED:
            message = await self._receive()
            if message["type"] not in ("websocket.receive", "websocket.disconnect"):
                raise RuntimeError(f"unexpected ASGI message {message['type']!r}")
            if message["type"] == "websocket.disconnect":
                self.client_state = WebSocketState.DISCONNECTED
            return message
        raise RuntimeError("cannot receive: the client has already disconnected")

    async def send(self, message: Message) -> None:
        """Send a raw ASGI message, checking that it fits the connection's state."""
        kind = message["type"]
        state = self.application_state
        if state == WebSocketState.CONNECTING:
            allowed = ("websocket.accept", "websocket.close", "websocket.http.response.start")
            if kind not in allowed:
                raise RuntimeError(f"{kind!r} before the websocket was accepted; accept() first")
            if kind == "websocket.accept":
                self.application_state = WebSocketState.CONNECTED
            elif kind == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
            else:
                if "websocket.http.response" not in self.scope.get("extensions", {}):
                    raise RuntimeError("the server does not support websocket denial responses")
                self.application_state = WebSocketState.RESPONSE
        elif state == WebSocketState.CONNECTED:
            if kind not in ("websocket.send", "websocket.close"):
                raise RuntimeError(f"{kind!r} is not allowed on an open websocket")
            if kind == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
        elif state == WebSocketState.RESPONSE:
            if kind != "websocket.http.response.body":
                raise RuntimeError(f"{kind!r} while sending a denial response")
            if not message.get("more_body", False):
                self.application_state = WebSocketState.DISCONNECTED
        else:
            raise RuntimeError("cannot send: the websocket is already closed")
        try:
            await self._send(message)
        except OSError:
            self.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(1006) from None

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        """Accept the connection, optionally choosing one of ``scope["subprotocols"]``.

        Choosing a subprotocol the client did not offer raises ``ValueError``: browsers fail
        such a handshake, so it is a bug better seen here than as a dead socket in the client.
        """
        if subprotocol is not None and subprotocol not in self.scope.get("subprotocols", ()):
            offered = ", ".join(self.scope.get("subprotocols", ())) or "none"
            raise ValueError(
                f"subprotocol {subprotocol!r} was not offered by the client (offered: {offered})"
            )
        if self.client_state == WebSocketState.CONNECTING:
            await self.receive()
        raw = Headers(headers).raw if headers is not None else []
        await self.send({"type": "websocket.accept", "subprotocol": subprotocol, "headers": raw})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Any) -> None:
        """Refuse the handshake with an HTTP response (needs the server's denial extension)."""
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            raise RuntimeError("the server does not support websocket denial responses")
        await response(self.scope, self.receive, self.send)

    # Data -------------------------------------------------------------------------------------

    def _check_accepted(self) -> None:
        if self.application_state != WebSocketState.CONNECTED:
            raise RuntimeError("the websocket is not connected; call accept() first")

    async def _receive_data(self) -> Message:
        self._check_accepted()
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        return message

    async def receive_text(self) -> str:
        """The next text frame. A binary frame raises ``WebSocketException(1003)`` (also a
        ``TypeError``): unhandled, it closes the socket with 1003, "unsupported data"."""
        message = await self._receive_data()
        text = message.get("text")
        if text is None:
            raise _WrongFrame("expected a text frame, received a binary frame")
        return text  # type: ignore[no-any-return]

    async def receive_bytes(self) -> bytes:
        """The next binary frame; a text frame raises ``WebSocketException(1003)``."""
        message = await self._receive_data()
        data = message.get("bytes")
        if data is None:
            raise _WrongFrame("expected a binary frame, received a text frame")
        return data  # type: ignore[no-any-return]

    async def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        """Receive one frame and decode it as JSON. Bad JSON raises ``InvalidJSON`` that is also
        a ``WebSocketException(1003)``, so unhandled it closes the socket with 1003."""
        check_json_mode(mode)
        data: str | bytes = await (self.receive_text() if mode == "text" else self.receive_bytes())
        try:
            return json_loads(data)
        except InvalidJSON as exc:
            raise _InvalidJSONFrame(str(exc)) from None

    async def iter_text(self) -> AsyncIterator[str]:
        """Yield text frames until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            return

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            return

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            return

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        check_json_mode(mode)
        encoded = json_dumps(data)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": encoded.decode("utf-8")})
        else:
            await self.send({"type": "websocket.send", "bytes": encoded})

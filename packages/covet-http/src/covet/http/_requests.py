"""The HTTP request: a lazy view over the ASGI scope plus the body, read within limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import anyio

from covet.http._cookies import parse_cookies
from covet.http._datastructures import URL, Address, FormData, Headers, QueryParams, State
from covet.http._exceptions import CovetHTTPError, HTTPException
from covet.http._json import InvalidJSON, json_loads
from covet.http._types import Message, Receive, Scope, Send
from covet.http._urls import base_url, url_for

if TYPE_CHECKING:
    from covet.http._app import Covet

DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 64
DEFAULT_MAX_FORM_PARTS = 1000
DEFAULT_MAX_FIELD_SIZE = 1024 * 1024
DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024
DEFAULT_SPOOL_THRESHOLD = 1024 * 1024


class ClientDisconnect(CovetHTTPError):
    """The client went away while the request body was being read."""


async def empty_receive() -> Message:
    raise RuntimeError("this Request was created without a receive channel")


async def empty_send(message: Message) -> None:
    raise RuntimeError("this Request was created without a send channel")


def parse_query(query_string: bytes) -> dict[str, list[str]]:
    """``a=1&a=2&b`` -> ``{"a": ["1", "2"], "b": [""]}`` (percent-decoding only when needed)."""
    if not query_string:
        return {}
    text = query_string.decode("utf-8", errors="replace")  # as request.query_params does
    out: dict[str, list[str]] = {}
    if "%" in text or "+" in text:
        for key, value in parse_qsl(text, keep_blank_values=True):
            out.setdefault(key, []).append(value)
        return out
    for pair in text.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            if key in out:
                out[key].append(value)
            else:
                out[key] = [value]
    return out


class RequestLimits:
    """How much of a request body the app reads: bytes, JSON depth, form parts and sizes."""

    __slots__ = (
        "max_body_size",
        "max_field_size",
        "max_file_size",
        "max_form_parts",
        "max_json_depth",
        "spool_threshold",
    )

    def __init__(
        self,
        *,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
        max_form_parts: int = DEFAULT_MAX_FORM_PARTS,
        max_field_size: int = DEFAULT_MAX_FIELD_SIZE,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
        spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
    ) -> None:
        self.max_body_size = max_body_size
        self.max_json_depth = max_json_depth
        self.max_form_parts = max_form_parts
        self.max_field_size = max_field_size
        self.max_file_size = max_file_size
        self.spool_threshold = spool_threshold

    def replace(self, **changes: Any) -> RequestLimits:
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return RequestLimits(**values)

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"RequestLimits({values})"


DEFAULT_LIMITS = RequestLimits()


class Request:
    """An incoming HTTP request.

    Parsing is lazy: ``headers``, ``query_params`` and ``cookies`` are built on first access, and
    the body is read at most once, never beyond ``max_body_size`` (413 otherwise).
    """

    # lazily filled; class-level defaults keep construction to four assignments
    _body: bytes | None = None
    _json: Any = None
    _has_json = False
    _form: FormData | None = None
    _stream_consumed = False
    _headers: Headers | None = None
    _header_map: dict[str, list[str]] | None = None
    _query_params: QueryParams | None = None
    _query_map: dict[str, list[str]] | None = None
    _cookies: dict[str, str] | None = None
    _url: URL | None = None
    _pending: Message | None = None

    def __init__(
        self,
        scope: Scope,
        receive: Receive = empty_receive,
        send: Send = empty_send,
        *,
        limits: RequestLimits = DEFAULT_LIMITS,
        **overrides: Any,
    ) -> None:
        """``limits`` (or ``max_body_size=...`` style overrides of it) bound what is read."""
        assert scope["type"] in ("http", "websocket"), "Request takes an HTTP scope"
        self.scope = scope
        self._receive = receive
        self._send = send
        self.limits = limits.replace(**overrides) if overrides else limits

    @classmethod
    def _fast(cls, scope: Scope, receive: Receive, send: Send, limits: RequestLimits) -> Request:
        request = cls.__new__(cls)
        request.scope = scope
        request._receive = receive
        request._send = send
        request.limits = limits
        return request

    @property
    def max_body_size(self) -> int | None:
        return self.limits.max_body_size

    @property
    def max_json_depth(self) -> int:
        return self.limits.max_json_depth

    # -- the scope --------------------------------------------------------------------------

    @property
    def app(self) -> Covet:
        return self.scope["app"]  # type: ignore[no-any-return]

    @property
    def method(self) -> str:
        return self.scope["method"]  # type: ignore[no-any-return]

    @property
    def path(self) -> str:
        return self.scope["path"]  # type: ignore[no-any-return]

    @property
    def url(self) -> URL:
        if self._url is None:
            self._url = URL(scope=self.scope)
        return self._url

    @property
    def base_url(self) -> URL:
        """The app's own URL (its ``root_path``), also inside a mounted router."""
        return base_url(self.scope)

    @property
    def path_params(self) -> dict[str, Any]:
        return self.scope.get("path_params", {})  # type: ignore[no-any-return]

    @property
    def query_params(self) -> QueryParams:
        if self._query_params is None:
            self._query_params = QueryParams(self.scope.get("query_string", b""))
        return self._query_params

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(raw=self.scope["headers"])
        return self._headers

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            values = self.header_map().get("cookie")
            self._cookies = parse_cookies("; ".join(values)) if values else {}
        return self._cookies

    @property
    def client(self) -> Address | None:
        client = self.scope.get("client")
        return Address(*client) if client else None

    @property
    def state(self) -> State:
        return State(self.scope.setdefault("state", {}))

    @property
    def session(self) -> dict[str, Any]:
        return self._from_scope("session", "SessionMiddleware")  # type: ignore[no-any-return]

    @property
    def user(self) -> Any:
        return self._from_scope("user", "AuthenticationMiddleware")

    @property
    def auth(self) -> Any:
        return self._from_scope("auth", "AuthenticationMiddleware")

    def _from_scope(self, key: str, middleware: str) -> Any:
        if key not in self.scope:
            raise AssertionError(
                f"{middleware} must be installed to access request.{key} (it sets scope[{key!r}])"
            )
        return self.scope[key]

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """The absolute URL of the app's route called ``name`` (``ws://`` for a websocket
        route, the route's own host below a :class:`Host`)."""
        return url_for(self.scope, name, path_params)

    # fast internal views used by the parameter extractors
    def header_map(self) -> dict[str, list[str]]:
        if self._header_map is None:
            headers: dict[str, list[str]] = {}
            for name, value in self.scope["headers"]:
                key = name.decode("latin-1").lower()
                if key in headers:
                    headers[key].append(value.decode("latin-1"))
                else:
                    headers[key] = [value.decode("latin-1")]
            self._header_map = headers
        return self._header_map

    def query_map(self) -> dict[str, list[str]]:
        if self._query_map is None:
            self._query_map = parse_query(self.scope.get("query_string", b""))
        return self._query_map

    # -- the body ---------------------------------------------------------------------------

    def _check_declared_length(self) -> None:
        limit = self.limits.max_body_size
        if limit is None:
            return
        for name, value in self.scope["headers"]:
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise HTTPException(400, "Content-Length is not a number") from None
                if length > limit:
                    raise _too_large(limit)
                return

    async def stream(self) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (413 as soon as it passes ``max_body_size``)."""
        if self._body is not None:
            yield self._body
            yield b""
            return
        if self._stream_consumed:
            raise RuntimeError("the request body stream was already consumed")
        self._stream_consumed = True
        self._check_declared_length()
        limit = self.limits.max_body_size
        received = 0
        while True:
            message = await self._next_message()
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                if chunk:
                    received += len(chunk)
                    if limit is not None and received > limit:
                        raise _too_large(limit)
                    yield chunk
                if not message.get("more_body", False):
                    break
            elif message["type"] == "http.disconnect":
                raise ClientDisconnect("the client disconnected while sending the body")
        yield b""

    async def body(self) -> bytes:
        """The whole body (read once, then cached; 413 past ``max_body_size``)."""
        if self._body is not None:
            return self._body
        if self._stream_consumed:
            raise RuntimeError("the request body stream was already consumed")
        self._stream_consumed = True
        self._check_declared_length()
        limit = self.limits.max_body_size
        message = await self._next_message()
        if message["type"] == "http.request" and not message.get("more_body", False):
            body: bytes = message.get("body", b"")  # the common case: one message
            if limit is not None and len(body) > limit:
                raise _too_large(limit)
            self._body = body
            return body
        chunks: list[bytes] = []
        received = 0
        while True:
            if message["type"] == "http.request":
                chunk: bytes = message.get("body", b"")
                if chunk:
                    received += len(chunk)
                    if limit is not None and received > limit:
                        raise _too_large(limit)
                    chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            elif message["type"] == "http.disconnect":
                raise ClientDisconnect("the client disconnected while sending the body")
            message = await self._next_message()
        self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        """The body decoded as JSON; 400 if it is not valid JSON or nests too deeply."""
        if not self._has_json:
            body = await self.body()
            try:
                self._json = json_loads(body, max_depth=self.limits.max_json_depth)
                self._has_json = True
            except InvalidJSON as exc:
                message = str(exc).removeprefix("Invalid JSON: ")
                raise HTTPException(400, f"Invalid JSON body: {message}") from None
        return self._json

    async def form(self) -> FormData:
        """The urlencoded or multipart form, within the configured part and size limits."""
        if self._form is None:
            from covet.http._forms import parse_form

            self._check_declared_length()
            self._form = await parse_form(
                self.headers,
                self.stream(),
                max_parts=self.limits.max_form_parts,
                max_field_size=self.limits.max_field_size,
                max_file_size=self.limits.max_file_size,
                spool_threshold=self.limits.spool_threshold,
            )
        return self._form

    async def close(self) -> None:
        if self._form is not None:
            await self._form.close()

    async def is_disconnected(self) -> bool:
        """True once the client has gone (checks without waiting)."""
        if self.scope.get("covet.disconnected"):
            return True
        message: Message = {}
        with anyio.CancelScope() as scope:
            scope.cancel()
            message = await self._receive()
        if message.get("type") == "http.disconnect":
            self.scope["covet.disconnected"] = True
            return True
        if message.get("type") == "http.request":
            self._pending = message  # body() and stream() still get it
        return False

    async def _next_message(self) -> Message:
        message = self._pending
        if message is not None:
            self._pending = None
            return message
        return await self._receive()

    async def send_push_promise(self, path: str) -> None:  # pragma: no cover - server specific
        if "http.response.push" in self.scope.get("extensions", {}):
            await self._send({"type": "http.response.push", "path": path, "headers": []})

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path!r}>"


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"Request body is larger than the limit of {limit} bytes")

"""Response classes. Every response is an ASGI app: ``await response(scope, receive, send)``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import anyio
import anyio.lowlevel

from covet.http._concurrency import iterate_in_threadpool, run_in_threadpool
from covet.http._cookies import SameSite, format_set_cookie
from covet.http._datastructures import URL, MutableHeaders, check_raw_headers
from covet.http._json import json_dumps
from covet.http._types import Message, RawHeaders, Receive, Scope, Send

__all__ = [
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
]

Background = Callable[[], Awaitable[None]]
HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None

_CONTENT_TYPES: dict[tuple[str, str], bytes] = {}
_UTF8_CONTENT_TYPES: dict[str | None, bytes] = {}
_NO_BODY_STATUSES = frozenset({204, 304})


def _content_type(media_type: str, charset: str) -> bytes:
    key = (media_type, charset)
    cached = _CONTENT_TYPES.get(key)
    if cached is None:
        value = media_type
        if media_type.startswith("text/") and "charset=" not in media_type.lower():
            value = f"{media_type}; charset={charset}"
        cached = _CONTENT_TYPES[key] = value.encode("latin-1")
        if charset == "utf-8" and len(_UTF8_CONTENT_TYPES) < 256:
            _UTF8_CONTENT_TYPES[media_type] = cached
    return cached


def encode_headers(headers: HeadersArg) -> RawHeaders:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    raw = [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in items]
    check_raw_headers(raw)
    return raw


class Response:
    """A complete response whose body is rendered to bytes once, with Content-Length set."""

    media_type: str | None = None
    charset = "utf-8"
    _headers: MutableHeaders | None

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: HeadersArg = None,
        media_type: str | None = None,
        background: Background | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    def render(self, content: Any) -> bytes:
        if isinstance(content, str):
            return content.encode(self.charset)
        if isinstance(content, bytes):
            return content
        if content is None:
            return b""
        if isinstance(content, memoryview | bytearray):
            return bytes(content)
        raise TypeError(
            f"{type(self).__name__} content must be str or bytes, not {type(content).__name__}"
        )

    def init_headers(self, headers: HeadersArg = None) -> None:
        if headers is None and self.charset == "utf-8":
            # The common case, kept short: no extra headers, a cached Content-Type.
            status = self.status_code
            if status < 200 or status in _NO_BODY_STATUSES:
                raw: RawHeaders = []
                self.body = b""  # e.g. JSONResponse(None, 204) rendered b"null"
            else:
                raw = [(b"content-length", str(len(self.body)).encode())]
            media_type = self.media_type
            if media_type is not None:
                content_type = _UTF8_CONTENT_TYPES.get(media_type)
                if content_type is None:
                    content_type = _content_type(media_type, "utf-8")
                raw.append((b"content-type", content_type))
            self.raw_headers = raw
            self._headers = None
            return
        raw = encode_headers(headers) if headers is not None else []
        names = {name for name, _ in raw} if raw else ()
        status = self.status_code
        if status < 200 or status in _NO_BODY_STATUSES:
            self.body = b""
        elif b"content-length" not in names:
            raw.append((b"content-length", str(len(self.body)).encode("latin-1")))
        media_type = self.media_type
        if media_type is not None and b"content-type" not in names:
            raw.append((b"content-type", _content_type(media_type, self.charset)))
        self.raw_headers = raw
        self._headers = None

    @property
    def headers(self) -> MutableHeaders:
        if self._headers is None:
            self._headers = MutableHeaders(raw=self.raw_headers)
        return self._headers

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` line (never merged with other cookies)."""
        line = format_set_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )
        self.raw_headers.append((b"set-cookie", line.encode("latin-1")))

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Tell the browser to drop a cookie (same ``path``, ``domain`` and ``partitioned`` as
        when it was set: a partitioned cookie is only deleted by a partitioned deletion)."""
        self.set_cookie(
            key,
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            start, body_type = "http.response.start", "http.response.body"
        else:  # a websocket denial response
            start, body_type = "websocket.http.response.start", "websocket.http.response.body"
        await send({"type": start, "status": self.status_code, "headers": self.raw_headers})
        await send({"type": body_type, "body": b"" if scope.get("method") == "HEAD" else self.body})
        if self.background is not None:
            await self.background()


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_dumps(content)


class RedirectResponse(Response):
    """Redirect to ``url`` (307 by default, so the method and body are kept)."""

    def __init__(
        self,
        url: str | URL,
        status_code: int = 307,
        headers: HeadersArg = None,
        background: Background | None = None,
    ) -> None:
        super().__init__(None, status_code, headers, background=background)
        location = quote(str(url), safe=":/%#?=@[]!$&'()*+,;~")
        self.raw_headers.append((b"location", location.encode("latin-1")))


ContentStream = AsyncIterable[str | bytes] | Iterable[str | bytes]


class StreamingResponse(Response):
    """Send the body as a generator yields it; stop the generator when the client goes away.

    Sync iterables are pulled in a worker thread. HEAD requests get the headers only.
    """

    def __init__(
        self,
        content: ContentStream,
        status_code: int = 200,
        headers: HeadersArg = None,
        media_type: str | None = None,
        background: Background | None = None,
    ) -> None:
        self.body_iterator: AsyncIterable[str | bytes]
        self._source: Iterable[str | bytes] | None = None
        if isinstance(content, AsyncIterable):
            self.body_iterator = content
        else:
            self._source = content
            self.body_iterator = iterate_in_threadpool(content)
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        raw = encode_headers(headers)
        if self.media_type is not None and all(name != b"content-type" for name, _ in raw):
            raw.append((b"content-type", _content_type(self.media_type, self.charset)))
        self.raw_headers = raw
        self._headers = None

    async def _stream(self, send: Send) -> None:
        charset = self.charset
        async for chunk in self.body_iterator:
            if not isinstance(chunk, bytes | memoryview):
                chunk = chunk.encode(charset)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        denial = scope["type"] == "websocket"
        if denial:
            send = denial_send(send)

        async def guarded_send(message: Message) -> None:
            try:
                await send(message)
            except OSError:  # ASGI 2.4 servers raise it once the client has gone
                raise ClientDisconnected from None

        try:
            await guarded_send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            if scope.get("method") == "HEAD":
                await guarded_send({"type": "http.response.body", "body": b""})
            elif denial:  # the socket's receive belongs to the WebSocket: nothing to watch
                await self._stream(guarded_send)
            else:
                await run_until_disconnect(self._stream, guarded_send, receive)
        except ClientDisconnected:
            pass
        finally:
            await close_iterators(self.body_iterator, self._source)
        if self.background is not None:
            await self.background()


def denial_send(send: Send) -> Send:
    """Send an HTTP response on a websocket scope: as the denial of its handshake."""

    async def send_denial(message: Message) -> None:
        if message["type"].startswith("http.response."):
            message = {**message, "type": "websocket." + message["type"]}
        await send(message)

    return send_denial


class ClientDisconnected(Exception):
    """The client closed the connection while the response was being sent."""


async def _wait_for_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            scope.cancel()
            return
        # A receive that answers at once forever (not ASGI, but test doubles do) must not
        # starve the stream it watches.
        await anyio.lowlevel.checkpoint()


async def run_until_disconnect(
    stream: Callable[[Send], Awaitable[None]], send: Send, receive: Receive
) -> None:
    """Run ``stream(send)`` and cancel it as soon as ``receive`` reports ``http.disconnect``."""
    with collapse_exception_groups():
        async with anyio.create_task_group() as group:
            group.start_soon(_wait_for_disconnect, receive, group.cancel_scope)
            await stream(send)
            group.cancel_scope.cancel()


@contextlib.contextmanager
def collapse_exception_groups() -> Iterator[None]:
    """Re-raise a task group's single exception as itself, so handlers see the real type."""
    try:
        yield
    except BaseExceptionGroup as group_error:
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise


async def close_iterators(body_iterator: Any, source: Any) -> None:
    """Close the async iterator and, for sync sources, the generator behind it."""
    with anyio.CancelScope(shield=True):
        aclose = getattr(body_iterator, "aclose", None)
        if aclose is not None:
            await aclose()
        close = getattr(source, "close", None)
        if close is not None:
            await run_in_threadpool(close)

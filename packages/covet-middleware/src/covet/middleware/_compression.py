"""``CompressionMiddleware``: gzip or brotli, chosen by ``Accept-Encoding``, streamed."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any, Protocol

from covet.http import ASGIApp, Headers, Message, Receive, Scope, Send
from covet.middleware._headers import add_vary, header_list, remove_header, set_header

__all__ = ["CompressionMiddleware"]

try:
    import brotli as _brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - depends on the environment
    _brotli = None

DEFAULT_EXCLUDED = (
    "text/event-stream",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "video/",
    "audio/",
    "font/woff",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/pdf",
)
_NEVER_COMPRESSED_STATUS = frozenset({204, 206, 304})


class _Encoder(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Gzip:
    def __init__(self, level: int) -> None:
        self._z = zlib.compressobj(level, zlib.DEFLATED, 31)

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data) + self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._z.flush(zlib.Z_FINISH)


class _Brotli:
    def __init__(self, quality: int) -> None:
        assert _brotli is not None
        self._c = _brotli.Compressor(quality=quality)

    def compress(self, data: bytes) -> bytes:
        return bytes(self._c.process(data)) + bytes(self._c.flush())

    def finish(self) -> bytes:
        return bytes(self._c.finish())


def parse_accept_encoding(header: str) -> dict[str, float]:
    """``"gzip;q=0.8, br"`` -> ``{"gzip": 0.8, "br": 1.0}`` (malformed q-values count as 0)."""
    weights: dict[str, float] = {}
    for item in header.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if not coding:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
        weights[coding.lower()] = q
    return weights


def choose_encoding(header: str, available: Iterable[str]) -> str | None:
    """The acceptable coding with the highest q-value; ties go to the earlier in ``available``."""
    weights = parse_accept_encoding(header)
    best, best_q = None, 0.0
    for coding in available:
        q = weights.get(coding, weights.get("*", 0.0))
        if q > best_q:
            best, best_q = coding, q
    return best


class CompressionMiddleware:
    """Compress responses with brotli (when installed) or gzip.

    Skipped: bodies under ``minimum_size`` bytes, responses that already have a
    ``Content-Encoding``, 204/206/304, ``Cache-Control: no-transform``, and media types starting
    with an entry of ``exclude_media_types`` (``text/event-stream`` always). Streaming responses are
    compressed chunk by chunk, each chunk flushed so it reaches the client at once. Compressed
    responses get a corrected ``Content-Length`` (or none, when streamed),
    ``Vary: Accept-Encoding``, and weak ETags.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        minimum_size: int = 500,
        gzip_level: int = 6,
        brotli_quality: int = 4,
        exclude_media_types: Iterable[str] = DEFAULT_EXCLUDED,
        brotli: bool = True,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.gzip_level = gzip_level
        self.brotli_quality = brotli_quality
        self.excluded = tuple({"text/event-stream", *(t.lower() for t in exclude_media_types)})
        self.available = ("br", "gzip") if brotli and _brotli is not None else ("gzip",)
        self._choices: dict[str, str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = ""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accept = (
                    f"{accept},{value.decode('latin-1')}" if accept else value.decode("latin-1")
                )
        coding = self._choices.get(accept) if accept else None
        if accept and accept not in self._choices:
            if len(self._choices) > 512:
                self._choices.clear()
            coding = self._choices[accept] = choose_encoding(accept, self.available)
        head = scope.get("method") == "HEAD"
        await self.app(scope, receive, _Responder(self, coding, send, head).send)

    def encoder(self, coding: str) -> _Encoder:
        if coding == "br":
            return _Brotli(self.brotli_quality)
        return _Gzip(self.gzip_level)

    def eligible(self, message: Message, headers: Headers) -> bool:
        if message.get("status", 200) in _NEVER_COMPRESSED_STATUS or "content-encoding" in headers:
            return False
        if "no-transform" in headers.get("cache-control", "").lower():
            return False
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return not media.startswith(self.excluded)


class _Responder:
    __slots__ = (
        "coding",
        "encoder",
        "head",
        "headers",
        "middleware",
        "passthrough",
        "send_",
        "start",
    )

    def __init__(
        self, middleware: CompressionMiddleware, coding: str | None, send: Send, head: bool
    ) -> None:
        self.middleware = middleware
        self.head = head
        self.coding = coding
        self.send_ = send
        self.start: Message | None = None
        self.headers: Headers | None = None
        self.encoder: _Encoder | None = None
        self.passthrough = False

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if self.passthrough:
            await self.send_(message)
        elif kind not in ("http.response.start", "http.response.body"):
            if self.start is not None and self.encoder is None:
                # e.g. http.response.pathsend: the body does not pass through us; send as is.
                self.passthrough = True
                await self.send_(self.start)
            await self.send_(message)
        elif kind == "http.response.start":
            headers = Headers(raw=header_list(message))
            if self.middleware.eligible(message, headers):
                self.start, self.headers = message, headers
            else:
                self.passthrough = True
                await self.send_(message)
        elif self.encoder is not None:
            body = self.encoder.compress(message.get("body", b""))
            if not message.get("more_body", False):
                body += self.encoder.finish()
            await self.send_({**message, "body": body})
        else:
            await self.first_body(message)

    async def first_body(self, message: Message) -> None:
        start, headers = self.start, self.headers
        assert start is not None
        assert headers is not None
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        self.passthrough = True
        size = len(body)
        if self.head and not more and not body:
            # HEAD: announce what GET would send; the body GET would have is Content-Length long.
            declared = headers.get("content-length", "")
            size = int(declared) if declared.isascii() and declared.isdigit() else 0
        if not more and size < self.middleware.minimum_size:
            await self.send_(start)
            await self.send_(message)
            return
        raw = headers.raw
        add_vary(raw, (b"Accept-Encoding",))
        if self.coding is None:
            await self.send_(start)
            await self.send_(message)
            return
        if self.head and not body:
            set_header(raw, b"content-encoding", self.coding.encode())
            self._weaken_etag(headers)
            remove_header(raw, b"content-length")
            await self.send_(start)
            await self.send_(message)
            return
        self.passthrough = False
        encoder = self.encoder = self.middleware.encoder(self.coding)
        set_header(raw, b"content-encoding", self.coding.encode())
        self._weaken_etag(headers)
        compressed = encoder.compress(body)
        if more:
            remove_header(raw, b"content-length")
        else:
            compressed += encoder.finish()
            set_header(raw, b"content-length", str(len(compressed)).encode())
        await self.send_(start)
        update: dict[str, Any] = {"body": compressed}
        await self.send_({**message, **update})

    @staticmethod
    def _weaken_etag(headers: Headers) -> None:
        etag = headers.get("etag")
        if etag is not None and not etag.startswith("W/"):
            set_header(headers.raw, b"etag", f"W/{etag}".encode("latin-1"))

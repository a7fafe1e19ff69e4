"""FileResponse: conditional GET (304), single and multiple byte ranges (206/416)."""

from __future__ import annotations

import contextlib
import mimetypes
import os
import secrets
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from email.utils import formatdate, parsedate_to_datetime
from typing import Literal
from urllib.parse import quote

import anyio
import anyio.to_thread

from covet.http._datastructures import Headers
from covet.http._responses import (
    Background,
    ClientDisconnected,
    HeadersArg,
    Response,
    _content_type,
    denial_send,
    encode_headers,
    run_until_disconnect,
)
from covet.http._types import Message, Receive, Scope, Send

__all__ = ["FileResponse"]

CHUNK_SIZE = 64 * 1024
_OCTET_STREAM = "application/octet-stream"
MAX_RANGES = 64


class FileResponse(Response):
    """Send a file from disk, answering conditional and range requests for GET and HEAD.

    ETag and Last-Modified come from one ``stat`` (done here or passed as ``stat_result``).
    ``If-Match`` / ``If-Unmodified-Since`` that fail give 412;
    ``If-None-Match`` / ``If-Modified-Since`` give 304; ``Range`` gives 206 (one range, or
    ``multipart/byteranges`` for several), 416 when no range fits; ``If-Range`` that no longer
    matches sends the whole file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: HeadersArg = None,
        media_type: str | None = None,
        background: Background | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        content_disposition_type: Literal["attachment", "inline"] = "attachment",
    ) -> None:
        self.path = os.fspath(path)
        self.status_code = status_code
        self.filename = filename
        if media_type is None:
            media_type = mimetypes.guess_type(filename or self.path)[0] or _OCTET_STREAM
        self.media_type = media_type
        self.background = background
        self.body = b""
        raw = encode_headers(headers)
        if filename is not None:
            quoted = quote(filename)
            if quoted != filename:
                disposition = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            else:
                disposition = f'{content_disposition_type}; filename="{filename}"'
            raw.append((b"content-disposition", disposition.encode("latin-1")))
        self.raw_headers = raw
        self._headers = None
        self.stat_result = stat_result

    def _set_stat_headers(self, st: os.stat_result) -> None:
        names = {name for name, _ in self.raw_headers}
        extra = [
            (b"content-type", _content_type(self.media_type or _OCTET_STREAM, self.charset)),
            (b"accept-ranges", b"bytes"),
            (b"last-modified", formatdate(st.st_mtime, usegmt=True).encode("latin-1")),
            (b"etag", f'"{st.st_mtime_ns:x}-{st.st_size:x}"'.encode("latin-1")),
        ]
        self.raw_headers.extend(item for item in extra if item[0] not in names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        denial = scope["type"] == "websocket"
        if denial:
            send = denial_send(send)
        st = self.stat_result
        if st is None:
            try:
                st = await anyio.to_thread.run_sync(os.stat, self.path)
            except FileNotFoundError as exc:
                raise RuntimeError(f"File at path {self.path} does not exist.") from exc
            if not stat.S_ISREG(st.st_mode):
                raise RuntimeError(f"File at path {self.path} is not a file.")
        self._set_stat_headers(st)
        method = scope.get("method", "GET")
        size = st.st_size
        ranges: list[tuple[int, int]] | None = None
        if method in ("GET", "HEAD") and self.status_code == 200:
            request_headers = Headers(raw=scope["headers"])
            if self._precondition_failed(request_headers):
                await self._send_status_only(send, 412)
                return
            if self._not_modified(request_headers):
                await self._send_not_modified(send)
                return
            range_header = request_headers.get("range")
            if range_header is not None and self._if_range_matches(request_headers):
                ranges = parse_ranges(range_header, size)
                if ranges == []:
                    await self._send_unsatisfiable(send, size)
                    return
        send_body = method != "HEAD"

        async def respond(send: Send) -> None:
            if ranges is None:
                await self._send_whole(send, size, send_body)
            elif len(ranges) == 1:
                await self._send_single_range(send, ranges[0], size, send_body)
            else:
                await self._send_multiple_ranges(send, ranges, size, send_body)

        if send_body and size > CHUNK_SIZE and not denial:
            # Several chunks: stop reading when the client leaves (uvicorn drops sends silently).
            await _respond_until_disconnect(respond, send, receive)
        else:
            await respond(send)
        if self.background is not None:
            await self.background()

    def _validator(self, name: bytes) -> str:
        for key, value in self.raw_headers:
            if key == name:
                return value.decode("latin-1")
        return ""

    def _precondition_failed(self, request: Headers) -> bool:
        """RFC 9110 13.2.2: If-Match, or without it If-Unmodified-Since, must hold."""
        if_match = request.get("if-match")
        if if_match is not None:
            return not etag_matches(if_match, self._validator(b"etag"), weak=False)
        if_unmodified_since = request.get("if-unmodified-since")
        if if_unmodified_since is not None:
            since = _parse_http_date(if_unmodified_since)
            modified = _parse_http_date(self._validator(b"last-modified"))
            return since is not None and modified is not None and modified > since
        return False

    async def _send_status_only(self, send: Send, status: int) -> None:
        headers = [(k, v) for k, v in self.raw_headers if k in (b"etag", b"last-modified")]
        headers.append((b"content-length", b"0"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def _not_modified(self, request: Headers) -> bool:
        if_none_match = request.get("if-none-match")
        if if_none_match is not None:
            etag = self._validator(b"etag")
            return etag_matches(if_none_match, etag, weak=True)
        if_modified_since = request.get("if-modified-since")
        if if_modified_since is not None:
            since = _parse_http_date(if_modified_since)
            modified = _parse_http_date(self._validator(b"last-modified"))
            return since is not None and modified is not None and modified <= since
        return False

    def _if_range_matches(self, request: Headers) -> bool:
        if_range = request.get("if-range")
        if if_range is None:
            return True
        if if_range.startswith(('"', "W/")):
            return etag_matches(if_range, self._validator(b"etag"), weak=False)
        return if_range == self._validator(b"last-modified")

    async def _send_not_modified(self, send: Send) -> None:
        keep = (b"etag", b"last-modified", b"cache-control", b"vary", b"expires", b"date")
        headers = [(k, v) for k, v in self.raw_headers if k in keep or k == b"content-location"]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _send_unsatisfiable(self, send: Send, size: int) -> None:
        body = b"Requested Range Not Satisfiable"
        headers = [
            (b"content-range", f"bytes */{size}".encode("latin-1")),
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode("latin-1")),
        ]
        await send({"type": "http.response.start", "status": 416, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    @contextlib.asynccontextmanager
    async def _open(self) -> AsyncIterator[anyio.AsyncFile[bytes]]:
        """Open before the response starts, so a file that vanished since ``stat`` is an error
        the app can still answer, not a truncated 200; close even when cancelled."""
        try:
            file = await anyio.open_file(self.path, mode="rb")
        except FileNotFoundError as exc:
            raise RuntimeError(f"File at path {self.path} does not exist.") from exc
        try:
            yield file
        finally:
            with anyio.CancelScope(shield=True):
                await file.aclose()

    async def _send_whole(self, send: Send, size: int, send_body: bool) -> None:
        headers = [*self.raw_headers, (b"content-length", str(size).encode("latin-1"))]
        start = {"type": "http.response.start", "status": self.status_code, "headers": headers}
        if not send_body:
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return
        async with self._open() as file:
            await send(start)
            await _send_file_bytes(send, file, 0, size, last=True)

    async def _send_single_range(
        self, send: Send, byte_range: tuple[int, int], size: int, send_body: bool
    ) -> None:
        start, end = byte_range
        headers = [
            *self.raw_headers,
            (b"content-range", f"bytes {start}-{end - 1}/{size}".encode("latin-1")),
            (b"content-length", str(end - start).encode("latin-1")),
        ]
        if not send_body:
            await send({"type": "http.response.start", "status": 206, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        async with self._open() as file:
            await send({"type": "http.response.start", "status": 206, "headers": headers})
            await _send_file_bytes(send, file, start, end, last=True)

    async def _send_multiple_ranges(
        self, send: Send, ranges: Sequence[tuple[int, int]], size: int, send_body: bool
    ) -> None:
        boundary = secrets.token_hex(16)
        content_type = self._validator(b"content-type")
        part_headers = [
            (
                f"--{boundary}\r\nContent-Type: {content_type}\r\n"
                f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
            ).encode("latin-1")
            for start, end in ranges
        ]
        closing = f"--{boundary}--\r\n".encode("latin-1")
        length = sum(
            len(head) + (end - start) + 2
            for head, (start, end) in zip(part_headers, ranges, strict=True)
        )
        length += len(closing)
        headers = [(k, v) for k, v in self.raw_headers if k != b"content-type"] + [
            (b"content-type", f"multipart/byteranges; boundary={boundary}".encode("latin-1")),
            (b"content-length", str(length).encode("latin-1")),
        ]
        if not send_body:
            await send({"type": "http.response.start", "status": 206, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        async with self._open() as file:
            await send({"type": "http.response.start", "status": 206, "headers": headers})
            for head, (start, end) in zip(part_headers, ranges, strict=True):
                await send({"type": "http.response.body", "body": head, "more_body": True})
                await _send_file_bytes(send, file, start, end, last=False)
                await send({"type": "http.response.body", "body": b"\r\n", "more_body": True})
        await send({"type": "http.response.body", "body": closing})


async def _respond_until_disconnect(
    respond: Callable[[Send], Awaitable[None]], send: Send, receive: Receive
) -> None:
    async def guarded_send(message: Message) -> None:
        try:
            await send(message)
        except OSError:  # ASGI 2.4 servers raise it once the client has gone
            raise ClientDisconnected from None

    with contextlib.suppress(ClientDisconnected):
        await run_until_disconnect(respond, guarded_send, receive)


async def _send_file_bytes(
    send: Send, file: anyio.AsyncFile[bytes], start: int, end: int, *, last: bool
) -> None:
    await file.seek(start)
    remaining = end - start
    while remaining > 0:
        chunk = await file.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise RuntimeError("file shrank while it was being sent")
        remaining -= len(chunk)
        more = remaining > 0 or not last
        await send({"type": "http.response.body", "body": chunk, "more_body": more})
    if last and end == start:
        await send({"type": "http.response.body", "body": b""})


def etag_matches(header: str, etag: str, *, weak: bool) -> bool:
    """Whether an ``If-None-Match`` / ``If-Range`` list names ``etag``."""
    if not etag:
        return False
    if header.strip() == "*":
        return True
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            if not weak:
                continue
            candidate = candidate[2:]
        current = etag[2:] if etag.startswith("W/") else etag
        if candidate == current:
            return True
    return False


def _parse_http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


_HUGE = 10**20  # past any file size; stands in for numbers too long to convert


def _position(text: str) -> int | None:
    """An ASCII decimal (``""`` is 0), or None. ``str.isdigit`` alone would accept ``"²"``."""
    if not text:
        return 0
    if not (text.isascii() and text.isdigit()):
        return None
    text = text.lstrip("0") or "0"
    return int(text) if len(text) <= 20 else _HUGE  # int() refuses over 4300 digits


def parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Parse ``bytes=...`` into sorted, merged half-open ``(start, end)`` ranges.

    Returns ``None`` to ignore the header (another unit, bad syntax, too many ranges: send the
    whole file) and ``[]`` when the syntax is right but no range overlaps the file (416).
    """
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or not spec.strip():
        return None
    specs = spec.split(",")
    if len(specs) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for item in specs:
        first_text, dash, last_text = item.strip().partition("-")
        first, last = _position(first_text), _position(last_text)
        if not dash or first is None or last is None or (first_text == last_text == ""):
            return None
        if not first_text:  # suffix: the last N bytes
            if last > 0 and size > 0:
                ranges.append((max(size - last, 0), size))
            continue
        end = last + 1 if last_text else size
        if last_text and end <= first:
            return None
        if first < size:
            ranges.append((first, min(end, size)))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged

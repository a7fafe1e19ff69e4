"""Server-sent events: EventSourceResponse formats what a generator yields as an event stream."""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any

import anyio

from covet.http._json import json_dumps
from covet.http._responses import (
    Background,
    HeadersArg,
    StreamingResponse,
    collapse_exception_groups,
)
from covet.http._types import Message, Send

__all__ = ["EventSourceResponse", "ServerSentEvent"]

DEFAULT_PING_INTERVAL = 15.0
_FORBIDDEN = ("\r", "\n")
# The only line breaks of the format; str.splitlines() would also split on U+2028, \x85, ...
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _single_line(name: str, value: str) -> str:
    if any(char in value for char in _FORBIDDEN):
        raise ValueError(f"SSE {name} must be a single line, got {value!r}")
    return value


class ServerSentEvent:
    """One event. ``data`` that is not a string is sent as JSON; multi-line data is split into
    several ``data:`` lines, as the EventSource spec requires."""

    __slots__ = ("comment", "data", "event", "id", "retry")

    def __init__(
        self,
        data: Any = None,
        *,
        event: str | None = None,
        id: str | int | None = None,
        retry: int | None = None,
        comment: str | None = None,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.comment = comment

    def encode(self) -> bytes:
        lines: list[str] = []
        if self.comment is not None:
            lines.extend(f": {line}" for line in _LINE_BREAK.split(self.comment))
        if self.id is not None:
            event_id = _single_line("id", str(self.id))
            if "\x00" in event_id:  # the EventSource parser drops such an id without a word
                raise ValueError(f"SSE id must not contain NUL, got {event_id!r}")
            lines.append(f"id: {event_id}")
        if self.event is not None:
            lines.append(f"event: {_single_line('event', self.event)}")
        if self.retry is not None:
            if not isinstance(self.retry, int) or isinstance(self.retry, bool):
                raise ValueError(f"SSE retry must be an int (milliseconds), got {self.retry!r}")
            lines.append(f"retry: {self.retry}")
        if self.data is not None:
            data = self.data
            if isinstance(data, bytes):
                data = data.decode("utf-8")
            elif not isinstance(data, str):
                data = json_dumps(data).decode("utf-8")
            lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
        return ("\n".join(lines) + "\n\n").encode("utf-8")


_EVENT_KEYS = frozenset({"data", "event", "id", "retry", "comment"})


def encode_event(item: Any) -> bytes:
    """Encode what an SSE generator yielded: an event, a dict of event fields, text, or data."""
    if isinstance(item, ServerSentEvent):
        return item.encode()
    if isinstance(item, Mapping) and item and _EVENT_KEYS.issuperset(item):
        return ServerSentEvent(**item).encode()
    return ServerSentEvent(item).encode()


_PING = b": ping\n\n"


class EventSourceResponse(StreamingResponse):
    """Stream events as ``text/event-stream``; a comment ping every ``ping`` seconds keeps proxies
    from timing out (``ping=None`` turns it off). The generator stops when the client leaves."""

    media_type = "text/event-stream"

    def __init__(
        self,
        content: AsyncIterable[Any] | Iterable[Any],
        status_code: int = 200,
        headers: HeadersArg = None,
        ping: float | None = DEFAULT_PING_INTERVAL,
        background: Background | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, background=background)
        names = {name for name, _ in self.raw_headers}
        for name, value in ((b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")):
            if name not in names:
                self.raw_headers.append((name, value))
        if ping is not None and ping <= 0:
            raise ValueError("ping must be a positive number of seconds, or None")
        self.ping_interval = ping

    async def _stream(self, send: Send) -> None:
        lock = anyio.Lock()

        async def send_locked(message: Message) -> None:
            async with lock:
                await send(message)

        async def ping() -> None:
            assert self.ping_interval is not None
            while True:
                await anyio.sleep(self.ping_interval)
                await send_locked({"type": "http.response.body", "body": _PING, "more_body": True})

        with collapse_exception_groups():
            async with anyio.create_task_group() as group:
                if self.ping_interval is not None:
                    group.start_soon(ping)
                async for item in self.body_iterator:
                    body = encode_event(item)
                    await send_locked(
                        {"type": "http.response.body", "body": body, "more_body": True}
                    )
                group.cancel_scope.cancel()
        await send({"type": "http.response.body", "body": b""})

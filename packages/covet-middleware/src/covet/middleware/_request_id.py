"""``RequestIDMiddleware``: one id per request, in the response, the scope and every log line."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from covet.http import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestIDLogFilter", "RequestIDMiddleware", "get_request_id"]

_request_id: ContextVar[str | None] = ContextVar("covet_request_id", default=None)
_VALID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")


def get_request_id() -> str | None:
    """The id of the request being handled in this task, or ``None`` outside one."""
    return _request_id.get()


def _new_id() -> str:
    return uuid.uuid4().hex


class RequestIDLogFilter(logging.Filter):
    """Set ``record.request_id`` (``"-"`` outside requests) for formats with ``%(request_id)s``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


class RequestIDMiddleware:
    """Use the ``X-Request-ID`` header (if ``trust_incoming`` and well-formed) or make an id.

    The id is returned in the same response header, stored in ``scope["state"]["request_id"]``
    and in a context variable read by ``get_request_id()`` and ``RequestIDLogFilter``. Incoming ids
    longer than 128 characters or with characters outside ``[A-Za-z0-9._:+/=-]`` are replaced, so
    ids cannot inject text into logs.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        header_name: str = "X-Request-ID",
        trust_incoming: bool = True,
        generator: Callable[[], str] = _new_id,
    ) -> None:
        self.app = app
        self.header = header_name.lower().encode("latin-1")
        self.trust_incoming = trust_incoming
        self.generator = generator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = None
        if self.trust_incoming:
            for name, value in scope["headers"]:
                if name == self.header:
                    candidate = value.decode("latin-1")
                    if _VALID.fullmatch(candidate):
                        request_id = candidate
                    break
        if request_id is None:
            request_id = self.generator()
        scope.setdefault("state", {})["request_id"] = request_id
        token = _request_id.set(request_id)
        encoded = request_id.encode("latin-1")

        async def send_with_id(message: Message) -> None:
            # and a websocket handshake refused with an HTTP response (denial extension)
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                message["headers"] = [
                    *(h for h in message.get("headers", ()) if h[0].lower() != self.header),
                    (self.header, encoded),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)

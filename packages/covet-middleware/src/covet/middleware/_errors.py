"""``ErrorMiddleware``: unhandled exceptions become a 500 useful in debug and safe in production.

A store that is down (``StoreUnavailable``) becomes a 503 with ``Retry-After`` instead."""

from __future__ import annotations

import html
import logging
import reprlib
import sys
import traceback
import uuid
from types import TracebackType
from typing import Any

from covet.http import (
    ASGIApp,
    HTTPException,
    Message,
    Receive,
    Scope,
    Send,
    http_exception_response,
    json_dumps,
    problem_details,
)
from covet.middleware._request_id import get_request_id
from covet.middleware._responses import problem_body, send_problem, send_response
from covet.middleware._stores import OutageLog, StoreUnavailable

__all__ = ["ErrorMiddleware"]

logger = logging.getLogger("covet.middleware.errors")
_repr = reprlib.Repr()
_repr.maxstring = 200
_repr.maxother = 200
_repr.maxlevel = 3


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # an exception whose __str__ fails must not break the error page
        return f"<unprintable {type(exc).__name__}>"


def _wants_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            accept = value.decode("latin-1").lower()
            return "json" in accept and "text/html" not in accept
    return True


def _frames(tb: TracebackType | None) -> list[dict[str, Any]]:
    frames = []
    for frame, lineno in traceback.walk_tb(tb):
        code = frame.f_code
        summary = traceback.FrameSummary(code.co_filename, lineno, code.co_name)
        frames.append(
            {
                "file": code.co_filename,
                "line": lineno,
                "function": code.co_name,
                "code": summary.line,
                "locals": {name: _repr.repr(value) for name, value in frame.f_locals.items()},
            }
        )
    return frames


def debug_json(exc: BaseException, request_id: str) -> bytes:
    document = problem_details(
        500,
        f"{type(exc).__name__}: {_message(exc)}",
        request_id=request_id,
        exception=type(exc).__qualname__,
        traceback=_frames(exc.__traceback__),
    )
    return json_dumps(document)


def debug_html(exc: BaseException, request_id: str) -> bytes:
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>500 "
        f"{esc(type(exc).__name__)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "pre{background:#f4f4f4;padding:.5em}table{border-collapse:collapse}"
        "td{border:1px solid #ddd;padding:2px 6px;font-family:monospace;vertical-align:top}"
        "</style></head><body>",
        f"<h1>{esc(type(exc).__name__)}</h1><p>{esc(_message(exc))}</p>",
        f"<p>Request id: <code>{esc(request_id)}</code></p><h2>Traceback</h2>",
    ]
    for frame in reversed(_frames(exc.__traceback__)):
        parts.append(
            f"<h3>{esc(frame['file'])}:{frame['line']} in <code>{esc(frame['function'])}</code>"
            f"</h3><pre>{esc(frame['code'] or '')}</pre><details><summary>Local variables"
            "</summary><table>"
        )
        for name, value in frame["locals"].items():
            parts.append(f"<tr><td>{esc(name)}</td><td>{esc(value)}</td></tr>")
        parts.append("</table></details>")
    parts.append("</body></html>")
    return "".join(parts).encode("utf-8")


class ErrorMiddleware:
    """Answer unhandled exceptions with a 500 (``HTTPException`` with its own status).

    ``debug=False`` (production): RFC 9457 problem details with a ``request_id`` and nothing about
    the code; the exception is logged with the same id on ``covet.middleware.errors``.
    ``debug=True``: an HTML page with the traceback and each frame's local variables, or the same
    as JSON when the client prefers JSON. Never enable debug where untrusted users can reach it.
    If the response had already started, the exception is logged and re-raised so the server drops
    the connection (the client must not mistake a cut-off body for a complete one).

    ``StoreUnavailable`` (Redis down, say) answers 503 problem details with ``Retry-After`` and a
    ``request_id``, naming the store only with ``debug=True``; it is logged as a warning, at
    most once per 30 seconds, since an outage fails every request until it ends.
    """

    def __init__(self, app: ASGIApp, *, debug: bool = False) -> None:
        self.app = app
        self.debug = debug
        self.outages = OutageLog(logger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if isinstance(exc, StoreUnavailable) and not started:
                await self.send_unavailable(scope, send, exc)
                return
            if isinstance(exc, HTTPException) and not started:
                await self.send_http_exception(scope, receive, send, exc)
                return
            state = scope.get("state") or {}
            request_id = get_request_id() or state.get("request_id") or uuid.uuid4().hex
            logger.error(
                "unhandled %s in %s %s (request id %s)",
                type(exc).__name__,
                scope.get("method"),
                scope.get("path"),
                request_id,
                exc_info=sys.exc_info(),
            )
            if started:
                raise
            await self.send_error(scope, send, exc, request_id)

    async def send_http_exception(
        self, scope: Scope, receive: Receive, send: Send, exc: HTTPException
    ) -> None:
        await http_exception_response(exc)(scope, receive, send)

    async def send_unavailable(self, scope: Scope, send: Send, exc: StoreUnavailable) -> None:
        state = scope.get("state") or {}
        request_id = get_request_id() or state.get("request_id") or uuid.uuid4().hex
        self.outages.warning(
            f"store unavailable in {scope.get('method')} {scope.get('path')} "
            f"(request id {request_id}); answering 503",
            exc,
        )
        await send_problem(
            send,
            503,
            str(exc) if self.debug else exc.detail,
            headers=[
                (b"retry-after", str(exc.retry_after).encode()),
                (b"x-request-id", request_id.encode("latin-1")),
            ],
            extra={"request_id": request_id},
        )

    async def send_error(self, scope: Scope, send: Send, exc: Exception, request_id: str) -> None:
        headers = [(b"x-request-id", request_id.encode("latin-1"))]
        if not self.debug:
            body = problem_body(
                500, "The server hit an unexpected error.", extra={"request_id": request_id}
            )
            content_type = "application/problem+json"
        elif _wants_json(scope):
            body, content_type = debug_json(exc, request_id), "application/problem+json"
        else:
            body, content_type = debug_html(exc, request_id), "text/html; charset=utf-8"
        await send_response(send, 500, body, content_type=content_type, headers=headers)

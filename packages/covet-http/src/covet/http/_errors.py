"""Error rendering: RFC 9457 problem details, the debug traceback page, handler dispatch.

:func:`error_response` is the entry point a foreign app's error middleware needs: it turns
an exception and the request scope into a :class:`Response` without touching the app.
"""

from __future__ import annotations

import html
import http
import logging
import math
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from covet.http._exceptions import HTTPException, RequestValidationError, WebSocketException
from covet.http._json import json_dumps

if TYPE_CHECKING:
    from covet.http._requests import Request
    from covet.http._responses import Response
    from covet.http._types import Scope

logger = logging.getLogger("covet.http")

PROBLEM_JSON = "application/problem+json"

ExceptionHandler = Callable[["Request", Exception], Any | Awaitable[Any]]
ExceptionHandlerKey = int | type[Exception]


def unwrap_group(exc: BaseException) -> BaseException:
    """The HTTPException inside ``exc`` when ``exc`` is a group whose only leaf is one.

    A task group (anyio, asyncio.TaskGroup) wraps a child's ``HTTPException(404)`` in an
    ``ExceptionGroup``; nested groups are searched too. A group holding anything else, or more
    than one exception, is returned unchanged (and becomes a 500 unless a handler takes it).
    """
    leaf = exc
    while isinstance(leaf, BaseExceptionGroup):
        if len(leaf.exceptions) != 1:
            return exc
        leaf = leaf.exceptions[0]
    return leaf if isinstance(leaf, HTTPException) else exc


def _phrase(status_code: int) -> str:
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def problem_details(
    status_code: int,
    detail: Any = None,
    *,
    title: str | None = None,
    type: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The RFC 9457 body: ``type``, ``title``, ``status``, ``detail`` and any extension members."""
    body: dict[str, Any] = {
        "type": type or "about:blank",
        "title": title or _phrase(status_code),
        "status": status_code,
    }
    if detail is not None and detail != "" and detail != body["title"]:
        body["detail"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(
    status_code: int,
    detail: Any = None,
    *,
    headers: Mapping[str, str] | None = None,
    title: str | None = None,
    type: str | None = None,
    **extra: Any,
) -> Response:
    """An ``application/problem+json`` response (no body for 204/304)."""
    from covet.http._responses import Response

    if status_code in (204, 304) or status_code < 200:
        return Response(status_code=status_code, headers=dict(headers or {}))
    body = problem_details(status_code, detail, title=title, type=type, **extra)
    return Response(
        json_dumps(body),
        status_code=status_code,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def http_exception_response(exc: HTTPException) -> Response:
    extra: dict[str, Any] = {}
    if isinstance(exc, RequestValidationError):
        extra["errors"] = exc.errors
    return problem_response(
        exc.status_code, exc.detail, headers=exc.headers, title=exc.title, type=exc.type, **extra
    )


def _wants_html(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            accept = value.decode("latin-1").lower()
            return "text/html" in accept and "json" not in accept.split("text/html")[0]
    return False


def debug_response(exc: BaseException, scope: Scope) -> Response:
    """The traceback, as an HTML page or problem+json by the request's ``Accept`` header."""
    from covet.http._responses import HTMLResponse, Response

    frames = traceback.format_exception(type(exc), exc, exc.__traceback__)
    title = f"{type(exc).__name__}: {exc}"
    if _wants_html(scope):
        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>500 Internal Server Error"
            f"</title></head><body><h1>500 Internal Server Error</h1><h2>{html.escape(title)}"
            f"</h2><pre>{html.escape(''.join(frames))}</pre></body></html>"
        )
        return HTMLResponse(page, status_code=500)
    body = problem_details(500, title, traceback=[line.rstrip("\n") for line in frames])
    return Response(json_dumps(body), status_code=500, media_type=PROBLEM_JSON)


def problem_of(exc: BaseException) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The problem an exception declares for itself, through the ``__problem__`` protocol.

    Any library can make its exceptions answer with the right status without importing
    covet.http: ``exc.__problem__()`` returns a mapping of RFC 9457 members (``status`` required;
    ``type``, ``title``, ``detail``, extension members such as ``errors``), or a pair of that
    mapping and response headers, or None ("no answer of mine": the default 500). covet-orm's
    errors use it (404 for ``DoesNotExist``, 409 for a unique violation, ...).
    """
    method = getattr(exc, "__problem__", None)
    if method is None or not callable(method):
        return None
    try:
        found = method()
    except Exception:  # a broken __problem__ must not hide the error itself
        logger.exception("%s.__problem__() failed", type(exc).__name__)
        return None
    if found is None:
        return None
    body, headers = found if isinstance(found, tuple) else (found, {})
    status = body.get("status")
    if not isinstance(status, int) or not 400 <= status <= 599:
        logger.error("%s.__problem__() gave no 4xx/5xx status: %r", type(exc).__name__, body)
        return None
    return dict(body), dict(headers or {})


class OutageLog:
    """Server-side problems (5xx, a database that is down) are logged once per ``interval``
    seconds per exception class, with how many went unlogged: an outage under load fails every
    request, and a traceback per request would bury everything else."""

    def __init__(self, interval: float = 30.0) -> None:
        self.interval = interval
        self._state: dict[type[BaseException], tuple[float, int]] = {}

    def log(self, exc: BaseException, scope: Scope, status: int) -> None:
        now = time.monotonic()
        kind = type(exc)
        logged_at, suppressed = self._state.get(kind, (-math.inf, 0))
        if now - logged_at < self.interval:
            self._state[kind] = (logged_at, suppressed + 1)
            return
        self._state[kind] = (now, 0)
        more = f" ({suppressed} more since the last report)" if suppressed else ""
        logger.error(
            "%s %s answered %d: %s: %s%s",
            scope.get("method", scope.get("type", "?")),
            scope.get("path", "?"),
            status,
            kind.__name__,
            exc,
            more,
            exc_info=(kind, exc, exc.__traceback__) if not suppressed else None,
        )


outages = OutageLog()


def error_response(exc: BaseException, scope: Scope, *, debug: bool = False) -> Response:
    """The default response for ``exc``: its problem details, or a 500 that hides the traceback.

    Unhandled exceptions are logged on the ``covet.http`` logger. With ``debug=True`` the 500
    carries the traceback (HTML when the client accepts ``text/html``, JSON otherwise).
    A group wrapping a single HTTPException answers as that exception (:func:`unwrap_group`).
    """
    if isinstance(exc, BaseExceptionGroup):
        exc = unwrap_group(exc)
    if isinstance(exc, HTTPException):
        return http_exception_response(exc)
    problem = problem_of(exc)
    if problem is not None:
        body, headers = problem
        status = body.pop("status")
        if status >= 500:
            outages.log(exc, scope, status)
        return problem_response(status, headers=headers, **body)
    logger.error(
        "Unhandled exception in %s %s",
        scope.get("method", scope.get("type", "?")),
        scope.get("path", "?"),
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    if debug:
        return debug_response(exc, scope)
    return problem_response(500, "The server could not complete the request.")


class ExceptionHandlers:
    """Handlers registered by exception class (most specific first) or by HTTP status code."""

    __slots__ = ("by_class", "by_status")

    def __init__(self, handlers: Mapping[ExceptionHandlerKey, ExceptionHandler] | None = None):
        self.by_class: dict[type[BaseException], ExceptionHandler] = {}
        self.by_status: dict[int, ExceptionHandler] = {}
        for key, handler in (handlers or {}).items():
            self.add(key, handler)

    def add(self, key: ExceptionHandlerKey, handler: ExceptionHandler) -> None:
        if isinstance(key, int):
            self.by_status[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self.by_class[key] = handler
        else:
            raise TypeError(
                f"exception handlers are keyed by status code or exception class: {key!r}"
            )

    def lookup(self, exc: BaseException) -> ExceptionHandler | None:
        """A status handler for an HTTPException, else the closest class handler, else 500's.

        The class search of an HTTPException (or WebSocketException) stops at that class, so a
        catch-all ``Exception`` handler does not turn every 404 and 422 into its own answer.
        """
        is_http = isinstance(exc, HTTPException)
        if is_http and self.by_status:
            handler = self.by_status.get(exc.status_code)  # type: ignore[attr-defined]
            if handler is not None:
                return handler
        is_ws = isinstance(exc, WebSocketException)
        problem = None if is_http or is_ws else problem_of(exc)
        stop = HTTPException if is_http else WebSocketException
        for cls in type(exc).__mro__:
            if problem is not None and cls is Exception:
                break  # a catch-all handles errors, not exceptions that answer for themselves
            handler = self.by_class.get(cls)
            if handler is not None:
                return handler
            if cls is stop:
                break
        if problem is not None:
            return self.by_status.get(problem[0]["status"])
        if not is_http and not is_ws:
            return self.by_status.get(500)
        return None

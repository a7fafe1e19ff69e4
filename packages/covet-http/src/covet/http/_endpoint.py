"""Running a matched route: solve its parameters, call it, turn the result into a response.

The common case (no dependencies, no body, a dict/str/bytes/None result) goes straight from the
extractors to two ASGI messages; nothing else is allocated on the way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from covet.http._concurrency import (
    ON_LOOP,
    DefHandlers,
    Runner,
    WorkerThreads,
    marked_on_loop,
    run_sync,
)
from covet.http._errors import (
    ExceptionHandlers,
    error_response,
    http_exception_response,
    unwrap_group,
)
from covet.http._exceptions import HTTPException, RequestValidationError, WebSocketException
from covet.http._json import json_dumps
from covet.http._requests import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_FIELD_SIZE,
    DEFAULT_MAX_FILE_SIZE,
    DEFAULT_MAX_FORM_PARTS,
    DEFAULT_MAX_JSON_DEPTH,
    DEFAULT_SPOOL_THRESHOLD,
    ClientDisconnect,
    Request,
    RequestLimits,
)
from covet.http._responses import JSONResponse, Response
from covet.http._solve import RequestContext, extract, read_body, solve
from covet.http._types import Message, Receive, Scope, Send

if TYPE_CHECKING:
    from covet.http._routing import Route, WebSocketRoute

logger = logging.getLogger("covet.http")

_JSON = b"application/json"
_TEXT = b"text/plain; charset=utf-8"
_OCTET = b"application/octet-stream"
_START = "http.response.start"
_BODY = "http.response.body"


class Settings:
    """Per-app configuration the routes read at request time (one object, shared)."""

    def __init__(
        self,
        *,
        debug: bool = False,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
        max_form_parts: int = DEFAULT_MAX_FORM_PARTS,
        max_field_size: int = DEFAULT_MAX_FIELD_SIZE,
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
        spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
        thread_limit: int = 40,
        def_handlers: DefHandlers = "threads",
    ) -> None:
        self.debug = debug
        self.limits = RequestLimits(
            max_body_size=max_body_size,
            max_json_depth=max_json_depth,
            max_form_parts=max_form_parts,
            max_field_size=max_field_size,
            max_file_size=max_file_size,
            spool_threshold=spool_threshold,
        )
        self._route_limits: dict[int | None, RequestLimits] = {}
        self.thread_limit = thread_limit
        self._threads: WorkerThreads | None = None
        #: where sync handlers, dependencies and exception handlers run
        self.def_handlers = def_handlers
        self.dependency_overrides: dict[Callable[..., Any], Callable[..., Any]] = {}
        self.exception_handlers = ExceptionHandlers()

    @property
    def threads(self) -> Runner:
        """What runs ``def`` handlers, sync dependencies and sync exception handlers: the app's
        worker threads, or the event loop's thread with ``def_handlers="loop"``."""
        if self.def_handlers == "loop":
            return ON_LOOP
        if self._threads is None:
            self._threads = WorkerThreads(self.thread_limit)
        return self._threads

    def limits_for(self, max_body_size: int | None) -> RequestLimits:
        """The app's limits with a route's own body-size limit."""
        limits = self._route_limits.get(max_body_size)
        if limits is None:
            limits = self._route_limits[max_body_size] = self.limits.replace(
                max_body_size=max_body_size
            )
        return limits

    def request(self, scope: Scope, receive: Receive, send: Send, body_limit: Any) -> Request:
        limits = self.limits if body_limit is _DEFAULT else self.limits_for(body_limit)
        return Request._fast(scope, receive, send, limits)

    async def handle_error(self, exc: BaseException, request: Request, send: Send) -> None:
        """Answer ``exc`` with its registered handler's response, or the default problem."""
        if isinstance(exc, BaseExceptionGroup):
            exc = unwrap_group(exc)
        if isinstance(exc, ClientDisconnect):
            return
        scope = request.scope
        handler = self.exception_handlers.lookup(exc)
        response: Response | None = None
        if handler is not None:
            try:
                if inspect.iscoroutinefunction(handler):
                    result = await handler(request, exc)  # type: ignore[arg-type]
                else:  # like a def handler: on the thread pool
                    runner = ON_LOOP if marked_on_loop(handler) else self.threads
                    result = await run_sync(handler, request, exc, threads=runner)
                    if inspect.isawaitable(result):
                        result = await result
                response = to_response(result)
            except Exception as handler_exc:  # a broken handler must not hide the original
                logger.exception("exception handler %r failed", handler)
                exc = handler_exc
        if response is None:
            response = error_response(exc, scope, debug=self.debug)
        await response(scope, request._receive, send)


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


_DEFAULT: Any = _Default()


def to_response(
    result: Any, status_code: int | None = None, headers: Mapping[str, str] | None = None
) -> Response:
    """Turn any handler return value into a Response object (the general, slower path).

    ``status_code`` and ``headers`` (from a ``(body, status, headers)`` tuple) apply to a returned
    Response too.
    """
    if isinstance(result, Response):
        if status_code is not None:
            result.status_code = status_code
        if headers:
            for key, value in headers.items():
                result.headers[key] = value
        return result
    if isinstance(result, tuple):
        if not 2 <= len(result) <= 3 or not isinstance(result[1], int):
            raise TypeError(
                "a handler may return (body, status) or (body, status, headers); "
                f"got a tuple of {len(result)} items"
            )
        extra = dict(result[2]) if len(result) == 3 and result[2] else None
        return to_response(result[0], result[1], extra)
    if result is None:
        return Response(status_code=status_code or 204, headers=headers)
    if isinstance(result, str):
        return Response(result, status_code or 200, headers, media_type="text/plain")
    if isinstance(result, bytes | bytearray | memoryview):
        return Response(
            bytes(result), status_code or 200, headers, media_type="application/octet-stream"
        )
    return JSONResponse(_jsonable(result), status_code or 200, headers)


def _jsonable(result: Any) -> Any:
    if isinstance(result, dict | list | int | float):
        return result
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return result
    to_dict = getattr(result, "to_dict", None) or getattr(result, "model_dump", None)
    if callable(to_dict):
        return result
    struct_fields = getattr(result, "__struct_fields__", None)
    if struct_fields is not None:
        import msgspec

        return msgspec.to_builtins(result)
    raise TypeError(
        f"cannot turn a {type(result).__name__} returned by a handler into a response; return "
        "a dict, list, dataclass, str, bytes, None, a Response, or an object with to_dict()"
    )


_PLAIN = frozenset({dict, list, str, bytes, type(None)})


async def _resolve(result: Any) -> Any:
    """A result that must load itself first (an unevaluated query): its awaitable
    ``__covet_result__()`` gives the value to render, run on the loop for every handler kind so
    a library answers through its async API (covet-orm's QuerySet does)."""
    if type(result) is tuple and result:
        return (await _resolve(result[0]), *result[1:])
    load = getattr(result, "__covet_result__", None)
    if load is None or isinstance(result, type):
        return result
    return await load()


Rendered = tuple[int, bytes, bytes] | Response


def render(result: Any, status_code: int | None) -> Rendered:
    """``(status, content type, body)`` for plain values (the hot path), else a Response.

    Everything that can fail (JSON encoding, an unsupported type) fails here, before anything
    has been sent, so the error can still become a proper error response.
    """
    kind = type(result)
    if kind is dict or kind is list:
        return status_code or 200, _JSON, json_dumps(result)
    if kind is str:
        return status_code or 200, _TEXT, result.encode()
    if kind is bytes:
        return status_code or 200, _OCTET, result
    if result is None and status_code is None:
        return 204, b"", b""
    if isinstance(result, Response):  # the handler chose its status; the route default yields
        return result
    return to_response(result, status_code)


def merge_response(rendered: Rendered, extra: Response) -> Response:
    """Apply the headers, cookies and status set on an injected ``Response`` parameter."""
    if isinstance(rendered, tuple):
        status, content_type, body = rendered
        if status == 204:
            response = Response(status_code=204)
        else:
            response = Response(body, status, media_type=content_type.decode("latin-1"))
    else:
        response = rendered
    for name, value in extra.raw_headers:
        if name not in (b"content-length", b"content-type"):
            response.raw_headers.append((name, value))
    if extra.status_code:
        response.status_code = extra.status_code
    return response


async def send_rendered(rendered: Rendered, scope: Scope, receive: Receive, send: Send) -> None:
    if type(rendered) is tuple:
        status, content_type, body = rendered
        if status == 204:
            await send({"type": _START, "status": 204, "headers": []})
            await send({"type": _BODY, "body": b""})
            return
        await send(
            {
                "type": _START,
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": _BODY, "body": body if scope["method"] != "HEAD" else b""})
        return
    assert isinstance(rendered, Response)
    if scope["method"] == "HEAD":
        send = _head_send(send)
    await rendered(scope, receive, send)


def _head_send(send: Send) -> Send:
    async def head_send(message: Message) -> None:
        if message["type"] == _BODY:
            if message.get("more_body", False):
                return
            message = {"type": _BODY, "body": b""}
        await send(message)

    return head_send


async def handle_http(
    route: Route, scope: Scope, receive: Receive, send: Send, settings: Settings
) -> None:
    request = settings.request(scope, receive, send, route.max_body_size)
    plan = route.plan
    ctx: RequestContext | None = None
    try:
        if route.fast:
            kwargs: dict[str, Any] = {}
            if plan.extractors:
                errors = extract(plan, request, kwargs)
                if plan.body:
                    await read_body(plan, request, kwargs, errors)
                if errors:
                    raise RequestValidationError(errors)
            elif plan.body:
                errors = []
                await read_body(plan, request, kwargs, errors)
                if errors:
                    raise RequestValidationError(errors)
            if plan.is_async:
                result = await plan.call(**kwargs)
            elif plan.on_loop:
                result = plan.call(**kwargs)
            else:
                call = functools.partial(plan.call, **kwargs) if kwargs else plan.call
                result = await run_sync(call, threads=settings.threads)
        else:
            ctx = RequestContext(settings.threads, settings.dependency_overrides)
            kwargs = await solve(plan, request, ctx, route.dependencies)
            if plan.is_async:
                result = await plan.call(**kwargs)
            elif plan.on_loop:
                result = plan.call(**kwargs)
            else:
                result = await run_sync(
                    functools.partial(plan.call, **kwargs), threads=settings.threads
                )
        if type(result) not in _PLAIN:
            result = await _resolve(result)
        if route.serialize is not None:  # response_model=: only the declared fields
            result = route.serialize(result)
        rendered = render(result, route.status_code)
        if ctx is not None and ctx.response is not None:
            rendered = merge_response(rendered, ctx.response)
    except Exception as exc:
        if isinstance(exc, ExceptionGroup):
            exc = unwrap_group(exc)  # type: ignore[assignment]
        if ctx is not None:
            try:
                await ctx.close(exc)
            except Exception as cleanup_exc:
                exc = cleanup_exc if cleanup_exc is not exc else exc
        await settings.handle_error(exc, request, send)
        if request._form is not None:
            await request.close()
        return
    try:
        await send_rendered(rendered, scope, receive, send)
    except Exception as exc:  # the response had started: nothing to answer, let the server log
        if ctx is not None:
            await ctx.close(exc)
        raise
    if ctx is not None:
        try:
            if ctx.background is not None:
                await ctx.background()
        finally:
            await ctx.close()
    if request._form is not None:  # uploaded files spooled to disk
        await request.close()


async def handle_websocket(
    route: WebSocketRoute, scope: Scope, receive: Receive, send: Send, settings: Settings
) -> None:
    from covet.http._websockets import WebSocket, WebSocketDisconnect

    websocket = WebSocket(scope, receive, send)
    request = settings.request(scope, receive, send, _DEFAULT)
    ctx = RequestContext(settings.threads, settings.dependency_overrides, websocket)
    error: BaseException | None = None
    try:
        try:
            kwargs = await solve(route.plan, request, ctx, route.dependencies)
            await route.plan.call(**kwargs)
        except ExceptionGroup as group:
            raise unwrap_group(group) from None
    except WebSocketDisconnect:
        pass
    except Exception as exc:
        error = exc
        await websocket_error(exc, websocket, settings)
    finally:
        await ctx.close(error)


async def websocket_error(exc: Exception, websocket: Any, settings: Settings) -> None:
    """End a websocket whose handler raised ``exc``.

    A handler registered for the exception (or its status) runs first, with the socket:
    before ``accept()`` a Response it returns is the HTTP answer to the handshake; after it,
    the handler closes the socket with the code it chooses. Whatever is still open afterwards
    is closed: ``WebSocketException`` with its code; an ``HTTPException`` (or invalid
    parameters) refuses the handshake with its HTTP answer, or closes with 1008; anything else
    is logged and closes with 1011.
    """
    from covet.http._websockets import WebSocketState

    handler = settings.exception_handlers.lookup(exc)
    if handler is not None:
        try:
            if inspect.iscoroutinefunction(handler):
                result = await handler(websocket, exc)
            else:
                runner = ON_LOOP if marked_on_loop(handler) else settings.threads
                result = await run_sync(handler, websocket, exc, threads=runner)
                if inspect.isawaitable(result):
                    result = await result
            if result is not None and websocket.application_state == WebSocketState.CONNECTING:
                response = to_response(result)
                if _can_deny(websocket):
                    with contextlib.suppress(Exception):  # the client may be gone already
                        await websocket.send_denial_response(response)
        except Exception as handler_exc:  # a broken handler must not hide the original
            logger.exception("exception handler %r failed", handler)
            exc = handler_exc
        else:
            if websocket.application_state in (WebSocketState.CONNECTING, WebSocketState.CONNECTED):
                await _close(websocket, *_close_code(exc))
            return
    if isinstance(exc, HTTPException):
        if not await _deny(websocket, exc):
            await _close(websocket, *_close_code(exc))
        return
    if not isinstance(exc, WebSocketException):
        logger.error(
            "Unhandled exception in websocket %s",
            websocket.scope.get("path"),
            exc_info=(type(exc), exc, exc.__traceback__),
        )
    await _close(websocket, *_close_code(exc))


async def handle_websocket_refusal(
    scope: Scope, receive: Receive, send: Send, problem: str | None
) -> None:
    """Refuse a handshake that cannot be served: 400 where the server can send it, else close."""
    from covet.http._websockets import WebSocket

    await websocket_error(HTTPException(400, problem), WebSocket(scope, receive, send), Settings())


def _close_code(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, WebSocketException):
        return exc.code, exc.reason
    if isinstance(exc, RequestValidationError):
        fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors)
        return 1008, "invalid parameters: " + fields
    if isinstance(exc, HTTPException):
        return 1008, str(exc.detail)
    return 1011, "internal error"


def _can_deny(websocket: Any) -> bool:
    return "websocket.http.response" in websocket.scope.get("extensions", {})


async def _deny(websocket: Any, exc: HTTPException) -> bool:
    """Before the handshake is accepted, refuse it with the exception's HTTP response (status,
    headers such as ``WWW-Authenticate``, problem details), as an HTTP route would answer, when
    the server supports the denial-response extension. False when it cannot (then: close)."""
    from covet.http._websockets import WebSocketState

    if websocket.application_state != WebSocketState.CONNECTING or not _can_deny(websocket):
        return False
    try:
        await websocket.send_denial_response(http_exception_response(exc))
    except Exception:  # the client is gone, or the server refused the message
        return bool(websocket.application_state != WebSocketState.CONNECTING)
    return True


async def _close(websocket: Any, code: int, reason: str) -> None:
    reason = reason.encode()[:120].decode(errors="ignore")  # a close frame holds 123 bytes
    with contextlib.suppress(Exception):  # already closed, or the client is gone
        await websocket.close(code=code, reason=reason)

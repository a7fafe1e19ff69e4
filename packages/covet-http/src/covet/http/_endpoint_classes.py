"""Class-based endpoints: ``HTTPEndpoint`` (a method per HTTP verb) and ``WebSocketEndpoint``.

Each verb method of an ``HTTPEndpoint`` is analysed like a handler function (path, query, body,
dependencies), once, when the route is registered; a request creates a fresh instance, so
attributes set on ``self`` never leak into another request.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Literal

from covet.http._exceptions import ConfigurationError, WebSocketException
from covet.http._json import InvalidJSON, json_loads
from covet.http._types import Message
from covet.http._websockets import (
    WebSocket,
    WebSocketState,
    _InvalidJSONFrame,
    _WrongFrame,
)

__all__ = ["VERBS", "HTTPEndpoint", "WebSocketEndpoint", "verb_handlers", "websocket_handler"]

_SOCKET = (WebSocket, "WebSocket")
VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")


class HTTPEndpoint:
    """Handle one path with a method per HTTP verb.

    ::

        class Item(HTTPEndpoint):
            async def get(self, id: int) -> dict: ...
            async def put(self, id: int, item: ItemIn) -> dict: ...

        app.add_route("/items/{id:int}", Item)

    The route answers the verbs the class defines (``HEAD`` comes with ``get``) and 405 with
    ``Allow`` for the others. The class is instantiated without arguments for each request.
    """


class WebSocketEndpoint:
    """A websocket handled by overriding ``on_connect``, ``on_receive`` and ``on_disconnect``.

    ``encoding`` decodes each frame for ``on_receive``: ``"text"``, ``"bytes"``, ``"json"``, or
    None for whatever came. A frame that does not fit closes the socket with 1003. Like a
    handler, ``on_connect`` may take path and query parameters and dependencies besides the
    ``websocket``.
    """

    encoding: Literal["text", "bytes", "json"] | None = None

    async def on_connect(self, websocket: WebSocket) -> None:
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        """Called with each decoded frame."""

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        """Called once the socket is closed, whoever closed it."""

    async def decode(self, websocket: WebSocket, message: Message) -> Any:
        text, data = message.get("text"), message.get("bytes")
        if self.encoding == "text":
            if text is None:
                raise _WrongFrame("expected a text frame, received a binary frame")
            return text
        if self.encoding == "bytes":
            if data is None:
                raise _WrongFrame("expected a binary frame, received a text frame")
            return data
        if self.encoding == "json":
            try:
                return json_loads(text if text is not None else data or b"")
            except InvalidJSON as exc:
                raise _InvalidJSONFrame(str(exc)) from None
        return text if text is not None else data


def _instance_of(cls: type) -> Any:
    try:
        return cls()
    except TypeError as exc:  # pragma: no cover - refused at registration
        raise ConfigurationError(f"{cls.__qualname__}() must take no arguments: {exc}") from exc


def _check_constructible(cls: type) -> None:
    try:
        inspect.signature(cls).bind()
    except TypeError:
        raise ConfigurationError(
            f"{cls.__qualname__} is created for every request without arguments; its __init__ "
            "cannot require any (take what you need as method parameters)"
        ) from None


def _per_request(cls: type, attribute: str) -> Callable[..., Any]:
    """``cls.<attribute>`` called on a fresh instance, with the signature minus ``self``."""
    static = inspect.getattr_static(cls, attribute)
    if isinstance(static, staticmethod | classmethod):
        return getattr(cls, attribute)  # type: ignore[no-any-return]
    function = getattr(cls, attribute)
    if inspect.iscoroutinefunction(function):

        async def call(*args: Any, **kwargs: Any) -> Any:
            return await getattr(_instance_of(cls), attribute)(*args, **kwargs)

    else:

        def call(*args: Any, **kwargs: Any) -> Any:  # type: ignore[misc]
            return getattr(_instance_of(cls), attribute)(*args, **kwargs)

    functools.update_wrapper(call, function)  # name, annotations and (for hints) the module
    signature = inspect.signature(function)
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=list(signature.parameters.values())[1:]
    )
    return call


def verb_handlers(cls: type[HTTPEndpoint]) -> dict[str, Callable[..., Any]]:
    """The handler of each verb ``cls`` defines, keyed by method name (``"GET"``...)."""
    _check_constructible(cls)
    handlers = {
        verb: _per_request(cls, verb.lower())
        for verb in VERBS
        if callable(getattr(cls, verb.lower(), None))
    }
    if not handlers:
        raise ConfigurationError(
            f"{cls.__qualname__} defines no verb method (get, post, put, patch, delete, ...)"
        )
    return handlers


def websocket_handler(cls: type[WebSocketEndpoint]) -> Callable[..., Any]:
    """One websocket handler running ``cls``'s callbacks; its parameters are ``on_connect``'s."""
    _check_constructible(cls)
    on_connect = inspect.signature(cls.on_connect)
    parameters = list(on_connect.parameters.values())[1:]
    socket_name = next(
        (p.name for p in parameters if p.name == "websocket" or p.annotation in _SOCKET), None
    )
    if socket_name is None:
        raise ConfigurationError(
            f"{cls.__qualname__}.on_connect needs a parameter named 'websocket' or annotated "
            "WebSocket"
        )

    async def run(**kwargs: Any) -> None:
        endpoint = _instance_of(cls)
        websocket: WebSocket = kwargs[socket_name]
        await endpoint.on_connect(**kwargs)
        close_code = 1000
        try:
            while websocket.application_state == WebSocketState.CONNECTED:
                message = await websocket.receive()
                if message["type"] != "websocket.receive":
                    close_code = int(message.get("code") or 1000)
                    break
                await endpoint.on_receive(websocket, await endpoint.decode(websocket, message))
        except Exception as exc:
            close_code = exc.code if isinstance(exc, WebSocketException) else 1011
            raise
        finally:
            await endpoint.on_disconnect(websocket, close_code)

    functools.update_wrapper(run, cls.on_connect)
    run.__name__ = run.__qualname__ = cls.__qualname__
    run.__signature__ = on_connect.replace(parameters=parameters)  # type: ignore[attr-defined]
    return run

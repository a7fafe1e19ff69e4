"""CovetPy: a Flask-simple, async-native ASGI framework with a built-in Django-style ORM.

This module belongs to the ``covet`` meta distribution. The sub-packages (``covet.http``,
``covet.orm``, ...) are separate distributions that share the ``covet`` namespace; the names
below are re-exported lazily so that importing ``covet`` costs nothing until a name is used.
"""

__path__ = __import__("pkgutil").extend_path(__path__, __name__)

import importlib
from typing import TYPE_CHECKING, Any

from covet.__about__ import __version__

if TYPE_CHECKING:
    from covet.http import (
        BackgroundTasks,
        Body,
        Cookie,
        Covet,
        Depends,
        EventSourceResponse,
        FileResponse,
        Header,
        HTMLResponse,
        HTTPException,
        JSONResponse,
        PlainTextResponse,
        Query,
        RedirectResponse,
        Request,
        Response,
        Router,
        StaticFiles,
        StreamingResponse,
        WebSocket,
    )

# name -> (module, distribution that provides it)
_EXPORTS: dict[str, tuple[str, str]] = {
    name: ("covet.http", "covet-http")
    for name in (
        "BackgroundTasks",
        "Body",
        "Cookie",
        "Covet",
        "Depends",
        "EventSourceResponse",
        "FileResponse",
        "HTMLResponse",
        "HTTPException",
        "Header",
        "JSONResponse",
        "PlainTextResponse",
        "Query",
        "RedirectResponse",
        "Request",
        "Response",
        "Router",
        "StaticFiles",
        "StreamingResponse",
        "WebSocket",
    )
}

__all__ = [
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Covet",
    "Depends",
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "JSONResponse",
    "PlainTextResponse",
    "Query",
    "RedirectResponse",
    "Request",
    "Response",
    "Router",
    "StaticFiles",
    "StreamingResponse",
    "WebSocket",
    "__version__",
]


def __getattr__(name: str) -> Any:
    try:
        module_name, distribution = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'covet' has no attribute {name!r}") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(
            f"covet.{name} comes from the {distribution!r} distribution, which is not installed; "
            f"install it with: pip install {distribution}"
        ) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

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
    from covet.auth import (
        AuthenticationMiddleware,
        CurrentUser,
        JWTAuth,
        PasswordHasher,
        login_required,
        requires,
        requires_role,
    )
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
        WebSocketDisconnect,
    )
    from covet.orm import (
        Database,
        F,
        Model,
        Q,
    )

_GROUPS: dict[tuple[str, str], tuple[str, ...]] = {
    ("covet.http", "covet-http"): (
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
        "WebSocketDisconnect",
    ),
    ("covet.orm", "covet-orm"): (
        "Database",
        "F",
        "Model",
        "Q",
    ),
    ("covet.auth", "covet-auth"): (
        "AuthenticationMiddleware",
        "CurrentUser",
        "JWTAuth",
        "PasswordHasher",
        "login_required",
        "requires",
        "requires_role",
    ),
}

# name -> (module, distribution that provides it)
_EXPORTS: dict[str, tuple[str, str]] = {
    name: source for source, names in _GROUPS.items() for name in names
}

__all__ = [
    "AuthenticationMiddleware",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Covet",
    "CurrentUser",
    "Database",
    "Depends",
    "EventSourceResponse",
    "F",
    "FileResponse",
    "HTMLResponse",
    "HTTPException",
    "Header",
    "JSONResponse",
    "JWTAuth",
    "Model",
    "PasswordHasher",
    "PlainTextResponse",
    "Q",
    "Query",
    "RedirectResponse",
    "Request",
    "Response",
    "Router",
    "StaticFiles",
    "StreamingResponse",
    "WebSocket",
    "WebSocketDisconnect",
    "__version__",
    "login_required",
    "requires",
    "requires_role",
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

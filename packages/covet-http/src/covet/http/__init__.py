"""covet.http: the ASGI core of CovetPy (under construction)."""

from covet.http.__about__ import __version__
from covet.http._exceptions import (
    ConfigurationError,
    CovetHTTPError,
    HTTPException,
    RequestValidationError,
    WebSocketException,
)

__all__ = [
    "ConfigurationError",
    "CovetHTTPError",
    "HTTPException",
    "RequestValidationError",
    "WebSocketException",
    "__version__",
]

"""Exceptions raised by covet.http.

CovetHTTPError                 root of every error this package raises on purpose
├── HTTPException              an HTTP error response (status, detail, headers)
│   └── RequestValidationError 422 with a list of field errors
├── WebSocketException         closes a websocket with a code and reason
└── ConfigurationError         the app was set up wrongly (raised at registration/start-up)
"""

from __future__ import annotations

import http
from collections.abc import Mapping, Sequence
from typing import Any


class CovetHTTPError(Exception):
    """Root of the covet.http exception hierarchy."""


class ConfigurationError(CovetHTTPError):
    """The application is configured in a way that cannot work; the message says how to fix it."""


class HTTPException(CovetHTTPError):
    """Raise to answer with an HTTP error; rendered as RFC 9457 problem details."""

    def __init__(
        self,
        status_code: int,
        detail: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        type: str | None = None,
        title: str | None = None,
    ) -> None:
        if detail is None:
            try:
                detail = http.HTTPStatus(status_code).phrase
            except ValueError:
                detail = ""
        self.status_code = status_code
        self.detail = detail
        self.headers = dict(headers) if headers else None
        self.type = type
        self.title = title
        super().__init__(status_code, detail)

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class RequestValidationError(HTTPException):
    """422: the request did not match the handler's declared parameters.

    ``errors`` is a list of ``{"loc": [...], "msg": str, "type": str}`` dicts, one per field.
    """

    def __init__(self, errors: Sequence[Mapping[str, Any]], status_code: int = 422) -> None:
        self.errors = [dict(error) for error in errors]
        super().__init__(status_code, "Request validation failed")


class WebSocketException(CovetHTTPError):
    """Raise inside a websocket handler to close the connection with ``code`` and ``reason``."""

    def __init__(self, code: int = 1008, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""
        super().__init__(code, self.reason)

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, reason={self.reason!r})"

"""``CORSMiddleware``: the server side of the Fetch standard's CORS protocol."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from covet.http import ASGIApp, ConfigurationError, Message, Receive, Scope, Send
from covet.middleware._headers import add_vary, header_list, set_header
from covet.middleware._responses import send_problem, send_response

__all__ = ["CORSMiddleware"]

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
# Request headers a preflight may always name (content-type appears there only with a non-simple
# value such as application/json; allowing it is what every API expects).
_ACAO = b"access-control-allow-origin"
_ACAC = b"access-control-allow-credentials"
_ACEH = b"access-control-expose-headers"
ALWAYS_ALLOWED_HEADERS = frozenset(
    {"accept", "accept-language", "content-language", "content-type"}
)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _check_origin(origin: str) -> str:
    """The origin as a browser serializes it: lower case, no default port."""
    if origin == "null":
        return origin
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        port, parts = None, urlsplit("")
    scheme = parts.scheme.lower()
    if (
        scheme not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or (port is None and parts.netloc.endswith(":"))
    ):
        raise ConfigurationError(
            f"CORS origin {origin!r} is not a serialized origin: write scheme://host[:port] "
            "with no path or trailing slash, e.g. 'https://app.example.com'"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class CORSMiddleware:
    """Answer CORS preflights and add CORS headers to responses for allowed origins.

    ``allow_origins`` lists exact origins (``"https://app.example.com"``) or is ``["*"]``;
    ``allow_origin_regex`` must match a whole origin. ``allow_methods`` / ``allow_headers`` may be
    ``["*"]`` to allow whatever a preflight asks for. ``allow_credentials=True`` together with a
    ``"*"`` origin is refused: it would let every site read responses made with the user's cookies.
    An origin that is not allowed never gets ``Access-Control-Allow-*`` headers; responses to it are
    otherwise unchanged (the browser keeps them from the page).
    """

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Iterable[str] = (),
        *,
        allow_origin_regex: str | None = None,
        allow_methods: Iterable[str] = ("GET", "HEAD", "POST"),
        allow_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        expose_headers: Iterable[str] = (),
        max_age: int = 600,
    ) -> None:
        origins = list(allow_origins)
        self.app = app
        self.allow_all_origins = "*" in origins
        if self.allow_all_origins and allow_credentials:
            raise ConfigurationError(
                "CORSMiddleware: allow_origins=['*'] with allow_credentials=True would let any "
                "website read responses sent with your users' cookies; list the trusted origins"
            )
        self.allow_origins = frozenset(_check_origin(o) for o in origins if o != "*")
        if "null" in self.allow_origins and allow_credentials:
            raise ConfigurationError(
                "CORSMiddleware: allow_origins=['null'] with allow_credentials=True would let any "
                "website read responses sent with your users' cookies (a sandboxed iframe sends "
                "'Origin: null'); list the trusted origins"
            )
        self.allow_origin_regex = re.compile(allow_origin_regex) if allow_origin_regex else None
        methods = [method.upper() for method in allow_methods]
        self.allow_all_methods = "*" in methods
        self.allow_methods = frozenset(methods) - {"*"}
        headers = [header.lower() for header in allow_headers]
        self.allow_all_headers = "*" in headers
        self.allow_headers = frozenset(headers) - {"*"} | ALWAYS_ALLOWED_HEADERS
        self.allow_credentials = allow_credentials
        self.expose_headers = ", ".join(expose_headers).encode("latin-1")
        if max_age < 0:
            raise ConfigurationError("CORSMiddleware: max_age must not be negative")
        self.max_age = str(max_age)
        self.methods_value = ", ".join(sorted(self.allow_methods))
        # With "*" (never with credentials) the response does not depend on the Origin header.
        self.varies = not self.allow_all_origins

    def is_allowed_origin(self, origin: str) -> bool:
        if self.allow_all_origins:
            return True
        if origin.lower() in self.allow_origins:
            return True
        return bool(self.allow_origin_regex and self.allow_origin_regex.fullmatch(origin))

    def _allow_origin_value(self, origin: str) -> bytes:
        if self.allow_all_origins and not self.allow_credentials:
            return b"*"
        return origin.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = request_method = request_headers = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                request_method = value.decode("latin-1")
            elif name == b"access-control-request-headers":
                request_headers = value.decode("latin-1")
        if origin is not None and scope["method"] == "OPTIONS" and request_method is not None:
            await self.preflight(send, origin, request_method, request_headers)
            return
        allowed = origin is not None and self.is_allowed_origin(origin)
        if not allowed and not self.varies:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = header_list(message)
                if allowed:
                    assert origin is not None
                    set_header(headers, _ACAO, self._allow_origin_value(origin))
                    if self.allow_credentials:
                        set_header(headers, _ACAC, b"true")
                    if self.expose_headers:
                        set_header(headers, _ACEH, self.expose_headers)
                if self.varies:
                    add_vary(headers, (b"Origin",))
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def preflight(self, send: Send, origin: str, method: str, requested: str | None) -> None:
        names = [n.strip().lower() for n in (requested or "").split(",") if n.strip()]
        vary = b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
        failures = []
        if not self.is_allowed_origin(origin):
            failures.append("origin")
        if not (
            self.allow_all_methods or method in self.allow_methods or method in SAFELISTED_METHODS
        ):
            failures.append("method")
        if not self.allow_all_headers and any(n not in self.allow_headers for n in names):
            failures.append("headers")
        if failures:
            detail = f"Disallowed CORS {', '.join(failures)}"
            await send_problem(send, 400, detail, headers=[(b"vary", vary)])
            return
        headers = [
            (b"access-control-allow-origin", self._allow_origin_value(origin)),
            (
                b"access-control-allow-methods",
                (
                    method
                    if self.allow_all_methods or not self.methods_value
                    else self.methods_value
                ).encode("latin-1"),
            ),
            (b"access-control-max-age", self.max_age.encode()),
            (b"vary", vary),
        ]
        if names:
            headers.append((b"access-control-allow-headers", ", ".join(names).encode("latin-1")))
        if self.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        await send_response(send, 204, headers=headers)

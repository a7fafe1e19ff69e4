"""Transport and browser hardening: security headers, trusted hosts, HTTPS redirects."""

from __future__ import annotations

import re
from collections.abc import Iterable

from covet.http import ASGIApp, ConfigurationError, Message, Receive, Scope, Send
from covet.middleware._responses import send_response

__all__ = ["HTTPSRedirectMiddleware", "SecurityHeadersMiddleware", "TrustedHostMiddleware"]

# A Host header: a DNS name or IPv4 address, or a bracketed IPv6 literal, then an optional port.
# Anything else (``/``, ``@``, ``?``, spaces, ...) is refused rather than matched against a
# wildcard: an app building absolute URLs from it would otherwise point them elsewhere.
_HOST = re.compile(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]")
_HOST_HEADER = re.compile(r"([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


class SecurityHeadersMiddleware:
    """Add security headers to every HTTP response (headers the app set itself are kept).

    Defaults: ``Strict-Transport-Security: max-age=63072000; includeSubDomains`` on HTTPS only
    (``hsts_max_age=0`` disables it), ``X-Content-Type-Options: nosniff``,
    ``X-Frame-Options: DENY``,
    ``Referrer-Policy: strict-origin-when-cross-origin``, ``Cross-Origin-Opener-Policy:
    same-origin``. ``content_security_policy`` is off unless given (a wrong CSP breaks pages).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        hsts_max_age: int = 63072000,
        hsts_include_subdomains: bool = True,
        hsts_preload: bool = False,
        content_type_options: bool = True,
        frame_options: str | None = "DENY",
        referrer_policy: str | None = "strict-origin-when-cross-origin",
        cross_origin_opener_policy: str | None = "same-origin",
        content_security_policy: str | None = None,
        content_security_policy_report_only: bool = False,
    ) -> None:
        self.app = app
        headers: list[tuple[bytes, bytes]] = []
        if content_type_options:
            headers.append((b"x-content-type-options", b"nosniff"))
        if frame_options:
            headers.append((b"x-frame-options", frame_options.encode("latin-1")))
        if referrer_policy:
            headers.append((b"referrer-policy", referrer_policy.encode("latin-1")))
        if cross_origin_opener_policy:
            value = cross_origin_opener_policy.encode("latin-1")
            headers.append((b"cross-origin-opener-policy", value))
        if content_security_policy:
            name = b"content-security-policy"
            if content_security_policy_report_only:
                name += b"-report-only"
            headers.append((name, content_security_policy.encode("latin-1")))
        self.headers = headers
        self.hsts: tuple[bytes, bytes] | None = None
        if hsts_max_age > 0:
            hsts = f"max-age={hsts_max_age}"
            if hsts_include_subdomains:
                hsts += "; includeSubDomains"
            if hsts_preload:
                hsts += "; preload"
            self.hsts = (b"strict-transport-security", hsts.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if self.hsts is not None and scope.get("scheme") == "https":
            extra.append(self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _host_of(scope: Scope) -> str | None:
    """The host name of the ``Host`` header in lower case, without the port.

    ``None`` when there is no ``Host`` header, ``""`` when it is not a valid host[:port].
    """
    for name, value in scope["headers"]:
        if name == b"host":
            match = _HOST_HEADER.fullmatch(value.decode("latin-1").lower())
            return match.group(1) if match else ""
    return None


class TrustedHostMiddleware:
    """Answer 400 unless the ``Host`` header names one of ``allowed_hosts``.

    Entries are exact host names (no port), ``*.example.com`` for any subdomain (not the bare
    domain), or ``"*"`` to allow every host. An empty list is refused at start-up.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        hosts = [host.lower() for host in allowed_hosts]
        if not hosts:
            raise ConfigurationError(
                "TrustedHostMiddleware: allowed_hosts is empty; list your host names or use ['*']"
            )
        for host in hosts:
            if "*" in host and host != "*" and not (host.startswith("*.") and "*" not in host[1:]):
                raise ConfigurationError(
                    f"TrustedHostMiddleware: {host!r}: a wildcard must be '*' or '*.domain'"
                )
        self.app = app
        self.allow_any = "*" in hosts
        self.exact = frozenset(h for h in hosts if not h.startswith("*"))
        self.suffixes = tuple(h[1:] for h in hosts if h.startswith("*."))

    def is_allowed(self, host: str) -> bool:
        if not host:
            return self.allow_any
        return (
            self.allow_any
            or host in self.exact
            or (bool(self.suffixes) and host.endswith(self.suffixes))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.is_allowed(_host_of(scope) or ""):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await send_response(send, 400, b"Invalid host header")
            return
        await self.app(scope, receive, send)


class HTTPSRedirectMiddleware:
    """Redirect ``http://`` to ``https://`` with 308 (method and body kept).

    Reads ``scope["scheme"]``, so behind a TLS-terminating proxy put ``ProxyHeadersMiddleware``
    outside this one. Plain websockets are closed with code 1008.
    """

    def __init__(self, app: ASGIApp, *, https_port: int = 443) -> None:
        self.app = app
        self.https_port = https_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scheme = scope.get("scheme")
        if scope["type"] == "websocket" and scheme == "ws":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http" or scheme != "http":
            await self.app(scope, receive, send)
            return
        host = _host_of(scope)
        if host is None:
            host = (scope.get("server") or ("localhost", 0))[0]
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        if not _HOST.fullmatch(host):
            await send_response(send, 400, b"Invalid host header")
            return
        netloc = host if self.https_port == 443 else f"{host}:{self.https_port}"
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        target = b"https://" + netloc.encode("ascii") + path
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        await send_response(send, 308, b"", headers=[(b"location", target)])

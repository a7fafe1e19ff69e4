"""``CSRFMiddleware``: an Origin / Sec-Fetch-Site check, then a signed double-submit token."""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

from covet.http import (
    ASGIApp,
    Message,
    Receive,
    SameSite,
    Scope,
    Send,
    format_set_cookie,
    parse_cookies,
    route_path,
)
from covet.middleware._paths import PathMatcher
from covet.middleware._responses import send_problem
from covet.middleware._signing import BadSignature, Signer, b64decode, b64encode

__all__ = ["CSRFMiddleware", "get_csrf_token"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_HTTP_SCHEMES = {"ws": "http", "wss": "https"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def get_csrf_token(scope: Scope) -> str:
    """The CSRF token for this request (put it in forms or the ``X-CSRF-Token`` header).

    It is masked afresh for every request, so it differs from the cookie and between responses.
    """
    try:
        token: str = scope["state"]["csrf_token"]
    except KeyError:
        raise LookupError("no CSRF token: is CSRFMiddleware installed around this app?") from None
    return token


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url`` in lower case, or ``None`` if it is not a web URL."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    netloc = (
        parts.hostname
        if port is None or str(port) == _DEFAULT_PORTS[parts.scheme]
        else (f"{parts.hostname}:{port}")
    )
    return f"{parts.scheme}://{netloc}".lower()


def mask_token(token: str) -> str:
    """``token`` XOR a fresh random mask, with the mask in front (base64url, no ``.``).

    Each response then shows a different string for the same secret, so a compressed page that
    also reflects attacker input does not leak the token (BREACH).
    """
    raw = token.encode("ascii")
    size = len(raw)
    mask = secrets.token_bytes(size)
    masked = int.from_bytes(raw, "big") ^ int.from_bytes(mask, "big")
    return b64encode(mask + masked.to_bytes(size, "big"))


def unmask_token(submitted: str) -> bytes:
    """The cookie token inside a masked token; a bare cookie token (it has a ``.``) as it is."""
    if "." in submitted:
        return submitted.encode("latin-1", "replace")
    try:
        blob = b64decode(submitted)
    except BadSignature:
        return b""
    size = len(blob) // 2
    if not size or len(blob) % 2:
        return b""
    plain = int.from_bytes(blob[:size], "big") ^ int.from_bytes(blob[size:], "big")
    return plain.to_bytes(size, "big")


class CrossSiteRequestRejected(Exception):
    """``CSRFMiddleware.check_origin`` refused the request: it comes from an untrusted origin."""

    status = 403


class _FormTooLarge(CrossSiteRequestRejected):
    """A urlencoded form longer than ``max_body_size``: its token cannot be checked."""

    status = 413


class CSRFMiddleware:
    """Refuse cross-site state-changing requests.

    For every method except GET, HEAD, OPTIONS and TRACE (and paths not in ``exempt_paths``):

    1. ``Origin`` (or, without it, ``Referer``) must be this site's own origin or one of
       ``trusted_origins``; ``Sec-Fetch-Site: cross-site`` / ``same-site`` without such an origin is
       refused.
    2. The request must carry the token from the ``csrftoken`` cookie (signed with ``secret_key``)
       in the ``X-CSRF-Token`` header or the ``csrf_token`` form field, either as it is or masked
       as ``get_csrf_token`` gives it; tokens are compared in constant time.

    Websocket handshakes get check 1 (closed with 1008 when it fails). Anything else gets 403
    problem details, except a urlencoded form longer than ``max_body_size`` without the header
    token: 413, since its token cannot be looked for. Handlers read the token with
    ``get_csrf_token(scope)`` (or ``request.state.csrf_token``), masked afresh for each request so
    compressed pages do not leak it (BREACH); the cookie is set when missing.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | bytes | Iterable[str | bytes],
        *,
        trusted_origins: Iterable[str] = (),
        exempt_paths: Iterable[str] = (),
        cookie_name: str = "csrftoken",
        header_name: str = "x-csrf-token",
        form_field: str = "csrf_token",
        cookie_secure: bool = True,
        cookie_samesite: SameSite = "lax",
        cookie_path: str = "/",
        cookie_domain: str | None = None,
        max_body_size: int = 1024 * 1024,
    ) -> None:
        self.app = app
        keys = [secret_key] if isinstance(secret_key, (str, bytes)) else list(secret_key)
        self.signer = Signer(keys, salt="covet.csrf", owner="CSRFMiddleware")
        self.trusted_origins = frozenset(o.lower().rstrip("/") for o in trusted_origins)
        self.exempt = PathMatcher(exempt_paths)
        self.cookie_name = cookie_name
        self.header_name = header_name.lower().encode("latin-1")
        self.form_field = form_field
        # Tokens are base64url and ".", safe in a cookie as they are: format the attributes once
        # (which also refuses bad options at start-up).
        sample = format_set_cookie(
            cookie_name,
            "x",
            httponly=False,
            secure=cookie_secure,
            samesite=cookie_samesite,
            path=cookie_path,
            domain=cookie_domain,
        )
        self.cookie_attributes = sample[len(cookie_name) + 2 :]
        self.max_body_size = max_body_size
        # Every repetition is bounded, so one attempt reads at most _MAX_FIELD_MATCH bytes and a
        # body can be searched chunk by chunk in linear time (see form_token).
        self._multipart_field = re.compile(
            rb'content-disposition:[ \t]*form-data;[ \t]*name="'
            + re.escape(form_field.encode())
            + rb'"[ \t]*\r\n(?:[^\r\n]{1,1024}\r\n){0,8}\r\n([^\r\n]{0,1024})\r\n--',
            re.IGNORECASE,
        )
        self._max_field_match = 100 + len(form_field.encode()) + 8 * 1026 + 1024 + 4

    def new_token(self) -> str:
        return self.signer.sign(secrets.token_bytes(32))

    def _valid(self, token: str | None) -> bool:
        if not token:
            return False
        try:
            self.signer.unsign(token)
        except BadSignature:
            return False
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name in headers and name == b"cookie":
                headers[name] += "; " + value.decode("latin-1")
            else:
                headers.setdefault(name, value.decode("latin-1"))
        cookie_token = parse_cookies(headers.get(b"cookie", "")).get(self.cookie_name)
        if not self._valid(cookie_token):
            cookie_token = None
        token = cookie_token or self.new_token()
        scope.setdefault("state", {})["csrf_token"] = mask_token(token)

        if scope["method"] not in SAFE_METHODS and not self.is_exempt(scope):
            try:
                self.check_origin(scope, headers)
                submitted = headers.get(self.header_name)
                if submitted is None:
                    submitted, receive = await self.form_token(headers, receive)
                if cookie_token is None:
                    raise CrossSiteRequestRejected("CSRF cookie missing or invalid")
                if submitted is None or not hmac.compare_digest(
                    unmask_token(submitted), cookie_token.encode("ascii")
                ):
                    raise CrossSiteRequestRejected("CSRF token missing or incorrect")
            except CrossSiteRequestRejected as exc:
                await send_problem(send, exc.status, str(exc))
                return

        if cookie_token is not None:
            await self.app(scope, receive, send)
            return
        set_cookie = f"{self.cookie_name}={token}{self.cookie_attributes}".encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"set-cookie", set_cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a handshake from another site (cross-site websocket hijacking).

        A browser attaches cookies to a websocket handshake from any page, and there is no token
        to check, so the ``Origin`` is the whole defence.
        """
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value.decode("latin-1"))
        scheme = scope.get("scheme", "ws")
        try:
            self.check_origin({"scheme": _HTTP_SCHEMES.get(scheme, scheme)}, headers)
        except CrossSiteRequestRejected:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)

    def _form_too_large(self) -> _FormTooLarge:
        return _FormTooLarge(
            f"urlencoded form over {self.max_body_size} bytes (CSRFMiddleware max_body_size): "
            f"send the token in the {self.header_name.decode('latin-1')} header, or raise "
            "max_body_size"
        )

    def is_exempt(self, scope: Scope) -> bool:
        if not self.exempt:
            return False
        raw_path = scope.get("raw_path")
        if raw_path and b"%2f" in raw_path.lower():
            # An encoded "/" makes the decoded path and the router's segments disagree
            # ("/hooks%2F..%2Fadmin"): never exempt such a path.
            return False
        return self.exempt.matches(route_path(scope))

    def check_origin(self, scope: Scope, headers: dict[bytes, str]) -> None:
        origin = headers.get(b"origin")
        if origin is None and b"referer" in headers:
            origin = _origin_of(headers[b"referer"]) or "null"
        if origin is None:
            if headers.get(b"sec-fetch-site", "").lower() in ("cross-site", "same-site"):
                raise CrossSiteRequestRejected("cross-site request without an Origin")
            return
        origin = origin.lower().rstrip("/")
        host = headers.get(b"host", "")
        own = _origin_of(f"{scope.get('scheme', 'http')}://{host}") if host else None
        if origin == "null" or (origin != own and origin not in self.trusted_origins):
            raise CrossSiteRequestRejected(f"origin {origin!r} is not trusted")

    async def form_token(
        self, headers: dict[bytes, str], receive: Receive
    ) -> tuple[str | None, Receive]:
        """Look for the token in a form body; return it and a ``receive`` that replays the body."""
        content_type = headers.get(b"content-type", "").lower()
        media = content_type.split(";", 1)[0].strip()
        if media not in _FORM_TYPES:
            return None, receive
        boundary = None
        if media == "multipart/form-data":
            match = re.search(r'boundary="?([^";]+)"?', headers.get(b"content-type", ""))
            if match is None:
                return None, receive
            boundary = match.group(1).encode("latin-1")
        else:
            declared = headers.get(b"content-length", "")
            if (
                declared.isascii()
                and declared.isdigit()
                and len(declared) < 20
                and int(declared) > self.max_body_size
            ):
                raise self._form_too_large()
        buffered: list[Message] = []
        body = b""
        more = True
        token: str | None = None
        while more:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            scanned = len(body)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_size:
                if boundary is None:  # the token may be anywhere in a urlencoded form
                    raise self._form_too_large()
                raise CrossSiteRequestRejected(
                    f"CSRF token not found in the first {self.max_body_size} bytes of the "
                    f"multipart form; put the {self.form_field!r} field before any file, or "
                    f"send the token in the {self.header_name.decode('latin-1')} header"
                )
            if boundary is not None:
                # Only a match that ends in the new bytes is new: start far enough back for it.
                found = self._multipart_field.search(body, max(0, scanned - self._max_field_match))
                if found:
                    token = found.group(1).decode("latin-1")
                    break
        if boundary is None and not more:
            for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
                if key == self.form_field:
                    token = value
                    break

        async def replay() -> Message:
            if buffered:
                return buffered.pop(0)
            return await receive()

        return token, replay

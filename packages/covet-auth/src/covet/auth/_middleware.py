"""``AuthenticationMiddleware``: a Bearer header or cookie in, scope user and auth out."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from covet.auth._exceptions import AuthConfigurationError, AuthenticationFailed, FailureReason
from covet.auth._jwt_auth import JWTAuth
from covet.auth._openapi import middleware_schemes
from covet.auth._store import UNAVAILABLE, logger
from covet.auth._tokens import SCOPE_TOKEN, VerifiedToken
from covet.auth._users import AnonymousUser, AuthCredentials, TokenUser
from covet.http import (
    ASGIApp,
    OpenAPIContext,
    Receive,
    SameSite,
    Scope,
    Send,
    format_set_cookie,
    parse_cookies,
)
from covet.middleware import (
    CrossSiteRequestRejected,
    CSRFMiddleware,
    OutageLog,
    StoreUnavailable,
    send_problem,
)

UserLoader = Callable[[VerifiedToken], Awaitable[Any] | Any]
_ANONYMOUS = AnonymousUser()  # both immutable: shared by every request without credentials
_NO_CREDENTIALS = AuthCredentials()
_REALM = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")  # quoted-string without escapes
_HTTP_SCHEME = {"ws": "http", "wss": "https"}


def _challenge_value(kind: str, value: str) -> str:
    """Refuse at start-up a scope or realm that cannot be written into a ``WWW-Authenticate``
    challenge (a quote, a backslash, a control or non-ASCII character; a space in a scope)."""
    pattern = SCOPE_TOKEN if kind == "scope" else _REALM
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise AuthConfigurationError(
            f"{kind} {value!r} cannot appear in a WWW-Authenticate challenge (RFC 6750 allows "
            "printable ASCII without quotes or backslashes, and no spaces in a scope)"
        )
    return value


def www_authenticate(
    failure: AuthenticationFailed | None = None,
    *,
    realm: str = "api",
    error: str | None = None,
    scope: str | None = None,
) -> str:
    """A ``WWW-Authenticate: Bearer`` challenge (RFC 6750 section 3)."""
    parts = [f'realm="{realm}"']
    if failure is not None:
        parts.append('error="invalid_token"')
        parts.append(f'error_description="{failure.reason.value}"')
    elif error is not None:
        parts.append(f'error="{error}"')
    if scope:
        parts.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(parts)


@dataclass(frozen=True)
class AuthCookie:
    """How the tokens travel in cookie mode: ``HttpOnly``, ``Secure``, ``SameSite=Lax``.

    The access token goes in ``name`` on ``path``. ``auth_router`` puts the refresh token in
    ``refresh_name``, ``SameSite=Strict``, sent only under ``refresh_path``; None (the default)
    means the path the router is mounted at (``/auth`` for ``/auth/token``), so no other
    request carries it."""

    name: str = "access_token"
    path: str = "/"
    domain: str | None = None
    secure: bool = True
    samesite: SameSite = "lax"
    refresh_name: str = "refresh_token"
    refresh_path: str | None = None
    refresh_samesite: SameSite = "strict"

    def _line(self, name: str, value: str, max_age: int, path: str, samesite: SameSite) -> str:
        """One ``HttpOnly`` cookie line of this configuration; ``max_age=0`` deletes it."""
        return format_set_cookie(
            name,
            value,
            max_age=max_age,
            expires="Thu, 01 Jan 1970 00:00:00 GMT" if max_age == 0 else None,
            path=path,
            domain=self.domain,
            secure=self.secure,
            httponly=True,
            samesite=samesite,
        )

    def set_cookie_header(self, token: str, max_age: int) -> str:
        """The ``Set-Cookie`` value that stores ``token`` for ``max_age`` seconds."""
        return self._line(self.name, token, max_age, self.path, self.samesite)

    def delete_cookie_header(self) -> str:
        return self._line(self.name, "", 0, self.path, self.samesite)

    def set_refresh_cookie_header(self, token: str, max_age: int, *, path: str = "/") -> str:
        """The ``Set-Cookie`` value that stores the refresh ``token`` for ``max_age`` seconds,
        under ``refresh_path`` or, when that is None, ``path``."""
        return self._line(
            self.refresh_name, token, max_age, self.refresh_path or path, self.refresh_samesite
        )

    def delete_refresh_cookie_header(self, *, path: str = "/") -> str:
        return self._line(
            self.refresh_name, "", 0, self.refresh_path or path, self.refresh_samesite
        )


class AuthenticationMiddleware:
    """Authenticate every HTTP and websocket request from its access token.

    The token comes from ``Authorization: Bearer <token>`` or, when ``cookie`` is given, from that
    cookie. A request without credentials runs as :class:`AnonymousUser`. A request whose
    credentials are refused runs as anonymous too, with ``request.auth.failure`` set, so public
    routes answer normally and guarded routes answer 401 ``error="invalid_token"``; with
    ``on_invalid="reject"`` it is answered 401 right here instead.

    ``user_loader(token)`` (sync or async) turns a verified token into your user object; returning
    None, or a user whose ``is_active`` is False, counts as invalid credentials. In cookie mode,
    requests without an ``Authorization`` header (cookie-authenticated ones, and logins) go through
    covet.middleware's ``CSRFMiddleware`` (``csrf_secret`` is required), so a cross-site form can
    neither act with the victim's cookie nor log the victim in as someone else.

    When the revocation store is down (``StoreUnavailable``) a request that carries a token is
    answered 503 problem details with ``Retry-After`` (a websocket handshake is closed with
    1013): a token whose revocation cannot be checked is never accepted, and the client is not
    told that its token is invalid either. Requests without credentials do not touch the store.
    """

    def __init__(
        self,
        app: ASGIApp,
        backend: JWTAuth,
        *,
        user_loader: UserLoader | None = None,
        cookie: AuthCookie | None = None,
        csrf_secret: str | bytes | None = None,
        csrf_trusted_origins: Iterable[str] = (),
        on_invalid: Literal["anonymous", "reject"] = "anonymous",
        realm: str = "api",
    ) -> None:
        if on_invalid not in ("anonymous", "reject"):
            raise AuthConfigurationError("on_invalid must be 'anonymous' or 'reject'")
        if cookie is not None and csrf_secret is None:
            raise AuthConfigurationError(
                "cookie mode needs CSRF protection: pass csrf_secret=... (a random secret)"
            )
        self.app = app
        self.backend = backend
        self.realm = _challenge_value("realm", realm)
        self.user_loader = user_loader
        self.cookie = cookie
        self.on_invalid = on_invalid
        self.outages = OutageLog(logger)
        self.csrf_app: CSRFMiddleware | None = None
        if cookie is not None and csrf_secret is not None:
            self.csrf_app = CSRFMiddleware(
                app,
                csrf_secret,
                trusted_origins=csrf_trusted_origins,
                cookie_secure=cookie.secure,
                cookie_samesite=cookie.samesite,
            )

    def _credentials(self, scope: Scope) -> tuple[str | None, bool]:
        """(token, came from the Authorization header).

        Several ``Authorization`` headers are refused rather than "first one wins": a proxy that
        checks the last one and an app that reads the first would disagree about the caller.
        A cookie on a websocket handshake from an untrusted ``Origin`` is refused too: browsers
        send cookies with cross-site handshakes, and no CSRF token can ride along (CSWSH).
        """
        authorization: list[str] = []
        cookie_header: list[str] = []
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                authorization.append(value.decode("latin-1"))
            elif name == b"cookie" and self.cookie is not None:
                cookie_header.append(value.decode("latin-1"))
        if len(authorization) > 1:
            raise AuthenticationFailed(
                FailureReason.MALFORMED, "several Authorization headers; send exactly one"
            )
        if authorization:
            scheme, _, credentials = authorization[0].partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip(), True
        if self.cookie is not None and cookie_header:
            token = parse_cookies("; ".join(cookie_header)).get(self.cookie.name)
            if token:
                if scope["type"] == "websocket":
                    self._check_websocket_origin(scope)
                return token, False
        return None, False

    def _check_websocket_origin(self, scope: Scope) -> None:
        assert self.csrf_app is not None  # cookie mode always has one
        headers: dict[bytes, str] = {}
        for name, value in scope.get("headers", ()):
            headers.setdefault(name, value.decode("latin-1"))
        scheme = scope.get("scheme", "ws")
        try:  # covet.middleware's CSRF origin check, with the handshake's http(s) origin
            self.csrf_app.check_origin({"scheme": _HTTP_SCHEME.get(scheme, scheme)}, headers)
        except CrossSiteRequestRejected as exc:
            raise AuthenticationFailed(
                FailureReason.UNTRUSTED_ORIGIN, f"cookie credentials on a websocket: {exc}"
            ) from None

    async def authenticate(self, token: str) -> tuple[Any, AuthCredentials]:
        verified = await self.backend.verify(token)
        if self.user_loader is None:
            return TokenUser(verified), AuthCredentials.from_token(verified)
        user = self.user_loader(verified)
        if inspect.isawaitable(user):
            user = await user
        if user is None or getattr(user, "is_active", True) is False:
            raise AuthenticationFailed(
                FailureReason.INVALID_CREDENTIALS, "unknown or inactive user"
            )
        roles = getattr(user, "roles", None)
        if isinstance(roles, str):
            roles = roles.split()
        elif isinstance(roles, Iterable):
            roles = [role for role in roles if isinstance(role, str)]
        else:
            roles = None  # no roles attribute: the token's "roles" claim decides
        return user, AuthCredentials.from_token(verified, roles=roles)

    @classmethod
    def __covet_openapi__(cls, context: OpenAPIContext) -> None:
        """The security schemes the middleware accepts: a bearer JWT, and the cookie."""
        middleware_schemes(context)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        from_header = False
        try:
            token, from_header = self._credentials(scope)
            if token is None:
                scope["user"], scope["auth"] = _ANONYMOUS, _NO_CREDENTIALS
            else:
                scope["user"], scope["auth"] = await self.authenticate(token)
        except AuthenticationFailed as failure:
            if self.on_invalid == "reject":
                await self._reject(scope, receive, send, failure, from_cookie=not from_header)
                return
            scope["user"], scope["auth"] = _ANONYMOUS, AuthCredentials(failure=failure)
        except StoreUnavailable as exc:
            await self._unavailable(scope, send, exc)
            return
        # Browsers attach cookies to cross-site requests but never an Authorization header, so
        # in cookie mode every request without one passes the CSRF check -- the login form
        # included, which stops an attacker from logging a victim into the attacker's account.
        if not from_header and self.csrf_app is not None and scope["type"] == "http":
            await self.csrf_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _unavailable(self, scope: Scope, send: Send, exc: StoreUnavailable) -> None:
        self.outages.warning("token revocation store unavailable; answering 503", exc)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013, "reason": "try again later"})
            return
        await send_problem(
            send, 503, UNAVAILABLE, headers=[(b"retry-after", str(exc.retry_after).encode())]
        )

    async def _reject(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        failure: AuthenticationFailed,
        *,
        from_cookie: bool = False,
    ) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "invalid token"})
            return
        challenge = www_authenticate(failure, realm=self.realm).encode("latin-1")
        headers = [(b"www-authenticate", challenge)]
        if from_cookie and self.cookie is not None:
            # drop the refused cookie: else every request, the login and logout included,
            # would be refused until it expires
            headers.append((b"set-cookie", self.cookie.delete_cookie_header().encode("latin-1")))
        await send_problem(
            send,
            401,
            "The access token is invalid or expired.",
            headers=headers,
            extra={"reason": failure.reason.value},
        )

"""``auth_router()``: ready login (token), refresh and logout endpoints for a Covet app.

``POST /token`` takes the OAuth2 password grant as a form (``grant_type=password``, ``username``,
``password``) or the same fields as JSON and answers an access/refresh pair; ``POST /refresh``
takes ``refresh_token`` (form with ``grant_type=refresh_token``, or JSON) and answers a new pair,
spending the old one (with a ``user_loader``, only while the user still exists and is active, and
with the user's current scopes and roles); ``POST /logout`` revokes the caller's access token
and/or the ``refresh_token`` it sends, and with them the whole session. Failed logins are
throttled per account and per client address when a ``throttle`` is given.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

from covet.auth._authenticate import PasswordUser, authenticate
from covet.auth._exceptions import AuthenticationFailed, FailureReason, TooManyAttempts
from covet.auth._jwt_auth import JWTAuth
from covet.auth._middleware import AuthCookie, UserLoader, www_authenticate
from covet.auth._openapi import logout_endpoint, refresh_endpoint, token_endpoint
from covet.auth._passwords import PasswordHasher
from covet.auth._store import UNAVAILABLE, logger
from covet.auth._throttle import LoginThrottle
from covet.auth._tokens import TokenPair, VerifiedToken
from covet.auth._users import AuthCredentials
from covet.http import HTTPException, JSONResponse, Request, Response, Router
from covet.middleware import OutageLog, StoreUnavailable, client_host

_NO_STORE = {"Cache-Control": "no-store"}


def _mount_path(request: Request, cookie: AuthCookie) -> str:
    """Where this router is mounted: the request's path (which holds any ``root_path``, per the
    ASGI convention) up to its last segment, ``/api/auth`` for ``/api/auth/token`` (and for
    ``/api/auth/token/``); the router's /refresh and /logout live there too. Percent-encoded
    as browsers match it; ``/`` for a ``__Host-`` cookie, which must live there."""
    if cookie.refresh_name.startswith("__Host-"):
        return "/"
    parent = request.url.path.rstrip("/").rsplit("/", 1)[0]
    return quote(parent, safe="/-._~!$&'()*+,=:@") or "/"


def _subject_of(user: Any) -> str:
    for attribute in ("pk", "id", "username"):
        value = getattr(user, attribute, None)
        if value is not None:
            return str(value)
    raise TypeError("cannot tell the user's id: give auth_router a subject= function")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, Iterable):
        return [item for item in value if isinstance(item, str)]
    return []


def _token_contents(user: Any) -> tuple[list[str], dict[str, Any] | None]:
    """The scopes and extra claims a token for ``user`` carries."""
    roles = _strings(getattr(user, "roles", ()))
    return _strings(getattr(user, "scopes", ())), {"roles": roles} if roles else None


async def _fields(request: Request) -> dict[str, str]:
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        data = await request.json()
        if not isinstance(data, dict):
            raise HTTPException(400, "The JSON body must be an object.")
        return {k: v for k, v in data.items() if isinstance(v, str)}
    if media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raise HTTPException(415, "Send a form (application/x-www-form-urlencoded) or JSON.")


def auth_router(
    backend: JWTAuth,
    *,
    get_user: Callable[[str], Awaitable[PasswordUser | None] | PasswordUser | None],
    hasher: PasswordHasher,
    save_password_hash: Callable[[Any, str], Awaitable[None] | None] | None = None,
    throttle: LoginThrottle | None = None,
    cookie: AuthCookie | None = None,
    subject: Callable[[Any], str] = _subject_of,
    on_login: Callable[[Any], Awaitable[None] | None] | None = None,
    user_loader: UserLoader | None = None,
) -> Router:
    """A router with ``POST /token``, ``POST /refresh`` and ``POST /logout``.

    ``get_user(username)`` loads a user with ``password_hash`` and ``is_active``; its ``scopes``
    and ``roles`` attributes (when present) go into the tokens. With ``cookie``, the access token
    and the refresh token travel only as ``HttpOnly`` cookies (use the same ``AuthCookie`` as
    the middleware): the JSON body holds ``expires_in`` but no token, ``/refresh`` and
    ``/logout`` read the refresh cookie when the body has no ``refresh_token``, and ``/logout``
    clears both cookies (and answers 204 even when they were already stale).
    ``on_login(user)`` (sync or async) runs after each successful login, e.g. to record it.
    ``user_loader(token)`` (sync or async, the middleware's) is consulted on every refresh: when it
    answers None or an inactive user the session is revoked, otherwise the new tokens carry the
    user's current scopes and roles. Without it a session lives on through refreshes until
    logout, whatever happens to the account.

    When the token or throttle store is down, every endpoint answers 503 problem details with
    ``Retry-After`` (and ``Cache-Control: no-store``), logged on ``covet.auth``.
    """
    router = Router()
    outages = OutageLog(logger)
    if backend.store is None:
        from covet.auth._exceptions import AuthConfigurationError

        raise AuthConfigurationError("auth_router needs JWTAuth(..., store=...) for refresh/logout")

    def answer(pair: TokenPair, request: Request) -> Response:
        if cookie is None:
            return JSONResponse(pair.to_dict(), headers=_NO_STORE)
        # cookie mode: both tokens only in HttpOnly cookies, never where page scripts can read
        # them (a token in the body would be one XSS away from theft)
        body = {"token_type": "cookie", "expires_in": pair.expires_in}
        response = JSONResponse(body, headers=_NO_STORE)
        access = cookie.set_cookie_header(pair.access_token, pair.expires_in)
        refresh = cookie.set_refresh_cookie_header(
            pair.refresh_token, int(backend.refresh_ttl), path=_mount_path(request, cookie)
        )
        response.raw_headers.append((b"set-cookie", access.encode("latin-1")))
        response.raw_headers.append((b"set-cookie", refresh.encode("latin-1")))
        return response

    async def submitted_refresh_tokens(request: Request) -> list[str]:
        """The refresh token of the body, then (cookie mode) the one of the refresh cookie."""
        found: list[str] = []
        if "content-type" in request.headers:
            fields = await _fields(request)
            if fields.get("grant_type", "refresh_token") != "refresh_token":
                raise HTTPException(400, "grant_type must be 'refresh_token'.")
            if fields.get("refresh_token"):
                found.append(fields["refresh_token"])
        # the cookie only when the request passed the middleware's CSRF check, which requests
        # with an Authorization header skip (even an invalid one)
        if cookie is not None and "authorization" not in request.headers:
            from_cookie = request.cookies.get(cookie.refresh_name)
            if from_cookie and from_cookie not in found:
                found.append(from_cookie)
        return found

    async def submitted_refresh_token(request: Request) -> str | None:
        """The one /refresh spends: the body's (API clients), else the cookie's."""
        found = await submitted_refresh_tokens(request)
        return found[0] if found else None

    def unauthorized(detail: str, failure: AuthenticationFailed | None = None) -> HTTPException:
        return HTTPException(
            401, detail, headers={"WWW-Authenticate": www_authenticate(failure), **_NO_STORE}
        )

    @contextlib.contextmanager
    def store_reachable() -> Iterator[None]:
        try:
            yield
        except StoreUnavailable as exc:
            outages.warning("auth store unavailable; answering 503", exc)
            headers = {"Retry-After": str(exc.retry_after), **_NO_STORE}
            raise HTTPException(503, UNAVAILABLE, headers=headers) from exc

    @router.post("/token", name="auth:token")
    async def token(request: Request) -> Response:
        with store_reachable():
            return await login(request)

    async def login(request: Request) -> Response:
        fields = await _fields(request)
        if fields.get("grant_type", "password") != "password":
            raise HTTPException(400, "grant_type must be 'password' (use /refresh to refresh).")
        username, password = fields.get("username", ""), fields.get("password", "")
        if not username or not password:
            raise HTTPException(422, "username and password are required.")
        address = client_host(request.scope)
        if throttle is not None:
            try:
                await throttle.check(username, address)
            except TooManyAttempts as exc:
                raise HTTPException(
                    429, str(exc), headers={"Retry-After": str(exc.retry_after)}
                ) from None
        user = await authenticate(
            username,
            password,
            get_user=get_user,
            hasher=hasher,
            save_password_hash=save_password_hash,
        )
        if user is None:
            if throttle is not None:
                await throttle.failure(username, address)
            raise unauthorized("Incorrect username or password.")
        if throttle is not None:
            await throttle.success(username, address)
        if on_login is not None:
            result = on_login(user)
            if inspect.isawaitable(result):
                await result
        scopes, claims = _token_contents(user)
        pair = await backend.issue_tokens(subject(user), scopes=scopes, claims=claims)
        return answer(pair, request)

    async def refresh_pair(refresh_token: str) -> TokenPair:
        if user_loader is None:
            return await backend.refresh(refresh_token)
        verified = await backend.verify(refresh_token, expected_type="refresh")
        user = user_loader(verified)
        if inspect.isawaitable(user):
            user = await user
        if user is None or not getattr(user, "is_active", True):
            if verified.family is not None:
                await backend.revoke_family(verified.family)
            raise AuthenticationFailed(
                FailureReason.INVALID_CREDENTIALS, "unknown or inactive user"
            )
        scopes, claims = _token_contents(user)
        return await backend.refresh(refresh_token, scopes=scopes, claims=claims or {})

    @router.post("/refresh", name="auth:refresh")
    async def refresh(request: Request) -> Response:
        with store_reachable():
            return await refresh_tokens(request)

    async def refresh_tokens(request: Request) -> Response:
        refresh_token = await submitted_refresh_token(request)
        if not refresh_token:
            raise HTTPException(422, "refresh_token is required.")
        try:
            pair = await refresh_pair(refresh_token)
        except AuthenticationFailed as failure:
            raise unauthorized(failure.detail, failure) from None
        return answer(pair, request)

    @router.post("/logout", name="auth:logout")
    async def logout(request: Request) -> Response:
        with store_reachable():
            return await end_session(request)

    async def end_session(request: Request) -> Response:
        auth = request.scope.get("auth")
        tokens: list[VerifiedToken] = []
        if isinstance(auth, AuthCredentials) and auth.token is not None:
            tokens.append(auth.token)
        # a refresh token ends its session too: the body's and (cookie mode) the cookie's, so a
        # stale token in the body cannot leave the cookie's session alive behind a 204
        for refresh_token in await submitted_refresh_tokens(request):
            try:
                tokens.append(await backend.verify(refresh_token, expected_type="refresh"))
            except AuthenticationFailed as refused:
                if cookie is None:
                    raise unauthorized(refused.detail, refused) from None
                # cookie mode: a stale token is skipped; logging out is idempotent
        if not tokens and (cookie is None or "authorization" in request.headers):
            previous = auth.failure if isinstance(auth, AuthCredentials) else None
            raise unauthorized("Authentication required.", previous)
        for verified in tokens:
            await backend.logout(verified)
        response = Response(status_code=204, headers=_NO_STORE)
        if cookie is not None:
            refresh_cookie = cookie.delete_refresh_cookie_header(path=_mount_path(request, cookie))
            for header in (cookie.delete_cookie_header(), refresh_cookie):
                response.raw_headers.append((b"set-cookie", header.encode("latin-1")))
        return response

    cookie_mode = cookie is not None
    token.__covet_openapi__ = lambda context: token_endpoint(context, cookie_mode)  # type: ignore[attr-defined]
    refresh.__covet_openapi__ = lambda context: refresh_endpoint(context, cookie_mode)  # type: ignore[attr-defined]
    logout.__covet_openapi__ = lambda context: logout_endpoint(context, cookie_mode)  # type: ignore[attr-defined]
    return router

"""Route guards: ``login_required``, ``requires(*scopes)``, ``requires_role(*roles)``.

A guard is a covet.http ``Depends`` — put it in ``dependencies=[...]`` of a route, a router or
``include_router``, or use it as a parameter marker (``user: Annotated[User, login_required]``)
— and also a decorator for ``def`` and ``async def`` handlers. Without valid credentials it
answers 401 with ``WWW-Authenticate: Bearer`` (``error="invalid_token"`` when a token was
presented and refused); with credentials that lack a scope or role, 403.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from covet.auth._middleware import _challenge_value, www_authenticate
from covet.auth._openapi import guard_security
from covet.auth._users import AuthCredentials
from covet.http import Depends, HTTPException, OpenAPIContext, Request

F = TypeVar("F", bound=Callable[..., Any])
_REQUEST_PARAM = "_covet_auth_request"


def _credentials(request: Request) -> tuple[Any, AuthCredentials]:
    if "user" not in request.scope or "auth" not in request.scope:
        raise RuntimeError(
            "route guards need AuthenticationMiddleware: app.add_middleware("
            "AuthenticationMiddleware, backend=JWTAuth(...))"
        )
    auth = request.scope["auth"]
    return request.scope["user"], auth if isinstance(auth, AuthCredentials) else AuthCredentials()


class Guard(Depends):
    """A check on the request's user; a dependency that returns the user, and a decorator."""

    def __init__(
        self,
        *,
        scopes: frozenset[str] = frozenset(),
        roles: frozenset[str] = frozenset(),
        realm: str = "api",
    ) -> None:
        self.scopes = frozenset(_challenge_value("scope", scope) for scope in scopes)
        self.roles = roles
        self.realm = _challenge_value("realm", realm)
        # the answers that do not depend on the request, built once
        self._challenge = {"WWW-Authenticate": www_authenticate(realm=realm)}
        self._scope_challenge = {
            "WWW-Authenticate": www_authenticate(
                realm=realm, error="insufficient_scope", scope=" ".join(sorted(self.scopes))
            )
        }
        super().__init__(self.check)

    def __repr__(self) -> str:
        return f"Guard(scopes={sorted(self.scopes)}, roles={sorted(self.roles)})"

    def __covet_openapi__(self, context: OpenAPIContext) -> None:
        """The guarded operation's ``security`` (with its scopes) and its 401/403 answers."""
        guard_security(context, self.scopes, self.roles)

    def check(self, request: Request) -> Any:
        """Return the authenticated user, or raise the 401/403 HTTPException."""
        user, auth = _credentials(request)
        # a user object without is_authenticated counts as authenticated when a token was accepted
        if not getattr(user, "is_authenticated", auth.token is not None):
            if auth.failure is None:
                raise HTTPException(401, "Authentication required.", headers=self._challenge)
            raise HTTPException(
                401,
                auth.failure.detail,
                headers={"WWW-Authenticate": www_authenticate(auth.failure, realm=self.realm)},
            )
        missing = self.scopes - auth.scopes
        if missing:
            raise HTTPException(
                403,
                f"Missing scope: {' '.join(sorted(missing))}.",
                headers=self._scope_challenge,
            )
        if self.roles and not self.roles & auth.roles:
            raise HTTPException(403, f"Requires one of the roles: {', '.join(sorted(self.roles))}.")
        return user

    def __call__(self, handler: F) -> F:
        """Decorate a handler: the guard runs before it, for ``def`` and ``async def`` alike."""
        signature = inspect.signature(handler)
        # a handler that is already guarded has the request parameter: chain the checks
        previous = handler if _REQUEST_PARAM in signature.parameters else None
        guard = self

        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                request = kwargs[_REQUEST_PARAM] if previous else kwargs.pop(_REQUEST_PARAM)
                guard.check(request)
                return await handler(*args, **kwargs)

            wrapper: Callable[..., Any] = async_wrapper
        else:

            @functools.wraps(handler)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                request = kwargs[_REQUEST_PARAM] if previous else kwargs.pop(_REQUEST_PARAM)
                guard.check(request)
                return handler(*args, **kwargs)

            wrapper = sync_wrapper
        earlier = getattr(handler, "__covet_openapi__", None) if previous else None

        def document(context: OpenAPIContext) -> None:
            if earlier is not None:
                earlier(context)
            guard.__covet_openapi__(context)

        wrapper.__covet_openapi__ = document  # type: ignore[attr-defined]
        if previous is None:
            extra = inspect.Parameter(
                _REQUEST_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Request
            )
            params = [p for p in signature.parameters.values() if p.kind != p.VAR_KEYWORD]
            var_kw = [p for p in signature.parameters.values() if p.kind == p.VAR_KEYWORD]
            wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
                parameters=[*params, extra, *var_kw]
            )
            wrapper.__annotations__ = {
                **getattr(handler, "__annotations__", {}),
                _REQUEST_PARAM: Request,
            }
        return cast(F, wrapper)


login_required = Guard()
"""401 unless the request is authenticated."""


def requires(*scopes: str, realm: str = "api") -> Guard:
    """401 unless authenticated, 403 unless the token holds every one of ``scopes``."""
    if not scopes:
        raise ValueError("requires() needs at least one scope; use login_required otherwise")
    return Guard(scopes=frozenset(scopes), realm=realm)


def requires_role(*roles: str, realm: str = "api") -> Guard:
    """401 unless authenticated, 403 unless the user has at least one of ``roles``."""
    if not roles:
        raise ValueError("requires_role() needs at least one role")
    return Guard(roles=frozenset(roles), realm=realm)


def _optional_user(request: Request) -> Any:
    return _credentials(request)[0]


CurrentUser = Annotated[Any, login_required]
"""A handler parameter ``user: CurrentUser`` receives the authenticated user (401 otherwise)."""

OptionalUser = Annotated[Any, Depends(_optional_user)]
"""A handler parameter ``user: OptionalUser`` receives the user, anonymous or not."""

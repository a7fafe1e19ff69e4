"""What ``AuthenticationMiddleware`` puts in ``scope["user"]`` and ``scope["auth"]``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from covet.auth._exceptions import AuthenticationFailed
from covet.auth._tokens import VerifiedToken


class BaseUser:
    """The interface guards rely on; any user object with these attributes works too."""

    @property
    def is_authenticated(self) -> bool:
        raise NotImplementedError

    @property
    def display_name(self) -> str:
        raise NotImplementedError

    @property
    def identity(self) -> str:
        raise NotImplementedError


class AnonymousUser(BaseUser):
    """The user of a request that carried no valid credentials."""

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""

    @property
    def identity(self) -> str:
        return ""

    def __repr__(self) -> str:
        return "AnonymousUser()"


class TokenUser(BaseUser):
    """The user described by a verified token alone, used when no ``user_loader`` is given."""

    def __init__(self, token: VerifiedToken) -> None:
        self.token = token

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        name = self.token.claims.get("name")
        return name if isinstance(name, str) else self.token.subject

    @property
    def identity(self) -> str:
        return self.token.subject

    def __repr__(self) -> str:
        return f"TokenUser({self.token.subject!r})"


def _roles_from(token: VerifiedToken) -> frozenset[str]:
    roles = token.claims.get("roles")
    if isinstance(roles, list):
        return frozenset(role for role in roles if isinstance(role, str))
    return frozenset()


@dataclass(frozen=True)
class AuthCredentials:
    """``request.auth``: the scopes and roles the request holds, and how it got them.

    ``failure`` is set when the request presented credentials that were refused; public routes
    still run (as anonymous), guarded routes answer 401 with ``error="invalid_token"``.
    """

    scopes: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    token: VerifiedToken | None = None
    failure: AuthenticationFailed | None = field(default=None, compare=False)

    @classmethod
    def from_token(
        cls, token: VerifiedToken, *, roles: Iterable[str] | None = None
    ) -> AuthCredentials:
        return cls(
            scopes=token.scopes,
            roles=frozenset(roles) if roles is not None else _roles_from(token),
            token=token,
        )

    @property
    def claims(self) -> dict[str, Any]:
        return dict(self.token.claims) if self.token is not None else {}

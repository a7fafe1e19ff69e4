"""covet-orm integration (extra ``orm``): an abstract user model and the loaders that use it.

::

    from covet.auth.orm import AbstractUser, orm_auth_router, orm_user_loader

    class User(AbstractUser):
        class Meta:
            db = db

``AbstractUser`` has ``username`` (unique), ``email``, ``password_hash``, ``is_active``,
``scopes`` and ``roles`` (JSON lists) and ``last_login``, with ``set_password``,
``check_password`` (which moves an outdated hash to the current scheme) and
``achange_password`` (which also ends the user's existing sessions). This module imports
covet.orm; ``covet.auth`` itself never does, so apps on another ORM plug in their own loaders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, TypeVar

from covet.auth._jwt_auth import JWTAuth
from covet.auth._middleware import AuthCookie
from covet.auth._passwords import PasswordHasher
from covet.auth._routes import auth_router
from covet.auth._throttle import LoginThrottle
from covet.auth._tokens import VerifiedToken
from covet.orm import BooleanField, CharField, DateTimeField, JSONField, Model
from covet.orm import DoesNotExist as _DoesNotExist

__all__ = ["AbstractUser", "orm_auth_router", "orm_user_loader"]

U = TypeVar("U", bound="AbstractUser")
_default_hasher: PasswordHasher | None = None


def _hasher_for(model: type[AbstractUser]) -> PasswordHasher:
    global _default_hasher
    if model.password_hasher is not None:
        return model.password_hasher
    if _default_hasher is None:
        _default_hasher = PasswordHasher()
    return _default_hasher


class AbstractUser(Model):
    """Subclass it (with your own ``Meta.db``) to get a user table that covet.auth understands.

    Set ``password_hasher`` on the subclass to choose the hasher (``PasswordHasher.for_testing()``
    in tests); the default is ``PasswordHasher()``.
    """

    password_hasher: ClassVar[PasswordHasher | None] = None

    username = CharField(max_length=150, unique=True)
    email = CharField(max_length=254, default="")
    password_hash = CharField(max_length=255, default="")
    is_active = BooleanField(default=True)
    scopes = JSONField(default=list)
    roles = JSONField(default=list)
    last_login = DateTimeField(null=True)

    class Meta:
        abstract = True

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def identity(self) -> str:
        return str(self.pk)

    @property
    def display_name(self) -> str:
        return str(self.username)

    def set_password(self, password: str) -> None:
        """Hash ``password`` with the current scheme (call ``save()`` afterwards).

        This does not end the user's existing sessions: after a password change, call
        ``await backend.revoke_subject(user.identity)`` once the new hash is saved, or use
        :meth:`achange_password`, which does both."""
        self.password_hash = _hasher_for(type(self)).hash(password)

    async def achange_password(self, password: str, backend: JWTAuth) -> None:
        """Set and save a new password, then end every session the user had.

        The hash is saved before the revocation: in the other order, a login with the old
        password between the two would get tokens issued after the cut-off, which survive it.
        Needs ``backend`` to have a store (the one the app's middleware and routes use)."""
        self.password_hash = await _hasher_for(type(self)).ahash(password)
        await self.asave(update_fields=["password_hash"])
        await backend.revoke_subject(self.identity)

    def set_unusable_password(self) -> None:
        """No password will match (accounts that log in another way)."""
        self.password_hash = ""

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches; an outdated hash is rewritten and saved."""
        if not self.password_hash:
            return False
        matched, new_hash = _hasher_for(type(self)).verify_and_update(password, self.password_hash)
        if matched and new_hash is not None:
            self.password_hash = new_hash
            self.save(update_fields=["password_hash"])
        return matched

    async def acheck_password(self, password: str) -> bool:
        """:meth:`check_password` with the hashing off the event loop and an async save."""
        if not self.password_hash:
            return False
        hasher = _hasher_for(type(self))
        matched, new_hash = await hasher.averify_and_update(password, self.password_hash)
        if matched and new_hash is not None:
            self.password_hash = new_hash
            await self.asave(update_fields=["password_hash"])
        return matched


def orm_user_loader(model: type[U]) -> Any:
    """A ``user_loader`` for ``AuthenticationMiddleware``: the active user the token names."""

    async def load(token: VerifiedToken) -> U | None:
        try:
            pk = model._meta.pk.to_python(token.subject)
            user = await model.objects.aget(pk=pk)
        except (_DoesNotExist, ValueError, TypeError):
            return None
        return user if user.is_active else None

    return load


def orm_auth_router(
    backend: JWTAuth,
    model: type[AbstractUser],
    *,
    throttle: LoginThrottle | None = None,
    cookie: AuthCookie | None = None,
) -> Any:
    """``auth_router`` wired to ``model``: looks users up by username, saves upgraded hashes,
    records ``last_login``, and reloads the user on every refresh (an inactive or deleted user's
    session is revoked; scopes and roles are the user's current ones). It has no
    password-change route: the app's own calls ``await user.achange_password(new, backend)``
    with this ``backend``, which ends every session the user had."""

    max_length: int | None = getattr(model._meta.get_field("username"), "max_length", None)

    async def get_user(username: str) -> AbstractUser | None:
        # a name the column cannot hold matches nobody; asking anyway is a database error
        # (PostgreSQL refuses NUL in text) and a 500 on the public login endpoint
        if "\x00" in username or (max_length is not None and len(username) > max_length):
            return None
        return await model.objects.filter(username=username).afirst()

    async def save_hash(user: AbstractUser, new_hash: str) -> None:
        user.password_hash = new_hash
        await user.asave(update_fields=["password_hash"])

    async def on_login(user: AbstractUser) -> None:
        user.last_login = dt.datetime.now(dt.UTC)
        await user.asave(update_fields=["last_login"])

    return auth_router(
        backend,
        get_user=get_user,
        hasher=_hasher_for(model),
        save_password_hash=save_hash,
        throttle=throttle,
        cookie=cookie,
        on_login=on_login,
        user_loader=orm_user_loader(model),
    )

"""``authenticate()``: check a username and password without revealing which usernames exist."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from covet.auth._exceptions import InvalidPasswordHash
from covet.auth._passwords import PasswordHasher

logger = logging.getLogger("covet.auth")


class PasswordUser(Protocol):
    """What ``authenticate`` reads from a user object (a covet.orm model, a dataclass, ...)."""

    @property
    def password_hash(self) -> str | None: ...

    @property
    def is_active(self) -> bool: ...


UserT = TypeVar("UserT", bound=PasswordUser)


async def _maybe_await(value: object) -> object:
    if inspect.isawaitable(value):
        return await value
    return value


async def authenticate(
    username: str,
    password: str,
    *,
    get_user: Callable[[str], Awaitable[UserT | None] | UserT | None],
    hasher: PasswordHasher,
    save_password_hash: Callable[[UserT, str], Awaitable[None] | None] | None = None,
) -> UserT | None:
    """Return the active user whose password matches, or None.

    The password hasher runs in every case — unknown user (against a dummy hash), inactive user,
    user without a usable password, wrong password — so response time does not tell an attacker
    which usernames exist or are active. After a successful login with a hash made by an older
    scheme or weaker parameters, ``save_password_hash(user, new_hash)`` is called with a hash in
    the current scheme. ``get_user`` and ``save_password_hash`` may be sync or async.
    """
    user: UserT | None = await _maybe_await(get_user(username))  # type: ignore[assignment]
    encoded = getattr(user, "password_hash", None) if user is not None else None
    if user is None or not encoded:
        await hasher.adummy_verify(password)
        return None
    try:
        if not user.is_active:
            await hasher.averify(password, encoded)
            return None
        matched, new_hash = await hasher.averify_and_update(password, encoded)
    except InvalidPasswordHash:
        logger.warning("unreadable password hash for a user; refusing the login")
        await hasher.adummy_verify(password)
        return None
    if not matched:
        return None
    if new_hash is not None and save_password_hash is not None:
        await _maybe_await(save_password_hash(user, new_hash))
    return user

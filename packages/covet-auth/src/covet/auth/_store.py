"""The store covet.auth keeps shared state in, and the records it keeps there.

covet.auth does not ship a store of its own: covet.middleware's stores (memory for one process,
Redis for many) satisfy :class:`AuthStore` structurally. Every operation the token and throttling
code relies on for correctness across workers is a single atomic store call (set-if-absent for the
one-time use of refresh tokens (``add``), increment for attempt counters (``incr``)).
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable


@runtime_checkable
class AuthStore(Protocol):
    """The subset of covet.middleware's ``Store`` interface that covet.auth uses."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None: ...

    async def add(self, key: str, value: bytes, *, ttl: float | None = None) -> bool: ...

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int: ...

    async def ttl(self, key: str) -> float | None: ...

    async def delete(self, key: str) -> bool: ...


def ttl_until(expires_at: float, now: float, *, minimum: float = 1.0) -> float:
    """Seconds from ``now`` until ``expires_at``, rounded up, at least ``minimum``."""
    return max(minimum, float(math.ceil(expires_at - now)))


class TokenRevocations:
    """Revoked token ids, revoked refresh families and spent refresh tokens in an AuthStore.

    Every record expires when the token it describes would have expired anyway, so the store
    does not grow without bound.
    """

    def __init__(self, store: AuthStore, *, prefix: str = "covet-auth:") -> None:
        self.store = store
        self.prefix = prefix

    async def revoke_jti(self, jti: str, ttl: float) -> None:
        await self.store.set(f"{self.prefix}revoked:{jti}", b"1", ttl=ttl)

    async def is_jti_revoked(self, jti: str) -> bool:
        return await self.store.get(f"{self.prefix}revoked:{jti}") is not None

    async def revoke_family(self, family: str, ttl: float) -> None:
        await self.store.set(f"{self.prefix}family:{family}", b"1", ttl=ttl)

    async def is_family_revoked(self, family: str) -> bool:
        return await self.store.get(f"{self.prefix}family:{family}") is not None

    async def spend_refresh(self, jti: str, ttl: float) -> bool:
        """Mark a refresh token used; False when it had been used before (a replay)."""
        return await self.store.add(f"{self.prefix}spent:{jti}", b"1", ttl=ttl)

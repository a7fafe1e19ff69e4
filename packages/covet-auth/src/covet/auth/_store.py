"""The store covet.auth keeps shared state in, and the records it keeps there.

covet.auth does not ship a store of its own: covet.middleware's stores (memory for one process,
Redis for many) satisfy :class:`AuthStore` structurally. Every operation the token and throttling
code relies on for correctness across workers is a single atomic store call (set-if-absent for the
one-time use of refresh tokens (``add``, which records the time of that use in the same call),
increment for attempt counters (``incr``)).
"""

from __future__ import annotations

import hashlib
import logging
import math
from typing import Protocol, runtime_checkable

logger = logging.getLogger("covet.auth")
UNAVAILABLE = "Authentication is temporarily unavailable; retry later."


@runtime_checkable
class AuthStore(Protocol):
    """The subset of covet.middleware's ``Store`` interface that covet.auth uses.

    A store that cannot be reached raises covet.middleware's ``StoreUnavailable``: covet.auth
    then answers 503 with ``Retry-After`` and never treats the unchecked state as "not revoked".
    """

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
    """Revoked token ids, revoked families, subject cut-offs and spent refresh tokens.

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

    async def spend_refresh(self, jti: str, ttl: float, *, at: float | None = None) -> bool:
        """Mark a refresh token used (at the Unix time ``at``, recorded in the same atomic
        set-if-absent); False when it had been used before (a replay). A spent token is never
        spent again: its record keeps the time of the first use until it expires."""
        value = b"1" if at is None else repr(float(at)).encode("ascii")
        return await self.store.add(f"{self.prefix}spent:{jti}", value, ttl=ttl)

    async def refresh_spent_at(self, jti: str) -> float | None:
        """When a refresh token was first spent; None when it has not been (or its record
        expired). A record without a usable time (``b"1"``, written without ``at``) answers
        ``-inf``: spent at an unknown moment, never within a reuse interval."""
        raw = await self.store.get(f"{self.prefix}spent:{jti}")
        if raw is None:
            return None
        if raw == b"1":
            return -math.inf
        try:
            value = float(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return -math.inf
        return value if math.isfinite(value) else -math.inf

    async def count_forgiven_reuse(self, family: str, ttl: float) -> int:
        """Count one more forgiven refresh-token reuse in a session (atomic); the total."""
        return await self.store.incr(f"{self.prefix}reused:{family}", ttl=ttl)

    def subject_key(self, subject: str) -> str:
        """The key of ``subject``'s cut-off (hashed: a ``sub`` may be any string up to 255)."""
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self.prefix}subject:{digest}"

    async def subject_cutoff(self, subject: str) -> float | None:
        """Tokens for ``subject`` issued before this instant are refused; None: no cut-off.

        An unreadable record counts as infinitely late (every token refused): fail closed."""
        raw = await self.store.get(self.subject_key(subject))
        if raw is None:
            return None
        try:
            value = float(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return math.inf
        return value if math.isfinite(value) else math.inf

    async def revoke_subject(self, subject: str, cutoff: float, ttl: float) -> None:
        """Record ``cutoff`` for ``subject`` in one atomic write (value and expiry together).

        A cut-off earlier than the recorded one is dropped, so a late or repeated call never
        re-admits tokens. Two calls racing for one subject: the last write wins (with the
        default ``before=now`` both cut-offs are the same moment to within the race)."""
        current = await self.subject_cutoff(subject)
        if current is not None and current >= cutoff:
            return
        await self.store.set(self.subject_key(subject), repr(cutoff).encode("ascii"), ttl=ttl)

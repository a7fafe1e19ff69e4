"""``LoginThrottle``: exponential back-off per account and per client address, in an AuthStore."""

from __future__ import annotations

import hashlib
import math

from covet.auth._exceptions import AuthConfigurationError, TooManyAttempts
from covet.auth._store import AuthStore


class LoginThrottle:
    """Slow down password guessing against one account and from one address.

    After ``free_attempts`` failures (per account, and separately per client address, with a more
    generous ``free_attempts_per_address``), each further failure locks that key for
    ``base_delay * 2 ** (n - 1)`` seconds, capped at ``max_delay``. A success clears the account's
    counter. Counters forget failures ``window`` seconds after the first one. Every counter is a
    single atomic ``incr`` in the store, so several workers sharing a Redis store agree.

    Pass the client address from ``covet.middleware.client_host(scope)``, which honours only the
    trusted proxies configured in ``ProxyHeadersMiddleware``.
    """

    def __init__(
        self,
        store: AuthStore,
        *,
        free_attempts: int = 5,
        free_attempts_per_address: int = 20,
        base_delay: float = 1.0,
        max_delay: float = 15 * 60,
        window: float = 60 * 60,
        prefix: str = "covet-auth:throttle:",
    ) -> None:
        if free_attempts < 1 or free_attempts_per_address < 1:
            raise AuthConfigurationError("free attempts must be at least 1")
        if base_delay <= 0 or max_delay < base_delay or window <= 0:
            raise AuthConfigurationError("need 0 < base_delay <= max_delay and window > 0")
        self.store = store
        self.free_attempts = free_attempts
        self.free_attempts_per_address = free_attempts_per_address
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = window
        self.prefix = prefix

    def _keys(self, username: str, address: str | None) -> list[tuple[str, int]]:
        account = hashlib.sha256(username.strip().casefold().encode("utf-8")).hexdigest()[:32]
        keys = [(f"{self.prefix}account:{account}", self.free_attempts)]
        if address:
            keys.append((f"{self.prefix}address:{address}", self.free_attempts_per_address))
        return keys

    async def check(self, username: str, address: str | None) -> None:
        """Raise :class:`TooManyAttempts` while the account or the address is locked."""
        waits = []
        for key, _free in self._keys(username, address):
            remaining = await self.store.ttl(f"{key}:lock")
            if remaining is not None and remaining > 0:
                waits.append(remaining)
        if waits:
            raise TooManyAttempts(max(1, math.ceil(max(waits))))

    async def failure(self, username: str, address: str | None) -> int:
        """Record a failed login; return the lock it caused, in seconds (0 while still free)."""
        longest = 0.0
        for key, free in self._keys(username, address):
            count = await self.store.incr(key, ttl=self.window)
            if count > free:
                delay = min(self.max_delay, self.base_delay * 2 ** min(count - free - 1, 40))
                await self.store.set(f"{key}:lock", b"1", ttl=delay)
                longest = max(longest, delay)
        return math.ceil(longest)

    async def success(self, username: str, address: str | None) -> None:
        """Forget the account's failures after a successful login."""
        key, _free = self._keys(username, address)[0]
        await self.store.delete(key)
        await self.store.delete(f"{key}:lock")

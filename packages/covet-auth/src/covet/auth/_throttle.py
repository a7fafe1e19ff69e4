"""``LoginThrottle``: exponential back-off per account and per client address, in an AuthStore."""

from __future__ import annotations

import hashlib
import math
import unicodedata

from covet.auth._exceptions import AuthConfigurationError, TooManyAttempts
from covet.auth._store import AuthStore


class LoginThrottle:
    """Slow down password guessing against one account and from one address.

    Call :meth:`check` before verifying a password, then :meth:`success` or :meth:`failure`.
    ``check`` reserves the attempt with one atomic ``incr`` per key (the account, and the client
    address with a more generous ``free_attempts_per_address``): after the free attempts, the
    n-th further attempt runs only if it is the one that takes the key's lock (an atomic
    set-if-absent lasting ``base_delay * 2 ** (n - 1)`` seconds, capped at ``max_delay``), so
    guesses sent concurrently cannot all slip in before the first failure is recorded, and
    several workers sharing a Redis store behave like one. Attempts refused while a key is
    locked are not counted. So with N free attempts, N + 1 attempts run back to back (the last
    one starts a ``base_delay`` lock), then one per lock period (see docs/auth.md). A success
    clears the account and gives the address its attempt back (an office behind one NAT
    address is not throttled by its own logins). Counters forget attempts ``window`` seconds
    after the first one.

    Pass the client address from ``covet.middleware.client_host(scope)``, which honours only the
    trusted proxies configured in ``ProxyHeadersMiddleware``. A store that cannot be reached
    raises covet.middleware's ``StoreUnavailable`` (503) from every method: no attempt runs
    unthrottled.
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
        # NFKC + casefold: fullwidth "ALICE " and "alice" are one account to a case-insensitive
        # database collation, so they must share one counter
        folded = unicodedata.normalize("NFKC", username).strip().casefold()
        account = hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        keys = [(f"{self.prefix}account:{account}", self.free_attempts)]
        if address:
            keys.append((f"{self.prefix}address:{address}", self.free_attempts_per_address))
        return keys

    def delay_after(self, attempts: int, free: int) -> float:
        """The lock the ``attempts``-th attempt on a key with ``free`` free attempts takes."""
        if attempts <= free:
            return 0.0
        return float(min(self.max_delay, self.base_delay * 2 ** min(attempts - free - 1, 40)))

    async def _wait(self, keys: list[tuple[str, int]]) -> int:
        waits = [await self.store.ttl(f"{key}:lock") for key, _free in keys]
        longest = max((wait for wait in waits if wait is not None), default=0.0)
        return math.ceil(longest) if longest > 0 else 0

    async def check(self, username: str, address: str | None) -> None:
        """Reserve one login attempt; raise :class:`TooManyAttempts` while a key is locked."""
        keys = self._keys(username, address)
        wait = await self._wait(keys)
        if wait:
            raise TooManyAttempts(wait)
        for key, free in keys:
            count = await self.store.incr(key, ttl=self.window)
            delay = self.delay_after(count, free)
            if delay and not await self.store.add(f"{key}:lock", b"1", ttl=delay):
                # a concurrent attempt took this slot first
                raise TooManyAttempts(max(1, await self._wait([(key, free)])))

    async def failure(self, username: str, address: str | None) -> int:
        """Record that the reserved attempt failed; return the current lock, in seconds.

        The attempt was already counted by :meth:`check`; this only reports the wait."""
        return await self._wait(self._keys(username, address))

    async def success(self, username: str, address: str | None) -> None:
        """Forget the account's attempts, and give the address back the one this login used."""
        (account, _free), *rest = self._keys(username, address)
        await self.store.delete(account)
        await self.store.delete(f"{account}:lock")
        for key, _free in rest:
            if await self.store.incr(key, -1, ttl=self.window) <= 0:
                await self.store.delete(key)

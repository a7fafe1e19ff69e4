"""Shared state for middleware: the ``Store`` interface and its in-process implementation.

Everything that must agree across worker processes (sessions, rate-limit counters, revoked tokens,
login throttles) goes through a ``Store``. ``MemoryStore`` serves one process; ``RedisStore``
(``covet.middleware.RedisStore``) serves many, each read-modify-write atomic inside Redis.
"""

from __future__ import annotations

import abc
import copy
import itertools
import logging
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from covet.http import HTTPException

__all__ = ["MemoryStore", "RateLimitResult", "Store", "StoreUnavailable"]

UNAVAILABLE_DETAIL = "A service this request depends on is temporarily unavailable; retry later."


class StoreUnavailable(HTTPException):
    """The store could not be reached: connection refused or reset, a timeout, a failover.

    Raised by ``RedisStore`` (the driver's error is the ``__cause__``); a custom ``Store`` should
    raise it for outages too, so the middleware answers 503 instead of 500. ``str(exc)`` names
    the store (never its password), for logs; the client only ever sees a generic ``detail``.
    It is an ``HTTPException(503)`` with ``Retry-After: retry_after``, so a store call that fails
    inside any covet.http handler answers 503 problem details without further configuration.
    """

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        self.message = message
        self.retry_after = retry_after
        super().__init__(503, UNAVAILABLE_DETAIL, {"Retry-After": str(retry_after)})

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class OutageLog:
    """Logs a store outage at most once per ``interval`` seconds, with how many went unlogged.

    A dead store fails every request; one line per request would bury everything else."""

    def __init__(self, logger: logging.Logger, interval: float = 30.0) -> None:
        self.logger = logger
        self.interval = interval
        self.state = {"logged_at": -math.inf, "suppressed": 0}

    def warning(self, message: str, exc: StoreUnavailable) -> None:
        now = time.monotonic()
        state = self.state
        if now - state["logged_at"] < self.interval:
            state["suppressed"] += 1
            return
        suppressed = int(state["suppressed"])
        state["logged_at"], state["suppressed"] = now, 0
        more = f" ({suppressed} more since the last report)" if suppressed else ""
        self.logger.warning("%s: %s%s", message, exc, more)


@dataclass(frozen=True, slots=True)
class RateLimitResult:
    """The outcome of one rate-limit hit.

    ``reset_after`` is the number of seconds until the quota is fully or partly restored (the window
    ends, or the oldest hit of a sliding window leaves it); ``retry_after`` is how long a refused
    client should wait, ``0`` when the hit was allowed.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_after: float

    @property
    def retry_after(self) -> float:
        return 0.0 if self.allowed else self.reset_after


def _check_limit(limit: int, window: float) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit!r}")
    if window <= 0:
        raise ValueError(f"window must be a positive number of seconds, not {window!r}")


class Store(abc.ABC):
    """An async key/value store with expiry and atomic counters.

    Keys are strings, values bytes (``str`` values are stored UTF-8 encoded). ``ttl`` is in seconds;
    ``None`` means no expiry. Every method is atomic with respect to every other caller of the same
    store, including other processes for stores that are shared (Redis).

    ``prefixed("sessions:")`` returns a view of the same store whose keys all carry the prefix, so
    several features can share one store without colliding.
    """

    def __init__(self, *, prefix: str = "") -> None:
        self.prefix = prefix

    def prefixed(self, prefix: str) -> Store:
        """Return a view of this store (same data, same connections) under ``prefix``."""
        view = copy.copy(self)
        view.prefix = self.prefix + prefix
        return view

    def _key(self, key: str) -> str:
        return self.prefix + key

    @abc.abstractmethod
    async def get(self, key: str) -> bytes | None:
        """The value of ``key``, or ``None`` when it is missing or expired."""

    @abc.abstractmethod
    async def set(self, key: str, value: bytes | str, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, replacing any value and expiry it had."""

    @abc.abstractmethod
    async def add(self, key: str, value: bytes | str, *, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent; return whether it was stored."""

    @abc.abstractmethod
    async def delete(self, key: str) -> bool:
        """Remove ``key``; return whether it existed."""

    @abc.abstractmethod
    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add ``amount`` to the integer at ``key`` (missing counts as 0) and return the result.

        ``ttl`` is applied only when this call creates the key, so a counter expires ``ttl`` seconds
        after its first increment (a fixed window).
        """

    @abc.abstractmethod
    async def ttl(self, key: str) -> float | None:
        """Seconds until ``key`` expires; ``None`` when it is missing or never expires."""

    @abc.abstractmethod
    async def expire(self, key: str, ttl: float) -> bool:
        """Set a new expiry on an existing key; return whether the key existed."""

    @abc.abstractmethod
    async def hit_fixed_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        """Count one hit in a fixed window of ``window`` seconds that starts at the first hit."""

    @abc.abstractmethod
    async def hit_sliding_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        """Count one hit if fewer than ``limit`` hits happened in the last ``window`` seconds.

        Exact (a log of hit times), so no burst at a window boundary can exceed ``limit``. Refused
        hits are not recorded.
        """

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the store must not be used afterwards."""


class MemoryStore(Store):
    """A store in this process's memory: fast, and right for one worker only.

    Safe under asyncio because no method awaits between reading and writing its data. Expired keys
    are dropped when read and by a sweep every ``sweep_interval`` seconds (checked on writes), so
    memory does not grow with keys nobody asks for again. At most ``max_keys`` keys are kept: past
    that, expired keys go first, then the oldest keys, down to 90% of ``max_keys`` -- keys can
    come from clients (addresses, user names), and a flood of new ones must not exhaust memory.
    """

    def __init__(
        self, *, prefix: str = "", sweep_interval: float = 60.0, max_keys: int = 1_000_000
    ) -> None:
        super().__init__(prefix=prefix)
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys!r}")
        self._data: dict[str, tuple[Any, float | None]] = {}
        self._sweep_interval = sweep_interval
        self._max_keys = max_keys
        self._state = {"swept_at": time.monotonic()}

    def __len__(self) -> int:
        return len(self._data)

    @staticmethod
    def _expiry(ttl: float | None, now: float) -> float | None:
        return None if ttl is None else now + ttl

    def _live(self, key: str, now: float) -> Any | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires = item[1]
        if expires is not None and expires <= now:
            del self._data[key]
            return None
        return item[0]

    def _wrote(self, now: float) -> None:
        state = self._state
        if now - state["swept_at"] >= self._sweep_interval:
            state["swept_at"] = now
            self.sweep(now)
        if len(self._data) > self._max_keys:
            self._shrink(now)

    def _shrink(self, now: float) -> None:
        # Amortised: one O(n) pass frees 10% of max_keys, so it runs once per that many inserts.
        self.sweep(now)
        excess = len(self._data) - self._max_keys * 9 // 10
        if excess > 0:
            for key in list(itertools.islice(self._data, excess)):
                del self._data[key]

    def sweep(self, now: float | None = None) -> int:
        """Drop every expired key now; return how many were dropped."""
        now = time.monotonic() if now is None else now
        dead = [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]
        for key in dead:
            del self._data[key]
        return len(dead)

    async def get(self, key: str) -> bytes | None:
        value = self._live(self._key(key), time.monotonic())
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        if isinstance(value, int):
            return str(value).encode()
        raise TypeError(f"key {key!r} holds rate-limit data, not a value")

    async def set(self, key: str, value: bytes | str, *, ttl: float | None = None) -> None:
        now = time.monotonic()
        data = value.encode() if isinstance(value, str) else bytes(value)
        self._data[self._key(key)] = (data, self._expiry(ttl, now))
        self._wrote(now)

    async def add(self, key: str, value: bytes | str, *, ttl: float | None = None) -> bool:
        now = time.monotonic()
        full = self._key(key)
        if self._live(full, now) is not None:
            return False
        data = value.encode() if isinstance(value, str) else bytes(value)
        self._data[full] = (data, self._expiry(ttl, now))
        self._wrote(now)
        return True

    async def delete(self, key: str) -> bool:
        full = self._key(key)
        existed = self._live(full, time.monotonic()) is not None
        self._data.pop(full, None)
        return existed

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        now = time.monotonic()
        full = self._key(key)
        current = self._live(full, now)
        if current is None:
            self._data[full] = (amount, self._expiry(ttl, now))
            self._wrote(now)
            return amount
        if isinstance(current, bytes):
            try:
                current = int(current)
            except ValueError:
                raise TypeError(f"key {key!r} does not hold an integer") from None
        if not isinstance(current, int):
            raise TypeError(f"key {key!r} does not hold an integer")
        value = current + amount
        self._data[full] = (value, self._data[full][1])
        return value

    async def ttl(self, key: str) -> float | None:
        now = time.monotonic()
        full = self._key(key)
        if self._live(full, now) is None:
            return None
        expires = self._data[full][1]
        return None if expires is None else expires - now

    async def expire(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        full = self._key(key)
        value = self._live(full, now)
        if value is None:
            return False
        self._data[full] = (value, now + ttl)
        return True

    async def hit_fixed_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        _check_limit(limit, window)
        now = time.monotonic()
        full = self._key(key)
        item = self._data.pop(full, None)  # re-inserted last: eviction spares busy keys
        if item is None or item[1] is None or item[1] <= now or not isinstance(item[0], int):
            count, expires = 1, now + window
        else:
            count, expires = item[0] + 1, item[1]
        self._data[full] = (count, expires)
        self._wrote(now)
        return RateLimitResult(count <= limit, limit, max(0, limit - count), expires - now)

    async def hit_sliding_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        _check_limit(limit, window)
        now = time.monotonic()
        full = self._key(key)
        item = self._data.pop(full, None)  # re-inserted last: eviction spares busy keys
        hits: deque[float] = item[0] if item and isinstance(item[0], deque) else deque()
        while hits and hits[0] <= now - window:
            hits.popleft()
        allowed = len(hits) < limit
        if allowed:
            hits.append(now)
        self._data[full] = (hits, now + window)
        self._wrote(now)
        reset_after = hits[0] + window - now if hits else window
        return RateLimitResult(allowed, limit, limit - len(hits), max(0.0, reset_after))


def seconds_header(value: float) -> str:
    """Seconds as HTTP wants them in ``Retry-After`` and ``RateLimit-Reset``: a whole number, up."""
    return str(max(0, math.ceil(value)))

"""``RedisStore``: the ``Store`` shared by every worker process, atomic through Lua scripts."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from covet.middleware._stores import RateLimitResult, Store, StoreUnavailable, _check_limit

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RedisStore"]

# INCRBY, and set the expiry only when the key was just created. Returns the new value.
_INCR = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
"""

# Fixed window: {count, milliseconds until the window ends}.
_FIXED_WINDOW = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

# Sliding window log in a sorted set scored by the server's clock (microseconds), so every
# worker agrees on time. Returns {allowed, hits in window, microseconds until the oldest leaves}.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {allowed, count, reset}
"""


#: error codes redis-py leaves in the message (it has no class for them) that mean "not now"
_UNAVAILABLE_REPLIES = ("MISCONF", "NOREPLICAS", "MASTERDOWN", "BUSY ")


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _location(client: Redis) -> str:
    """Where ``client`` connects, for error messages: never the username or password."""
    options = getattr(client.connection_pool, "connection_kwargs", {})
    if options.get("path"):
        return f"unix://{options['path']}?db={options.get('db', 0)}"
    return f"redis://{options.get('host', '?')}:{options.get('port', '?')}/{options.get('db', 0)}"


class RedisStore(Store):
    """A ``Store`` in Redis, shared by every process that uses the same server and prefix.

    Pass ``url`` (one pool of up to ``max_connections`` connections is created, callers wait up to
    ``pool_timeout`` seconds for a free one, and ``close()`` closes it) or an existing
    ``redis.asyncio.Redis`` client (left open by ``close()``).
    Counters and rate limits run as Lua scripts, so concurrent workers never lose an update.

    With ``url``, connecting gives up after ``socket_connect_timeout`` seconds (default 2) and a
    command after ``socket_timeout`` seconds (default 5), so a Redis that stopped answering
    cannot hold requests forever (``None`` waits forever; options in the URL's query string win).
    A passed ``client`` keeps its own timeouts. When Redis is unreachable (connection refused or
    reset, a timeout, no free connection in the pool) every method raises ``StoreUnavailable``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        prefix: str = "covet:",
        max_connections: int = 64,
        pool_timeout: float = 10.0,
        socket_connect_timeout: float | None = 2.0,
        socket_timeout: float | None = 5.0,
        **pool_options: Any,
    ) -> None:
        super().__init__(prefix=prefix)
        if (url is None) == (client is None):
            raise ValueError("RedisStore needs exactly one of url= or client=")
        try:
            from redis.asyncio import BlockingConnectionPool, Redis
            from redis.exceptions import (
                ClusterDownError,
                ConnectionError,
                OutOfMemoryError,
                ReadOnlyError,
                ResponseError,
                TimeoutError,
                TryAgainError,
            )
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisStore needs the redis package: pip install 'covet-middleware[redis]'"
            ) from exc
        if client is None:
            assert url is not None
            pool = BlockingConnectionPool.from_url(
                url,
                max_connections=max_connections,
                timeout=pool_timeout,
                socket_connect_timeout=socket_connect_timeout,
                socket_timeout=socket_timeout,
                **pool_options,
            )
            client = Redis.from_pool(pool)
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client
        self.location = _location(client)
        self._outages: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, OSError)
        self._cannot_serve: tuple[type[BaseException], ...] = (
            ReadOnlyError, OutOfMemoryError, TryAgainError, ClusterDownError
        )  # fmt: skip
        self._replies: type[BaseException] = ResponseError
        self._incr = client.register_script(_INCR)
        self._fixed = client.register_script(_FIXED_WINDOW)
        self._sliding = client.register_script(_SLIDING_WINDOW)

    def prefixed(self, prefix: str) -> Store:
        view = super().prefixed(prefix)
        assert isinstance(view, RedisStore)
        view._owns_client = False
        return view

    @contextlib.contextmanager
    def _reachable(self) -> Iterator[None]:
        try:
            yield
        except self._outages as exc:
            raise StoreUnavailable(
                f"Redis store at {self.location} is unavailable: {type(exc).__name__}: {exc}"
            ) from exc
        except self._replies as exc:
            # a server that answers but cannot serve: a read-only replica after a failover, out
            # of memory under noeviction, a failed snapshot, no replicas, cluster down
            if not isinstance(exc, self._cannot_serve) and not str(exc).startswith(
                _UNAVAILABLE_REPLIES
            ):
                raise
            raise StoreUnavailable(
                f"Redis store at {self.location} cannot serve: {type(exc).__name__}: {exc}"
            ) from exc

    @staticmethod
    def _encode(value: bytes | str) -> bytes:
        return value.encode() if isinstance(value, str) else bytes(value)

    async def get(self, key: str) -> bytes | None:
        with self._reachable():
            value = await self.client.get(self._key(key))
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes | str, *, ttl: float | None = None) -> None:
        px = None if ttl is None else _ms(ttl)
        with self._reachable():
            await self.client.set(self._key(key), self._encode(value), px=px)

    async def add(self, key: str, value: bytes | str, *, ttl: float | None = None) -> bool:
        px = None if ttl is None else _ms(ttl)
        with self._reachable():
            stored = await self.client.set(self._key(key), self._encode(value), nx=True, px=px)
        return bool(stored)

    async def delete(self, key: str) -> bool:
        with self._reachable():
            return bool(await self.client.delete(self._key(key)))

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        with self._reachable():
            value = await self._incr(
                keys=[self._key(key)], args=[amount, 0 if ttl is None else _ms(ttl)]
            )
        return int(value)

    async def ttl(self, key: str) -> float | None:
        with self._reachable():
            milliseconds = int(await self.client.pttl(self._key(key)))
        return None if milliseconds < 0 else milliseconds / 1000

    async def expire(self, key: str, ttl: float) -> bool:
        with self._reachable():
            return bool(await self.client.pexpire(self._key(key), _ms(ttl)))

    async def hit_fixed_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        _check_limit(limit, window)
        with self._reachable():
            count, ttl = await self._fixed(keys=[self._key(key)], args=[_ms(window)])
        count = int(count)
        return RateLimitResult(count <= limit, limit, max(0, limit - count), int(ttl) / 1000)

    async def hit_sliding_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        _check_limit(limit, window)
        member = secrets.token_hex(8)
        with self._reachable():
            allowed, count, reset = await self._sliding(
                keys=[self._key(key)], args=[max(1, round(window * 1_000_000)), limit, member]
            )
        return RateLimitResult(
            bool(allowed), limit, max(0, limit - int(count)), max(0, int(reset)) / 1_000_000
        )

    async def close(self) -> None:
        if self._owns_client:
            await self.client.aclose()

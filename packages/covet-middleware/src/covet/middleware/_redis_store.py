"""``RedisStore``: the ``Store`` shared by every worker process, atomic through Lua scripts."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from covet.middleware._stores import RateLimitResult, Store, _check_limit

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


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisStore(Store):
    """A ``Store`` in Redis, shared by every process that uses the same server and prefix.

    Pass ``url`` (one pool of up to ``max_connections`` connections is created, callers wait up to
    ``pool_timeout`` seconds for a free one, and ``close()`` closes it) or an existing
    ``redis.asyncio.Redis`` client (left open by ``close()``).
    Counters and rate limits run as Lua scripts, so concurrent workers never lose an update.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Redis | None = None,
        prefix: str = "covet:",
        max_connections: int = 64,
        pool_timeout: float = 10.0,
        **pool_options: Any,
    ) -> None:
        super().__init__(prefix=prefix)
        if (url is None) == (client is None):
            raise ValueError("RedisStore needs exactly one of url= or client=")
        try:
            from redis.asyncio import BlockingConnectionPool, Redis
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "RedisStore needs the redis package: pip install 'covet-middleware[redis]'"
            ) from exc
        if client is None:
            assert url is not None
            pool = BlockingConnectionPool.from_url(
                url, max_connections=max_connections, timeout=pool_timeout, **pool_options
            )
            client = Redis.from_pool(pool)
            self._owns_client = True
        else:
            self._owns_client = False
        self.client = client
        self._incr = client.register_script(_INCR)
        self._fixed = client.register_script(_FIXED_WINDOW)
        self._sliding = client.register_script(_SLIDING_WINDOW)

    def prefixed(self, prefix: str) -> Store:
        view = super().prefixed(prefix)
        assert isinstance(view, RedisStore)
        view._owns_client = False
        return view

    @staticmethod
    def _encode(value: bytes | str) -> bytes:
        return value.encode() if isinstance(value, str) else bytes(value)

    async def get(self, key: str) -> bytes | None:
        value = await self.client.get(self._key(key))
        return value.encode() if isinstance(value, str) else value

    async def set(self, key: str, value: bytes | str, *, ttl: float | None = None) -> None:
        await self.client.set(
            self._key(key), self._encode(value), px=None if ttl is None else _ms(ttl)
        )

    async def add(self, key: str, value: bytes | str, *, ttl: float | None = None) -> bool:
        stored = await self.client.set(
            self._key(key), self._encode(value), nx=True, px=None if ttl is None else _ms(ttl)
        )
        return bool(stored)

    async def delete(self, key: str) -> bool:
        return bool(await self.client.delete(self._key(key)))

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        value = await self._incr(
            keys=[self._key(key)], args=[amount, 0 if ttl is None else _ms(ttl)]
        )
        return int(value)

    async def ttl(self, key: str) -> float | None:
        milliseconds = int(await self.client.pttl(self._key(key)))
        return None if milliseconds < 0 else milliseconds / 1000

    async def expire(self, key: str, ttl: float) -> bool:
        return bool(await self.client.pexpire(self._key(key), _ms(ttl)))

    async def hit_fixed_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        _check_limit(limit, window)
        count, ttl = await self._fixed(keys=[self._key(key)], args=[_ms(window)])
        count = int(count)
        return RateLimitResult(count <= limit, limit, max(0, limit - count), int(ttl) / 1000)

    async def hit_sliding_window(self, key: str, limit: int, window: float) -> RateLimitResult:
        _check_limit(limit, window)
        member = secrets.token_hex(8)
        allowed, count, reset = await self._sliding(
            keys=[self._key(key)], args=[max(1, round(window * 1_000_000)), limit, member]
        )
        return RateLimitResult(
            bool(allowed), limit, max(0, limit - int(count)), max(0, int(reset)) / 1_000_000
        )

    async def close(self) -> None:
        if self._owns_client:
            await self.client.aclose()

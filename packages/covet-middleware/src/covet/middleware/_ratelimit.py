"""Rate limiting: ``RateLimit`` rules, ``RateLimitMiddleware`` and a per-route dependency."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal

from covet.http import ASGIApp, HTTPException, Message, Receive, Scope, Send, route_path
from covet.middleware._paths import PathMatcher
from covet.middleware._proxy import client_host
from covet.middleware._responses import send_problem
from covet.middleware._stores import (
    MemoryStore,
    OutageLog,
    RateLimitResult,
    Store,
    StoreUnavailable,
    seconds_header,
)

__all__ = ["RateLimit", "RateLimitMiddleware", "RateLimiter"]

logger = logging.getLogger("covet.middleware.ratelimit")

_IPV6_64_MASK = ((1 << 64) - 1) << 64
KeyFunc = Callable[[Scope], "str | Awaitable[str | None] | None"]
Algorithm = Literal["fixed", "sliding"]
OnStoreError = Literal["deny", "allow"]
UNAVAILABLE = "Rate limiting is temporarily unavailable; retry later."


def by_client(scope: Scope) -> str | None:
    """The default key: the client address resolved by ``ProxyHeadersMiddleware``.

    IPv6 clients are counted per ``/64`` network: that is what one subscriber is given, so
    counting single addresses would hand each client 2**64 buckets. IPv4-mapped IPv6 addresses
    count as the IPv4 address.
    """
    host = client_host(scope)
    if not host:
        return "unknown"
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return f"{ipaddress.IPv6Address(int(address) & _IPV6_64_MASK)}/64"


class RateLimit:
    """One rule: at most ``limit`` requests per ``window`` seconds for each key.

    ``key`` maps a scope to a bucket name (default: the client address); returning ``None``
    exempts the request. ``paths`` restricts the rule to matching paths (exact, ``/prefix/*`` or
    ``^regex``) and ``methods`` to those methods. ``algorithm="sliding"`` (the default) never lets
    more than ``limit`` requests through in any ``window``-long interval; ``"fixed"`` is cheaper and
    allows a burst of up to ``2 * limit`` across a window boundary.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        key: KeyFunc = by_client,
        paths: str | Iterable[str] = (),
        methods: Iterable[str] | None = None,
        algorithm: Algorithm = "sliding",
        name: str | None = None,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("RateLimit needs limit >= 1 and a positive window in seconds")
        if algorithm not in ("fixed", "sliding"):
            raise ValueError(f"algorithm must be 'fixed' or 'sliding', not {algorithm!r}")
        self.limit = limit
        self.window = window
        self.key = key
        path_list = [paths] if isinstance(paths, str) else list(paths)
        self.paths = PathMatcher(path_list)
        self.methods = None if methods is None else frozenset(m.upper() for m in methods)
        self.algorithm = algorithm
        if name is None:
            scope_parts = [",".join(sorted(self.methods or ()))]
            scope_parts += sorted(path_list)
            name = f"{limit}/{window:g}s/{algorithm}:{'|'.join(scope_parts)}"
        self.name = name

    def applies(self, scope: Scope) -> bool:
        if self.methods is not None and scope.get("method") not in self.methods:
            return False
        return not self.paths or self.paths.matches(route_path(scope))

    async def hit(self, store: Store, scope: Scope) -> RateLimitResult | None:
        key = self.key(scope)
        if not isinstance(key, (str, type(None))):
            key = await key
        if key is None:
            return None
        bucket = f"{self.name}:{key}"
        if self.algorithm == "fixed":
            return await store.hit_fixed_window(bucket, self.limit, self.window)
        return await store.hit_sliding_window(bucket, self.limit, self.window)


def _headers(result: RateLimitResult) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"ratelimit-limit", str(result.limit).encode()),
        (b"ratelimit-remaining", str(result.remaining).encode()),
        (b"ratelimit-reset", seconds_header(result.reset_after).encode()),
    ]
    if not result.allowed:
        headers.append((b"retry-after", seconds_header(result.retry_after).encode()))
    return headers


async def _check(rules: Sequence[RateLimit], store: Store, scope: Scope) -> RateLimitResult | None:
    """Hit every matching rule; return the refusal, or else the tightest allowed result."""
    tightest: RateLimitResult | None = None
    for rule in rules:
        if not rule.applies(scope):
            continue
        result = await rule.hit(store, scope)
        if result is None:
            continue
        if not result.allowed:
            return result
        if tightest is None or result.remaining < tightest.remaining:
            tightest = result
    return tightest


class _StorePolicy:
    """What to do when the store is down: refuse with 503 (``"deny"``) or let requests through
    unlimited (``"allow"``). Either way the outage is logged, at most once per 30 seconds."""

    def __init__(self, on_store_error: OnStoreError) -> None:
        if on_store_error not in ("deny", "allow"):
            raise ValueError(f"on_store_error must be 'deny' or 'allow', not {on_store_error!r}")
        self.allow = on_store_error == "allow"
        self.log = OutageLog(logger)

    def unavailable(self, exc: StoreUnavailable) -> None:
        if self.allow:
            self.log.warning("rate-limit store unavailable; requests pass without a limit", exc)
        else:
            self.log.warning("rate-limit store unavailable; answering 503", exc)


class RateLimitMiddleware:
    """Answer 429 (problem details, ``Retry-After``) once a client exceeds a ``RateLimit``.

    ``store`` is shared state: the default ``MemoryStore`` limits per process; a ``RedisStore``
    makes every worker share the same counters. Allowed responses carry ``RateLimit-Limit``,
    ``RateLimit-Remaining`` and ``RateLimit-Reset`` for the tightest matching rule. Put
    ``ProxyHeadersMiddleware`` outside this one so the key is the real client, not the proxy.

    When the store is down (``StoreUnavailable``), ``on_store_error="deny"`` (the default: fail
    closed) answers 503 problem details with ``Retry-After``; ``"allow"`` lets the request through
    without rate-limit headers. Both log a warning on ``covet.middleware.ratelimit``, at most
    once per 30 seconds.
    """

    def __init__(
        self,
        app: ASGIApp,
        limits: RateLimit | Iterable[RateLimit] | None = None,
        *,
        limit: int | None = None,
        window: float = 60.0,
        store: Store | None = None,
        prefix: str = "ratelimit:",
        headers: bool = True,
        on_store_error: OnStoreError = "deny",
    ) -> None:
        rules = [limits] if isinstance(limits, RateLimit) else list(limits or ())
        if limit is not None:
            rules.append(RateLimit(limit, window))
        if not rules:
            raise TypeError("RateLimitMiddleware needs limits=[RateLimit(...)] or limit=")
        self.app = app
        self.rules = rules
        self.store = (store if store is not None else MemoryStore()).prefixed(prefix)
        self.headers = headers
        self.store_policy = _StorePolicy(on_store_error)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            result = await _check(self.rules, self.store, scope)
        except StoreUnavailable as exc:
            self.store_policy.unavailable(exc)
            if not self.store_policy.allow:
                retry = (b"retry-after", str(exc.retry_after).encode())
                await send_problem(send, 503, UNAVAILABLE, headers=[retry])
                return
            result = None
        if result is None:
            await self.app(scope, receive, send)
            return
        if not result.allowed:
            await send_problem(
                send, 429, "Rate limit exceeded; retry later.", headers=_headers(result)
            )
            return
        if not self.headers:
            await self.app(scope, receive, send)
            return
        extra = _headers(result)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RateLimiter:
    """A rate limit for one route, used as a dependency: raises ``HTTPException(429)``.

    In a Covet app: ``@app.get("/", dependencies=[Depends(limiter.dependency)])``. Elsewhere,
    call ``await limiter.check(request.scope)`` from the framework's own dependency (see the
    FastAPI example in the docs). ``on_store_error`` works as in ``RateLimitMiddleware``:
    ``"deny"`` raises ``HTTPException(503)`` with ``Retry-After``, ``"allow"`` lets the call pass.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        store: Store | None = None,
        key: KeyFunc = by_client,
        algorithm: Algorithm = "sliding",
        name: str | None = None,
        prefix: str = "ratelimit:",
        on_store_error: OnStoreError = "deny",
    ) -> None:
        self.rule = RateLimit(limit, window, key=key, algorithm=algorithm, name=name)
        self.store = (store if store is not None else MemoryStore()).prefixed(prefix)
        self.store_policy = _StorePolicy(on_store_error)

    async def check(self, scope: Scope) -> RateLimitResult | None:
        try:
            result = await self.rule.hit(self.store, scope)
        except StoreUnavailable as exc:
            self.store_policy.unavailable(exc)
            if self.store_policy.allow:
                return None
            raise HTTPException(
                503, UNAVAILABLE, headers={"Retry-After": str(exc.retry_after)}
            ) from exc
        if result is not None and not result.allowed:
            raise HTTPException(
                429,
                "Rate limit exceeded; retry later.",
                headers={k.decode(): v.decode() for k, v in _headers(result)},
            )
        return result

    async def dependency(self, request: Any) -> None:
        """The dependency form: takes the request (anything with ``.scope``)."""
        await self.check(request.scope)

    __call__ = dependency

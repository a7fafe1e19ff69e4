from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from covet.middleware import (
    ErrorMiddleware,
    MemoryStore,
    ProxyHeadersMiddleware,
    RateLimit,
    RateLimiter,
    RateLimitMiddleware,
)


async def burst(client: httpx.AsyncClient, n: int, path: str = "/text", **kw: Any) -> Counter[int]:
    responses = await asyncio.gather(*(client.get(path, **kw) for _ in range(n)))
    return Counter(r.status_code for r in responses)


@pytest.mark.parametrize("algorithm", ["sliding", "fixed"])
async def test_1000_concurrent_requests_admit_exactly_100_on_memory(
    build: Any, make_client: Any, algorithm: str
) -> None:
    limits = RateLimit(100, 60, algorithm=algorithm)  # type: ignore[arg-type]
    app = build((RateLimitMiddleware, {"limits": limits}))
    async with make_client(app) as client:
        statuses = await burst(client, 1000)
    assert statuses == {200: 100, 429: 900}


async def test_1000_concurrent_requests_admit_exactly_100_on_redis(
    build: Any, make_client: Any, redis_store: Any
) -> None:
    app = build((RateLimitMiddleware, {"limit": 100, "window": 60, "store": redis_store}))
    async with make_client(app) as client:
        statuses = await burst(client, 1000)
    assert statuses == {200: 100, 429: 900}


async def test_headers_and_problem_details(build: Any, make_client: Any) -> None:
    app = build((RateLimitMiddleware, {"limit": 2, "window": 30}))
    async with make_client(app) as client:
        first = await client.get("/text")
        second = await client.get("/text")
        third = await client.get("/text")
    assert first.headers["ratelimit-limit"] == "2"
    assert first.headers["ratelimit-remaining"] == "1"
    assert second.headers["ratelimit-remaining"] == "0"
    assert 0 < int(first.headers["ratelimit-reset"]) <= 30
    assert "retry-after" not in second.headers
    assert third.status_code == 429
    assert third.headers["content-type"] == "application/problem+json"
    assert third.json()["status"] == 429
    assert 0 < int(third.headers["retry-after"]) <= 30
    assert third.headers["ratelimit-remaining"] == "0"


async def test_spoofed_forwarded_for_from_untrusted_peer_makes_no_new_buckets(
    build: Any, make_client: Any
) -> None:
    store = MemoryStore()
    layers = (
        (ProxyHeadersMiddleware, {"trusted_proxies": ["10.0.0.0/8"]}),
        (RateLimitMiddleware, {"limit": 5, "window": 60, "store": store}),
    )
    app = build(*layers)
    async with make_client(app, peer="203.0.113.5") as client:
        responses = [
            await client.get("/text", headers={"x-forwarded-for": f"198.51.100.{i}"})
            for i in range(20)
        ]
    assert Counter(r.status_code for r in responses) == {200: 5, 429: 15}
    assert len(store) == 1
    # Control: the same headers from a trusted proxy do name separate clients.
    async with make_client(app, peer="10.0.0.7") as client:
        for i in range(3):
            response = await client.get("/text", headers={"x-forwarded-for": f"198.51.100.{i}"})
            assert response.status_code == 200
    assert len(store) == 4


async def test_path_rules_custom_keys_and_exemptions(build: Any, make_client: Any) -> None:
    def by_api_key(scope: Any) -> str | None:
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                return str(value.decode())
        return None  # no key: this rule does not apply

    rules = [
        RateLimit(1, 60, paths="/echo", methods=["POST"]),
        RateLimit(2, 60, paths=["/te*"], key=by_api_key),
    ]
    app = build((RateLimitMiddleware, {"limits": rules}))
    async with make_client(app) as client:
        assert (await client.post("/echo")).status_code == 200
        assert (await client.post("/echo")).status_code == 429
        assert (await client.get("/echo")).status_code == 200  # GET is not limited
        assert await burst(client, 5, headers={"x-api-key": "a"}) == {200: 2, 429: 3}
        assert await burst(client, 2, headers={"x-api-key": "b"}) == {200: 2}
        assert await burst(client, 5) == {200: 5}  # no key, no limit
        assert (await client.get("/big")).status_code == 200


async def test_async_key_function(build: Any, make_client: Any) -> None:
    async def key(scope: Any) -> str:
        await asyncio.sleep(0)
        return "everyone"

    app = build((RateLimitMiddleware, {"limits": RateLimit(3, 60, key=key)}))
    async with make_client(app, peer="192.0.2.1") as a, make_client(app, peer="192.0.2.2") as b:
        assert await burst(a, 2) == {200: 2}
        assert await burst(b, 2) == {200: 1, 429: 1}


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        RateLimit(0, 10)
    with pytest.raises(ValueError, match="algorithm"):
        RateLimit(1, 10, algorithm="leaky")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="limits"):
        RateLimitMiddleware(lambda *a: None)  # type: ignore[arg-type]


async def test_rate_limiter_dependency_raises_429() -> None:
    from covet.http import HTTPException

    limiter = RateLimiter(1, 60)
    scope = {"type": "http", "client": ("192.0.2.1", 1), "headers": []}
    assert (await limiter.check(scope)) is not None
    with pytest.raises(HTTPException) as info:
        await limiter.check(scope)
    assert info.value.status_code == 429
    assert info.value.headers is not None
    assert "Retry-After".lower() in {k.lower() for k in info.value.headers}


async def test_rate_limiter_as_a_fastapi_dependency(make_client: Any) -> None:
    limiter = RateLimiter(2, 60)

    async def limited(request: Request) -> None:
        await limiter(request)

    app = FastAPI()

    @app.get("/", dependencies=[Depends(limited)])
    async def index() -> dict[str, bool]:
        return {"ok": True}

    # Installed with add_middleware it sits inside FastAPI's own 500 handler and renders the
    # covet.http HTTPException the dependency raises.
    app.add_middleware(ErrorMiddleware)
    async with make_client(app) as client:
        assert await burst(client, 4, path="/") == {200: 2, 429: 2}


# ---- two OS processes sharing one Redis --------------------------------------------------------

SERVER = """
import os, sys, uvicorn
from covet.middleware import RateLimit, RateLimitMiddleware, RedisStore

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = str(os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

store = RedisStore(os.environ["REDIS_URL"], prefix=os.environ["PREFIX"])
limited = RateLimitMiddleware(app, RateLimit(100, 60, paths="/limited"), store=store)
pid = str(os.getpid()).encode()

async def tagged(scope, receive, send):
    async def send_tagged(message):
        if message["type"] == "http.response.start":
            message["headers"] = [*message["headers"], (b"x-pid", pid)]
        await send(message)
    await limited(scope, receive, send_tagged)

uvicorn.run(tagged, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", backlog=2048)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_servers(ports: list[int], env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env) for port in ports]


def stop_servers(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.terminate()
    for server in servers:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.slow
async def test_two_processes_share_one_limit_through_redis(redis_store: Any) -> None:
    ports = [free_port(), free_port()]
    redis_url = os.environ.get("COVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    env = {**os.environ, "REDIS_URL": redis_url, "PREFIX": redis_store.prefix}
    servers = start_servers(ports, env)
    try:
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            deadline = time.monotonic() + 30
            for port in ports:
                while True:
                    assert all(s.poll() is None for s in servers), "a server exited"
                    try:
                        await client.get(f"http://127.0.0.1:{port}/health")
                        break
                    except httpx.TransportError:
                        assert time.monotonic() < deadline, "servers did not start in 30 s"
                        await asyncio.sleep(0.1)
            urls = [f"http://127.0.0.1:{ports[i % 2]}/limited" for i in range(1000)]
            responses = await asyncio.gather(*(client.get(url) for url in urls))
    finally:
        await asyncio.to_thread(stop_servers, servers)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 100, 429: 900}
    # Two separate OS processes answered, and together they admitted exactly the limit.
    assert len({r.headers["x-pid"] for r in responses}) == 2


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        # One IPv6 subscriber gets a whole /64: counting per address would give an attacker
        # 2**64 fresh buckets (and fill a MemoryStore with them).
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", True),
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("::ffff:192.0.2.7", "192.0.2.7", True),
        ("192.0.2.7", "192.0.2.8", False),
    ],
)
async def test_default_key_groups_ipv6_by_64_prefix(first: str, second: str, shared: bool) -> None:
    async def ok(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = RateLimitMiddleware(ok, limit=1, window=60)
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    for host in (first, second):
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "client": (host, 1)}
        await app(scope, None, send)  # type: ignore[arg-type]
    statuses = [m["status"] for m in sent if m["type"] == "http.response.start"]
    assert statuses == ([200, 429] if shared else [200, 200])

"""Per-request overhead of covet.middleware's recommended stack against Starlette's equivalents.

Both stacks wrap the same bare ASGI app and are called in-process (no sockets), so the figures are
the middleware's own cost. Two comparisons, in one run:

* ``equivalent``: only the layers Starlette (and uvicorn, for proxy headers) also has: proxy
  headers, trusted host, HTTPS redirect, server errors, CORS, gzip, signed-cookie sessions.
* ``full``: covet's whole recommended stack (adds request id, security headers, rate limiting on
  a MemoryStore, timeout, CSRF) against the same Starlette stack.

Each request is a browser-like GET from an allowed origin with ``Accept-Encoding: gzip`` and a
valid session cookie, answered with a 2 KB text body (so both stacks compress it).

    python scripts/bench/middleware/run.py            # 20,000 requests per stack, best of 5
    python scripts/bench/middleware/run.py -n 2000    # quick
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import statistics
import time
from collections.abc import Callable
from typing import Any

from starlette.middleware.cors import CORSMiddleware as SCORSMiddleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware as SHTTPSRedirect
from starlette.middleware.sessions import SessionMiddleware as SSessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware as STrustedHost
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware as UProxyHeaders

import covet.middleware as cm

SECRET = "bench-secret-" + "s" * 40
ORIGIN = "https://app.example.com"
BODY = b"x" * 2048
App = Callable[..., Any]


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    session = scope.get("session")
    if session is not None:
        session.get("user")
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2048")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


def covet_equivalent(app: App) -> App:
    app = cm.SessionMiddleware(app, secret_key=SECRET)
    app = cm.CompressionMiddleware(app, brotli=False)
    app = cm.CORSMiddleware(app, allow_origins=[ORIGIN])
    app = cm.ErrorMiddleware(app)
    app = cm.HTTPSRedirectMiddleware(app)
    app = cm.TrustedHostMiddleware(app, allowed_hosts=["example.com"])
    return cm.ProxyHeadersMiddleware(app, trusted_proxies=["10.0.0.0/8"])


def covet_full(app: App) -> App:
    app = cm.CSRFMiddleware(app, secret_key=SECRET)
    app = cm.SessionMiddleware(app, secret_key=SECRET)
    app = cm.TimeoutMiddleware(app, timeout=30)
    app = cm.CompressionMiddleware(app, brotli=False)
    app = cm.RateLimitMiddleware(app, limit=10**9, window=60)
    app = cm.CORSMiddleware(app, allow_origins=[ORIGIN])
    app = cm.SecurityHeadersMiddleware(app)
    app = cm.ErrorMiddleware(app)
    app = cm.RequestIDMiddleware(app)
    app = cm.HTTPSRedirectMiddleware(app)
    app = cm.TrustedHostMiddleware(app, allowed_hosts=["example.com"])
    return cm.ProxyHeadersMiddleware(app, trusted_proxies=["10.0.0.0/8"])


def starlette_equivalent(app: App) -> App:
    app = SSessionMiddleware(app, secret_key=SECRET, https_only=True)
    app = GZipMiddleware(app)
    app = SCORSMiddleware(app, allow_origins=[ORIGIN])
    app = ServerErrorMiddleware(app)
    app = SHTTPSRedirect(app)
    app = STrustedHost(app, allowed_hosts=["example.com"])
    return UProxyHeaders(app, trusted_hosts=["10.0.0.0/8"])


async def login_cookies(stack: App) -> bytes:
    """Log in once through ``stack`` and return every cookie it set, as a ``Cookie`` header."""

    async def writer(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["session"]["user"] = "ada"
        await bare(scope, receive, send)

    cookies: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        for key, value in message.get("headers", ()):
            if key == b"set-cookie":
                cookies.append(value.split(b";", 1)[0])

    await stack(writer)(scope_for(b""), receive, send)
    assert cookies, "the stack set no cookie"
    return b"; ".join(cookies)


def scope_for(cookie: bytes) -> dict[str, Any]:
    headers = [
        (b"host", b"example.com"),
        (b"origin", ORIGIN.encode()),
        (b"accept-encoding", b"gzip, deflate"),
        (b"x-forwarded-for", b"198.51.100.7"),
        (b"x-forwarded-proto", b"https"),
        (b"user-agent", b"bench"),
    ]
    if cookie:
        headers.append((b"cookie", cookie))
    # the session and CSRF layers read cookies; a browser sends them on every request
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("10.0.0.2", 51000),
        "server": ("example.com", 80),
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def run(app: App, cookie: bytes, n: int) -> float:
    """Seconds per request over ``n`` requests; checks the answer was compressed and allowed."""
    sent: list[dict[str, Any]] = []

    async def check(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope_for(cookie), receive, check)
    start = dict(sent[0]["headers"])
    assert sent[0]["status"] == 200, sent[0]
    assert start[b"content-encoding"] == b"gzip"
    assert start[b"access-control-allow-origin"] == ORIGIN.encode()
    assert gzip.decompress(b"".join(m.get("body", b"") for m in sent[1:])) == BODY

    async def send(message: dict[str, Any]) -> None:
        pass

    begin = time.perf_counter()
    for _ in range(n):
        await app(scope_for(cookie), receive, send)
    return (time.perf_counter() - begin) / n


async def main(n: int, repeats: int) -> None:
    stacks = {
        "bare app": (bare, b""),
        "covet equivalent": (covet_equivalent(bare), await login_cookies(covet_equivalent)),
        "starlette equivalent": (
            starlette_equivalent(bare),
            await login_cookies(starlette_equivalent),
        ),
        "covet full stack": (covet_full(bare), await login_cookies(covet_full)),
    }
    best: dict[str, float] = {}
    for _ in range(repeats):
        for name, (app, cookie) in stacks.items():
            if name == "bare app":
                # the bare app compresses nothing: time it without the checks
                begin = time.perf_counter()
                for _ in range(n):
                    await app(scope_for(b""), receive, _noop)
                seconds = (time.perf_counter() - begin) / n
            else:
                seconds = await run(app, cookie, n)
            best[name] = min(best.get(name, seconds), seconds)
    floor = best["bare app"]
    print(f"{n} requests per stack, best of {repeats}; per-request time and overhead over bare app")
    for name, seconds in best.items():
        print(f"  {name:22s} {seconds * 1e6:8.1f} us   overhead {(seconds - floor) * 1e6:8.1f} us")
    covet = best["covet equivalent"] - floor
    starlette = best["starlette equivalent"] - floor
    full = best["covet full stack"] - floor
    print(f"ratio covet/starlette (equivalent layers): {covet / starlette:.2f}")
    print(f"ratio covet full stack/starlette equivalent: {full / starlette:.2f}")
    print(f"(median of the three stacks: {statistics.median(best.values()) * 1e6:.1f} us)")


async def _noop(message: dict[str, Any]) -> None:
    pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="requests per stack per repeat")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.repeats))

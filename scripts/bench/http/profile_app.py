"""Drive a benchmark app in-process (no server, no sockets) to time and profile its request path.

    python scripts/bench/http/profile_app.py time                     # µs/request, every app
    python scripts/bench/http/profile_app.py cprofile covet --top 25  # hot spots per endpoint
    python scripts/bench/http/profile_app.py pyinstrument covet --endpoints query

Each request gets a fresh scope like uvicorn builds, a receive that yields the body once, and a send
that collects the answer; the first answer of each endpoint is checked against the expected one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import importlib
import json
import pstats
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "apps")]

from _endpoints import ENDPOINTS, Endpoint  # noqa: E402
from _report import NAMES  # noqa: E402

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [dict[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]
MODULES = {f: f"app_{f}" for f in ("bare", "starlette", "fastapi", "blacksheep", "covet")}


def scope_for(endpoint: Endpoint) -> dict[str, Any]:
    path, _, query = endpoint.path.partition("?")
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]
    if endpoint.body:
        headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(endpoint.body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": endpoint.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


class Exchange:
    """receive/send for one request; reusable by calling reset()."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.reset()

    def reset(self) -> None:
        self.sent_body = False
        self.status = 0
        self.chunks: list[bytes] = []

    async def receive(self) -> Message:
        if self.sent_body:
            return {"type": "http.disconnect"}
        self.sent_body = True
        return {"type": "http.request", "body": self.body, "more_body": False}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))


class Lifespan:
    """Run the app's lifespan protocol around the requests, as a server would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.messages: asyncio.Queue[Message] = asyncio.Queue()
        self.replies: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _serve(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        with contextlib.suppress(Exception):  # an app without lifespan support may raise
            await self.app(scope, self.messages.get, self.replies.put)

    async def _step(self, message: str) -> None:
        assert self.task is not None
        await self.messages.put({"type": message})
        reply = asyncio.create_task(self.replies.get())
        await asyncio.wait({self.task, reply}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        reply.cancel()

    async def __aenter__(self) -> None:
        self.task = asyncio.create_task(self._serve())
        await self._step("lifespan.startup")

    async def __aexit__(self, *exc_info: object) -> None:
        await self._step("lifespan.shutdown")
        assert self.task is not None
        if not self.task.done():
            self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def check(endpoint: Endpoint, exchange: Exchange) -> None:
    raw = b"".join(exchange.chunks)
    got: Any = raw.decode() if endpoint.is_text else json.loads(raw)
    if exchange.status != 200 or got != endpoint.expected:
        raise SystemExit(f"{endpoint.name}: wrong answer {exchange.status} {raw[:100]!r}")


async def drive(app: ASGIApp, endpoint: Endpoint, count: int) -> float:
    """Send ``count`` requests one after another; return CPU seconds per request."""
    template = scope_for(endpoint)
    exchange = Exchange(endpoint.body)
    await app(dict(template), exchange.receive, exchange.send)
    check(endpoint, exchange)
    started = time.process_time()
    for _ in range(count):
        exchange.reset()
        await app(
            dict(template, headers=list(template["headers"])), exchange.receive, exchange.send
        )
    return (time.process_time() - started) / count


def load(framework: str) -> ASGIApp:
    app: ASGIApp = importlib.import_module(MODULES[framework]).app
    return app


async def time_all(frameworks: list[str], endpoints: list[Endpoint], count: int) -> None:
    apps = {f: load(f) for f in frameworks}
    async with contextlib.AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(Lifespan(app))
        await _time_table(apps, endpoints, count)


async def _time_table(apps: dict[str, ASGIApp], endpoints: list[Endpoint], count: int) -> None:
    frameworks = list(apps)
    names = [NAMES[f] for f in frameworks]
    print("| endpoint (CPU µs/request, in-process) | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(frameworks))
    for endpoint in endpoints:
        cells = []
        for framework in frameworks:
            best = min([await drive(apps[framework], endpoint, count) for _ in range(3)])
            cells.append(f"{best * 1e6:.1f}")
        print(f"| {endpoint.name} | " + " | ".join(cells) + " |", flush=True)


async def profile(
    tool: str, framework: str, endpoints: list[Endpoint], count: int, top: int
) -> None:
    app = load(framework)
    async with Lifespan(app):
        await _profile(tool, framework, app, endpoints, count, top)


async def _profile(
    tool: str, framework: str, app: ASGIApp, endpoints: list[Endpoint], count: int, top: int
) -> None:
    for endpoint in endpoints:
        await drive(app, endpoint, 200)  # warm caches before measuring
        print(f"\n## {framework} {endpoint.name}: {endpoint.method} {endpoint.path}\n")
        if tool == "cprofile":
            cprofiler = cProfile.Profile()
            cprofiler.enable()
            seconds = await drive(app, endpoint, count)
            cprofiler.disable()
            print(f"{seconds * 1e6:.1f} µs/request under cProfile\n")
            stats = pstats.Stats(cprofiler, stream=sys.stdout)
            stats.sort_stats("tottime").print_stats(top)
        else:
            from pyinstrument import Profiler

            with Profiler(interval=0.0001, async_mode="disabled") as profiler:
                seconds = await drive(app, endpoint, count)
            print(f"{seconds * 1e6:.1f} µs/request under pyinstrument\n")
            print(profiler.output_text(unicode=False, color=False, show_all=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool", choices=["time", "cprofile", "pyinstrument"])
    parser.add_argument("frameworks", nargs="*", default=list(MODULES))
    parser.add_argument("--endpoints", default=",".join(e.name for e in ENDPOINTS))
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    endpoints = [e for e in ENDPOINTS if e.name in args.endpoints.split(",")]
    import uvloop

    if args.tool == "time":
        uvloop.run(time_all(args.frameworks, endpoints, args.requests))
    else:
        for framework in args.frameworks:
            uvloop.run(profile(args.tool, framework, endpoints, args.requests, args.top))


if __name__ == "__main__":
    main()

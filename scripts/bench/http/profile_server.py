"""Profile a benchmark app *inside* uvicorn while wrk loads it: where the server's time goes.

    python scripts/bench/http/profile_server.py covet --endpoint path --seconds 5

uvicorn runs in this process (same settings as run.py) under cProfile; wrk runs in a subprocess.
The top functions by own time show how much of a request is the server (uvicorn, httptools, uvloop)
and how much is the app. cProfile slows Python code several-fold, so read shares, not req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "apps")]

import _wrk  # noqa: E402
import uvicorn  # noqa: E402
import uvloop  # noqa: E402
from _endpoints import ENDPOINTS, Endpoint, verify  # noqa: E402
from _servers import HOST, free_port  # noqa: E402


class ProfiledServer:
    def __init__(self, framework: str, endpoint: Endpoint, seconds: int) -> None:
        self.port = free_port()
        self.endpoint = endpoint
        self.seconds = seconds
        self.profiler = cProfile.Profile(time.thread_time)  # CPU time: preemption excluded
        self.outcome = "no result"
        self.server = uvicorn.Server(
            uvicorn.Config(
                f"app_{framework}:app",
                host=HOST,
                port=self.port,
                loop="uvloop",
                http="httptools",
                access_log=False,
                log_level="warning",
                lifespan="on",
            )
        )
        self.loop: asyncio.AbstractEventLoop | None = None

    async def serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve()

    def _on_loop(self, action: str) -> None:
        """cProfile watches the thread that enables it: switch it on the server's thread."""
        assert self.loop is not None
        done = threading.Event()

        def switch() -> None:
            getattr(self.profiler, action)()
            done.set()

        self.loop.call_soon_threadsafe(switch)
        done.wait(5)

    def drive(self) -> None:
        try:
            while not self.server.started:
                time.sleep(0.05)
            problems = verify(self.port, self.endpoint)
            if problems:
                self.outcome = "; ".join(problems)
                return
            _wrk.run(self.port, self.endpoint, _wrk.Load(1, 64, 1), os.getpid())  # warm-up
            self._on_loop("enable")
            sample = _wrk.run(self.port, self.endpoint, _wrk.Load(1, 64, self.seconds), os.getpid())
            self._on_loop("disable")
            self.outcome = f"{sample.requests_per_second:,.0f} req/s under cProfile"
        finally:
            self.server.should_exit = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "framework", choices=["bare", "starlette", "fastapi", "blacksheep", "covet"]
    )
    parser.add_argument("--endpoint", default="path", choices=[e.name for e in ENDPOINTS])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    endpoint = next(e for e in ENDPOINTS if e.name == args.endpoint)
    profiled = ProfiledServer(args.framework, endpoint, args.seconds)
    driver = threading.Thread(target=profiled.drive)
    driver.start()
    try:
        uvloop.run(profiled.serve())
    finally:
        profiled.server.should_exit = True
        driver.join()
    print(f"## {args.framework}: {endpoint.method} {endpoint.path} inside uvicorn\n")
    print(profiled.outcome)
    stats = pstats.Stats(profiled.profiler, stream=sys.stdout)
    print(shares(stats))
    stats.sort_stats("tottime").print_stats(args.top)


GROUPS = (
    ("uvicorn", "/uvicorn/"),
    ("covet", "/covet/"),
    ("starlette", "/starlette/"),
    ("fastapi", "/fastapi/"),
    ("pydantic", "/pydantic"),
    ("blacksheep", "/blacksheep/"),
    ("benchmark app", "/apps/app_"),
    ("asyncio", "/asyncio/"),
)


def shares(stats: pstats.Stats) -> str:
    """Own CPU time grouped by where the code lives (C builtins called by anyone: "builtins")."""
    totals: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, tottime, _, _) in raw.items():
        group = next((name for name, marker in GROUPS if marker in filename), None)
        if group is None:
            group = "builtins" if filename == "~" else "other Python"
        totals[group] = totals.get(group, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    parts = sorted(totals.items(), key=lambda item: -item[1])
    return "own CPU time by group: " + ", ".join(f"{k} {v / whole:.0%}" for k, v in parts) + "\n"


if __name__ == "__main__":
    main()

"""HTTP benchmark: bare ASGI, Starlette, FastAPI, BlackSheep and Covet under one uvicorn setup.

    python scripts/bench/http/run.py --quick   # about 2 minutes
    python scripts/bench/http/run.py           # full: 8 rounds of 3 s per cell, about 11 minutes

Every app runs in its own uvicorn process (one worker, uvloop, httptools, no access log) on
127.0.0.1, loaded by wrk. Each endpoint's answer is checked (status, body, and a 4xx for malformed
input) before it is loaded. Rounds are interleaved: for each endpoint the frameworks take turns
(in a rotated order each round), so load from other processes on the machine hits every framework
alike; the median round is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _report
import _servers
import _wrk
from _endpoints import ENDPOINTS, verify

FRAMEWORKS = {
    "bare": "app_bare",
    "starlette": "app_starlette",
    "fastapi": "app_fastapi",
    "blacksheep": "app_blacksheep",
    "covet": "app_covet",
}
DISTRIBUTIONS = (
    "uvicorn",
    "uvloop",
    "httptools",
    "starlette",
    "fastapi",
    "pydantic",
    "blacksheep",
    "covet-http",
    "orjson",
)
RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 s, 1 s warm-up")
    parser.add_argument("--rounds", type=int, help="rounds per cell (default 8, quick 2)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 3, quick 2)")
    parser.add_argument("--warmup", type=int, help="warm-up seconds per cell (default 2, quick 1)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default 64)")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated subset")
    parser.add_argument("--endpoints", default=",".join(e.name for e in ENDPOINTS))
    parser.add_argument("--no-save", action="store_true", help="print only; write no results file")
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 2 if args.quick else 8
    if args.duration is None:
        args.duration = 2 if args.quick else 3
    if args.warmup is None:
        args.warmup = 1 if args.quick else 2
    unknown = set(args.frameworks.split(",")) - set(FRAMEWORKS)
    if unknown:
        parser.error(f"unknown frameworks {sorted(unknown)}; choose from {sorted(FRAMEWORKS)}")
    names = [e.name for e in ENDPOINTS]
    unknown = set(args.endpoints.split(",")) - set(names)
    if unknown:
        parser.error(f"unknown endpoints {sorted(unknown)}; choose from {names}")
    if min(args.rounds, args.duration, args.threads, args.connections) < 1 or args.warmup < 0:
        parser.error("rounds, duration, threads and connections must be >= 1; warm-up >= 0")
    return args


def mode_of(args: argparse.Namespace) -> str:
    if args.quick:
        return "quick"
    return "full" if (args.rounds, args.duration, args.warmup) == (8, 3, 2) else "custom"


def uptime() -> str:
    completed = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return completed.stdout.strip()


def versions() -> str:
    found = []
    for name in DISTRIBUTIONS:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    frameworks = [f for f in FRAMEWORKS if f in args.frameworks.split(",")]
    endpoints = [e for e in ENDPOINTS if e.name in args.endpoints.split(",")]
    load = _wrk.Load(args.threads, args.connections, args.duration)
    cells = len(frameworks) * len(endpoints)
    estimate = cells * (args.warmup + args.rounds * args.duration)
    print(
        f"{cells} cells x {args.rounds} rounds; about {estimate / 60:.1f} min of load", flush=True
    )
    started = dt.datetime.now(dt.UTC)
    load_start = uptime()
    failures: dict[str, str] = {}
    results: _report.Results = {e.name: {} for e in endpoints}
    round_loads: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="covet-bench-") as logs,
        _servers.running({f: FRAMEWORKS[f] for f in frameworks}, Path(logs), failures) as servers,
    ):
        live = [f for f in frameworks if f in servers]
        for endpoint in endpoints:
            for framework in live:
                problems = verify(servers[framework].port, endpoint)
                if problems:
                    failures[f"{framework}/{endpoint.name}"] = "; ".join(problems)
                else:
                    results[endpoint.name][framework] = []
        for endpoint in endpoints:
            for framework in results[endpoint.name]:
                if args.warmup > 0:
                    warm = _wrk.Load(args.threads, args.connections, args.warmup)
                    server = servers[framework]
                    _wrk.run(server.port, endpoint, warm, server.pid)
        for round_number in range(args.rounds):
            before = os.getloadavg()[0]
            for endpoint in endpoints:
                order = list(results[endpoint.name])
                shift = round_number % len(order) if order else 0
                for framework in order[shift:] + order[:shift]:
                    server = servers[framework]
                    sample = _wrk.run(server.port, endpoint, load, server.pid)
                    results[endpoint.name][framework].append(sample)
                    print(
                        f"round {round_number + 1}/{args.rounds} {endpoint.name:9} "
                        f"{framework:10} {sample.requests_per_second:>10,.0f} req/s "
                        f"{sample.cpu_us_per_request:6.1f} µs CPU/req {sample.errors}",
                        flush=True,
                    )
            round_loads.append(f"{before:.2f} -> {os.getloadavg()[0]:.2f}")
    lines = document(args, frameworks, results, failures, started, load_start, round_loads)
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stem = started.strftime("%Y-%m-%dT%H%MZ") + (
            "" if mode_of(args) == "full" else f"-{mode_of(args)}"
        )
        (RESULTS / f"{stem}.md").write_text(text)
        raw = {e: {f: [asdict(s) for s in v] for f, v in by.items()} for e, by in results.items()}
        (RESULTS / f"{stem}.json").write_text(json.dumps(raw, indent=1) + "\n")
        print(f"saved {RESULTS / stem}.md and .json")
    return 1 if failures else 0


def document(
    args: argparse.Namespace,
    frameworks: list[str],
    results: _report.Results,
    failures: dict[str, str],
    started: dt.datetime,
    load_start: str,
    round_loads: list[str],
) -> list[str]:
    mode = mode_of(args)
    lines = [
        f"## HTTP benchmark, {started:%Y-%m-%d %H:%M} UTC ({mode})",
        "",
        f"- wrk `-t{args.threads} -c{args.connections} -d{args.duration:g}s`, "
        f"{args.warmup:g} s warm-up per cell, {args.rounds} interleaved round(s), median reported",
        f"- uvicorn, one worker each: `{' '.join(_servers.UVICORN_FLAGS)}`",
        f"- {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {_wrk.version()}",
        f"- {versions()}",
        f"- load at start: `{load_start}`",
        f"- load at end: `{uptime()}`",
        f"- 1-min load average per round (start -> end): {', '.join(round_loads) or 'n/a'}",
        f"- duration: {(dt.datetime.now(dt.UTC) - started).total_seconds() / 60:.1f} min",
        "",
    ]
    lines += _report.tables(results, frameworks)
    lines += ["", *_report.spread(results, frameworks), "", *_report.latency(results, frameworks)]
    if failures:
        lines += ["", "### Not measured", ""]
        lines += [f"- {name}: {problem.strip()[:400]}" for name, problem in failures.items()]
    return lines


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)

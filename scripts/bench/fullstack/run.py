"""Full-stack benchmark, TechEmpower style: /db, /queries?queries=20, /fortunes, /updates?queries=20
on PostgreSQL, for covet (three ways) and its peers, each app in its own server process, loaded by
wrk from a second process.

    python scripts/bench/fullstack/run.py --quick   # 2 rounds of 2 s per cell
    python scripts/bench/fullstack/run.py           # 6 rounds of 5 s per cell (the quiet run)

Apps (``apps/``; the rules they follow are in ``_world.py``):

==========================  =====================================================================
covet_async                 covet.http async handlers, covet-orm's async API
covet_sync                  covet.http ``def`` handlers (worker threads), covet-orm's sync API
covet_sync_on_loop          covet_sync with ``Covet(def_handlers="loop")``: the same ``def``
                            handlers on the event loop's thread (their sync ORM calls suspend
                            the request through the portal)
covet_sync_in_async         covet.http async handlers calling covet-orm's sync API (portal)
covet_async_noext           covet_async with ``Covet(extensions=False)``: no portal, a checkout
                            per query (what the extensions cost and save)
covet_async_perquery        covet_async without ``request_connection``: a checkout per query
covet_sync_perquery         covet_sync without ``request_connection``
starlette_asyncpg           Starlette + raw asyncpg: the floor
starlette_psycopg           Starlette ``def`` endpoints (worker threads) + raw psycopg 3: the
                            floor of the worker-thread design covet_sync runs on
fastapi_sqlalchemy          FastAPI + SQLAlchemy 2 async ORM (asyncpg)
django                      Django 5 WSGI under gunicorn (1 worker, gthread), psycopg 3
==========================  =====================================================================

Every ASGI app runs under uvicorn (one worker, uvloop, httptools, no access log), Django under
gunicorn with one worker and as many threads as the others have pooled connections
(``BENCH_POOL_SIZE``, 20). One app runs at a time (seven apps' pools together would pass
PostgreSQL's default 100 connections): each round starts every app in turn (rotated each round,
so outside load hits them alike), checks its answers (shapes, counts, the escaped fortune) in
the first round, warms each endpoint up and loads it. The median round is reported, with the CPU
µs per request of the serving process. The table
of ratios answers issue 12's goals. Results: ``results/<time>[-quick].md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "http"))

import _world  # noqa: E402
import _wrk  # noqa: E402

APPS_DIR = HERE / "apps"
RESULTS = HERE / "results"
UVICORN = ("--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning")
#: name -> (module, BENCH_EXTENSIONS for the covet apps[, BENCH_DEF_HANDLERS])
APPS: dict[str, tuple[str, ...]] = {
    "covet_async": ("app_covet_async", "all"),
    "covet_sync": ("app_covet_sync", "all"),
    "covet_sync_on_loop": ("app_covet_sync", "all", "loop"),
    "covet_sync_perquery": ("app_covet_sync", "request_connection"),
    "covet_sync_in_async": ("app_covet_sync_in_async", "all"),
    "covet_async_noext": ("app_covet_async", "none"),
    "covet_async_perquery": ("app_covet_async", "request_connection"),
    "starlette_asyncpg": ("app_starlette_asyncpg", "all"),
    "starlette_psycopg": ("app_starlette_psycopg", "all"),
    "fastapi_sqlalchemy": ("app_fastapi_sqlalchemy", "all"),
    "django": ("app_django", "all"),
}
DISTRIBUTIONS = (
    "uvicorn", "uvloop", "httptools", "gunicorn", "starlette", "fastapi", "sqlalchemy",
    "asyncpg", "psycopg", "django", "greenlet", "covet-http", "covet-orm",
)  # fmt: skip


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    lua: Path | None = None


ENDPOINTS = (
    Endpoint("db", "/db"),
    Endpoint("queries", "/queries?queries=20"),
    Endpoint("fortunes", "/fortunes"),
    Endpoint("updates", "/updates?queries=20"),
    Endpoint("json", "/json"),
)


# -- the database ------------------------------------------------------------------------------
def prepare_database(url: str) -> None:
    """Create the benchmark database with TechEmpower's World (10,000 rows) and Fortune tables."""
    from covet.orm import Database
    from covet.orm._testdb import create_test_database

    create_test_database(url)
    with Database(url, default=False) as db:
        db.execute("CREATE TABLE world (id integer PRIMARY KEY, randomnumber integer NOT NULL)")
        db.execute("CREATE TABLE fortune (id integer PRIMARY KEY, message varchar(2048) NOT NULL)")
        db.executemany(
            "INSERT INTO world (id, randomnumber) VALUES ($1, $2)",
            [(i, _world.random_id()) for i in range(1, _world.ROWS + 1)],
        )
        db.executemany(
            "INSERT INTO fortune (id, message) VALUES ($1, $2)",
            list(enumerate(_world.FORTUNES, 1)),
        )
        db.execute("ANALYZE")


# -- servers -----------------------------------------------------------------------------------
@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        """The process that serves requests (gunicorn's worker, not its arbiter): its CPU time
        is measured."""
        pid = self.process.pid
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            if children:
                return int(children[0])
        return pid


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(name: str, url: str, logs: Path) -> Server:
    port = free_port()
    module, extensions, *def_handlers = APPS[name]
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": url,
        "BENCH_POOL_SIZE": str(_world.POOL_SIZE),
        "BENCH_EXTENSIONS": extensions,
        "BENCH_DEF_HANDLERS": def_handlers[0] if def_handlers else "threads",
        "PYTHONPATH": os.pathsep.join([str(APPS_DIR), str(HERE)]),
    }
    if name == "django":
        command = [
            sys.executable, "-m", "gunicorn", f"{module}:application", "--chdir", str(APPS_DIR),
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
            "--threads", str(_world.POOL_SIZE), "--log-level", "warning",
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "uvicorn", f"{module}:app", "--app-dir", str(APPS_DIR),
            "--host", "127.0.0.1", "--port", str(port), *UVICORN,
        ]  # fmt: skip
    log = logs / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, port, process, log)


def get(port: int, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
            return reply.status, reply.headers.get("content-type", ""), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, "", error.read()


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"exited: {server.log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError):
            if get(server.port, "/json")[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"no answer within {timeout}s")


def stop(server: Server) -> None:
    if server.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


@contextlib.contextmanager
def running(
    names: list[str], url: str, logs: Path, failures: dict[str, str]
) -> Iterator[dict[str, Server]]:
    servers: dict[str, Server] = {}
    try:
        for name in names:
            server = start(name, url, logs)
            try:
                wait_ready(server)
            except RuntimeError as error:
                failures[name] = str(error)
                stop(server)
                continue
            servers[name] = server
        yield servers
    finally:
        for server in servers.values():
            stop(server)


# -- checks ------------------------------------------------------------------------------------
def verify(port: int, endpoint: Endpoint) -> list[str]:
    status, content_type, body = get(port, endpoint.path)
    if status != 200:
        return [f"{endpoint.path}: status {status}: {body[:200]!r}"]
    problems: list[str] = []
    if endpoint.name == "fortunes":
        text = body.decode()
        if "text/html" not in content_type:
            problems.append(f"content type {content_type!r}")
        if text.count("<tr>") != len(_world.FORTUNES) + 2 or _world.EXTRA_FORTUNE not in text:
            problems.append("fortunes: wrong rows")
        if "<script>" in text or "&lt;script&gt;" not in text:
            problems.append("fortunes: message not escaped")
        return problems
    data: Any = json.loads(body)
    if endpoint.name == "json":
        return [] if data == {"message": "Hello, World!"} else [f"json: {data!r}"]
    rows = [data] if endpoint.name == "db" else data
    want = 1 if endpoint.name == "db" else 20
    if len(rows) != want or not all(set(r) == {"id", "randomNumber"} for r in rows):
        problems.append(f"{endpoint.name}: {str(data)[:200]}")
    for path in ("/queries?queries=0", "/queries?queries=foo", "/queries?queries=501"):
        if endpoint.name == "queries":
            count = len(json.loads(get(port, path)[2]))
            expected = 500 if path.endswith("501") else 1
            if count != expected:
                problems.append(f"{path}: {count} rows, not {expected}")
    return problems


# -- the run -----------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 s, 1 s warm-up")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--duration", type=int)
    parser.add_argument("--warmup", type=int)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--endpoints", default=",".join(e.name for e in ENDPOINTS))
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server; the benchmark creates (and drops) its own covet_bench database",
    )
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (2 if args.quick else 6)
    args.duration = args.duration or (2 if args.quick else 5)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    unknown = set(args.apps.split(",")) - set(APPS)
    if unknown:
        parser.error(f"unknown apps {sorted(unknown)}; choose from {list(APPS)}")
    return args


def median(samples: list[_wrk.Sample]) -> _wrk.Sample:
    ordered = sorted(samples, key=lambda s: s.requests_per_second)
    return ordered[len(ordered) // 2]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    from urllib.parse import urlsplit, urlunsplit

    url = urlunsplit(urlsplit(args.database_url)._replace(path="/covet_bench"))
    names = [n for n in APPS if n in args.apps.split(",")]
    endpoints = [e for e in ENDPOINTS if e.name in args.endpoints.split(",")]
    prepare_database(url)
    started = dt.datetime.now(dt.UTC)
    failures: dict[str, str] = {}
    results: dict[str, dict[str, list[_wrk.Sample]]] = {e.name: {} for e in endpoints}
    load = _wrk.Load(args.threads, args.connections, args.duration)
    loads: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="covet-fullstack-") as logs:
            for round_number in range(args.rounds):
                before = os.getloadavg()[0]
                shift = round_number % len(names)
                for name in names[shift:] + names[:shift]:
                    if name in failures:
                        continue
                    with running([name], url, Path(logs), failures) as servers:
                        if name not in servers:
                            continue
                        server = servers[name]
                        measure(server, endpoints, args, load, results, failures, round_number)
                loads.append(f"{before:.2f} -> {os.getloadavg()[0]:.2f}")
    finally:
        from covet.orm._testdb import drop_test_database

        drop_test_database(url)
    text = "\n".join(report(args, names, endpoints, results, failures, started, loads)) + "\n"
    print("\n" + text)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        stem = started.strftime("%Y-%m-%dT%H%MZ") + ("-quick" if args.quick else "")
        (RESULTS / f"{stem}.md").write_text(text)
        raw = {e: {n: [asdict(s) for s in v] for n, v in by.items()} for e, by in results.items()}
        (RESULTS / f"{stem}.json").write_text(json.dumps(raw, indent=1) + "\n")
        print(f"saved {RESULTS / stem}.md and .json")
    return 1 if failures else 0


def measure(
    server: Server,
    endpoints: list[Endpoint],
    args: argparse.Namespace,
    load: _wrk.Load,
    results: dict[str, dict[str, list[_wrk.Sample]]],
    failures: dict[str, str],
    round_number: int,
) -> None:
    """One round of one app: check its answers (first round), warm it up, load each endpoint."""
    name = server.name
    for endpoint in endpoints:
        if round_number == 0:
            problems = verify(server.port, endpoint)
            if problems:
                log = server.log.read_text(errors="replace")[-600:]
                failures[f"{name}/{endpoint.name}"] = "; ".join(problems) + f"\n{log}"
                continue
            results[endpoint.name][name] = []
        elif name not in results[endpoint.name]:
            continue
        if args.warmup:
            warm = _wrk.Load(args.threads, args.connections, args.warmup)
            _wrk.run(server.port, endpoint, warm, server.pid)  # type: ignore[arg-type]
        sample = _wrk.run(server.port, endpoint, load, server.pid)  # type: ignore[arg-type]
        results[endpoint.name][name].append(sample)
        print(
            f"round {round_number + 1}/{args.rounds} {endpoint.name:9} {name:20} "
            f"{sample.requests_per_second:>9,.0f} req/s "
            f"{sample.cpu_us_per_request:7.0f} µs CPU/req {sample.errors}",
            flush=True,
        )


def versions() -> str:
    found = []
    for name in DISTRIBUTIONS:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def report(
    args: argparse.Namespace,
    names: list[str],
    endpoints: list[Endpoint],
    results: dict[str, dict[str, list[_wrk.Sample]]],
    failures: dict[str, str],
    started: dt.datetime,
    loads: list[str],
) -> list[str]:
    best = {e: {n: median(s) for n, s in by.items() if s} for e, by in results.items()}
    mode = "quick" if args.quick else "full"
    lines = [
        f"## Full-stack benchmark, {started:%Y-%m-%d %H:%M} UTC ({mode})",
        "",
        f"- wrk `-t{args.threads} -c{args.connections} -d{args.duration}s`, {args.warmup} s "
        f"warm-up per cell and round, {args.rounds} round(s), one app at a time, median reported",
        f"- PostgreSQL, {_world.POOL_SIZE} pooled connections per app (Django: {_world.POOL_SIZE} "
        "gunicorn threads, a persistent connection each)",
        f"- {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{_wrk.version()}",
        f"- {versions()}",
        f"- 1-min load average per round (start -> end): {', '.join(loads) or 'n/a'}",
        "",
        "### Requests per second (median round; CPU µs per request in brackets)",
        "",
        "| app | " + " | ".join(e.name for e in endpoints) + " |",
        "|---|" + "---:|" * len(endpoints),
    ]
    for name in names:
        cells = []
        for endpoint in endpoints:
            sample = best[endpoint.name].get(name)
            cells.append(
                "n/a" if sample is None else
                f"{sample.requests_per_second:,.0f} ({sample.cpu_us_per_request:,.0f})"
                + (f" {sample.errors}" if sample.errors else "")
            )  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    def ratio(a: str, b: str, endpoint: str) -> str:
        x, y = best[endpoint].get(a), best[endpoint].get(b)
        if x is None or y is None or not y.requests_per_second:
            return "n/a"
        return f"{x.requests_per_second / y.requests_per_second:.2f}"

    goals = [
        ("covet_async / starlette_asyncpg", "covet_async", "starlette_asyncpg", 0.8),
        ("covet_async / fastapi_sqlalchemy", "covet_async", "fastapi_sqlalchemy", 3.0),
        ("covet_sync / covet_async", "covet_sync", "covet_async", 0.8),
        ("starlette_psycopg / starlette_asyncpg", "starlette_psycopg", "starlette_asyncpg", None),
        ("covet_sync / starlette_psycopg", "covet_sync", "starlette_psycopg", None),
        ("covet_sync_on_loop / covet_async", "covet_sync_on_loop", "covet_async", 0.8),
        ("covet_sync_in_async / covet_async", "covet_sync_in_async", "covet_async", 0.8),
        ("covet_async / django", "covet_async", "django", None),
        ("covet_async / covet_async_noext", "covet_async", "covet_async_noext", None),
        ("covet_async / covet_async_perquery", "covet_async", "covet_async_perquery", None),
        ("covet_sync / covet_sync_perquery", "covet_sync", "covet_sync_perquery", None),
    ]
    db_endpoints = [e for e in endpoints if e.name != "json"]
    lines += [
        "",
        "### Ratios (goal in brackets)",
        "",
        "| ratio | " + " | ".join(e.name for e in endpoints) + " |",
        "|---|" + "---:|" * len(endpoints),
    ]
    for label, a, b, goal in goals:
        cells = [ratio(a, b, e.name) for e in endpoints]
        lines.append(f"| {label}{f' (>= {goal})' if goal else ''} | " + " | ".join(cells) + " |")
    geo = []
    for label, a, b, goal in goals:
        values = [best[e.name][a].requests_per_second / best[e.name][b].requests_per_second
                  for e in db_endpoints if a in best[e.name] and b in best[e.name]]  # fmt: skip
        if values:
            mean = statistics.geometric_mean(values)
            met = "" if goal is None else (" met" if mean >= goal else " NOT met")
            geo.append(f"- {label}: geometric mean over the database endpoints {mean:.2f}{met}")
    lines += ["", *geo]
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

"""What the OpenAPI work costs per request, and response_model against FastAPI's.

    python scripts/bench/http/openapi_cost.py [--rounds 3] [--duration 3] [--before PATH]

1. The typed endpoints (path, query, body) of ``app_covet`` three ways, interleaved in one run:
   ``covet`` (document and docs routes on, the document already built and served once),
   ``covet-noschema`` (``openapi_url=None``) and, with ``--before``, ``covet-before``: the same app
   on another covet-http source tree (``git archive main packages/covet-http/src | tar -x -C
   /tmp/main``, then ``--before /tmp/main/packages/covet-http/src``).
2. ``GET /model/42``: a 7-field internal record cut down to 5 public fields (one nested) by
   ``response_model=``, on covet (dataclasses) and FastAPI (pydantic models, its idiom).

Each cell is measured in interleaved rounds; the median req/s and server CPU per request are
reported. Other processes on the machine shift every cell alike; say so when quoting numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _servers
import _wrk
from _endpoints import ENDPOINTS, Endpoint, request, verify

TYPED = [e for e in ENDPOINTS if e.name in ("path", "query", "body")]
MODEL = Endpoint(
    "model",
    "GET",
    "/model/42",
    {
        "id": 42,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "roles": ["admin", "author"],
        "address": {"street": "12 St James's Square", "city": "London"},
    },
    "response_model",
)


def start(name: str, module: str, logs: Path, pythonpath: str | None = None) -> _servers.Server:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    port = _servers.free_port()
    log = logs / f"{name}.log"
    command = [sys.executable, "-m", "uvicorn", f"{module}:app", "--app-dir", str(_servers.APPS)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port), *_servers.UVICORN_FLAGS],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    server = _servers.Server(name, module, port, process, log)
    _servers.wait_ready(server)
    return server


def check(server: _servers.Server, endpoint: Endpoint) -> None:
    status, _, body = request(server.port, endpoint.method, endpoint.path, endpoint.body)
    if status != 200 or json.loads(body) != endpoint.expected:
        raise SystemExit(f"{server.framework} {endpoint.path}: {status} {body[:200]!r}")


def measure(
    cells: list[tuple[_servers.Server, Endpoint]], load: _wrk.Load, rounds: int
) -> dict[tuple[str, str], list[_wrk.Sample]]:
    samples: dict[tuple[str, str], list[_wrk.Sample]] = {}
    for server, endpoint in cells:  # warm-up
        _wrk.run(server.port, endpoint, _wrk.Load(load.threads, load.connections, 1), server.pid)
    for number in range(rounds):
        order = cells[number % len(cells) :] + cells[: number % len(cells)]
        for server, endpoint in order:
            sample = _wrk.run(server.port, endpoint, load, server.pid)
            samples.setdefault((endpoint.name, server.framework), []).append(sample)
            print(
                f"round {number + 1} {endpoint.name:6} {server.framework:15} "
                f"{sample.requests_per_second:>9,.0f} req/s "
                f"{sample.cpu_us_per_request:6.1f} µs CPU/req {sample.errors}",
                flush=True,
            )
    return samples


def table(samples: dict[tuple[str, str], list[_wrk.Sample]], names: list[str]) -> list[str]:
    lines = ["| endpoint | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for endpoint in dict.fromkeys(e for e, _ in samples):
        cells = []
        for name in names:
            found = samples.get((endpoint, name))
            if not found:
                cells.append("")
                continue
            rps = statistics.median(s.requests_per_second for s in found)
            cpu = statistics.median(s.cpu_us_per_request for s in found)
            cells.append(f"{rps:,.0f} req/s, {cpu:.1f} µs CPU")
        lines.append(f"| {endpoint} | " + " | ".join(cells) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--before", help="another covet-http src directory, for covet-before")
    args = parser.parse_args()
    load = _wrk.Load(1, args.connections, args.duration)
    with (
        tempfile.TemporaryDirectory(prefix="covet-openapi-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        logs = Path(tmp)
        servers = {"covet": start("covet", "app_covet", logs)}
        servers["covet-noschema"] = start("covet-noschema", "app_covet_noschema", logs)
        if args.before:
            servers["covet-before"] = start("covet-before", "app_covet", logs, args.before)
        servers["covet-model"] = start("covet-model", "app_covet_model", logs)
        servers["fastapi-model"] = start("fastapi-model", "app_fastapi_model", logs)
        for server in servers.values():
            stack.callback(_servers.stop, server)
        status, _, _ = request(servers["covet"].port, "GET", "/openapi.json")
        assert status == 200, "the schema is on and built before the measurement"
        typed = [name for name in ("covet", "covet-noschema", "covet-before") if name in servers]
        for endpoint in TYPED:
            for name in typed:
                problems = verify(servers[name].port, endpoint)
                if problems:
                    raise SystemExit(f"{name}: {problems}")
        check(servers["covet-model"], MODEL)
        check(servers["fastapi-model"], MODEL)
        cells = [(servers[name], endpoint) for endpoint in TYPED for name in typed]
        cells += [(servers["covet-model"], MODEL), (servers["fastapi-model"], MODEL)]
        samples = measure(cells, load, args.rounds)
    print()
    print(f"load average at the end: {os.getloadavg()}")
    print("\n".join(table({k: v for k, v in samples.items() if k[0] != "model"}, typed)))
    print()
    models = {k: v for k, v in samples.items() if k[0] == "model"}
    print("\n".join(table(models, ["covet-model", "fastapi-model"])))
    covet = statistics.median(s.requests_per_second for s in samples[("model", "covet-model")])
    peer = statistics.median(s.requests_per_second for s in samples[("model", "fastapi-model")])
    print(f"\nresponse_model: covet {covet / peer:.2f}x FastAPI's throughput")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

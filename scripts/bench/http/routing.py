"""Routing microbenchmark: CPU µs per request through the router, for two covet-http trees.

    python scripts/bench/http/routing.py                      # this checkout only
    python scripts/bench/http/routing.py --baseline /tmp/old  # and another covet-http src tree

Each measurement runs in a fresh subprocess importing covet.http from the given ``src``
directory (``--baseline`` is a ``packages/covet-http/src`` of another commit, e.g. from
``git archive``). Rounds alternate between the trees, so load from other processes hits both
alike; the best round per case is reported. The app has ~60 routes (static, typed parameters,
a greedy path, an included router and a mounted one) and uses only long-standing API.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
CURRENT_SRC = HERE.parents[3] / "packages" / "covet-http" / "src"

CASES = {
    "static": ("GET", "/plaintext"),
    "int param": ("GET", "/users/42"),
    "three params": ("GET", "/orgs/acme/repos/covet/issues/7"),
    "uuid param": ("GET", "/orders/00000000-0000-0000-0000-000000000005"),
    "greedy path": ("GET", "/files/a/b/c.txt"),
    "included router": ("GET", "/v1/items/9"),
    "mounted router": ("GET", "/admin/stats"),
    "404": ("GET", "/nowhere/at/all"),
    "405": ("DELETE", "/users/42"),
    "slash redirect": ("GET", "/users/42/"),
}

CHILD = r"""
import asyncio, json, sys, time, uuid
from covet.http import Covet, Router

app = Covet()

async def plain() -> str:
    return "ok"

async def user(id: int) -> dict:
    return {"id": id}

async def issue(org: str, repo: str, n: int) -> dict:
    return {"n": n}

async def order(ref: uuid.UUID) -> str:
    return ref.hex

async def files(rest: str) -> str:
    return rest

app.add_route("/plaintext", plain)
app.add_route("/users/{id:int}", user)
app.add_route("/orgs/{org}/repos/{repo}/issues/{n:int}", issue)
app.add_route("/orders/{ref:uuid}", order)
app.add_route("/files/{rest:path}", files)
for i in range(40):
    app.add_route(f"/section{i}/things/{{id:int}}", user, name=f"things{i}")
v1 = Router()
v1.add_route("/items/{id:int}", user, name="item")
for i in range(10):
    v1.add_route(f"/extra{i}", plain, name=f"extra{i}")
app.include_router(v1, prefix="/v1")
admin = Router()
admin.add_route("/stats", plain, name="stats")
app.mount("/admin", admin)

async def drive(method, path, count):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench")],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    status = []
    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
    for _ in range(200):
        await app(dict(scope), receive, send)
    started = time.process_time()
    for _ in range(count):
        await app(dict(scope), receive, send)
    return (time.process_time() - started) / count, status[-1]

async def main():
    cases = json.loads(sys.argv[1])
    count = int(sys.argv[2])
    out = {}
    for name, (method, path) in cases.items():
        seconds, status = await drive(method, path, count)
        out[name] = [seconds * 1e6, status]
    print(json.dumps(out))

asyncio.run(main())
"""


def run_tree(src: Path, count: int) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(CASES), str(count)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="another covet-http src tree to compare")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args(argv)
    trees = {"this tree": CURRENT_SRC}
    if args.baseline is not None:
        trees = {"baseline": args.baseline, **trees}
    best: dict[str, dict[str, float]] = {label: {} for label in trees}
    statuses: dict[str, dict[str, int]] = {label: {} for label in trees}
    for _ in range(args.rounds):
        for label, src in trees.items():
            for case, (micros, status) in run_tree(src, args.requests).items():
                best[label][case] = min(best[label].get(case, float("inf")), micros)
                statuses[label][case] = int(status)
    labels = list(trees)
    print("| case (CPU µs/request) | " + " | ".join(labels) + " | status |")
    print("| --- |" + " ---: |" * len(labels) + " --- |")
    for case in CASES:
        cells = " | ".join(f"{best[label][case]:.2f}" for label in labels)
        codes = "/".join(sorted({str(statuses[label][case]) for label in labels}))
        print(f"| {case} | {cells} | {codes} |")


if __name__ == "__main__":
    main()

"""CPU time per ORM statement, sync API vs async API, for two builds of covet-orm side by side.

    python scripts/bench/orm/cpu_per_statement.py [--base DIR] [--rounds 5] [--n 2000]
        [--interleave K]

``--base`` is another covet-orm source tree (its ``src`` directory) to compare with, for example
main's: ``git archive main packages/covet-orm/src | tar -x -C /tmp/main`` then ``--base
/tmp/main/packages/covet-orm/src``. Each round runs every (build, database) pair in a fresh
process, interleaved, and each process times ``get``/``aget`` by primary key, a 20-row
``filter`` and a one-row ``create`` with ``time.process_time`` (CPU of this process only: the
database server's work and the wait for it are not counted, which keeps the figure meaningful on
a shared machine). Cells are medians over rounds with the lowest and highest in brackets.

``--interleave K``: each process alternates the two APIs instead, K times per operation (a sync
batch of n/K statements, then an async batch on the same event loop, kept between batches by an
``asyncio.Runner``), so load that drifts during the process falls on both; a second table gives
the median of the per-batch sync/async ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
URLS = {
    "postgres": os.environ.get(
        "COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
    "sqlite": "sqlite:///{tmp}/cpu_bench.db",
}
OPS = ("get", "filter20", "create")

CHILD = r"""
import asyncio, json, sys, tempfile, time
from covet.orm import CharField, Database, IntegerField, Model

url, n, inner = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tmp = tempfile.mkdtemp()
db = Database(url.format(tmp=tmp), default=True, pool_size=2)

class CpuRow(Model):
    name = CharField(max_length=20)
    level = IntegerField()

    class Meta:
        table_name = "bench_cpu_row_%d" % __import__("os").getpid()

db.drop_tables([CpuRow]); db.create_tables([CpuRow])
CpuRow.objects.bulk_create([CpuRow(name=f"r{i}", level=i % 50) for i in range(200)])
pk = CpuRow.objects.filter(name="r7").values_list("id", flat=True).get()

def cpu(fn, reps):
    fn()  # warm: connection opened, statement prepared
    t = time.process_time()
    for _ in range(reps):
        fn()
    return (time.process_time() - t) / reps * 1e6

async def acpu(fn, reps):
    await fn()
    t = time.process_time()
    for _ in range(reps):
        await fn()
    return (time.process_time() - t) / reps * 1e6

OPS = {
    "get": (lambda: CpuRow.objects.get(pk=pk), lambda: CpuRow.objects.aget(pk=pk), n),
    "filter20": (
        lambda: list(CpuRow.objects.filter(level__lt=20)[:20]),
        lambda: CpuRow.objects.filter(level__lt=20)[:20].alist(),
        n // 2,
    ),
    "create": (
        lambda: CpuRow.objects.create(name="x", level=1),
        lambda: CpuRow.objects.acreate(name="x", level=1),
        n // 2,
    ),
}

if inner <= 1:
    out = {"sync": {op: cpu(s, reps) for op, (s, a, reps) in OPS.items()}}

    async def main():
        res = {op: await acpu(a, reps) for op, (s, a, reps) in OPS.items()}
        await db.aclose()
        return res

    out["async"] = asyncio.run(main())
else:
    import statistics
    out = {"sync": {}, "async": {}, "ratio": {}}
    with asyncio.Runner() as runner:
        for op, (s, a, reps) in OPS.items():
            sync, asyn = [], []
            for _ in range(inner):
                sync.append(cpu(s, max(1, reps // inner)))
                asyn.append(runner.run(acpu(a, max(1, reps // inner))))
            out["sync"][op] = statistics.median(sync)
            out["async"][op] = statistics.median(asyn)
            out["ratio"][op] = statistics.median(x / y for x, y in zip(sync, asyn))
        runner.run(db.aclose())
db = Database(url.format(tmp=tmp), default=True)
db.drop_tables([CpuRow]); db.close()
print(json.dumps(out))
"""


def run_child(src: str | None, url: str, n: int, inner: int) -> dict[str, dict[str, float]]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(n), str(inner)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, dict[str, float]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", help="another covet-orm src directory to compare with (e.g. main)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--db", default="postgres,mysql,sqlite")
    ap.add_argument(
        "--interleave",
        type=int,
        default=1,
        help="alternate sync and async batches this many times per operation in each process",
    )
    opts = ap.parse_args()
    builds = {"this tree": None}
    if opts.base:
        builds = {"base": opts.base, "this tree": None}
    dbs = opts.db.split(",")
    samples: dict[tuple[str, str, str, str], list[float]] = {}
    print(f"load average {os.getloadavg()[0]:.2f} before, {os.cpu_count()} CPUs, n={opts.n}")
    for _ in range(opts.rounds):
        for db in dbs:
            for build, src in builds.items():
                res = run_child(src, URLS[db], opts.n, opts.interleave)
                for api, ops in res.items():
                    for op, us in ops.items():
                        samples.setdefault((db, build, api, op), []).append(us)
    print(f"load average {os.getloadavg()[0]:.2f} after\n")
    print("CPU microseconds per statement: median [min-max] over rounds\n")
    print("| database | build | API | " + " | ".join(OPS) + " |")
    print("|---|---|---|" + "---:|" * len(OPS))
    for db in dbs:
        for build in builds:
            for api in ("sync", "async"):
                cells = []
                for op in OPS:
                    v = samples[(db, build, api, op)]
                    cells.append(f"{statistics.median(v):.1f} [{min(v):.0f}-{max(v):.0f}]")
                print(f"| {db} | {build} | {api} | " + " | ".join(cells) + " |")
    if opts.interleave > 1:
        print("\nsync/async CPU, median of the per-batch ratios: median [min-max] over rounds\n")
        print("| database | build | " + " | ".join(OPS) + " |")
        print("|---|---|" + "---:|" * len(OPS))
        for db in dbs:
            for build in builds:
                cells = []
                for op in OPS:
                    v = samples[(db, build, "ratio", op)]
                    cells.append(f"{statistics.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]")
                print(f"| {db} | {build} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Relations benchmark (issue 9): eager loading, prefetching, annotate over a reverse FK and the
naive N+1 loop, covet-orm vs raw drivers and peer ORMs on SQLite, PostgreSQL and MariaDB.

    python scripts/bench/orm/relations.py --quick                 # a few minutes, every database
    python scripts/bench/orm/relations.py --db sqlite --peers django_peer,sqlalchemy_sync
    python scripts/bench/orm/relations.py --repeat 2 --rounds 1 --no-save   # a smoke run
    python scripts/bench/orm/relations.py --before /tmp/old/packages/covet-orm/src  # before/after

The workload and its scenarios (a)-(e) are described in ``_relations_workload.py``. Each peer
runs in its own subprocess on freshly created and filled tables; PostgreSQL and MariaDB runs use
a database created for the run (``covet_relbench_<pid>``) and dropped afterwards. Every peer's
checksums must equal the raw driver's. Results are printed as markdown (ms per scenario, then
the speed ratio to hand-written SQL on the raw driver: 1.00 = as fast as the driver) and written
to ``scripts/bench/orm/results/<date>-relations-<mode>.md``. Until covet.orm has relation fields
the covet peers print "covet: relations not available".
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _relations_workload import (  # noqa: E402
    OBJECTS,
    SCENARIOS,
    Config,
    create_schema,
    run_async,
    run_sync,
)
from run import (  # noqa: E402
    create_database,
    drop_database,
    geomean,
    server_url,
    versions,
    with_database,
)

PEERS: dict[str, list[str]] = {
    "sqlite": [
        "raw_sqlite3", "covet_sync", "covet_async", "django_peer", "sqlalchemy_sync",
        "sqlalchemy_async", "peewee_peer", "tortoise_peer",
    ],
    "postgres": [
        "raw_asyncpg", "raw_psycopg", "covet_sync", "covet_async", "django_peer",
        "sqlalchemy_sync", "sqlalchemy_async", "peewee_peer", "tortoise_peer",
    ],
    "mysql": [
        "raw_asyncmy", "raw_pymysql", "covet_sync", "covet_async", "django_peer",
        "sqlalchemy_sync", "sqlalchemy_async", "peewee_peer", "tortoise_peer",
    ],
}  # fmt: skip
BASELINE = {"sqlite": "raw_sqlite3", "postgres": "raw_asyncpg", "mysql": "raw_asyncmy"}
LABEL = {
    "raw_sqlite3": "sqlite3 (raw SQL)",
    "raw_asyncpg": "asyncpg (raw SQL)",
    "raw_psycopg": "psycopg 3 (raw SQL, sync)",
    "raw_asyncmy": "asyncmy (raw SQL)",
    "raw_pymysql": "PyMySQL (raw SQL, sync)",
    "covet_sync": "covet-orm sync",
    "covet_async": "covet-orm async",
    "django_peer": "Django ORM",
    "sqlalchemy_sync": "SQLAlchemy 2 sync",
    "sqlalchemy_async": "SQLAlchemy 2 async",
    "peewee_peer": "Peewee",
    "tortoise_peer": "Tortoise",
}
#: the suffix of a covet peer run from ``--before``'s source tree
BEFORE = ":before"
MODES = {"quick": 3, "full": 10}  # best of this many runs per scenario
UNAVAILABLE = "covet: relations not available"


# --- the child: one peer, one database, one JSON line -------------------------------------------


def child(peer_name: str, db: str, url: str, repeat: int) -> int:
    cfg = Config(db, url, repeat)
    result: dict[str, Any] = {"peer": peer_name, "db": db}
    try:
        create_schema(cfg)
        module = importlib.import_module(f"rel_peers.{peer_name.removesuffix(BEFORE)}")
        if module.IS_ASYNC:

            async def go() -> dict[str, Any]:
                peer = module.make(cfg)
                if asyncio.iscoroutine(peer):
                    peer = await peer
                return await run_async(peer, cfg)

            result.update(asyncio.run(go()))
        else:
            result.update(run_sync(module.make(cfg), cfg))
    except Exception as exc:  # a broken peer is reported, not fatal to the run
        if type(exc).__name__ == "RelationsUnavailable":
            result["unavailable"] = str(exc)
        else:
            result["error"] = f"{type(exc).__name__}: {exc}"[:300]
            result["traceback"] = traceback.format_exc()[-2000:]
    print(json.dumps(result))
    return 0


def run_peer(
    peer: str, db: str, url: str, repeat: int, before: str | None = None
) -> dict[str, Any]:
    """One peer in a child process; ``before``: covet.orm imported from that source tree
    (``PYTHONPATH``), reported as ``<peer>:before``."""
    name = peer + BEFORE if before else peer
    args = [sys.executable, str(HERE / "relations.py"), "--child", name, db, url, str(repeat)]
    env = None
    if before:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [before, os.environ.get("PYTHONPATH")])),
        }
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=HERE, env=env)
    except subprocess.TimeoutExpired:
        return {"peer": peer, "db": db, "error": "timed out after 600s"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"peer": peer, "db": db, "error": f"exit {proc.returncode}: {proc.stderr[-300:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def merge(best: dict[str, dict[str, Any]], result: dict[str, Any]) -> None:
    """Keep each peer's best time per scenario over the rounds."""
    seen = best.setdefault(result["peer"], result)
    if seen is result or "seconds" not in result:
        return
    if "seconds" not in seen:
        best[result["peer"]] = result
        return
    for code, secs in result["seconds"].items():
        seen["seconds"][code] = min(secs, seen["seconds"].get(code, float("inf")))


# --- the report -----------------------------------------------------------------------------------


def render(db: str, results: list[dict[str, Any]]) -> str:
    base = next((r for r in results if r["peer"] == BASELINE[db] and "seconds" in r), None)
    codes = list(SCENARIOS)
    head = "| peer | " + " | ".join(f"({c})" for c in codes) + " | geo mean |"
    sep = "|---|" + "---:|" * (len(codes) + 1)
    ms_lines = [f"### {db}: ms per scenario (best run)", "", head, sep]
    ratio_lines = [
        f"### {db}: speed ratio to {LABEL[BASELINE[db]]} (1.00 = the raw driver, higher is faster)",
        "",
        head,
        sep,
    ]
    notes = []
    for r in results:
        peer = r["peer"]
        label = LABEL.get(peer.removesuffix(BEFORE), peer)
        if peer.endswith(BEFORE):
            label += " (before)"
        if "unavailable" in r:
            notes.append(f"- {label}: {r['unavailable']}")
            continue
        if "seconds" not in r:
            notes.append(f"- {label}: failed: {r.get('error', 'no result')}")
            continue
        secs: dict[str, float] = r["seconds"]
        cells = [f"{secs[c] * 1000:,.2f}" if c in secs else "n/a" for c in codes]
        ms_lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {geomean(list(secs.values())) * 1000:,.2f} |"
        )
        if base is None:
            continue
        wrong = [
            c
            for c in codes
            if c in r["checksums"] and r["checksums"][c] != base["checksums"].get(c)
        ]
        if wrong:
            notes.append(f"- {label}: checksum differs from the raw driver in {', '.join(wrong)}")
        ratios = {c: base["seconds"][c] / secs[c] for c in codes if c in secs}
        cells = [f"{ratios[c]:.2f}" for c in codes if c in ratios]
        ratio_lines.append(
            f"| {label} | " + " | ".join(cells) + f" | **{geomean(list(ratios.values())):.2f}** |"
        )
    out = ms_lines + [""] + (ratio_lines if base is not None else [f"(no {BASELINE[db]} run)"])
    if notes:
        out += ["", *notes]
    return "\n".join(out) + "\n"


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        peer, db, url, repeat = sys.argv[2:6]
        return child(peer, db, url, int(repeat))
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="best of 3 runs instead of 10")
    parser.add_argument("--db", default="sqlite,postgres,mysql", help="sqlite,postgres,mysql")
    parser.add_argument(
        "--peers", default="", help="comma-separated subset (the raw baseline runs)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="interleaved runs of every peer")
    parser.add_argument("--repeat", type=int, default=0, help="runs per scenario (overrides mode)")
    parser.add_argument("--no-save", action="store_true", help="print only; no results/*.md")
    parser.add_argument(
        "--before",
        metavar="SRC",
        help="also run the covet peers with covet.orm from this source tree, for a before/after "
        "in one run (e.g. `git archive <rev> packages/covet-orm/src | tar -x -C /tmp/old`, then "
        "--before /tmp/old/packages/covet-orm/src)",
    )
    opts = parser.parse_args()
    mode = "quick" if opts.quick else "full"
    repeat = opts.repeat or MODES[mode]
    wanted = {p for p in opts.peers.split(",") if p}
    started = time.monotonic()
    doc = [
        f"## ORM relations benchmark ({mode} mode), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()}, load average before the run {os.getloadavg()[0]:.2f}.",
        f"Versions: {versions()}.",
        "Scenarios: " + "; ".join(f"({k}) {v}" for k, v in SCENARIOS.items()) + ".",
        f"Each cell: the best of {repeat} runs x {opts.rounds} interleaved rounds. Rows per "
        "scenario: " + ", ".join(f"({k}) {v}" for k, v in OBJECTS.items()) + ".",
        "",
    ]
    print("\n".join(doc), flush=True)
    for db in [d for d in opts.db.split(",") if d]:
        tmp = None
        name = f"covet_relbench_{os.getpid()}"
        if db == "sqlite":
            tmp = tempfile.TemporaryDirectory(prefix="covet-relbench-")
            url = str(Path(tmp.name) / "relations.db")
        else:
            err = create_database(db, name)
            if err:
                section = f"### {db}\n\nskipped: server unreachable ({err})\n"
                print(section, flush=True)
                doc.append(section)
                continue
            url = with_database(server_url(db), name)
        best: dict[str, dict[str, Any]] = {}
        said_unavailable = False
        try:
            for rnd in range(opts.rounds):
                for peer in PEERS[db]:
                    if wanted and peer not in wanted and peer != BASELINE[db]:
                        continue
                    runs: list[str | None] = [None]
                    if opts.before and peer.startswith("covet"):
                        runs.append(str(Path(opts.before).resolve()))
                    for before in runs:
                        result = run_peer(peer, db, url, repeat, before)
                        merge(best, result)
                        status = (
                            "ok"
                            if "seconds" in result
                            else result.get("unavailable") or result.get("error")
                        )
                        print(
                            f"  {db} {result['peer']} round {rnd + 1}: {status}",
                            file=sys.stderr,
                            flush=True,
                        )
                    if "unavailable" in result and not said_unavailable:
                        print(UNAVAILABLE, flush=True)
                        said_unavailable = True
        finally:
            if tmp is not None:
                tmp.cleanup()
            else:
                drop_database(db, name)
        section = render(db, list(best.values()))
        print(section, flush=True)
        doc.append(section)
    tail = (
        f"Run took {time.monotonic() - started:.0f}s; load average after {os.getloadavg()[0]:.2f}."
    )
    print(tail)
    doc.append(tail + "\n")
    if not opts.no_save:
        out = HERE / "results" / f"{datetime.now(UTC):%Y%m%d-%H%M}-relations-{mode}.md"
        out.write_text("\n".join(doc))
        print(f"written to {out.relative_to(HERE.parent.parent.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

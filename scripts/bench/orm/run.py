"""covet-orm vs raw drivers and peer ORMs, side by side on SQLite, PostgreSQL and MariaDB.

    python scripts/bench/orm/run.py --quick                  # < 3 minutes, every database
    python scripts/bench/orm/run.py --db postgres --peers raw_asyncpg,covet_async
    python scripts/bench/orm/run.py --profile covet_sync     # pyinstrument reports in results/

Each peer runs in its own subprocess on a fresh ``journal`` table. The PostgreSQL and MariaDB
runs use a database created for the run (``covet_bench_<pid>``) and dropped afterwards. Results
are printed as markdown and written to ``scripts/bench/orm/results/<date>-<mode>.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _workload import TESTS, mysql_connect  # noqa: E402

PEERS: dict[str, list[str]] = {
    "sqlite": [
        "raw_sqlite3", "raw_aiosqlite", "covet_sync", "covet_async", "peewee_peer", "django_peer",
        "sqlalchemy_sync", "sqlalchemy_async", "tortoise_peer",
    ],
    "postgres": [
        "raw_asyncpg", "raw_psycopg", "covet_sync", "covet_async", "peewee_peer", "django_peer",
        "sqlalchemy_sync", "sqlalchemy_async", "tortoise_peer", "piccolo_peer",
    ],
    "mysql": [
        "raw_asyncmy", "raw_pymysql", "covet_sync", "covet_async", "peewee_peer", "django_peer",
        "sqlalchemy_sync", "sqlalchemy_async", "tortoise_peer",
    ],
}  # fmt: skip
BASELINE = {"sqlite": "raw_sqlite3", "postgres": "raw_asyncpg", "mysql": "raw_asyncmy"}
LABEL = {
    "raw_sqlite3": "sqlite3 (raw)",
    "raw_aiosqlite": "aiosqlite (raw)",
    "raw_asyncpg": "asyncpg (raw)",
    "raw_psycopg": "psycopg 3 (raw, sync)",
    "raw_asyncmy": "asyncmy (raw)",
    "raw_pymysql": "PyMySQL (raw, sync)",
    "covet_sync": "covet-orm sync",
    "covet_async": "covet-orm async",
    "peewee_peer": "Peewee",
    "django_peer": "Django ORM",
    "sqlalchemy_sync": "SQLAlchemy 2 sync",
    "sqlalchemy_async": "SQLAlchemy 2 async",
    "tortoise_peer": "Tortoise",
    "piccolo_peer": "Piccolo",
}
MODES = {  # n, large, small_reps, get_reps, updates, repeat
    "quick": (1000, 3000, 100, 500, 300, 2),
    "full": (10000, 10000, 1000, 3000, 2000, 3),
}
VERSIONS = [
    "asyncpg", "asyncmy", "aiosqlite", "psycopg", "pymysql", "sqlalchemy", "peewee",
    "tortoise-orm", "piccolo", "django", "covet-orm",
]  # fmt: skip


def server_url(db: str) -> str:
    if db == "postgres":
        return os.environ.get(
            "COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        )
    return os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def create_database(db: str, name: str) -> str | None:
    """Create the run's database; return an error string when the server is unreachable."""
    try:
        if db == "postgres":
            import psycopg

            with psycopg.connect(server_url(db), autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn = mysql_connect(server_url(db))
            with conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            conn.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def drop_database(db: str, name: str) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(server_url(db), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        conn = mysql_connect(server_url(db))
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def run_peer(peer: str, db: str, url: str, mode: str, profile_dir: Path | None) -> dict[str, Any]:
    args = [sys.executable, str(HERE / "_child.py"), peer, db, url, *map(str, MODES[mode])]
    if profile_dir is not None:
        args += ["--profile", str(profile_dir / f"{db}-{peer}.txt")]
    timeout = 170 if mode == "quick" else 900
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=HERE)
    except subprocess.TimeoutExpired:
        return {"peer": peer, "db": db, "error": f"timed out after {timeout}s"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {
            "peer": peer,
            "db": db,
            "error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}",
        }
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def merge(best: dict[str, dict[str, Any]], result: dict[str, Any]) -> None:
    """Keep each peer's best rate per test over the rounds (the least disturbed run)."""
    seen = best.setdefault(result["peer"], result)
    if seen is result or "rows_per_s" not in result:
        return
    if "rows_per_s" not in seen:
        best[result["peer"]] = result
        return
    for code, rate in result["rows_per_s"].items():
        seen["rows_per_s"][code] = max(rate, seen["rows_per_s"].get(code, 0.0))


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def render(db: str, results: list[dict[str, Any]]) -> str:
    base = next((r for r in results if r["peer"] == BASELINE[db] and "rows_per_s" in r), None)
    codes = list(TESTS)
    head = "| peer | " + " | ".join(codes) + " | geo mean |"
    sep = "|---|" + "---:|" * (len(codes) + 1)
    rate_lines = [f"### {db}: rows/s", "", head, sep]
    ratio_lines = [
        f"### {db}: ratio to {LABEL[BASELINE[db]]} (1.00 = the raw driver)",
        "",
        head,
        sep,
    ]
    errors = []
    for r in results:
        label = LABEL.get(r["peer"], r["peer"])
        if "rows_per_s" not in r:
            errors.append(f"- {label}: {r.get('error', 'no result')}")
            continue
        rates: dict[str, float] = r["rows_per_s"]
        cells = [f"{rates[c]:,.0f}" if c in rates else "n/a" for c in codes]
        rate_lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {geomean(list(rates.values())):,.0f} |"
        )
        if base is not None:
            ratios = {c: rates[c] / base["rows_per_s"][c] for c in codes if c in rates}
            cells = [f"{ratios[c]:.2f}" if c in ratios else "n/a" for c in codes]
            ratio_lines.append(
                f"| {label} | "
                + " | ".join(cells)
                + f" | **{geomean(list(ratios.values())):.2f}** |"
            )
    out = (
        rate_lines + [""] + (ratio_lines if base is not None else [f"(no {BASELINE[db]} baseline)"])
    )
    if errors:
        out += ["", "Peers that failed:", *errors]
    return "\n".join(out) + "\n"


def versions() -> str:
    found = []
    for name in VERSIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small workload, finishes in under 3 minutes"
    )
    parser.add_argument(
        "--db", default="sqlite,postgres,mysql", help="comma-separated: sqlite,postgres,mysql"
    )
    parser.add_argument(
        "--peers", default="", help="comma-separated subset of peers (default: all)"
    )
    parser.add_argument(
        "--profile", default="", help="comma-separated peers to run under pyinstrument"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=0,
        help="run every peer this many times, interleaved; keep each test's best (default 2)",
    )
    parser.add_argument(
        "--no-save", action="store_true", help="print only; do not write results/*.md"
    )
    opts = parser.parse_args()
    mode = "quick" if opts.quick else "full"
    rounds = opts.rounds or 2
    wanted = {p for p in opts.peers.split(",") if p}
    profiled = {p for p in opts.profile.split(",") if p}
    started = time.monotonic()
    load_before = os.getloadavg()
    n, large, small, gets, updates, repeat = MODES[mode]
    doc = [
        f"## ORM benchmark ({mode} mode), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.machine()}, "
        f"Python {platform.python_version()}, "
        f"load average before the run {load_before[0]:.2f}.",
        f"Versions: {versions()}.",
        f"Workload: A/B/C insert {n} rows each; D/G/H fetch {large} rows (best of {repeat}); "
        f"E {small} queries of 20 rows; F {gets} gets; I/J/K touch {updates} rows, "
        "one statement per row in one transaction. "
        f"Every peer ran {rounds} times, interleaved with the others; each cell is its best run.",
        "Tests: " + "; ".join(f"{k} = {v}" for k, v in TESTS.items()) + ".",
        "",
    ]
    print("\n".join(doc), flush=True)
    for db in [d for d in opts.db.split(",") if d]:
        name = f"covet_bench_{os.getpid()}"
        tmp = None
        if db == "sqlite":
            tmp = tempfile.TemporaryDirectory(prefix="covet-bench-")
            url = str(Path(tmp.name) / "bench.db")
        else:
            err = create_database(db, name)
            if err:
                section = f"### {db}\n\nskipped: server unreachable ({err})\n"
                print(section, flush=True)
                doc.append(section)
                continue
            url = with_database(server_url(db), name)
        profile_dir = HERE / "results" / "profiles" if profiled else None
        if profile_dir:
            profile_dir.mkdir(parents=True, exist_ok=True)
        best: dict[str, dict[str, Any]] = {}
        try:
            for rnd in range(rounds):
                for peer in PEERS[db]:
                    if wanted and peer not in wanted and peer != BASELINE[db]:
                        continue
                    if tmp is not None:
                        for suffix in ("", "-wal", "-shm"):
                            Path(url + suffix).unlink(missing_ok=True)
                    profile = profile_dir if peer in profiled and rnd == 0 else None
                    merge(best, run_peer(peer, db, url, mode, profile))
                    status = "ok" if "rows_per_s" in best[peer] else best[peer].get("error")
                    print(f"  {db} {peer} round {rnd + 1}: {status}", file=sys.stderr, flush=True)
        finally:
            if tmp is not None:
                tmp.cleanup()
            else:
                drop_database(db, name)
        results = list(best.values())
        section = render(db, results)
        print(section, flush=True)
        doc.append(section)
    load_after = os.getloadavg()
    tail = f"Run took {time.monotonic() - started:.0f}s; load average after {load_after[0]:.2f}.\n"
    print(tail)
    doc.append(tail)
    if not opts.no_save:
        out = HERE / "results" / f"{datetime.now(UTC):%Y%m%d-%H%M}-{mode}.md"
        out.write_text("\n".join(doc))
        print(f"written to {out.relative_to(HERE.parent.parent.parent)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Peak memory of reading a large table: QuerySet.iterator() against list(QuerySet).

    python scripts/bench/orm/streaming.py [--rows 1000000] [--db sqlite,postgres,mysql]

Each measurement runs in a fresh process (peak RSS, ``ru_maxrss``, only grows): it fills a table
with ``--rows`` rows once per database, then one child reads it with ``iterator(chunk_size=2000)``
(sync), one with ``aiterator`` (async) and one with ``list(qs)``, and each reports its peak RSS
above the RSS it had before reading. Not a test: it takes minutes at a million rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

URLS = {
    "postgres": os.environ.get(
        "COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
    ),
    "mysql": os.environ.get("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
    "sqlite": "sqlite:///{tmp}/stream_bench.db",
}

MODEL = r"""
import asyncio, resource, sys
from covet.orm import CharField, Database, IntegerField, Model
db = Database(sys.argv[1], default=True)

class StreamRow(Model):
    n = IntegerField()
    text = CharField(max_length=40)

    class Meta:
        table_name = "bench_stream_row"

def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

FILL = (
    MODEL
    + r"""
db.drop_tables([StreamRow]); db.create_tables([StreamRow])
rows, batch = int(sys.argv[2]), 10000
for start in range(0, rows, batch):
    StreamRow.objects.bulk_create(
        [StreamRow(n=i, text=f"row number {i:>12}") for i in range(start, min(rows, start + batch))]
    )
"""
)

READ = (
    MODEL
    + r"""
mode = sys.argv[2]
StreamRow.objects.filter(n=0).count()  # connected, imports done
before = rss_mb()
count = 0
if mode == "iterator":
    for obj in StreamRow.objects.iterator(chunk_size=2000):
        count += 1
elif mode == "aiterator":
    async def main():
        n = 0
        async for obj in StreamRow.objects.aiterator(chunk_size=2000):
            n += 1
        await db.aclose()
        return n
    count = asyncio.run(main())
else:
    count = len(list(StreamRow.objects.all()))
print(f"{count} {rss_mb() - before:.0f}")
"""
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", default="sqlite,postgres,mysql")
    opts = ap.parse_args()
    tmp = tempfile.mkdtemp()
    print(f"{opts.rows:,} rows; peak RSS growth while reading, MB\n")
    print("| database | iterator(chunk_size=2000) | aiterator(chunk_size=2000) | list(qs) |")
    print("|---|---:|---:|---:|")
    for name in opts.db.split(","):
        url = URLS[name].format(tmp=tmp)
        subprocess.run([sys.executable, "-c", FILL, url, str(opts.rows)], check=True)
        cells = []
        for mode in ("iterator", "aiterator", "list"):
            out = subprocess.run(
                [sys.executable, "-c", READ, url, mode], check=True, capture_output=True, text=True
            ).stdout.split()
            assert int(out[0]) == opts.rows, out
            cells.append(out[1])
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        subprocess.run(
            [sys.executable, "-c", MODEL + "db.drop_tables([StreamRow])", url], check=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

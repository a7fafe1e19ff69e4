"""The TechEmpower "World" and "Fortune" tables, shared by every benchmark app and the runner.

TechEmpower's rules followed here (framework benchmarks, "database" test types):

* ``/db``: one random ``World`` row (id 1..10,000) as ``{"id", "randomNumber"}``.
* ``/queries?queries=N``: N rows, each read with its own query (no ``IN``), N clamped to 1..500,
  anything that is not an integer counts as 1.
* ``/fortunes``: every ``Fortune`` row plus one added at request time, sorted by message,
  rendered as an HTML table with the message escaped (``text/html; charset=utf-8``).
* ``/updates?queries=N``: N rows read one by one, each given a new random number and written
  back (batched writes are allowed), returned as JSON.

Every app reads ``BENCH_DATABASE_URL`` (a ``postgresql://`` URL) and ``BENCH_POOL_SIZE``.
"""

from __future__ import annotations

import html
import os
import random
from typing import Any

ROWS = 10_000
POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "20"))
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/covet_bench"
)

FORTUNES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. \u2014 Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af",
]
EXTRA_FORTUNE = "Additional fortune added at request time."

HEAD = (
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
)
TAIL = "</table></body></html>"


def random_id() -> int:
    return random.randint(1, ROWS)


def query_count(raw: Any) -> int:
    try:
        count = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(count, 1), 500)


def fortunes_html(rows: list[tuple[int, str]]) -> str:
    """The page for ``rows`` (id, message) with the request-time fortune added, sorted."""
    rows = [*rows, (0, EXTRA_FORTUNE)]
    rows.sort(key=lambda row: row[1])
    body = "".join(f"<tr><td>{i}</td><td>{html.escape(m)}</td></tr>" for i, m in rows)
    return HEAD + body + TAIL


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)

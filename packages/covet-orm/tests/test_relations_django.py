"""Relation queries against Django as the oracle (issue 9): the same rows, the same queries,
through Django and through covet-orm, on every database (``relations_django/compare.py``, run
in a subprocess because Django's settings are process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("django")

COMPARE = Path(__file__).parent / "relations_django" / "compare.py"


def test_relation_queries_answer_as_django(db_url: str) -> None:
    done = subprocess.run(
        [sys.executable, str(COMPARE), db_url], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    diffs = json.loads(done.stdout.strip().splitlines()[-1])
    assert diffs == [], json.dumps(diffs, indent=1)

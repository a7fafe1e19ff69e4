from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "orm_quickstart.py"


def test_quickstart_example_runs_twice(tmp_path: Path) -> None:
    for _ in range(2):  # it drops its tables at the end, so it can run again
        done = subprocess.run(
            [sys.executable, str(EXAMPLE)], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert "posts: 10" in done.stdout
        assert "savepoint rolled back, outer transaction kept" in done.stdout
        assert "async count: 12" in done.stdout
        assert "queries: 2" in done.stdout and "query: SELECT -> 2 row(s)" in done.stdout
    assert (tmp_path / "app.db").exists()

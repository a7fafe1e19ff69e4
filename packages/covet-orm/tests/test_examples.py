from __future__ import annotations

import os
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
    assert (tmp_path / "app.db").exists()


BLOG = Path(__file__).resolve().parents[3] / "examples" / "blog" / "blog.py"


def test_blog_example_runs_on_every_database(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "COVET_BLOG_DB_URL": db_url}
    for _ in range(2):  # it drops its tables at the end, so it can run again
        done = subprocess.run(
            [sys.executable, str(BLOG)], cwd=tmp_path, capture_output=True, text=True,
            timeout=120, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        out = done.stdout
        assert "posts: 12 in 3 queries" in out  # select_related + two prefetches
        assert "busy authors: [('Ada', 8)]" in out
        assert "latest: [('Ada', 'Post 11'), ('Linus', 'Post 9')]" in out
        assert "comment -> post -> author: ['Ada', 'Linus'] in 3 queries" in out
        assert "deleted: 17" in out and "comments left without author: 4" in out
        assert "async ada posts: 8 Ada" in out

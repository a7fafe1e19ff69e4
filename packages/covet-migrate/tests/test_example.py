"""examples/migrations: its migrations match its models, and apply and unapply on every
database through the command its README shows."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from covet.orm import Database, IntegrityError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "migrations"


def run(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LIBRARY_DATABASE_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "covet.migrate", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_example_project(tmp_path: Path, db_url: str) -> None:
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.db", "__pycache__"))
    check = run(folder, db_url, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert run(folder, db_url, "up", "library:0003").returncode == 0
    db = Database(db_url, default=False)
    try:
        db.execute(
            f"INSERT INTO book (title, isbn) VALUES ({db.param(1)}, {db.param(2)})",
            ["Dune", "978-0-441-17271-9"],
        )
        up = run(folder, db_url, "up")
        assert up.returncode == 0, up.stderr
        row = db.fetch_one("SELECT isbn FROM book")
        assert row is not None and row["isbn"] == "9780441172719"
        # 0005: the book's shelf is a foreign key, its authors a join table
        with pytest.raises(IntegrityError):
            db.execute("UPDATE book SET shelf_id = 42")
        db.execute("INSERT INTO author (id, name) VALUES (1, 'Frank Herbert')")
        db.execute("INSERT INTO book_authors (book_id, author_id) SELECT id, 1 FROM book")
    finally:
        db.close()
    assert up.stdout.count("Applying library:") == 2
    assert "Run Python 'digits_only'" in up.stdout
    drift = run(folder, db_url, "check", "--database")
    assert drift.returncode == 0, drift.stdout
    status = run(folder, db_url, "status")
    assert status.stdout.count("[X]") == 5
    down = run(folder, db_url, "down", "library:zero")
    assert down.returncode == 0, down.stderr
    assert run(folder, db_url, "status").stdout.count("[ ]") == 5

"""``covet migrate`` and ``python -m covet.migrate`` in a project configured by pyproject.toml,
and eight concurrent ``up`` runs per database applying each migration exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from covet.orm import Database

PROJECT = """
import os
from covet import orm

db = orm.Database(os.environ["APP_DB_URL"], default=False)


class Note(orm.Model):
    title = orm.CharField(max_length=80)
    {extra}
"""


def project(tmp_path: Path, db_url: str, extra: str = "") -> dict[str, str]:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.covet.migrate]\napp = "notesapp:db"\ndirectory = "migrations"\n'
    )
    (tmp_path / "notesapp.py").write_text(PROJECT.format(extra=extra))
    env = dict(os.environ, APP_DB_URL=db_url)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    return env


def cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "covet.migrate", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_workflow(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    env = project(tmp_path, url)
    made = cli(tmp_path, env, "make")
    assert made.returncode == 0, made.stderr
    assert f"Created {tmp_path}/migrations/notesapp/0001_initial.py" in made.stdout
    check = cli(tmp_path, env, "check")
    assert check.returncode == 0 and "agree" in check.stdout
    sql = cli(tmp_path, env, "sql")
    assert 'CREATE TABLE "note"' in sql.stdout
    up = cli(tmp_path, env, "up")
    assert up.returncode == 0, up.stderr
    assert "Applying notesapp:0001_initial..." in up.stdout and "Create model Note (" in up.stdout
    status = cli(tmp_path, env, "status")
    assert status.stdout.strip() == "[X] notesapp:0001_initial"

    # a NOT NULL column without a default: make cannot ask (no terminal) and says what to pass
    env = project(tmp_path, url, extra="pages = orm.IntegerField()")
    refused = cli(tmp_path, env, "make", "--no-input")
    assert refused.returncode == 1
    assert "--default Note.pages=VALUE" in refused.stderr
    pending = cli(tmp_path, env, "check")
    assert pending.returncode == 1 and "model changes without a migration" in pending.stdout
    made = cli(tmp_path, env, "make", "--default", "Note.pages=0", "--name", "pages")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "migrations/notesapp/0002_pages.py").exists()
    assert cli(tmp_path, env, "up").returncode == 0
    db = Database(url, default=False)
    try:
        db.execute("INSERT INTO note (title, pages) VALUES ('a', 3)")
    finally:
        db.close()

    # a rename is never guessed: without an answer it is a removal and an addition
    env = project(tmp_path, url, extra="page_count = orm.IntegerField()")
    made = cli(tmp_path, env, "make", "--no-input", "--rename", "Note.pages=page_count")
    assert made.returncode == 0, made.stderr
    source = (tmp_path / "migrations/notesapp/0003_rename_note_pages.py").read_text()
    assert 'ops.RenameField("Note", "pages", "page_count")' in source
    assert cli(tmp_path, env, "up").returncode == 0
    drift = cli(tmp_path, env, "check", "--database")
    assert drift.returncode == 0, drift.stdout
    history = cli(tmp_path, env, "history")
    assert history.stdout.count("notesapp:") == 3
    down = cli(tmp_path, env, "down", "--steps", "2")
    assert down.returncode == 0 and "Unapplying notesapp:0003" in down.stdout
    status = cli(tmp_path, env, "status")
    assert status.stdout.split("\n")[:3] == [
        "[X] notesapp:0001_initial",
        "[ ] notesapp:0002_pages",
        "[ ] notesapp:0003_rename_note_pages",
    ]


def test_errors_are_one_line_with_exit_1(tmp_path: Path) -> None:
    env = dict(os.environ)
    no_config = cli(tmp_path, env, "up")
    assert no_config.returncode == 1
    assert "pass --app module:db" in no_config.stderr
    assert "Traceback" not in no_config.stderr
    usage = cli(tmp_path, env, "--help")
    assert usage.returncode == 0 and "make" in usage.stdout and "squash" in usage.stdout


def test_the_covet_command_lists_migrate() -> None:
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="covet.commands")}
    assert names["migrate"] == "covet.migrate._cli:migrate_command"
    covet = subprocess.run(
        [sys.executable, "-m", "covet", "migrate", "--help"], capture_output=True, text=True
    )
    assert covet.returncode == 0 and "covet migrate <command>" in covet.stdout
    listing = subprocess.run([sys.executable, "-m", "covet"], capture_output=True, text=True)
    assert "migrate  Schema migrations: covet migrate make|up|down" in listing.stdout


SLOW_DATA = """
import time
from covet.migrate import ops


def slowly(models, db):
    time.sleep(0.3)


dependencies = [("notesapp", "0001_initial")]
operations = [ops.RunPython(slowly, ops.RunPython.noop)]
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_eight_concurrent_ups_apply_each_migration_once(
    tmp_path: Path, backend: str, fresh_server_db: object
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    if backend != "sqlite":
        url = fresh_server_db(backend)  # type: ignore[operator]
    env = project(tmp_path, url, extra="body = orm.TextField(null=True)")
    assert cli(tmp_path, env, "make").returncode == 0
    (tmp_path / "migrations/notesapp/0002_slow.py").write_text(textwrap.dedent(SLOW_DATA))
    (tmp_path / "migrations/notesapp/0003_more.py").write_text(
        "from covet import orm\nfrom covet.migrate import ops\n\n"
        'dependencies = [("notesapp", "0002_slow")]\n'
        'operations = [ops.AddField("Note", "stars", orm.IntegerField(null=True))]\n'
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "covet.migrate", "up"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = []
    for run in runs:
        out, err = run.communicate(timeout=180)
        assert run.returncode == 0, err
        outputs.append(out)
    everything = "".join(outputs)
    for name in ("0001_initial", "0002_slow", "0003_more"):
        assert everything.count(f"Applying notesapp:{name}...") == 1, everything
    db = Database(url, default=False)
    try:
        rows = db.fetch_all("SELECT app, name, progress FROM covet_migrations ORDER BY id")
    finally:
        db.close()
    assert [(r["name"], r["progress"]) for r in rows] == [
        ("0001_initial", None),
        ("0002_slow", None),
        ("0003_more", None),
    ]


ASYNC_DATA = """
from covet.migrate import ops


async def fill(models, db):
    Note = models["notesapp.Note"]
    await Note.objects.filter(body__isnull=True).aupdate(body="(empty)")


async def unfill(models, db):
    await models["notesapp.Note"].objects.filter(body="(empty)").aupdate(body=None)


dependencies = [("notesapp", "0001_initial")]
operations = [ops.RunPython(fill, unfill)]
"""


def test_the_command_runs_async_data_migrations_with_the_async_api(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    env = project(tmp_path, url, extra="body = orm.TextField(null=True)")
    assert cli(tmp_path, env, "make").returncode == 0
    (tmp_path / "migrations/notesapp/0002_fill.py").write_text(ASYNC_DATA)
    assert cli(tmp_path, env, "up", "notesapp:0001").returncode == 0
    db = Database(url, default=False)
    try:
        db.execute("INSERT INTO note (title) VALUES ('x')")
        up = cli(tmp_path, env, "up")
        assert up.returncode == 0, up.stderr
        assert db.fetch_all("SELECT body FROM note") == [{"body": "(empty)"}]
        down = cli(tmp_path, env, "down")
        assert down.returncode == 0, down.stderr
        assert db.fetch_all("SELECT body FROM note") == [{"body": None}]
    finally:
        db.close()

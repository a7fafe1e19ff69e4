"""The runner on three databases: failures (atomic rollback, MariaDB resume), RunPython with
historical models (sync and async), fake / fake-initial, the history table, the lock timeout."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from covet.migrate import LockTimeout, MigrationFailed, MigrationManager
from covet.migrate._history import LOCK_KEY
from covet.orm import Database

HEAD = "from covet import orm\nfrom covet.migrate import ops\n\n"


def write(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(HEAD + textwrap.dedent(body))
    return path


def people(folder: Path) -> None:
    write(
        folder,
        "0001_initial",
        """
        dependencies = []
        initial = True
        operations = [
            ops.CreateModel("Person", fields=[
                ("id", orm.BigAutoField()),
                ("name", orm.CharField(max_length=50)),
            ]),
        ]
        """,
    )


FAILING = """
dependencies = [("people", "0001_initial")]
operations = [
    ops.AddField("Person", "nick", orm.CharField(max_length=20, null=True)),
    ops.RunSQL("INSERT INTO no_such_table VALUES (1)"),
    ops.AddField("Person", "age", orm.IntegerField(null=True)),
]
"""


def columns(manager: MigrationManager) -> set[str]:
    return set(manager.introspect()["person"].columns)


def test_a_failing_step_rolls_back_or_resumes(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "people"
    people(folder)
    write(folder, "0002_more", FAILING)
    lines: list[str] = []
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path, progress=lines.append)
    with pytest.raises(MigrationFailed) as info:
        manager.upgrade()
    error = info.value
    assert error.migration == "people:0002_more"
    assert "operation 2 (Raw SQL)" in error.operation
    assert "people:0002_more" in str(error) and "no_such_table" in str(error)
    history = manager.history()
    assert history[0].name == "0001_initial" and history[0].complete
    if db.dialect.name in ("sqlite", "postgresql"):
        assert "Rolled back" in error.state
        assert columns(manager) == {"id", "name"}, "the database is at 0001"
        assert len(history) == 1
        assert [s.state for s in manager.status()] == ["applied", "pending"]
    else:
        assert "cannot roll back DDL" in error.state and "resume at step 2" in error.state
        assert columns(manager) == {"id", "name", "nick"}, "MariaDB kept the first step"
        assert [(r.name, r.progress) for r in history] == [("0001_initial", None), ("0002_more", 1)]
        assert [s.state for s in manager.status()] == ["applied", "partial"]
        assert manager.check_database()[0] == "people:0002_more is partly applied (step 1)"
    # fix the migration and run again: MariaDB resumes after step 1 (re-adding nick would fail)
    write(folder, "0002_more", FAILING.replace("INSERT INTO no_such_table VALUES (1)", "SELECT 1"))
    assert manager.upgrade() == ["people:0002_more"]
    assert columns(manager) == {"id", "name", "nick", "age"}
    assert [r.progress for r in manager.history()] == [None, None]
    assert manager.check_database() == []
    if db.dialect.name == "mysql":
        assert any("resuming people:0002_more after step 1 of 3" in line for line in lines)
    fixed = (folder / "0002_more.py").read_bytes()
    assert manager.history()[1].checksum == hashlib.sha256(fixed).hexdigest()


DATA = """
dependencies = [("people", "0001_initial")]

{kind}def forwards(models, db):
    Person = models["people.Person"]
    assert [f.name for f in Person._meta.fields] == ["id", "name", "slug"]
    {each} person in Person.objects.all():
        person.slug = person.name.lower().replace(" ", "-")
        {wait}person.{save}(update_fields=["slug"])

{kind}def backwards(models, db):
    Person = models["people.Person"]
    {wait}Person.objects.{update}(slug=None)

operations = [
    ops.AddField("Person", "slug", orm.CharField(max_length=60, null=True)),
    ops.RunPython(forwards, backwards),
]
"""


def data_migration(tmp_path: Path, *, asynchronous: bool) -> None:
    folder = tmp_path / "people"
    people(folder)
    write(
        folder,
        "0002_slugs",
        DATA.format(
            kind="async " if asynchronous else "",
            each="async for" if asynchronous else "for",
            wait="await " if asynchronous else "",
            save="asave" if asynchronous else "save",
            update="aupdate" if asynchronous else "update",
        ),
    )


NAMES = ("Ada Lovelace", "Alan Turing")


def test_run_python_with_historical_models(db: Database, tmp_path: Path) -> None:
    data_migration(tmp_path, asynchronous=False)
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path)
    manager.upgrade("people:0001")
    for name in NAMES:
        db.execute(f"INSERT INTO person (name) VALUES ({db.param(1)})", [name])
    assert manager.upgrade() == ["people:0002_slugs"]
    rows = db.fetch_all("SELECT slug FROM person ORDER BY id")
    assert [r["slug"] for r in rows] == ["ada-lovelace", "alan-turing"]
    assert manager.downgrade() == ["people:0002_slugs"]
    assert "slug" not in columns(manager)
    assert manager.upgrade() == ["people:0002_slugs"]
    rows = db.fetch_all("SELECT slug FROM person ORDER BY id")
    assert [r["slug"] for r in rows] == ["ada-lovelace", "alan-turing"]


async def test_async_run_python_with_historical_models(db: Database, tmp_path: Path) -> None:
    data_migration(tmp_path, asynchronous=True)
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path)
    await manager.aupgrade("people:0001")
    for name in NAMES:
        await db.aexecute(f"INSERT INTO person (name) VALUES ({db.param(1)})", [name])
    assert await manager.aupgrade() == ["people:0002_slugs"]
    rows = await db.afetch_all("SELECT slug FROM person ORDER BY id")
    assert [r["slug"] for r in rows] == ["ada-lovelace", "alan-turing"]
    # backwards: the reverse function nulls the slugs, then the column goes
    assert await manager.adowngrade() == ["people:0002_slugs"]
    assert "slug" not in (await manager.aintrospect())["person"].columns


def test_the_sync_api_refuses_an_async_data_migration(db: Database, tmp_path: Path) -> None:
    data_migration(tmp_path, asynchronous=True)
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path)
    with pytest.raises(MigrationFailed, match="is an async function: run the migrations with"):
        manager.upgrade()
    assert manager.status()[0].state == "applied"


def test_fake_initial_adopts_existing_tables(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "people"
    people(folder)
    write(
        folder,
        "0002_age",
        """
        dependencies = [("people", "0001_initial")]
        operations = [ops.AddField("Person", "age", orm.IntegerField(null=True))]
        """,
    )
    db.execute(
        f"CREATE TABLE person (id {db.dialect.auto_pk['bigautoincrement']}, "
        "name VARCHAR(50) NOT NULL)"
    )
    lines: list[str] = []
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path, progress=lines.append)
    assert manager.upgrade(fake_initial=True) == ["people:0001_initial", "people:0002_age"]
    assert "Applied people:0001_initial (fake: no SQL run)" in lines
    assert columns(manager) == {"id", "name", "age"}, "0002 really ran"
    manager.downgrade("people:zero", fake=True)
    assert manager.history() == []
    assert columns(manager) == {"id", "name", "age"}, "fake down runs nothing"
    manager.upgrade(fake=True)
    assert [s.state for s in manager.status()] == ["applied", "applied"]


def test_history_and_edited_migrations(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "people"
    people(folder)
    lines: list[str] = []
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path, progress=lines.append)
    manager.upgrade()
    (record,) = manager.history()
    source = (folder / "0001_initial.py").read_bytes()
    assert record.checksum == hashlib.sha256(source).hexdigest()
    assert record.applied_at.tzinfo is not None and record.duration >= 0
    assert record.complete
    (folder / "0001_initial.py").write_bytes(source + b"# edited\n")
    (status,) = manager.status()
    assert status.changed
    assert manager.check_database() == [
        "people:0001_initial was edited after it was applied (checksum mismatch)"
    ]
    manager.upgrade()
    assert any("edited since they ran" in line and "people:0001_initial" in line for line in lines)
    assert any(line.startswith("Applying people:0001_initial") for line in lines)


def test_waiting_for_the_lock_times_out_with_a_message(db_url: str, tmp_path: Path) -> None:
    people(tmp_path / "people")
    holder = Database(db_url, default=False)
    db = Database(db_url, default=False, busy_timeout=0.2)
    lines: list[str] = []
    manager = MigrationManager(
        db, apps={"people": "x"}, directory=tmp_path, progress=lines.append, lock_timeout=0.5
    )
    try:
        with holder.transaction():
            if db.dialect.name == "postgresql":
                holder.execute(f"SELECT pg_advisory_lock({LOCK_KEY})")
            elif db.dialect.name == "mysql":
                holder.execute("SELECT GET_LOCK(%s, 0)", [f"covet_migrate.{db.url.database}"])
            else:
                holder.execute("CREATE TABLE lock_holder (x INTEGER)")  # the write lock
            with pytest.raises(LockTimeout, match="waiting for the migration lock"):
                manager.upgrade()
            assert lines and lines[0].startswith("waiting for the migration lock")
            if db.dialect.name != "sqlite":
                assert "(server process" in lines[0] or "(connection" in lines[0]
            if db.dialect.name == "postgresql":
                holder.execute(f"SELECT pg_advisory_unlock({LOCK_KEY})")
            elif db.dialect.name == "mysql":
                holder.execute("SELECT RELEASE_LOCK(%s)", [f"covet_migrate.{db.url.database}"])
        assert manager.upgrade() == ["people:0001_initial"]
    finally:
        db.close()
        holder.close()


def test_added_fields_fill_existing_rows_with_their_default(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "people"
    people(folder)
    write(
        folder,
        "0002_defaults",
        """
        dependencies = [("people", "0001_initial")]
        operations = [
            ops.AddField("Person", "nick", orm.CharField(max_length=9, null=True, default="anon")),
            ops.AddField("Person", "score", orm.IntegerField(default=10)),
            ops.AddField("Person", "note", orm.TextField(null=True)),
        ]
        """,
    )
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path)
    manager.upgrade("people:0001")
    db.execute("INSERT INTO person (name) VALUES ('a')")
    manager.upgrade()
    row = db.fetch_one("SELECT nick, score, note FROM person")
    assert row == {"nick": "anon", "score": 10, "note": None}
    assert manager.check_database() == []


def test_non_atomic_postgres_migration_runs_step_by_step(db: Database, tmp_path: Path) -> None:
    if db.dialect.name != "postgresql":
        pytest.skip("atomic = False changes nothing where DDL is not transactional anyway")
    folder = tmp_path / "people"
    people(folder)
    body = """
        dependencies = [("people", "0001_initial")]
        atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction
        operations = [
            ops.RunSQL(
                "CREATE INDEX CONCURRENTLY person_name_live ON person (name)",
                "DROP INDEX CONCURRENTLY person_name_live",
            ),
            ops.RunSQL("SELECT * FROM missing_table", ops.RunSQL.noop),
        ]
        """
    write(folder, "0002_live_index", body)
    manager = MigrationManager(db, apps={"people": "x"}, directory=tmp_path, ignore_tables=[])
    with pytest.raises(MigrationFailed, match="resume at step 2"):
        manager.upgrade()
    assert manager.history()[1].progress == 1
    write(folder, "0002_live_index", body.replace("SELECT * FROM missing_table", "SELECT 1"))
    assert manager.upgrade() == ["people:0002_live_index"]
    assert ("person_name_live", ("name",)) in manager.introspect()["person"].indexes
    assert manager.downgrade() == ["people:0002_live_index"]
    assert manager.introspect()["person"].indexes == set()

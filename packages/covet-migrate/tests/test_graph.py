"""The migration graph: dependencies across apps, conflicts and merges, squashing with
``replaces``, broken graphs; and the SQLite rebuild next to foreign keys it does not own."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from covet.migrate import ConflictError, GraphError, MigrationFailed, MigrationManager
from covet.orm import Database

HEAD = "from covet import orm\nfrom covet.migrate import ops\n\n"


def write(root: Path, app: str, name: str, deps: list[tuple[str, str]], ops: str) -> None:
    folder = root / app
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(
        HEAD + f"dependencies = {deps!r}\n\noperations = [\n{textwrap.indent(ops, '    ')}\n]\n"
    )


def create(model: str) -> str:
    return (
        f'ops.CreateModel("{model}", fields=[("id", orm.BigAutoField()), '
        '("n", orm.IntegerField(null=True))]),'
    )


def add(model: str, field: str) -> str:
    return f'ops.AddField("{model}", "{field}", orm.IntegerField(null=True)),'


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'g.db'}", default=False)
    yield db
    db.close()  # Python 3.13 warns about sqlite3 connections left open


def test_dependencies_across_apps(sqlite_db: Database, tmp_path: Path) -> None:
    write(tmp_path, "a", "0001_initial", [], create("A"))
    write(tmp_path, "b", "0001_initial", [("a", "0001_initial")], create("B"))
    write(tmp_path, "a", "0002_more", [("a", "0001_initial"), ("b", "0001_initial")], add("A", "x"))
    manager = MigrationManager(sqlite_db, apps={"a": "a", "b": "b"}, directory=tmp_path)
    assert manager.graph().order() == [
        ("a", "0001_initial"), ("b", "0001_initial"), ("a", "0002_more"),
    ]  # fmt: skip
    assert manager.upgrade("b:0001") == ["a:0001_initial", "b:0001_initial"]
    # unapplying a:0001 takes what depends on it in the other app too
    assert manager.downgrade("a:zero") == ["b:0001_initial", "a:0001_initial"]
    assert manager.upgrade() == ["a:0001_initial", "b:0001_initial", "a:0002_more"]
    assert manager.downgrade("a:0001_initial") == ["a:0002_more"]


def test_two_leaves_conflict_until_merged(sqlite_db: Database, tmp_path: Path) -> None:
    write(tmp_path, "a", "0001_initial", [], create("A"))
    write(tmp_path, "a", "0002_left", [("a", "0001_initial")], add("A", "left"))
    write(tmp_path, "a", "0002_right", [("a", "0001_initial")], add("A", "right"))
    manager = MigrationManager(sqlite_db, apps={"a": "a"}, directory=tmp_path)
    with pytest.raises(ConflictError, match=r"2 latest migrations \(0002_left, 0002_right\)"):
        manager.upgrade()
    assert manager.history() == [], "nothing ran"
    (path,) = manager.make(merge=True)
    assert path.name == "0003_merge_0002_0002.py"
    assert manager.upgrade()[-1] == "a:0003_merge_0002_0002"
    assert {"left", "right"} <= set(manager.introspect()["a"].columns)


def test_broken_graphs_say_what_is_wrong(sqlite_db: Database, tmp_path: Path) -> None:
    write(tmp_path, "a", "0001_initial", [("a", "0000_gone")], create("A"))
    manager = MigrationManager(sqlite_db, apps={"a": "a"}, directory=tmp_path)
    with pytest.raises(GraphError, match="depends on a:0000_gone, which does not exist"):
        manager.upgrade()
    write(tmp_path, "a", "0001_initial", [("a", "0002_next")], create("A"))
    write(tmp_path, "a", "0002_next", [("a", "0001_initial")], add("A", "x"))
    with pytest.raises(GraphError, match="circular dependency"):
        manager.upgrade()
    (tmp_path / "a" / "0002_next.py").unlink()
    write(tmp_path, "a", "0001_initial", [], create("A"))
    with pytest.raises(GraphError, match="matches no migration"):
        manager.upgrade("a:0009")


def test_squash_replaces_its_migrations(sqlite_db: Database, tmp_path: Path) -> None:
    write(tmp_path, "a", "0001_initial", [], create("A"))
    write(tmp_path, "a", "0002_x", [("a", "0001_initial")], add("A", "x"))
    write(tmp_path, "a", "0003_y", [("a", "0002_x")], add("A", "y"))
    manager = MigrationManager(sqlite_db, apps={"a": "a"}, directory=tmp_path)
    manager.upgrade("a:0001")  # a database that has only part of the squashed range
    path = manager.squash("a", "0003")
    assert path.name == "0004_squashed_0003.py"
    source = path.read_text()
    assert 'replaces = [("a", "0001_initial"), ("a", "0002_x"), ("a", "0003_y")]' in source
    # one CreateModel with the fields the later migrations added
    assert source.count("ops.") == 1 and '("x", orm.IntegerField(null=True))' in source
    # partly applied: the originals go on
    assert manager.upgrade() == ["a:0002_x", "a:0003_y"]
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}", default=False)
    try:
        other = MigrationManager(fresh, apps={"a": "a"}, directory=tmp_path)
        # a new database applies the squash alone, and it counts as all three
        assert other.upgrade() == ["a:0004_squashed_0003"]
        assert [s.label for s in other.status()] == ["a:0004_squashed_0003"]
        assert other.introspect() == manager.introspect()
        assert other.downgrade("a:zero") == ["a:0004_squashed_0003"]
    finally:
        fresh.close()
    # once every database has it, the originals can go
    for name in ("0001_initial", "0002_x", "0003_y"):
        (tmp_path / "a" / f"{name}.py").unlink()
    assert [s.state for s in manager.status()] == ["applied"]
    assert manager.upgrade() == []


def test_sqlite_rebuild_keeps_foreign_keys_of_other_tables(
    sqlite_db: Database, tmp_path: Path
) -> None:
    write(tmp_path, "a", "0001_initial", [], create("Parent"))
    write(
        tmp_path,
        "a",
        "0002_child",
        [("a", "0001_initial")],
        'ops.RunSQL("CREATE TABLE child (id INTEGER PRIMARY KEY, '
        'parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE)", "DROP TABLE child"),',
    )
    # a NOT NULL change rebuilds parent: dropping it must not cascade into child
    write(
        tmp_path,
        "a",
        "0003_rebuild",
        [("a", "0002_child")],
        'ops.AlterField("Parent", "n", orm.IntegerField(), fill=0),',
    )
    manager = MigrationManager(
        sqlite_db, apps={"a": "a"}, directory=tmp_path, ignore_tables=["child"]
    )
    manager.upgrade("a:0002")
    sqlite_db.execute("INSERT INTO parent (id, n) VALUES (1, NULL), (2, 5)")
    sqlite_db.execute("INSERT INTO child (id, parent_id) VALUES (10, 1), (11, 2)")
    manager.upgrade()
    rows = sqlite_db.fetch_all("SELECT id, parent_id FROM child ORDER BY id")
    assert [(r["id"], r["parent_id"]) for r in rows] == [(10, 1), (11, 2)]
    assert [r["n"] for r in sqlite_db.fetch_all("SELECT n FROM parent ORDER BY id")] == [0, 5]
    assert manager.check_database() == []
    # the foreign key still points at the rebuilt table: ON DELETE CASCADE still works
    sqlite_db.execute("DELETE FROM parent WHERE id = 2")
    assert [r["id"] for r in sqlite_db.fetch_all("SELECT id FROM child")] == [10]
    # a migration leaving a broken foreign key is refused by PRAGMA foreign_key_check
    write(
        tmp_path,
        "a",
        "0004_orphan",
        [("a", "0003_rebuild")],
        'ops.RunSQL("DELETE FROM parent WHERE id = 1"),\n'
        'ops.AlterField("Parent", "n", orm.BigIntegerField()),',
    )
    sqlite_db.execute("PRAGMA foreign_keys = OFF")  # (this pooled connection only)
    with pytest.raises(MigrationFailed, match="foreign_key_check") as info:
        manager.upgrade()
    assert "Rolled back" in info.value.state
    assert len(sqlite_db.fetch_all("SELECT id FROM parent")) == 1


def test_make_writes_cross_app_dependencies(sqlite_db: Database, tmp_path: Path) -> None:
    # listed "orders" first: its migration still comes after the one it references
    manager = MigrationManager(
        sqlite_db, apps={"orders": "migorders", "customers": "migcustomers"}, directory=tmp_path
    )
    paths = manager.make()
    assert [p.parent.name + "/" + p.name for p in paths] == [
        "customers/0001_initial.py",
        "orders/0001_initial.py",
    ]
    assert 'dependencies = [("customers", "0001_initial")]' in paths[1].read_text()
    assert manager.upgrade() == ["customers:0001_initial", "orders:0001_initial"]
    assert manager.check_database() == []
    assert manager.introspect()["order"].foreign_keys == {
        (("customer",), "customer", ("id",), "CASCADE")
    }


def test_squash_refuses_functions_living_in_migration_files(
    sqlite_db: Database, tmp_path: Path
) -> None:
    from covet.migrate._writer import SerializationError

    write(tmp_path, "a", "0001_initial", [], create("A"))
    folder = tmp_path / "a"
    (folder / "0002_data.py").write_text(
        HEAD + "def f(models, db):\n    pass\n\n\n"
        'dependencies = [("a", "0001_initial")]\n\noperations = [ops.RunPython(f)]\n'
    )
    manager = MigrationManager(sqlite_db, apps={"a": "a"}, directory=tmp_path)
    with pytest.raises(SerializationError, match="move it to an importable module"):
        manager.squash("a", "0002")

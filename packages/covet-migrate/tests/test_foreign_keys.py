"""Foreign-key columns through migrations (with the hook relation fields will implement): created,
ON DELETE changed, retargeted and dropped, up/down/up at every step with no drift, and the
database enforcing each version."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from covet.migrate import MigrationFailed, MigrationManager
from covet.orm import Database, IntegrityError

STEPS = {
    "0001_initial": """
        dependencies = []
        operations = [
            ops.CreateModel("Team", fields=[
                ("id", orm.BigAutoField()),
                ("name", orm.CharField(max_length=20)),
            ]),
            ops.CreateModel("Player", fields=[
                ("id", orm.BigAutoField()),
                ("team", migrefs.RefField("team", null=True, on_delete="SET NULL")),
            ]),
        ]
    """,
    "0002_cascade": """
        dependencies = [("club", "0001_initial")]
        operations = [
            ops.AlterField(
                "Player", "team", migrefs.RefField("team", null=True, on_delete="CASCADE")
            ),
        ]
    """,
    "0003_league": """
        dependencies = [("club", "0002_cascade")]
        operations = [
            ops.CreateModel("League", fields=[("id", orm.BigAutoField())]),
            ops.AlterField(
                "Player", "team", migrefs.RefField("league", null=True, on_delete="CASCADE")
            ),
        ]
    """,
    "0004_plain": """
        dependencies = [("club", "0003_league")]
        operations = [ops.AlterField("Player", "team", orm.BigIntegerField(null=True))]
    """,
}


def test_foreign_key_columns_migrate(db: Database, tmp_path: Path) -> None:
    folder = tmp_path / "club"
    folder.mkdir()
    for name, body in STEPS.items():
        source = "import migrefs\nfrom covet import orm\nfrom covet.migrate import ops\n"
        (folder / f"{name}.py").write_text(source + textwrap.dedent(body))
    manager = MigrationManager(db, apps={"club": "x"}, directory=tmp_path)
    p = db.param
    catalogs = [manager.introspect()]
    for name in STEPS:
        manager.upgrade(f"club:{name}")
        catalog = manager.introspect()
        assert manager.check_database() == [], name
        manager.downgrade(steps=1)
        assert manager.introspect() == catalogs[-1], name
        manager.upgrade(f"club:{name}")
        assert manager.introspect() == catalog, name
        catalogs.append(catalog)
        (fks,) = [t.foreign_keys for n, t in catalog.items() if n == "player"]
        if name == "0001_initial":
            assert fks == {(("team",), "team", ("id",), "SET NULL")}
            db.execute(f"INSERT INTO team (id, name) VALUES ({p(1)}, {p(2)})", [1, "a"])
            db.execute(f"INSERT INTO player (id, team) VALUES ({p(1)}, {p(2)})", [1, 1])
            db.execute("DELETE FROM team")
            row = db.fetch_one("SELECT team FROM player")
            assert row == {"team": None}, "ON DELETE SET NULL"
        elif name == "0002_cascade":
            assert fks == {(("team",), "team", ("id",), "CASCADE")}
            db.execute(f"INSERT INTO team (id, name) VALUES ({p(1)}, {p(2)})", [2, "b"])
            db.execute(f"INSERT INTO player (id, team) VALUES ({p(1)}, {p(2)})", [2, 2])
            db.execute("DELETE FROM team")
            assert [r["id"] for r in db.fetch_all("SELECT id FROM player")] == [1]
        elif name == "0003_league":
            assert fks == {(("team",), "league", ("id",), "CASCADE")}
            with pytest.raises(IntegrityError):  # the column now points at league
                db.execute(f"INSERT INTO player (id, team) VALUES ({p(1)}, {p(2)})", [3, 99])
        else:
            assert fks == set()
            db.execute(f"INSERT INTO player (id, team) VALUES ({p(1)}, {p(2)})", [3, 99])
    with pytest.raises(MigrationFailed, match="club:0004_plain"):
        manager.downgrade("club:zero")  # player 3 points at no league: the FK cannot come back
    db.execute("DELETE FROM player WHERE id = 3")
    manager.downgrade("club:zero")
    assert manager.introspect() == {}

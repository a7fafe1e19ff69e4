"""Introspection on three databases: foreign keys (made by hand today; relation fields will
make them) are read with their ON DELETE action and reported as drift on model tables; column
types and columns nobody migrated are reported."""

from __future__ import annotations

from pathlib import Path

from covet.migrate import MigrationManager
from covet.orm import Database

MIGRATION = """
from covet import orm
from covet.migrate import ops

dependencies = []
operations = [
    ops.CreateModel("Parent", fields=[
        ("id", orm.BigAutoField()),
        ("code", orm.CharField(max_length=5, unique=True)),
    ]),
    ops.CreateModel("Child", fields=[
        ("id", orm.BigAutoField()),
        ("parent_id", orm.BigIntegerField(null=True)),
        ("code", orm.CharField(max_length=5, null=True)),
    ]),
]
"""


def manager(db: Database, tmp_path: Path) -> MigrationManager:
    (tmp_path / "fam").mkdir()
    (tmp_path / "fam" / "0001_initial.py").write_text(MIGRATION)
    return MigrationManager(db, apps={"fam": "x"}, directory=tmp_path)


def test_foreign_keys_are_read_and_reported(db: Database, tmp_path: Path) -> None:
    m = manager(db, tmp_path)
    m.upgrade()
    assert m.check_database() == []
    q = db.dialect.quote
    references = f"REFERENCES {q('parent')} ({q('id')}) ON DELETE CASCADE"
    if db.dialect.name == "sqlite":  # SQLite cannot add a foreign key to a table: make one
        db.execute(
            f"CREATE TABLE {q('extra')} ({q('id')} INTEGER PRIMARY KEY, "
            f"{q('parent_id')} BIGINT {references}, {q('code')} VARCHAR(5), "
            f"FOREIGN KEY ({q('code')}) REFERENCES {q('parent')} ({q('code')}) ON DELETE SET NULL)"
        )
        table = "extra"
    else:
        db.execute(
            f"ALTER TABLE {q('child')} ADD CONSTRAINT {q('child_parent_fk')} "
            f"FOREIGN KEY ({q('parent_id')}) {references}"
        )
        db.execute(
            f"ALTER TABLE {q('child')} ADD CONSTRAINT {q('child_code_fk')} FOREIGN KEY "
            f"({q('code')}) REFERENCES {q('parent')} ({q('code')}) ON DELETE SET NULL"
        )
        table = "child"
    catalog = m.introspect()
    assert catalog[table].foreign_keys == {
        (("parent_id",), "parent", ("id",), "CASCADE"),
        (("code",), "parent", ("code",), "SET NULL"),
    }
    drift = m.check_database()
    if table == "child":
        assert sorted(drift) == [
            "child: foreign key (('code',), 'parent', ('code',), 'SET NULL') exists but no "
            "applied migration makes it",
            "child: foreign key (('parent_id',), 'parent', ('id',), 'CASCADE') exists but no "
            "applied migration makes it",
        ]
    else:
        assert drift == ["table extra exists but no applied migration creates it"]


def test_column_drift_is_reported(db: Database, tmp_path: Path) -> None:
    m = manager(db, tmp_path)
    m.upgrade()
    q = db.dialect.quote
    if db.dialect.name == "sqlite":
        db.execute(f"ALTER TABLE {q('child')} ADD COLUMN {q('note')} TEXT DEFAULT 'x'")
    else:
        db.execute(f"ALTER TABLE {q('child')} ADD COLUMN {q('note')} VARCHAR(9) DEFAULT 'x'")
        modify = "MODIFY" if db.dialect.name == "mysql" else "ALTER COLUMN"
        kind = "VARCHAR(9)" if db.dialect.name == "mysql" else "TYPE VARCHAR(9)"
        db.execute(f"ALTER TABLE {q('parent')} {modify} {q('code')} {kind}")
    drift = m.check_database()
    assert "child.note: column exists but no applied migration adds it" in drift
    if db.dialect.name != "sqlite":
        (line,) = [d for d in drift if d.startswith("parent.code")]
        assert "type 'varchar(5)' expected, 'varchar(9)' found" in line

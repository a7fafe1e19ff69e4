"""The corpus (46 models, every field type, option, constraint and relation): make -> up ->
introspect gives no drift and make again gives zero operations; down/up leaves an identical
catalog."""

from __future__ import annotations

from pathlib import Path

import migcorpus

from covet.migrate import MigrationManager
from covet.orm import Database


def test_corpus_round_trip(db: Database, tmp_path: Path) -> None:
    assert len(migcorpus.MODELS) >= 40
    manager = MigrationManager(db, apps=["migcorpus"], directory=tmp_path / "migrations")
    paths = manager.make()
    assert [p.name for p in paths] == ["0001_initial.py"]
    assert manager.changes() == {}, "make right after make must find nothing"

    assert manager.upgrade() == ["migcorpus:0001_initial"]
    catalog = manager.introspect()
    tables = {m._meta.table_name for m in migcorpus.MODELS}
    joins = {t._meta.table_name for m in migcorpus.MODELS for t in m._meta.auto_through}
    assert joins == {"writer_notes"}
    assert set(catalog) == tables | joins
    assert catalog["manuscript"].foreign_keys == {
        (("writer_id",), "writer", ("id",), "CASCADE"),
        (("pub",), "publisher", ("name",), "NO ACTION"),
        (("snapshot_id",), "snapshot", ("taken",), "SET NULL"),
    }
    assert manager.check_database() == []
    assert manager.changes() == {}
    assert manager.make() == []

    # every column of every model is in the catalog with its nullability
    for model in migcorpus.MODELS:
        columns = catalog[model._meta.table_name].columns
        for field in model._meta.fields:
            assert columns[field.column].nullable == (field.null and not field.primary_key)

    assert manager.downgrade("zero") == ["migcorpus:0001_initial"]
    assert manager.introspect() == {}
    manager.upgrade()
    assert manager.introspect() == catalog
    assert [s.state for s in manager.status()] == ["applied"]


async def test_corpus_round_trip_async(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}", default=False)
    try:
        manager = MigrationManager(db, apps=["migcorpus"], directory=tmp_path / "migrations")
        manager.make()
        assert await manager.aupgrade() == ["migcorpus:0001_initial"]
        assert await manager.acheck_database() == []
        assert [r.name for r in await manager.ahistory()] == ["0001_initial"]
        assert await manager.adowngrade("zero") == ["migcorpus:0001_initial"]
        assert await manager.aintrospect() == {}
    finally:
        await db.aclose()


def statements(sql: str) -> list[str]:
    out, current = [], []
    for line in sql.splitlines():
        if line.startswith("--") or not line.strip():
            continue
        current.append(line)
        if line.endswith(";"):
            out.append("\n".join(current)[:-1])
            current = []
    return [s for s in out if s not in ("BEGIN", "COMMIT")]


def test_sql_prints_what_up_runs(db: Database, tmp_path: Path) -> None:
    manager = MigrationManager(db, apps=["migcorpus"], directory=tmp_path / "migrations")
    manager.make()
    printed = statements(manager.sql())
    assert len(printed) > len(migcorpus.MODELS)
    for sql in printed:  # run by hand, as a DBA would
        db.execute(sql)
    by_hand = manager.introspect()
    manager.upgrade(fake=True)
    manager.downgrade("zero")
    assert manager.introspect() == {}
    manager.upgrade()
    assert manager.introspect() == by_hand
    backwards = statements(manager.sql(backwards=True))
    assert len(backwards) == len(migcorpus.MODELS) + 1  # and the join table writer_notes
    assert all(s.startswith("DROP TABLE") for s in backwards)

"""Seeded rows survive every AlterField that keeps data (each one a table rebuild on SQLite):
the row count and a checksum of every value are the same before and after each step, and the
same after stepping back down."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from pathlib import Path

from covet.migrate import MigrationManager
from covet.orm import Database

DATAKEPT = Path(__file__).parent / "datakept"
ROWS = 150


def canonical(value: object) -> str:
    if isinstance(value, decimal.Decimal | float) or (
        isinstance(value, str) and value.replace(".", "", 1).isdigit() and "." in value
    ):
        return format(decimal.Decimal(str(value)).normalize(), "f")
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def fingerprint(db: Database, table: str, label: str) -> tuple[int, str]:
    q = db.dialect.quote
    columns = ["id", label, "qty", "price", "flag", "born", "code"]
    rows = db.fetch_all(
        f"SELECT {', '.join(q(c) for c in columns)} FROM {q(table)} ORDER BY {q('id')}"
    )
    digest = hashlib.sha256()
    for row in rows:
        digest.update("|".join(canonical(row[c]) for c in columns).encode() + b"\n")
    return len(rows), digest.hexdigest()


def test_rows_survive_every_data_keeping_step(db: Database) -> None:
    manager = MigrationManager(db, apps={"stock": "migstock_unused"}, directory=DATAKEPT)
    keys = manager.graph().order()
    manager.upgrade("stock:0001")
    # the rows go in through the historical model of 0001 (the values adapted per database)
    item = manager.graph().state([keys[0]]).get("stock", "Item").render(db)
    item.objects.bulk_create(
        [
            item(
                id=i,
                label=f"label-{i}",
                qty=i * 3,
                price=decimal.Decimal(i) / 4,
                flag=i % 2 == 0,
                born=None if i % 5 == 0 else dt.date(2000, 1, 1) + dt.timedelta(days=i),
                code=f"c{i % 100}",
            )
            for i in range(1, ROWS + 1)
        ]
    )
    sqlite = db.dialect.name == "sqlite"
    if sqlite:  # the AUTOINCREMENT counter is now past the largest key
        db.execute("DELETE FROM item WHERE id = ?", [ROWS])
    before = fingerprint(db, "item", "label")
    assert before[0] == ROWS - sqlite
    for _, name in keys[1:]:
        table = "article" if name >= "0011" else "item"
        label = "title" if name >= "0008" else "label"
        manager.upgrade(f"stock:{name}")
        assert fingerprint(db, table, label) == before, f"up to {name}"
    for _, name in reversed(keys[1:]):
        manager.downgrade(steps=1)
        table = "article" if name[:4] > "0011" else "item"
        label = "title" if name[:4] > "0008" else "label"
        assert fingerprint(db, table, label) == before, f"down from {name}"
    if sqlite:  # AUTOINCREMENT kept its counter through every rebuild: no key is reused
        db.execute("INSERT INTO item (label, qty, price, flag, code) VALUES ('new', 1, 1, 0, 'x')")
        row = db.fetch_one("SELECT MAX(id) AS id FROM item")
        assert row is not None and row["id"] == ROWS + 1

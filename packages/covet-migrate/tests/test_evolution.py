"""Every operation, one migration at a time: up, check for drift, down, up again; the catalog
after each step is identical whichever way it was reached, and the rows stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from covet.migrate import MigrationManager
from covet.orm import Database, IntegrityError

EVOLUTION = Path(__file__).parent / "evolution"


def count(db: Database, table: str) -> int:
    row = db.fetch_one(f"SELECT COUNT(*) AS n FROM {db.dialect.quote(table)}")
    assert row is not None
    return int(row["n"])


def test_up_down_up_at_every_step(db: Database) -> None:
    manager = MigrationManager(
        db, apps={"shop": "migshop"}, directory=EVOLUTION, ignore_tables=["audit"]
    )
    keys = manager.graph().order()
    assert len(keys) == 15
    catalogs = [manager.introspect()]
    assert catalogs == [{}]
    p = db.param
    for number, (_, name) in enumerate(keys, 1):
        manager.upgrade(f"shop:{name}")
        catalog = manager.introspect()
        assert manager.check_database() == [], name
        assert manager.downgrade(steps=1) == [f"shop:{name}"]
        assert manager.introspect() == catalogs[-1], f"down from {name}"
        assert manager.upgrade(f"shop:{name}") == [f"shop:{name}"]
        assert manager.introspect() == catalog, f"up to {name} again"
        catalogs.append(catalog)
        if number == 1:
            for i in range(3):
                db.execute(
                    "INSERT INTO product (name, price, stock, sku, note) "
                    f"VALUES ({p(1)}, {p(2)}, {p(3)}, {p(4)}, {p(5)})",
                    [f"item{i}", "1.50", i, f"sku{i}", None if i == 0 else "n"],
                )
                db.execute(
                    f"INSERT INTO customer (email, age) VALUES ({p(1)}, {p(2)})",
                    [f"c{i}@x.y", None if i == 0 else 30 + i],
                )
        if number == 14:
            db.execute(f"INSERT INTO sticker (id, label) VALUES ({p(1)}, {p(2)})", [5, "new"])
            db.execute(
                "INSERT INTO catalog_product_tags (product_id, sticker_id) SELECT id, 5 "
                "FROM catalog_product"
            )
            rows = db.fetch_all("SELECT category_id FROM catalog_product")
            assert rows == [{"category_id": 1}] * 3, "filled with the key of a row made first"
        if number >= 14:
            assert count(db, "catalog_product_tags") == 3, name
            with pytest.raises(IntegrityError):
                db.execute(f"UPDATE catalog_product SET category_id = {p(1)}", [42])
        if number == 15:
            assert catalog["catalog_product"].foreign_keys >= {
                (("category_id",), "section", ("id",), "CASCADE")
            }
        product = "catalog_product" if number >= 9 else "product"
        assert count(db, product) == 3, name
        if number < 13:
            assert count(db, "client" if number >= 9 else "customer") == 3, name

    assert manager.changes() == {}, "the models are where the migrations end"
    names = [r["name"] for r in db.fetch_all("SELECT name FROM catalog_product ORDER BY id")]
    assert names == ["ITEM0", "ITEM1", "ITEM2"]
    if db.dialect.name == "sqlite":  # the trigger made by RunSQL survived the rebuild in 0011
        assert count(db, "audit") == 9  # 0012 ran up, down, up: three updates each

    manager.downgrade("shop:0011")
    names = [r["name"] for r in db.fetch_all("SELECT name FROM catalog_product ORDER BY id")]
    assert names == ["item0", "item1", "item2"]
    manager.downgrade("shop:zero")
    assert manager.introspect() == {}

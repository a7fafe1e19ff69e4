"""sql/ddl.py: named constraints and indexes, descending index columns, inline CHECK literals."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from covet.orm import CharField, CheckConstraint, DateField, DecimalField, Index, Model, Q
from covet.orm.sql import ddl
from covet.orm.sql.dialect import get_dialect


class Priced(Model):
    name = CharField(max_length=20, unique=True)
    price = DecimalField(max_digits=8, decimal_places=2)
    since = DateField(null=True)

    class Meta:
        table_name = "priced"
        indexes = [Index(fields=["-price", "name"])]
        unique_together = [("name", "since")]
        constraints = [
            CheckConstraint(check=Q(price__gte=decimal.Decimal("0.50")), name="priced_min"),
            CheckConstraint(check=Q(since__gte=dt.date(2000, 1, 1)), name="priced_since"),
        ]


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_check_constraints_render_decimals_and_dates(dialect: str) -> None:
    sql = ddl.create_table_sql(Priced, get_dialect(dialect))[0]
    q = get_dialect(dialect).quote
    # SQLite keeps decimals as text (its adapter); NUMERIC affinity compares them as numbers
    bound = "'0.50'" if dialect == "sqlite" else "0.50"
    assert f"CONSTRAINT {q('priced_min')} CHECK ({q('price')} >= {bound})" in sql
    assert f"CONSTRAINT {q('priced_since')} CHECK ({q('since')} >= '2000-01-01')" in sql


def test_constraint_and_index_names_are_deterministic() -> None:
    d = get_dialect("postgresql")
    names = [c.name for c in ddl.table_constraints(Priced, d)]
    assert names == ["priced_name_uniq", "priced_name_since_uniq", "priced_min", "priced_since"]
    (index,) = ddl.table_indexes(Priced)
    assert index.name == "priced_price_name_idx" and index.descending == (True, False)
    assert ddl.create_index_sql(d, "priced", index) == (
        'CREATE INDEX "priced_price_name_idx" ON "priced" ("price" DESC, "name")'
    )
    long = ddl.object_name("t" * 40, ["column_a", "column_b", "column_c"], "idx")
    assert len(long) <= ddl.MAX_NAME and long.endswith("_idx")
    assert long == ddl.object_name("t" * 40, ["column_a", "column_b", "column_c"], "idx")

"""sqlite3 binds at most 64-bit integers; a bigger one is bad data (DataError), not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from covet.orm import BigIntegerField, Database, DataError, Model, ORMError


def _model(db: Database) -> type[Model]:
    class Meter(Model):
        reading = BigIntegerField(default=0)

        class Meta:
            table_name = "overflow_meter"

    Meter._meta.db = db  # type: ignore[attr-defined]
    return Meter


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'overflow.db'}", default=False)


def test_sync_filter_beyond_64_bits_is_a_data_error(db: Database) -> None:
    Meter = _model(db)
    db.create_tables([Meter])
    try:
        # a filter value no 64-bit column can hold matches nothing (as in Django)
        assert Meter.objects.filter(pk=10**23).first() is None
        with pytest.raises(DataError, match="64-bit") as caught:
            Meter.objects.create(reading=2**64)
        assert isinstance(caught.value, ORMError)
        assert isinstance(caught.value.__cause__, OverflowError)
        assert Meter.objects.count() == 0
    finally:
        db.close()


async def test_async_filter_beyond_64_bits_is_a_data_error(db: Database) -> None:
    Meter = _model(db)
    await db.acreate_tables([Meter])
    try:
        assert await Meter.objects.filter(pk=10**23).afirst() is None
        with pytest.raises(DataError):
            await Meter.objects.acreate(reading=2**64)
        assert await Meter.objects.acount() == 0
    finally:
        await db.aclose()

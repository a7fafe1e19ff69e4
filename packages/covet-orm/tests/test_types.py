from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal

import pytest

from covet.orm import (
    BigIntegerField,
    BinaryField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DurationField,
    EnumField,
    FloatField,
    JSONField,
    Model,
    SmallIntegerField,
    TextField,
    TimeField,
    UUIDField,
)


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Sample(Model):
    dec = DecimalField(max_digits=14, decimal_places=4, null=True)
    when = DateTimeField(null=True)
    day = DateField(null=True)
    at = TimeField(null=True)
    span = DurationField(null=True)
    uid = UUIDField(null=True)
    doc = JSONField(null=True)
    blob = BinaryField(null=True)
    color = EnumField(Color, null=True)
    level = EnumField(Level, null=True)
    text = TextField(null=True)
    flag = BooleanField(null=True)
    small = SmallIntegerField(null=True)
    big = BigIntegerField(null=True)
    ratio = FloatField(null=True)
    name = CharField(max_length=20, null=True)

    class Meta:
        table_name = "test_sample"


MODELS = [Sample]
pytestmark = pytest.mark.usefixtures("tables")

PLUS5 = dt.timezone(dt.timedelta(hours=5))
VALUES = {
    "dec": Decimal("1234567890.1234"),
    "when": dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=PLUS5),
    "day": dt.date(1999, 12, 31),
    "at": dt.time(13, 45, 6, 789),
    "span": dt.timedelta(days=3, seconds=7, microseconds=11),
    "uid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "doc": {"a": [1, 2.5, None, True], "é": {"nested": "✓"}},
    "blob": bytes(range(256)),
    "color": Color.GREEN,
    "level": Level.HIGH,
    "text": "héllo ✓ 𝄞 日本語 " + "x" * 1_000_000,
    "flag": True,
    "small": -32768,
    "big": 2**62 + 1,
    "ratio": 0.1,
    "name": "ünïcødé 𝄞",
}


async def test_round_trip_every_type(api) -> None:
    obj = await api(Sample.objects, "create", **VALUES)
    got = await api(Sample.objects, "get", pk=obj.pk)
    for name, value in VALUES.items():
        assert getattr(got, name) == value, name
        assert isinstance(getattr(got, name), type(value)), name
    assert got.when.utcoffset() == dt.timedelta(0)  # stored and returned in UTC
    assert got.when == VALUES["when"]
    row = (await api(Sample.objects.filter(pk=obj.pk).values(), "list"))[0]
    assert {k: row[k] for k in VALUES} == VALUES
    flat = await api(Sample.objects.values_list("uid", flat=True), "list")
    assert flat == [VALUES["uid"]]


async def test_nulls_round_trip(api) -> None:
    obj = await api(Sample.objects, "create")
    got = await api(Sample.objects, "get", pk=obj.pk)
    assert all(getattr(got, name) is None for name in VALUES)


async def test_decimal_precision_and_quantize(api) -> None:
    obj = await api(Sample.objects, "create", dec=Decimal("0.1"))
    got = await api(Sample.objects, "get", pk=obj.pk)
    assert got.dec == Decimal("0.1000")
    assert str(got.dec) == "0.1000"


async def test_filters_on_typed_values(api) -> None:
    await api(Sample.objects, "create", **VALUES)
    await api(Sample.objects, "create", flag=False, color=Color.RED, level=Level.LOW)
    qs = Sample.objects
    assert await api(qs.filter(uid=VALUES["uid"]), "count") == 1
    assert await api(qs.filter(color=Color.GREEN), "count") == 1
    assert await api(qs.filter(color="red"), "count") == 1
    assert await api(qs.filter(level=Level.LOW), "count") == 1
    assert await api(qs.filter(flag=False), "count") == 1
    assert await api(qs.filter(dec__gt=Decimal("1000")), "count") == 1
    assert await api(qs.filter(day__lt=dt.date(2000, 1, 1)), "count") == 1
    assert await api(qs.filter(when=VALUES["when"].astimezone(dt.UTC)), "count") == 1
    assert await api(qs.filter(when__year=2024, when__month=2, when__day=29), "count") == 1
    assert await api(qs.filter(span__gt=dt.timedelta(days=1)), "count") == 1
    assert await api(qs.filter(name__contains="𝄞"), "count") == 1


async def test_bulk_create_round_trips_every_type(api) -> None:
    """PostgreSQL inserts a batch as one array per column (unnest): every type, NULLs, JSON
    arrays and objects survive it, and the keys come back in the objects' order."""
    nulls = Sample()
    listed = Sample(**{**VALUES, "doc": [1, [2, 3], {"a": None}], "text": "short"})
    made = await api(Sample.objects, "bulk_create", [Sample(**VALUES), nulls, listed])
    assert [m.pk for m in made] == sorted(m.pk for m in made)
    got = {o.pk: o for o in await api(Sample.objects.all(), "list")}
    for name, value in VALUES.items():
        assert getattr(got[made[0].pk], name) == value, name
        assert getattr(got[made[1].pk], name) is None, name
    assert got[made[2].pk].doc == [1, [2, 3], {"a": None}]


class Wide(Model):
    amount = DecimalField(max_digits=40, decimal_places=10)

    class Meta:
        table_name = "test_types_wide"


async def test_decimals_wider_than_the_default_context(api, backend, db) -> None:
    """max_digits past 28 (Python's default decimal precision): quantizing used to raise
    decimal.InvalidOperation."""
    await api(db, "create_tables", [Wide])
    try:
        value = Decimal("123456789012345678901234567890.0123456789")
        if backend == "sqlite":
            value = Decimal("12345.6789")  # SQLite keeps 15 significant digits
        obj = await api(Wide.objects, "create", amount=value)
        assert (await api(Wide.objects, "get", pk=obj.pk)).amount == value
    finally:
        await api(db, "drop_tables", [Wide])

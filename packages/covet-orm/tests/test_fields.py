from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import pytest

from covet.orm import (
    BigIntegerField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DurationField,
    EnumField,
    ImproperlyConfigured,
    IntegerField,
    SmallIntegerField,
    TimeField,
    UUIDField,
)
from covet.orm.sql.dialect import get_dialect


class Size(enum.Enum):
    S = "s"
    XL = "xl"


def positive(value: int) -> None:
    if value <= 0:
        raise ValueError("must be positive")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (SmallIntegerField(), 40000, "out of range"),
        (IntegerField(), 2**31, "out of range"),
        (BigIntegerField(), 2**63, "out of range"),
        (IntegerField(), 1.5, "not a whole number"),
        (IntegerField(), True, "expected an integer"),
        (IntegerField(validators=[positive]), -1, "must be positive"),
        (IntegerField(choices=[(1, "one"), (2, "two")]), 3, "not one of the choices"),
        (
            DecimalField(max_digits=5, decimal_places=2),
            Decimal("1.234"),
            "at most 2 decimal places",
        ),
        (DecimalField(max_digits=5, decimal_places=2), Decimal("1234"), "at most 3 digits before"),
        (DecimalField(max_digits=5, decimal_places=2), Decimal("NaN"), "finite"),
        (CharField(max_length=3), "abcd", "at most 3 characters"),
        (CharField(max_length=3), 12, "expected a string"),
        (BooleanField(), "yes", "expected a bool"),
        (DateField(), "2024-13-01", "invalid value"),
        (DateTimeField(), 5, "expected a datetime"),
        (TimeField(), "25:00", "invalid value"),
        (DurationField(), 5, "expected a timedelta"),
        (UUIDField(), "not-a-uuid", "invalid value"),
        (EnumField(Size), "m", "invalid value"),
        (CharField(), None, "cannot be null"),
    ],
)
def test_validation_messages(field, value, message) -> None:
    errors = field.validate(value)
    assert errors
    assert message in " ".join(errors)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (SmallIntegerField(), -32768),
        (BigIntegerField(), 2**63 - 1),
        (DecimalField(max_digits=5, decimal_places=2), Decimal("999.99")),
        (DecimalField(max_digits=5, decimal_places=2), "1.5"),
        (DateTimeField(), "2024-01-01T00:00:00+02:00"),
        (UUIDField(), "12345678-1234-5678-1234-567812345678"),
        (EnumField(Size), "xl"),
        (CharField(null=True), None),
        (BooleanField(), 0),
    ],
)
def test_valid_values(field, value) -> None:
    assert field.validate(value) == []


def test_field_definition_errors() -> None:
    with pytest.raises(ImproperlyConfigured):
        DecimalField(max_digits=2, decimal_places=3)
    with pytest.raises(ImproperlyConfigured):
        CharField(max_length=0)

    class Mixed(enum.Enum):
        A = 1
        B = "b"

    with pytest.raises(ImproperlyConfigured, match="all str or all int"):
        EnumField(Mixed)


def test_adapters_and_converters_per_dialect() -> None:
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 10, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    field = DateTimeField()
    sqlite = get_dialect("sqlite")
    stored = field.adapter(sqlite)(when)
    assert stored == "2024-05-06 10:08:09.000010+00:00"
    conv = field.converter(sqlite)
    assert conv is not None
    assert conv(stored) == when
    assert conv("2024-05-06 10:08:09").tzinfo is dt.UTC  # naive text is read as UTC
    mysql = get_dialect("mysql")
    assert field.adapter(mysql)(when) == dt.datetime(2024, 5, 6, 10, 8, 9, 10)
    naive = dt.datetime(2024, 1, 1)
    assert field.adapter(get_dialect("postgresql"))(naive).tzinfo is dt.UTC
    size = EnumField(Size)
    assert size.adapter(sqlite)(Size.XL) == "xl"
    assert size.converter(sqlite)("xl") is Size.XL
    assert size.db_type(mysql) == "VARCHAR(16)"
    dec = DecimalField(max_digits=6, decimal_places=3)
    assert dec.adapter(sqlite)(Decimal("1.5")) == "1.500"
    assert dec.converter(sqlite)(1.5) == Decimal("1.500")
    assert DurationField().adapter(sqlite)(dt.timedelta(seconds=1, microseconds=2)) == 1_000_002
    assert TimeField().converter(mysql)(dt.timedelta(hours=13, microseconds=5)) == dt.time(
        13, 0, 0, 5
    )

"""Safety and misuse: identifiers with odd characters, NULL semantics of exclude(), typed filter
values given as strings, precision SQLite cannot keep, and clear errors for wrong arguments.
Every test runs on SQLite, PostgreSQL and MariaDB through the sync and the async API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from covet.orm import (
    CharField,
    Count,
    Database,
    DataError,
    DateField,
    DateTimeField,
    DecimalField,
    F,
    FieldError,
    IntegerField,
    JSONField,
    Model,
    ValidationError,
)


class Item(Model):
    name = CharField(max_length=10)
    n = IntegerField(null=True)
    data = JSONField(null=True)
    when = DateTimeField(null=True)
    day = DateField(null=True)
    price = DecimalField(max_digits=30, decimal_places=2, null=True)

    class Meta:
        table_name = "test_safety_item"
        ordering = ["id"]


class Odd(Model):
    """A table and a column whose names hold quote characters and MySQL's format marker."""

    value = IntegerField(db_column='v%s"`x')

    class Meta:
        table_name = 'odd_50%_"tab`le'


MODELS = [Item, Odd]
pytestmark = pytest.mark.usefixtures("tables")
T0 = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.UTC)


async def names(api, qs) -> list[str]:
    return await api(qs.values_list("name", flat=True), "list")


async def test_identifiers_with_quotes_and_percent(api) -> None:
    obj = await api(Odd.objects, "create", value=7)
    assert await api(Odd.objects.filter(value=7), "count") == 1
    assert await api(Odd.objects.values_list("value", flat=True), "list") == [7]
    assert await api(Odd.objects.filter(pk=obj.pk), "update", value=F("value") + 1) == 1
    got = await api(Odd.objects, "get", pk=obj.pk)
    assert got.value == 8
    assert (await api(got, "delete"))[0] == 1


async def test_annotation_alias_with_percent(api) -> None:
    await api(Item.objects, "create", name="a")
    rows = await api(Item.objects.values("name").annotate(**{"n%s": Count("id")}), "list")
    assert rows == [{"name": "a", "n%s": 1}]


async def test_exclude_is_the_complement_of_filter_with_nulls(api) -> None:
    await api(Item.objects, "create", name="a", data={"k": 1}, n=None)
    await api(Item.objects, "create", name="b", data=None, n=1)
    await api(Item.objects, "create", name="c", data={"k": 2}, n=2)
    await api(Item.objects, "create", name="d", data={"other": 1}, n=3)
    assert await names(api, Item.objects.filter(data__k=1)) == ["a"]
    assert await names(api, Item.objects.exclude(data__k=1)) == ["b", "c", "d"]
    assert await names(api, Item.objects.exclude(data__k__gt=1)) == ["a", "b", "d"]
    assert await names(api, Item.objects.exclude(n__gt=F("n") - 1)) == ["a"]
    assert await names(api, Item.objects.exclude(n=2)) == ["a", "b", "d"]


async def test_datetime_and_date_filters_accept_iso_strings(api) -> None:
    await api(Item.objects, "create", name="a", when=T0, day=dt.date(2024, 1, 1))
    await api(Item.objects, "create", name="b", when="2024-01-02T12:00:00+02:00", day="2024-01-02")
    assert await names(api, Item.objects.filter(when__gte="2024-01-01T11:00:00+00:00")) == [
        "a", "b",
    ]  # fmt: skip
    assert await names(api, Item.objects.filter(when__gt="2024-01-01T13:00:00")) == ["b"]
    assert await names(api, Item.objects.filter(day="2024-01-02")) == ["b"]
    got = await api(Item.objects, "get", name="b")
    assert got.when == dt.datetime(2024, 1, 2, 10, 0, tzinfo=dt.UTC)
    assert got.day == dt.date(2024, 1, 2)


async def test_decimal_keeps_every_digit_or_refuses(api, backend) -> None:
    big = Decimal("1234567890123456789.12")
    if backend == "sqlite":  # SQLite keeps numbers as 64-bit floats/integers
        with pytest.raises(DataError, match="15 significant digits"):
            await api(Item.objects, "create", name="big", price=big)
    else:
        await api(Item.objects, "create", name="big", price=big)
        assert (await api(Item.objects, "get", name="big")).price == big
    exact = [Decimal("1234567890123.45"), Decimal("12345678901234567"), Decimal("-0.01")]
    for i, value in enumerate(exact):
        await api(Item.objects, "create", name=f"e{i}", price=value)
    got = await api(
        Item.objects.filter(name__startswith="e").values_list("price", flat=True), "list"
    )
    assert got == exact
    assert await names(api, Item.objects.filter(price=Decimal("12345678901234567"))) == ["e1"]


async def test_update_checks_max_length_and_needs_values(api) -> None:
    await api(Item.objects, "create", name="a")
    with pytest.raises(ValidationError, match="at most 10 characters"):
        await api(Item.objects.all(), "update", name="x" * 11)
    assert await names(api, Item.objects.all()) == ["a"]
    with pytest.raises(ValueError, match="at least one"):
        await api(Item.objects.all(), "update")


async def test_misused_lookups_raise_clear_errors(api) -> None:
    with pytest.raises(FieldError, match="range needs two values"):
        Item.objects.filter(n__range=[1, 2, 3])
    with pytest.raises(ValidationError, match="name__contains=\\[5\\]: expected a string"):
        Item.objects.filter(name__contains=[5])
    with pytest.raises(FieldError, match="None"):
        Item.objects.filter(n__gt=None)
    with pytest.raises(FieldError, match="fields: id, name, n"):
        Item.objects.filter(nope=1)
    with pytest.raises(TypeError, match="fields: id, name, n"):
        Item(nope=1)
    with pytest.raises(FieldError, match="True or False"):
        Item.objects.filter(n__isnull="false")
    with pytest.raises(FieldError, match="None"):
        Item.objects.filter(n__isnull=None)
    with pytest.raises(TypeError, match="needs an expression"):
        Item.objects.annotate(total="n")
    with pytest.raises(TypeError, match="needs an expression"):
        await api(Item.objects.all(), "aggregate", total="n")
    with pytest.raises(TypeError, match="at least one"):
        await api(Item.objects.all(), "aggregate")
    await api(Item.objects, "create", name="a", n=None)
    assert await names(api, Item.objects.filter(n__iexact=None)) == ["a"]


async def test_raw_params_must_be_a_sequence_not_a_string(api, db: Database) -> None:
    sql = f"SELECT {db.param(1)} AS x"
    with pytest.raises(TypeError, match="not a string"):
        await api(db, "fetch_all", sql, "ab")
    with pytest.raises(TypeError, match="not a string"):
        Item.objects.raw(sql, "ab")
    assert await api(db, "fetch_all", sql, ["ab"]) == [{"x": "ab"}]


async def test_in_bulk_batches_under_the_parameter_limit(api) -> None:
    made = [await api(Item.objects, "create", name=f"i{i}") for i in range(3)]
    ids = [*range(-70000, 0), *(m.pk for m in made), made[0].pk]
    found = await api(Item.objects, "in_bulk", ids)
    assert sorted(found) == sorted(m.pk for m in made)
    assert found[made[1].pk].name == "i1"
    assert await api(Item.objects, "in_bulk", []) == {}


async def test_exists_respects_the_slice(api) -> None:
    await api(Item.objects, "create", name="a")
    await api(Item.objects, "create", name="b")
    assert await api(Item.objects.all()[:0], "exists") is False
    assert await api(Item.objects.all()[1:], "exists") is True
    assert await api(Item.objects.all()[2:], "exists") is False


def test_meta_names_unknown_fields_when_the_class_is_made() -> None:
    from covet.orm import ImproperlyConfigured, Index

    with pytest.raises(ImproperlyConfigured, match=r"Meta.ordering names 'nme'.*fields: id, name"):

        class BadOrder(Model):
            name = CharField(max_length=5)

            class Meta:
                ordering = ["-nme"]

    with pytest.raises(ImproperlyConfigured, match=r"Meta\.indexes names 'x'"):

        class BadIndex(Model):
            name = CharField(max_length=5)

            class Meta:
                indexes = [Index(fields=["name", "x"])]

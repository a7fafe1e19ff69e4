"""SlugField, the Positive*IntegerFields (CHECK constraints), GenericIPAddressField and
GeneratedField (stored), on SQLite, PostgreSQL and MariaDB (issue 8 §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from covet.orm import (
    CharField,
    Concat,
    DecimalField,
    F,
    FieldError,
    GeneratedField,
    GenericIPAddressField,
    ImproperlyConfigured,
    IntegerField,
    IntegrityError,
    Model,
    PositiveBigIntegerField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
    SlugField,
    TextField,
    ValidationError,
    Value,
)
from covet.orm.sql import ddl
from covet.orm.sql.dialect import get_dialect


class Item(Model):
    slug = SlugField()
    label = SlugField(allow_unicode=True, max_length=20, null=True)
    qty = PositiveIntegerField(default=0)
    small = PositiveSmallIntegerField(default=0)
    big = PositiveBigIntegerField(default=0)
    ip = GenericIPAddressField(null=True)
    v6 = GenericIPAddressField(protocol="IPv6", null=True)
    mapped = GenericIPAddressField(unpack_ipv4=True, null=True)
    price = DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    name = CharField(max_length=20, default="")
    total = GeneratedField(
        expression=F("price") * F("qty"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )
    tag = GeneratedField(expression=Concat("slug", Value(":"), "name"), output_field=TextField())
    double = GeneratedField(expression=F("qty") * 2, output_field=IntegerField())

    class Meta:
        table_name = "test_new_fields_item"
        ordering = ["id"]


MODELS = [Item]
pytestmark = pytest.mark.usefixtures("tables")


def test_slug_validation() -> None:
    Item(slug="a-b_1").full_clean(exclude=["ip"])
    with pytest.raises(ValidationError, match="slug"):
        Item(slug="no spaces").full_clean()
    Item(slug="x", label="héllo-wörld").full_clean()
    with pytest.raises(ValidationError, match="label"):
        Item(slug="x", label="a b").full_clean()
    assert Item._meta.get_field("slug").index  # indexed, as Django's
    assert Item._meta.get_field("slug").max_length == 50


async def test_positive_integers_are_checked_by_the_database(api) -> None:
    await api(Item.objects, "create", slug="a", qty=5, small=32767, big=2**63 - 1)
    for field in ("qty", "small", "big"):
        with pytest.raises(IntegrityError):
            await api(Item.objects, "create", slug="neg", **{field: -1})
    with pytest.raises(ValidationError, match="out of range"):
        Item(slug="x", qty=-1).full_clean()
    assert await api(Item.objects.filter(qty=-1), "count") == 0


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_ddl_of_the_new_fields(dialect: str) -> None:
    d = get_dialect(dialect)
    table = ddl.create_table_sql(Item, d)[0]
    q = d.quote
    assert f"{q('qty')} INTEGER NOT NULL CHECK ({q('qty')} >= 0)" in table
    assert f"{q('ip')} VARCHAR(39)" in table
    assert f"GENERATED ALWAYS AS (({q('price')} * {q('qty')})) STORED" in table


async def test_ip_addresses_are_normalized(api) -> None:
    obj = await api(Item.objects, "create", slug="a", ip="2001:DB8:0:0:0:0:0:1",
                    v6="::1", mapped="::ffff:10.0.0.1")  # fmt: skip
    got = await api(Item.objects, "get", pk=obj.pk)
    assert (got.ip, got.v6, got.mapped) == ("2001:db8::1", "::1", "10.0.0.1")
    assert await api(Item.objects.filter(ip="2001:db8:0::1"), "count") == 1
    assert await api(Item.objects.filter(ip__startswith="2001:"), "count") == 1
    with pytest.raises(ValidationError, match="not an IP address"):
        Item.objects.filter(ip="300.1.1.1")
    with pytest.raises(ValidationError, match="IPv6"):
        Item(slug="x", v6="1.2.3.4").full_clean()
    with pytest.raises(ImproperlyConfigured):
        GenericIPAddressField(protocol="IPv4", unpack_ipv4=True)


async def test_generated_fields_are_computed_and_stored(api) -> None:
    obj = await api(Item.objects, "create", slug="pen", name="blue", qty=3,
                    price=Decimal("1.25"))  # fmt: skip
    await api(obj, "refresh_from_db")
    assert (obj.total, obj.tag, obj.double) == (Decimal("3.75"), "pen:blue", 6)
    obj.qty = 4
    await api(obj, "save")
    await api(obj, "refresh_from_db")
    assert (obj.total, obj.double) == (Decimal("5.00"), 8)
    assert await api(Item.objects.filter(total__gt=4, double=8), "count") == 1
    assert await api(Item.objects.filter(qty=4), "update", price=Decimal("2")) == 1
    assert await api(Item.objects.values_list("total", flat=True), "list") == [Decimal("8.00")]
    with pytest.raises(FieldError, match="GeneratedField"):
        await api(Item.objects.all(), "update", total=1)
    with pytest.raises(ValueError, match="GeneratedField"):
        await api(obj, "save", update_fields=["total"])
    await api(Item.objects, "bulk_create", [Item(slug="b", qty=1, price=Decimal("10"))])
    assert await api(Item.objects.filter(slug="b").values_list("total", flat=True), "list") == [
        Decimal("10.00")]  # fmt: skip


def test_generated_field_options() -> None:
    with pytest.raises(ImproperlyConfigured, match="db_persist"):
        GeneratedField(expression=F("a"), output_field=IntegerField(), db_persist=False)
    with pytest.raises(ImproperlyConfigured, match="default"):
        GeneratedField(expression=F("a"), output_field=IntegerField(), default=1)

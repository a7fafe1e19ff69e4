"""Filter values are converted to the field's type before they reach SQL, as Django does: valid
spellings work on every database, anything else is a clean ``ValidationError`` naming the field
and lookup (never a driver error, never MariaDB's loose comparison). Issue 8 §2 bugs 1, 2, 9,
14, 17 and 18; every test runs on SQLite, PostgreSQL and MariaDB, sync and async."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest

from covet.orm import (
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    F,
    FieldError,
    FloatField,
    IntegerField,
    Model,
    Q,
    SmallIntegerField,
    UUIDField,
    ValidationError,
)


class Row(Model):
    name = CharField(max_length=20)
    num = IntegerField()
    other = IntegerField(default=0)
    small = SmallIntegerField(default=0)
    ratio = FloatField(default=0.0)
    dec = DecimalField(max_digits=10, decimal_places=4, null=True)
    flag = BooleanField(default=False)
    uid = UUIDField(null=True)
    ts = DateTimeField(null=True)

    class Meta:
        table_name = "test_lookup_row"
        ordering = ["id"]


MODELS = [Row]
pytestmark = pytest.mark.usefixtures("tables")
U1 = uuid.UUID("00000000-0000-0000-0000-000000000001")
T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


async def seed(api) -> None:
    await api(Row.objects, "bulk_create", [
        Row(name="abc", num=1, other=1, ratio=1.5, dec=Decimal("1.5"), flag=True, uid=U1, ts=T0),
        Row(name="0", num=5, other=2, ratio=2.0, dec=Decimal("2.25"), flag=False),
        Row(name="1x", num=16, other=16, ratio=-1.0, dec=None, flag=False),
    ])  # fmt: skip


async def names(api, qs) -> list[str]:
    return await api(qs.values_list("name", flat=True), "list")


async def test_valid_spellings_are_converted(api) -> None:
    """`num="5"`, `pk="1"`, `flag=1`: Django converts them; PostgreSQL refused them (DataError)
    and SQLite compared text with integers (no rows)."""
    await seed(api)
    assert await names(api, Row.objects.filter(num="5")) == ["0"]
    assert await names(api, Row.objects.filter(num__in=["1", 16])) == ["abc", "1x"]
    assert await names(api, Row.objects.filter(num__gte="5")) == ["0", "1x"]
    first = await api(Row.objects, "first")
    assert (await api(Row.objects, "get", pk=str(first.pk))).name == "abc"
    assert await names(api, Row.objects.filter(flag=1)) == ["abc"]
    assert await names(api, Row.objects.filter(flag="False")) == ["0", "1x"]
    assert await names(api, Row.objects.filter(ratio="1.5")) == ["abc"]
    assert await names(api, Row.objects.filter(ratio=2)) == ["0"]
    assert await names(api, Row.objects.filter(dec="2.25")) == ["0"]
    assert await names(api, Row.objects.filter(uid=str(U1))) == ["abc"]
    assert await names(api, Row.objects.filter(uid=1)) == ["abc"]  # UUID(int=1), as Django
    assert await names(api, Row.objects.filter(name=0)) == ["0"]  # as text, not a number


async def test_mariadb_loose_comparison_cannot_happen(api) -> None:
    """On MariaDB `'abc' = 0` is true and `'1abc' = 1`: unconverted values matched rows."""
    await seed(api)
    assert await names(api, Row.objects.filter(name=0)) == ["0"]
    assert await names(api, Row.objects.filter(name__in=[1, 0])) == ["0"]
    with pytest.raises(ValidationError, match=r"pk='1abc'"):
        await api(Row.objects, "get", pk="1abc")
    with pytest.raises(ValidationError, match="num__in"):
        Row.objects.filter(num__in=["1x"])
    with pytest.raises(ValidationError, match="flag='yes'"):
        Row.objects.filter(flag="yes")


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        ({"num": "abc"}, "num='abc': expected an integer"),
        ({"num__gt": [1]}, "num__gt=[1]: expected an integer, got list"),
        ({"dec": "abc"}, "dec='abc': expected a decimal number"),
        ({"dec": Decimal("NaN")}, "finite"),
        ({"ts": "garbage"}, "ts='garbage': expected an ISO 8601 datetime"),
        ({"ts__gte": 5}, "ts__gte=5: expected a datetime"),
        ({"uid": "nope"}, "uid='nope': expected a UUID"),
        ({"name": {"a": 1}}, "name={'a': 1}: expected a string, got dict"),
        ({"name": "\ud800"}, "lone surrogate"),
        ({"name__icontains": "x\udfff"}, "lone surrogate"),
        ({"flag": 2}, "expected True or False"),
        ({"ratio": "fast"}, "expected a number"),
        ({"num__range": (1, "z")}, "num__range"),
    ],
)
def test_garbage_is_a_validation_error_naming_field_and_lookup(lookup, message) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)) as caught:
        Row.objects.filter(**lookup)
    assert isinstance(caught.value, ValueError)  # as Django's int() conversion raises
    assert set(caught.value.errors) == {next(iter(lookup)).split("__")[0]}


async def test_errors_come_before_any_sql(api) -> None:
    """Raw driver errors escaped before: a UUID regex, NaN on MariaDB, a dict bound to SQL."""
    await seed(api)
    assert await names(api, Row.objects.filter(uid__regex="^0")) == ["abc"]
    assert await names(api, Row.objects.filter(uid__startswith="00000000")) == ["abc"]
    with pytest.raises(TypeError, match="Q objects"):
        Row.objects.filter(5)


async def test_decimal_lookup_values_are_not_rounded(api) -> None:
    """Bug 9: 1.5000001 was quantized to the field's 4 places and matched 1.5."""
    await seed(api)
    assert await names(api, Row.objects.filter(dec=Decimal("1.5000001"))) == []
    assert await names(api, Row.objects.filter(dec__gt=Decimal("1.50001"))) == ["0"]
    assert await names(api, Row.objects.filter(dec=Decimal("1.5"))) == ["abc"]
    assert await names(api, Row.objects.filter(dec=1.5)) == ["abc"]


async def test_non_whole_numbers_on_integer_columns(api) -> None:
    """PostgreSQL truncated `num=1.9` to 1. Comparisons round towards what can match (as
    Django's rounding for gte/lt); no integer equals 1.9 (Django truncates: a documented
    difference)."""
    await seed(api)
    assert await names(api, Row.objects.filter(num=1.9)) == []
    assert await names(api, Row.objects.filter(num=5.0)) == ["0"]
    assert await names(api, Row.objects.filter(num__in=[1.5, 5.0, Decimal("16")])) == ["0", "1x"]
    assert await names(api, Row.objects.filter(num__gt=4.5)) == ["0", "1x"]
    assert await names(api, Row.objects.filter(num__gte=4.5)) == ["0", "1x"]
    assert await names(api, Row.objects.filter(num__lt=5.5)) == ["abc", "0"]
    assert await names(api, Row.objects.filter(num__lte=4.9)) == ["abc"]
    assert await names(api, Row.objects.filter(num__gt=-0.5)) == ["abc", "0", "1x"]
    assert await names(api, Row.objects.filter(num__range=(0.5, 5.5))) == ["abc", "0"]
    assert await names(api, Row.objects.exclude(num=1.9)) == ["abc", "0", "1x"]


async def test_integers_beyond_the_column_match_nothing(api) -> None:
    """A value the column cannot hold reached the driver (PostgreSQL: int32 overflow error)."""
    await seed(api)
    huge = 2**40
    assert await names(api, Row.objects.filter(num=huge)) == []
    assert await names(api, Row.objects.filter(num__in=[huge, 5])) == ["0"]
    assert await names(api, Row.objects.filter(num__lt=huge)) == ["abc", "0", "1x"]
    assert await names(api, Row.objects.filter(num__gt=huge)) == []
    assert await names(api, Row.objects.filter(num__gte=-huge)) == ["abc", "0", "1x"]
    assert await names(api, Row.objects.exclude(num=huge)) == ["abc", "0", "1x"]
    assert await api(Row.objects.filter(num=huge), "count") == 0
    assert await names(api, Row.objects.filter(small__lt=10**6)) == ["abc", "0", "1x"]


async def test_in_drops_none(api) -> None:
    """Bug 2: `exclude(num__in=[1, None])` returned nothing (NOT (num IN (1, NULL)) is NULL)."""
    await seed(api)
    assert await names(api, Row.objects.exclude(num__in=[1, None])) == ["0", "1x"]
    assert await names(api, Row.objects.filter(num__in=[1, None])) == ["abc"]
    assert await names(api, Row.objects.filter(num__in=[None])) == []
    assert await names(api, Row.objects.exclude(num__in=[None])) == ["abc", "0", "1x"]


async def test_expressions_inside_in_and_range(api) -> None:
    """Bug 14: F() in a list bound the text "F('num')" (MariaDB) or crashed."""
    await seed(api)
    assert await names(api, Row.objects.filter(other__in=[F("num"), 2])) == ["abc", "0", "1x"]
    assert await names(api, Row.objects.filter(other__in=[F("num")])) == ["abc", "1x"]
    assert await names(api, Row.objects.filter(num__range=(F("other"), 4))) == ["abc"]
    assert await names(api, Row.objects.filter(num__range=(0, F("other")))) == ["abc", "1x"]
    assert await names(api, Row.objects.exclude(other__in=[F("num") + 0])) == ["0"]


async def test_empty_q_is_no_condition(api) -> None:
    """Bug 1: `Q() | Q(num=1)` returned every row; `~Q()` and `exclude(Q())` returned none."""
    await seed(api)
    every = ["abc", "0", "1x"]
    assert await names(api, Row.objects.filter(Q() | Q(num=1))) == ["abc"]
    assert await names(api, Row.objects.filter(Q(num=1) | Q())) == ["abc"]
    assert await names(api, Row.objects.filter(Q() & Q(num=5))) == ["0"]
    assert await names(api, Row.objects.filter(~Q())) == every
    assert await names(api, Row.objects.exclude(Q())) == every
    assert await names(api, Row.objects.filter(~Q() | ~Q())) == every
    assert await names(api, Row.objects.exclude(~Q() & ~Q())) == every
    assert await names(api, Row.objects.filter(Q())) == every
    q = Q()
    for value in (1, 16):
        q |= Q(num=value)
    assert await names(api, Row.objects.filter(q)) == ["abc", "1x"]
    assert await api(Row.objects.filter(~Q()), "update", other=7) == 3
    assert await api(Row.objects.exclude(Q()), "count") == 3


def test_none_and_lists_stay_refused() -> None:
    with pytest.raises(FieldError, match="None"):
        Row.objects.filter(num__gt=None)
    with pytest.raises(FieldError, match="list of values"):
        Row.objects.filter(num__in=5)
    with pytest.raises(FieldError, match="two values"):
        Row.objects.filter(num__range=(1, None))


async def test_update_converts_values(api) -> None:
    await seed(api)
    assert await api(Row.objects.filter(name="abc"), "update", num="7") == 1
    assert (await api(Row.objects, "get", name="abc")).num == 7
    with pytest.raises(ValidationError, match="num"):
        await api(Row.objects.filter(name="abc"), "update", num="seven")


async def test_case_insensitive_lookups_fold_every_letter(api) -> None:
    """Bug 19: on SQLite `icontains="ÜNÏ"` missed "ünï" (its LIKE and LOWER fold ASCII only),
    although PostgreSQL and MariaDB matched it."""
    await api(Row.objects, "create", name="ünïcode", num=1)
    await api(Row.objects, "create", name="Ça va", num=2)
    assert await names(api, Row.objects.filter(name__icontains="ÜNÏ")) == ["ünïcode"]
    assert await names(api, Row.objects.filter(name__istartswith="ÜN")) == ["ünïcode"]
    assert await names(api, Row.objects.filter(name__iendswith="CODE")) == ["ünïcode"]
    assert await names(api, Row.objects.filter(name__iexact="ÇA VA")) == ["Ça va"]
    assert await names(api, Row.objects.exclude(name__icontains="ça")) == ["ünïcode"]


async def test_a_final_sigma_matches_its_capital(api) -> None:
    """PostgreSQL's ILIKE lowercases, and a capital sigma lowercases to the middle form, never
    to the final one: the i-lookups compare upper case, as Django's."""
    await api(Row.objects, "create", name="σοφος", num=1)
    assert await names(api, Row.objects.filter(name__icontains="ΣΟΦΟΣ")) == ["σοφος"]
    assert await names(api, Row.objects.filter(name__iexact="ΣΟΦΟΣ")) == ["σοφος"]

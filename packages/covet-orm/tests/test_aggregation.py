"""Aggregation and expression types as Django's (issue 8 §2 bugs 3, 10, 11, 12, 16): output
types resolved from every operand, typed parameters on PostgreSQL, GROUP BY fixed by the
values() before annotate(), exists() keeping the groups, aggregate() over aggregates; and
aggregate ``filter=`` / ``default=``, ``StdDev`` and ``Variance`` (§3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from covet.orm import (
    Avg,
    BooleanField,
    CharField,
    Count,
    DateTimeField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    FieldError,
    FloatField,
    IntegerField,
    Max,
    Min,
    Model,
    Q,
    StdDev,
    Sum,
    Value,
    Variance,
)


class Sale(Model):
    g = CharField(max_length=5)
    n = IntegerField()
    f = FloatField()
    dec = DecimalField(max_digits=10, decimal_places=2)
    flag = BooleanField(default=False)
    ts = DateTimeField(null=True)
    took = DurationField(null=True)

    class Meta:
        table_name = "test_agg_sale"
        ordering = ["id"]


MODELS = [Sale]
pytestmark = pytest.mark.usefixtures("tables")
T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


async def seed(api) -> None:
    await api(Sale.objects, "bulk_create", [
        Sale(g="a", n=16, f=0.5, dec=Decimal("1.25"), flag=True, ts=T0,
             took=dt.timedelta(seconds=1)),
        Sale(g="a", n=3, f=1.5, dec=Decimal("2.50"), flag=True, ts=T0 + dt.timedelta(days=2),
             took=dt.timedelta(seconds=3)),
        Sale(g="b", n=5, f=2.0, dec=Decimal("0.10"), flag=False, ts=None, took=None),
    ])  # fmt: skip


async def test_float_and_decimal_literals_are_not_truncated(api) -> None:
    """Bug 3: PostgreSQL read `n * 1.5` as integer arithmetic (16 * 1.5 gave 16)."""
    await seed(api)
    rows = await api(Sale.objects.annotate(x=F("n") * 1.5).values_list("x", flat=True), "list")
    assert rows == [24.0, 4.5, 7.5]
    assert all(type(x) is float for x in rows)
    agg = await api(Sale.objects, "aggregate", half=Sum(F("n") * 0.5),
                    dec=Sum(F("n") * Decimal("0.25")))  # fmt: skip
    assert agg == {"half": 12.0, "dec": Decimal("6.00")}
    assert type(agg["dec"]) is Decimal
    assert await api(Sale.objects.filter(n=16), "update", f=F("f") + 0.9) == 1
    assert (await api(Sale.objects, "get", n=16)).f == pytest.approx(1.4)


async def test_output_types_come_from_every_operand(api) -> None:
    """Bug 10: the first operand decided: Sum(i * f) was an int, Sum(boolean) True."""
    await seed(api)
    agg = await api(
        Sale.objects, "aggregate",
        mixed=Sum(F("n") * F("f")), flags=Sum("flag"), ints=Sum("n"), count=Count("id"),
        dec=Sum(F("dec") * F("n")), avg_dec=Avg("dec"), avg_n=Avg("n"),
    )  # fmt: skip
    assert agg["mixed"] == 8 + 4.5 + 10 and type(agg["mixed"]) is float
    assert agg["flags"] == 2 and type(agg["flags"]) is int
    assert agg["ints"] == 24 and type(agg["ints"]) is int
    assert agg["count"] == 3
    assert agg["dec"] == Decimal("28.00") and type(agg["dec"]) is Decimal
    assert type(agg["avg_dec"]) is Decimal
    assert abs(agg["avg_dec"] - Decimal("1.2833")) < Decimal("0.001")
    assert agg["avg_n"] == 8.0 and type(agg["avg_n"]) is float
    with pytest.raises(FieldError, match="ExpressionWrapper"):
        Sale.objects.annotate(x=F("f") * F("dec"))
    wrapped = ExpressionWrapper(F("f") * F("dec"), output_field=FloatField())
    values = await api(Sale.objects.annotate(x=wrapped).values_list("x", flat=True), "list")
    assert values == pytest.approx([0.625, 3.75, 0.2])


async def test_integer_division_is_an_integer_everywhere(api) -> None:
    """Bug 16: `F('n') / 2` was a Decimal on MariaDB and an int elsewhere."""
    await seed(api)
    halves = await api(Sale.objects.annotate(h=F("n") / 2).values_list("h", flat=True), "list")
    assert halves == [8, 1, 2]
    assert all(type(h) is int for h in halves)
    rows = await api(Sale.objects.annotate(r=F("n") % 3, p=F("n") ** 2, m=-F("n"))
                     .values_list("r", "p", "m"), "list")  # fmt: skip
    assert rows == [(1, 256.0, -16), (0, 9.0, -3), (2, 25.0, -5)]


async def test_values_of_every_type(api) -> None:
    """Bug 16: `annotate(x=Value(3))` failed on PostgreSQL (an untyped parameter)."""
    await seed(api)
    row = await api(
        Sale.objects.filter(n=5).annotate(
            i=Value(3), s=Value("x"), fl=Value(1.5), d=Value(Decimal("1.10")), b=Value(True),
            t=Value(T0), nothing=Value(None, IntegerField()),
        ).values("i", "s", "fl", "d", "b", "t", "nothing"),
        "list",
    )  # fmt: skip
    assert row == [{"i": 3, "s": "x", "fl": 1.5, "d": Decimal("1.10"), "b": True, "t": T0,
                    "nothing": None}]  # fmt: skip


async def test_aggregate_takes_only_aggregates(api) -> None:
    await seed(api)
    with pytest.raises(TypeError, match="not an aggregate"):
        await api(Sale.objects, "aggregate", x=F("n"))
    with pytest.raises(FieldError, match="Avg needs numbers"):
        await api(Sale.objects, "aggregate", x=Avg("ts"))
    with pytest.raises(FieldError, match="aggregate already"):
        await api(Sale.objects, "aggregate", x=Sum(Count("id")))


async def test_min_max_avg_of_datetimes_and_durations(api) -> None:
    await seed(api)
    agg = await api(Sale.objects, "aggregate", lo=Min("ts"), hi=Max("ts"), took=Avg("took"),
                    total=Sum("took"))  # fmt: skip
    assert agg == {"lo": T0, "hi": T0 + dt.timedelta(days=2), "took": dt.timedelta(seconds=2),
                   "total": dt.timedelta(seconds=4)}  # fmt: skip


async def test_group_by_is_fixed_by_values_before_annotate(api) -> None:
    """Bug 11: values('g').annotate(...).values('n') must keep grouping by g;
    annotate(...).values('g', 'n') groups per row."""
    await seed(api)
    per_g = Sale.objects.values("g").annotate(c=Count("id")).order_by("g")
    assert await api(per_g, "list") == [{"g": "a", "c": 2}, {"g": "b", "c": 1}]
    assert await api(per_g.values_list("c", flat=True), "list") == [2, 1]
    per_row = Sale.objects.annotate(c=Count("id")).values("g", "c").order_by("g")
    assert await api(per_row, "list") == [{"g": "a", "c": 1}, {"g": "a", "c": 1},
                                          {"g": "b", "c": 1}]  # fmt: skip
    filtered = Sale.objects.values("g").annotate(c=Count("id")).filter(c__gt=1)
    assert await api(filtered, "list") == [{"g": "a", "c": 2}]
    assert await api(filtered, "count") == 1


async def test_exists_keeps_the_groups(api) -> None:
    """Bug 12: exists() dropped GROUP BY (wrong on PostgreSQL/MariaDB, an error on SQLite)."""
    await seed(api)
    qs = Sale.objects.values("g").annotate(c=Count("id"))
    assert await api(qs.filter(c__gt=1), "exists") is True
    assert await api(qs.filter(c__gt=2), "exists") is False
    assert await api(Sale.objects.annotate(c=Count("id")).filter(c=1), "exists") is True


async def test_aggregating_over_an_aggregate(api) -> None:
    """Bug 16: aggregate(Sum('c')) over an aggregate annotation wrote invalid SQL."""
    await seed(api)
    per_g = Sale.objects.values("g").annotate(c=Count("id"), total=Sum("n"))
    agg = await api(per_g, "aggregate", groups=Count("g"), most=Max("c"), avg=Avg("total"))
    assert agg == {"groups": 2, "most": 2, "avg": 12.0}
    assert await api(Sale.objects.order_by("n")[:2], "aggregate", s=Sum("n")) == {"s": 8}
    distinct = Sale.objects.values("g").distinct()
    assert await api(distinct, "aggregate", n=Count("g")) == {"n": 2}


async def test_aggregate_filter_and_default(api) -> None:
    await seed(api)
    agg = await api(
        Sale.objects, "aggregate",
        flagged=Count("id", filter=Q(flag=True)), big=Sum("n", filter=Q(n__gt=4)),
        none=Sum("n", filter=Q(n__gt=100)), zero=Sum("n", filter=Q(n__gt=100), default=0),
        avg_default=Avg("f", filter=Q(g="z"), default=1.0),
    )  # fmt: skip
    assert agg == {"flagged": 2, "big": 21, "none": None, "zero": 0, "avg_default": 1.0}
    rows = await api(
        Sale.objects.values("g").annotate(t=Count("id", filter=Q(flag=True))).order_by("g"),
        "list",
    )
    assert rows == [{"g": "a", "t": 2}, {"g": "b", "t": 0}]
    with pytest.raises(TypeError, match="default"):
        Count("id", default=0)


async def test_stddev_and_variance(api) -> None:
    await seed(api)
    agg = await api(Sale.objects, "aggregate", sd=StdDev("n"), var=Variance("n"),
                    sds=StdDev("n", sample=True), vars=Variance("f", sample=True))  # fmt: skip
    mean = 8.0
    pop = ((16 - mean) ** 2 + (3 - mean) ** 2 + (5 - mean) ** 2) / 3
    assert agg["var"] == pytest.approx(pop)
    assert agg["sd"] == pytest.approx(pop**0.5)
    assert agg["sds"] == pytest.approx((pop * 3 / 2) ** 0.5)
    assert agg["vars"] == pytest.approx(0.58333333)
    one = await api(Sale.objects.filter(n=5), "aggregate", v=Variance("n", sample=True))
    assert one == {"v": None}

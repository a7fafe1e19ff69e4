"""Database functions, conditional expressions, window functions and Q's XOR (issue 8 §3), the
same answers on SQLite, PostgreSQL and MariaDB, sync and async."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from covet.orm import (
    Avg,
    Case,
    Cast,
    CharField,
    Coalesce,
    Concat,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    DenseRank,
    Extract,
    ExtractIsoWeekDay,
    ExtractQuarter,
    ExtractYear,
    F,
    FieldError,
    FirstValue,
    FloatField,
    Func,
    Greatest,
    IntegerField,
    Lag,
    Lead,
    Least,
    Length,
    Lower,
    Model,
    NotSupportedError,
    Q,
    Rank,
    RowNumber,
    Sum,
    TextField,
    Trunc,
    TruncDate,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    Upper,
    Value,
    When,
    Window,
)

UTC = dt.UTC


class Player(Model):
    name = CharField(max_length=20)
    nick = CharField(max_length=20, null=True)
    team = CharField(max_length=5)
    score = IntegerField()
    bonus = IntegerField(null=True)
    joined = DateTimeField()
    birthday = DateField(null=True)
    ratio = FloatField(default=0.0)

    class Meta:
        table_name = "test_fn_player"
        ordering = ["id"]


MODELS = [Player]
pytestmark = pytest.mark.usefixtures("tables")


async def seed(api) -> None:
    await api(Player.objects, "bulk_create", [
        Player(name="Ann", nick="ace", team="red", score=10, bonus=5,
               joined=dt.datetime(2024, 2, 29, 13, 45, 30, tzinfo=UTC),
               birthday=dt.date(1990, 12, 31), ratio=0.5),
        Player(name="Bob", nick=None, team="red", score=30, bonus=None,
               joined=dt.datetime(2024, 5, 6, 8, 0, tzinfo=UTC), birthday=None, ratio=1.5),
        Player(name="Çé", nick="x", team="blue", score=20, bonus=1,
               joined=dt.datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC),
               birthday=dt.date(2000, 1, 2), ratio=2.0),
        Player(name="Dee", nick=None, team="blue", score=20, bonus=None,
               joined=dt.datetime(2024, 7, 1, tzinfo=UTC), birthday=None, ratio=0.0),
    ])  # fmt: skip


async def column(api, qs, name: str) -> list:
    return await api(qs.values_list(name, flat=True), "list")


async def test_text_functions(api, backend) -> None:
    await seed(api)
    qs = Player.objects.annotate(
        low=Lower("name"), up=Upper("name"), n=Length("name"), label=Concat("name", Value("-"),
                                                                            "nick", "score"),
    )  # fmt: skip
    rows = await api(qs.values_list("low", "up", "n", "label"), "list")
    assert rows == [
        ("ann", "ANN", 3, "Ann-ace10"),
        ("bob", "BOB", 3, "Bob-30"),  # a NULL counts as empty text, as in Django
        # SQLite's LOWER/UPPER fold ASCII only (as under Django)
        ("Çé", "Çé", 2, "Çé-x20") if backend == "sqlite" else ("çé", "ÇÉ", 2, "Çé-x20"),
        ("dee", "DEE", 3, "Dee-20"),
    ]
    gaps = Player.objects.annotate(a=Func(F("score") - 25, function="ABS"))
    assert await column(api, gaps, "a") == [15, 5, 5, 5]
    twice = Player.objects.annotate(t=Func("score", template="(%(expressions)s * 2)"))
    assert await column(api, twice, "t") == [20, 60, 40, 40]
    assert await column(api, Player.objects.annotate(n=Length("nick")), "n") == [3, None, 1, None]


async def test_coalesce_greatest_least_cast(api) -> None:
    await seed(api)
    assert await column(api, Player.objects.annotate(b=Coalesce("bonus", 0)), "b") == [5, 0, 1, 0]
    assert await column(api, Player.objects.annotate(
        b=Coalesce("nick", "name", Value("?"))), "b") == ["ace", "Bob", "x", "Dee"]  # fmt: skip
    extremes = Player.objects.filter(bonus__isnull=False).annotate(
        g=Greatest("score", F("bonus") * 3), s=Least("score", "bonus")
    )
    assert await api(extremes.values_list("g", "s"), "list") == [(15, 5), (20, 1)]
    halves = await column(api, Player.objects.annotate(h=Cast("score", FloatField()) / 4), "h")
    assert halves == [2.5, 7.5, 5.0, 5.0]
    texts = await column(api, Player.objects.annotate(t=Cast("score", TextField())), "t")
    assert texts == ["10", "30", "20", "20"]
    dec = await column(api, Player.objects.annotate(
        d=Cast("ratio", DecimalField(max_digits=6, decimal_places=2))), "d")  # fmt: skip
    assert dec == [Decimal("0.50"), Decimal("1.50"), Decimal("2.00"), Decimal("0.00")]
    days = await column(api, Player.objects.annotate(d=Cast("joined", DateField())), "d")
    assert days[0] == dt.date(2024, 2, 29)
    with pytest.raises(FieldError, match="mixes"):
        Player.objects.annotate(x=Coalesce("name", "score"))


async def test_case_when(api) -> None:
    await seed(api)
    tier = Case(
        When(score__gte=30, then=Value("gold")),
        When(Q(score__gte=20) & Q(team="blue"), then=Value("blue-silver")),
        default=Value("bronze"),
    )
    assert await column(api, Player.objects.annotate(t=tier), "t") == [
        "bronze", "gold", "blue-silver", "blue-silver"]  # fmt: skip
    points = Case(When(bonus__isnull=False, then=F("score") + F("bonus")), default="score")
    assert await column(api, Player.objects.annotate(p=points), "p") == [15, 30, 21, 20]
    agg = await api(Player.objects, "aggregate",
                    reds=Sum(Case(When(team="red", then=1), default=0)))  # fmt: skip
    assert agg == {"reds": 2}
    ordered = Player.objects.order_by(Case(When(team="blue", then=0), default=1), "-score")
    assert (await column(api, ordered, "name"))[2:] == ["Bob", "Ann"]
    assert await column(api, Player.objects.filter(score=Case(When(team="red", then=10),
                                                               default=20)), "name") == [
        "Ann", "Çé", "Dee"]  # fmt: skip


async def test_extract_and_trunc(api) -> None:
    await seed(api)
    qs = Player.objects.annotate(
        y=ExtractYear("joined"), q=ExtractQuarter("joined"), wd=ExtractIsoWeekDay("joined"),
        w=Extract("joined", "week"), by=Extract("birthday", "year"),
    )  # fmt: skip
    rows = await api(qs.values_list("y", "q", "wd", "w", "by"), "list")
    assert rows == [(2024, 1, 4, 9, 1990), (2024, 2, 1, 19, None), (2023, 4, 7, 52, 2000),
                    (2024, 3, 1, 27, None)]  # fmt: skip
    months = await column(api, Player.objects.annotate(m=TruncMonth("joined")), "m")
    assert months[0] == dt.datetime(2024, 2, 1, tzinfo=UTC)
    quarters = await column(api, Player.objects.annotate(m=TruncQuarter("joined")), "m")
    assert quarters == [
        dt.datetime(2024, 1, 1, tzinfo=UTC),
        dt.datetime(2024, 4, 1, tzinfo=UTC),
        dt.datetime(2023, 10, 1, tzinfo=UTC),
        dt.datetime(2024, 7, 1, tzinfo=UTC),
    ]
    weeks = await column(api, Player.objects.annotate(m=TruncWeek("joined")), "m")
    assert weeks[0] == dt.datetime(2024, 2, 26, tzinfo=UTC)  # the Monday
    days = await column(api, Player.objects.annotate(d=TruncDate("joined")), "d")
    assert days == [dt.date(2024, 2, 29), dt.date(2024, 5, 6), dt.date(2023, 12, 31),
                    dt.date(2024, 7, 1)]  # fmt: skip
    by_year = await column(api, Player.objects.annotate(
        y=Trunc("birthday", "year")).filter(birthday__isnull=False), "y")  # fmt: skip
    assert by_year == [dt.date(1990, 1, 1), dt.date(2000, 1, 1)]
    per_month = Player.objects.annotate(m=TruncMonth("joined", output_field=DateField())).values(
        "m").annotate(n=Count("id")).order_by("m")  # fmt: skip
    months = [dt.date(2023, 12, 1), dt.date(2024, 2, 1), dt.date(2024, 5, 1), dt.date(2024, 7, 1)]
    assert [r["m"] for r in await api(per_month, "list")] == months


async def test_window_functions(api, backend) -> None:
    await seed(api)
    qs = Player.objects.annotate(
        rn=Window(RowNumber(), partition_by="team", order_by="-score"),
        rank=Window(Rank(), order_by=F("score").desc()),
        dense=Window(DenseRank(), order_by="-score"),
        prev=Window(Lag("score"), partition_by=["team"], order_by="name"),
        after=Window(Lead("score", 1), order_by="name"),
        top=Window(FirstValue("name"), partition_by="team", order_by="-score"),
        team_total=Window(Sum("score"), partition_by="team"),
        team_avg=Window(Avg("score"), partition_by="team"),
    ).order_by("name")
    rows = await api(qs.values_list("name", "rn", "rank", "dense", "prev", "after", "top",
                                    "team_total", "team_avg"), "list")  # fmt: skip
    by_name = {r[0]: r for r in rows}
    assert by_name["Ann"] == ("Ann", 2, 4, 3, None, 30, "Bob", 40, 20.0)
    assert by_name["Bob"] == ("Bob", 1, 1, 1, 10, by_name["Bob"][5], "Bob", 40, 20.0)
    assert by_name["Dee"][2:4] == (2, 2) and by_name["Dee"][7:] == (40, 20.0)
    assert by_name["Çé"][2] == by_name["Dee"][2] == 2  # a tie shares the rank
    assert {by_name["Çé"][1], by_name["Dee"][1]} == {1, 2}
    assert by_name["Çé"][6] == by_name["Dee"][6]
    with pytest.raises(TypeError, match="cannot be used in a Window"):
        Window(Lower("name"))
    lead = Player.objects.annotate(after=Window(Lead("score", 1, -1), order_by="score", )).order_by(
        "score", "name")  # fmt: skip
    if backend == "mysql":
        with pytest.raises(NotSupportedError, match="Coalesce"):
            await api(lead, "list")
    else:
        assert (await column(api, lead, "after"))[-1] == -1
    with pytest.raises(FieldError, match="window"):
        await api(qs.filter(rn=1), "list")


async def test_operators_and_xor(api) -> None:
    await seed(api)
    assert await column(api, Player.objects.annotate(m=F("score") % 7), "m") == [3, 2, 6, 6]
    squares = await column(api, Player.objects.annotate(p=F("score") ** 2), "p")
    assert squares == [100, 900, 400, 400] and all(type(p) is int for p in squares)  # Django's
    assert await column(api, Player.objects.annotate(n=-F("score") + 1), "n") == [-9, -29, -19, -19]
    xor = Player.objects.filter(Q(team="red") ^ Q(score__gte=20))
    assert await column(api, xor, "name") == ["Ann", "Çé", "Dee"]
    three = Player.objects.filter(Q(team="red") ^ Q(score__gte=20) ^ Q(name="Dee"))
    assert await column(api, three, "name") == ["Ann", "Çé"]
    assert await column(api, Player.objects.exclude(Q(team="red") ^ Q(score__gte=20)), "name") == [
        "Bob"]  # fmt: skip


async def test_date_arithmetic(api, backend) -> None:
    """timestamp + interval in SQL: PostgreSQL only (a clear error elsewhere, not garbage)."""
    await seed(api)
    qs = Player.objects.filter(name="Ann").annotate(later=F("joined") + dt.timedelta(days=1))
    if backend != "postgres":
        with pytest.raises(NotSupportedError, match="compute it in Python"):
            await column(api, qs, "later")
        return
    assert await column(api, qs, "later") == [dt.datetime(2024, 3, 1, 13, 45, 30, tzinfo=UTC)]
    span = Player.objects.filter(name="Ann").annotate(age=F("joined") - F("joined"))
    assert await column(api, span, "age") == [dt.timedelta(0)]

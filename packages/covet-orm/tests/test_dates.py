"""Date and time transforms as Django's (in UTC): the parts year ... second (seconds truncated),
week, week_day, iso_week_day, quarter, iso_year, and the date and time of a datetime; the
extremes of Python's calendar work as any other value. Issue 8 §2 bugs 5 and 6."""

from __future__ import annotations

import datetime as dt

import pytest

from covet.orm import CharField, DateField, DateTimeField, Model, TimeField

UTC = dt.UTC


class Event(Model):
    name = CharField(max_length=20)
    ts = DateTimeField(null=True)
    day = DateField(null=True)
    at = TimeField(null=True)

    class Meta:
        table_name = "test_dates_event"
        ordering = ["id"]


MODELS = [Event]
pytestmark = pytest.mark.usefixtures("tables")

ROWS = {
    # 2024-12-30 is a Monday in ISO week 1 of 2025; 10:00:59.6 must count as second 59
    "monday": (dt.datetime(2024, 12, 30, 10, 0, 59, 600000, tzinfo=UTC), dt.date(2024, 12, 30),
               dt.time(10, 0, 59, 600000)),
    # a Sunday evening in UTC+5: 16:30 in UTC, still Sunday
    "sunday": (dt.datetime(2023, 1, 1, 21, 30, tzinfo=dt.timezone(dt.timedelta(hours=5))),
               dt.date(2023, 1, 1), dt.time(16, 30)),
    "leap": (dt.datetime(2020, 2, 29, 23, 59, 59, 999999, tzinfo=UTC), dt.date(2020, 2, 29),
             dt.time(23, 59, 59, 999999)),
    "early": (dt.datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC), dt.date(1, 1, 2), dt.time(0, 0)),
    "late": (dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC), dt.date(9999, 12, 30),
             dt.time(23, 59)),
}  # fmt: skip


async def seed(api) -> None:
    await api(
        Event.objects,
        "bulk_create",
        [Event(name=n, ts=ts, day=d, at=t) for n, (ts, d, t) in ROWS.items()],
    )


async def names(api, qs) -> list[str]:
    return await api(qs.values_list("name", flat=True), "list")


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        ({"ts__second": 59}, ["monday", "leap", "late"]),
        ({"ts__second": 0}, ["sunday"]),
        ({"at__second": 59}, ["monday", "leap"]),
        ({"ts__hour": 16}, ["sunday"]),
        ({"ts__minute__gte": 30}, ["sunday", "leap", "late"]),
        ({"ts__year": 9999}, ["late"]),
        ({"ts__month": 12, "ts__day": 30}, ["monday", "late"]),
        ({"ts__year__lt": 2000}, ["early"]),
        ({"day__year": 1}, ["early"]),
        ({"ts__week": 1}, ["monday", "early"]),
        ({"ts__iso_year": 2025}, ["monday"]),
        ({"ts__iso_year": 2022}, ["sunday"]),
        ({"day__week": 52}, ["sunday", "late"]),
        ({"ts__week_day": 1}, ["sunday"]),  # Django: 1 = Sunday
        ({"ts__week_day": 2}, ["monday", "early"]),
        ({"ts__iso_week_day": 7}, ["sunday"]),  # ISO: 7 = Sunday
        ({"day__iso_week_day": 6}, ["leap"]),
        ({"ts__quarter": 1}, ["sunday", "leap", "early"]),
        ({"day__quarter": 4}, ["monday", "late"]),
        ({"ts__date": dt.date(2020, 2, 29)}, ["leap"]),
        ({"ts__date__gte": "9999-01-01"}, ["late"]),
        ({"ts__time": dt.time(16, 30)}, ["sunday"]),
        ({"ts__time__gt": dt.time(23)}, ["leap", "late"]),
        ({"at__hour": 23}, ["leap", "late"]),
    ],
)
async def test_transforms(api, lookup, expected) -> None:
    await seed(api)
    assert await names(api, Event.objects.filter(**lookup)) == expected


async def test_parts_of_the_last_day(api) -> None:
    """Bug 6: SQLite's strftime() gave NULL for datetimes whose microseconds round up past
    9999-12-31, so `ts__month=12` missed them."""
    last = dt.datetime(9999, 12, 31, 23, 59, 59, 999600, tzinfo=UTC)  # rounds up in strftime()
    await api(Event.objects, "create", name="last", ts=last)
    assert await names(api, Event.objects.filter(ts__month=12, ts__day=31)) == ["last"]
    assert await names(api, Event.objects.filter(ts__year=9999, ts__second=59)) == ["last"]
    assert await names(api, Event.objects.filter(ts__date=last.date())) == ["last"]


async def test_calendar_extremes_are_stored_as_themselves(api, backend, db) -> None:
    """Bug 4: asyncpg sent date.max / datetime.max as PostgreSQL's 'infinity'; every date part
    on the table then failed ("cannot convert infinity")."""
    top = dt.datetime.max.replace(tzinfo=UTC)
    bottom = dt.datetime.min.replace(tzinfo=UTC)
    await api(Event.objects, "create", name="top", ts=top, day=dt.date.max)
    await api(Event.objects, "create", name="bottom", ts=bottom, day=dt.date.min)
    assert await names(api, Event.objects.filter(ts__year=9999, day__month=12)) == ["top"]
    assert await names(api, Event.objects.filter(ts__year=1, day__day=1)) == ["bottom"]
    assert await names(api, Event.objects.filter(ts=top, day=dt.date.max)) == ["top"]
    assert await names(api, Event.objects.filter(ts__date=dt.date.max)) == ["top"]
    got = await api(Event.objects, "get", name="top")
    assert (got.ts, got.day) == (top, dt.date.max)
    if backend == "postgres":  # real values, not 'infinity', for every other client too
        table = db.dialect.quote("test_dates_event")
        rows = await api(db, "fetch_all", f"SELECT CAST(ts AS TEXT) AS t, CAST(day AS TEXT) AS d "
                         f"FROM {table} ORDER BY id")  # fmt: skip
        assert rows == [
            {"t": "9999-12-31 23:59:59.999999+00", "d": "9999-12-31"},
            {"t": "0001-01-01 00:00:00+00", "d": "0001-01-01"},
        ]
        # 'infinity' written by another client reads as Python's extremes
        await api(db, "execute", f"UPDATE {table} SET ts = 'infinity', day = '-infinity'")
        got = await api(Event.objects, "get", name="bottom")
        assert (got.ts, got.day) == (top, dt.date.min)

"""Hydration on every backend and API: objects, values(), values_list() and flat lists give the
same Python values, datetimes aware in UTC whichever way the driver returned them."""

from __future__ import annotations

import datetime as dt

import pytest

from covet.orm import CharField, DateTimeField, Model, SmallIntegerField

pytestmark = pytest.mark.usefixtures("tables")

PLUS2 = dt.timezone(dt.timedelta(hours=2))


class Entry(Model):
    when = DateTimeField(null=True)
    level = SmallIntegerField()
    text = CharField(max_length=40)

    class Meta:
        table_name = "hydrate_entries"


MODELS = [Entry]
WHEN = dt.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=PLUS2)
UTC_WHEN = dt.datetime(2024, 2, 29, 21, 59, 58, 123456, tzinfo=dt.UTC)


async def _seed(api) -> None:
    rows = [Entry(when=WHEN, level=1, text="a"), Entry(when=None, level=2, text="b")]
    await api(Entry.objects, "bulk_create", rows)


async def test_objects_get_aware_utc_datetimes_and_nulls(api) -> None:
    await _seed(api)
    objs = await api(Entry.objects.order_by("level"), "list")
    assert [type(o) for o in objs] == [Entry, Entry]
    assert objs[0].when == UTC_WHEN
    assert objs[0].when.tzinfo is dt.UTC
    assert (objs[0].level, objs[0].text) == (1, "a")
    assert objs[1].when is None
    assert isinstance(objs[0].id, int)
    assert objs[0].id != objs[1].id


async def test_values_list_and_values_match_objects(api) -> None:
    await _seed(api)
    qs = Entry.objects.order_by("level")
    rows = await api(qs.values_list("level", "text", "when"), "list")
    assert rows == [(1, "a", UTC_WHEN), (2, "b", None)]
    assert all(type(r) is tuple for r in rows)
    assert rows[0][2].tzinfo is dt.UTC
    flat = await api(qs.values_list("when", flat=True), "list")
    assert flat == [UTC_WHEN, None]
    assert flat[0].tzinfo is dt.UTC
    dicts = await api(qs.values("text", "when"), "list")
    assert dicts == [{"text": "a", "when": UTC_WHEN}, {"text": "b", "when": None}]
    plain = await api(qs.values_list("level", "text"), "list")  # no column to convert
    assert plain == [(1, "a"), (2, "b")]
    assert all(type(r) is tuple for r in plain)


async def test_an_empty_result_hydrates_to_an_empty_list(api) -> None:
    assert await api(Entry.objects.all(), "list") == []
    assert await api(Entry.objects.values_list("when"), "list") == []

"""JSONField semantics as Django's, the same on SQLite, PostgreSQL and MariaDB (issue 8 §2 bugs
7, 8 and 20): None is SQL NULL, key lookups compare JSON values (1 equals 1.0, not true or "1"),
``key=None`` is JSON null and ``key__isnull`` a missing key, has_key(s), containment and array
indexes."""

from __future__ import annotations

import pytest

from covet.orm import CharField, Count, JSONField, Model, ValidationError, Value


class Doc(Model):
    name = CharField(max_length=20)
    data = JSONField(null=True)

    class Meta:
        table_name = "test_json_doc"
        ordering = ["id"]


class Strict(Model):
    name = CharField(max_length=20)
    data = JSONField()  # NOT NULL: a condition on its value can still be unknown

    class Meta:
        table_name = "test_json_strict"
        ordering = ["id"]


MODELS = [Doc, Strict]
pytestmark = pytest.mark.usefixtures("tables")

ROWS = {
    "int": {"a": 1, "tags": ["x", "y"], "nested": {"b": {"c": 3}}},
    "float": {"a": 1.0, "tags": ["y"]},
    "true": {"a": True, "tags": []},
    "text": {"a": "1", "nested": {"b": {"c": 4}, "d": [1, {"e": 5}]}},
    "null": {"a": None},
    "missing": {"z": 0},
    "list": {"a": [1, 2], 'k"d': 2},
    "dict": {"a": {"b": 1, "c": [2, 3]}, "it's": "quote"},
    "array": [1, "two", {"three": 3}],
    "scalar": 7,
    "none": None,
}


async def seed(api) -> None:
    await api(Doc.objects, "bulk_create", [Doc(name=n, data=d) for n, d in ROWS.items()])


async def names(api, qs) -> list[str]:
    return await api(qs.values_list("name", flat=True), "list")


async def test_none_is_sql_null(api) -> None:
    """Bug 7: SQLite and MariaDB stored None as the JSON text `null`."""
    await seed(api)
    assert await names(api, Doc.objects.filter(data__isnull=True)) == ["none"]
    # as Django: `data=None` is JSON null (`Value(None, JSONField())`), SQL NULL is isnull
    assert await names(api, Doc.objects.filter(data=None)) == []
    counts = await api(Doc.objects, "aggregate", n=Count("data"), rows=Count("id"))
    assert counts == {"n": len(ROWS) - 1, "rows": len(ROWS)}
    assert (await api(Doc.objects, "get", name="none")).data is None
    assert (await api(Doc.objects, "get", name="null")).data == {"a": None}


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        ({"data__a": 1}, ["int", "float"]),
        ({"data__a": 1.0}, ["int", "float"]),
        ({"data__a": True}, ["true"]),
        ({"data__a": "1"}, ["text"]),
        ({"data__a": None}, ["null"]),
        ({"data__a__isnull": True}, ["missing", "array", "scalar", "none"]),
        ({"data__a__isnull": False}, ["int", "float", "true", "text", "null", "list", "dict"]),
        ({"data__a": [1, 2]}, ["list"]),
        ({"data__a": [2, 1]}, []),
        ({"data__a": {"c": [2, 3], "b": 1}}, ["dict"]),
        ({"data__a": {"b": 1}}, []),
        ({"data__a__b": 1}, ["dict"]),
        ({"data__nested__b__c": 3}, ["int"]),
        ({"data__nested__b__c__gt": 3}, ["text"]),
        ({"data__a__c__1": 3}, ["dict"]),
        ({"data__tags__0": "x"}, ["int"]),
        ({"data__tags__1": "y"}, ["int"]),
        ({"data__2__three": 3}, ["array"]),
        ({"data__a__in": [1, "1"]}, ["int", "float", "text"]),
        ({"data__a__in": [None, True]}, ["true"]),  # None dropped from `in`, as in Django
        ({'data__k"d': 2}, ["list"]),
        ({"data__it's": "quote"}, ["dict"]),
        ({"data__a__gte": 1}, ["int", "float"]),
        ({"data__a__startswith": "1"}, ["int", "float", "text"]),  # the value's text
        ({"data__a__gt": "0"}, ["text"]),  # ordering within one JSON type
        ({"data__a__lt": 2}, ["int", "float"]),
    ],
)
async def test_key_lookups(api, lookup, expected) -> None:
    """Bug 8: `data__a=1` matched true (SQLite) and "1" but not 1.0 (PostgreSQL); =None and
    __isnull were the same; lists and dicts crashed on SQLite. Bug 20: keys with a quote."""
    await seed(api)
    assert await names(api, Doc.objects.filter(**lookup)) == expected


async def test_exclude_is_the_complement(api) -> None:
    await seed(api)
    every = list(ROWS)
    for lookup in ({"data__a": 1}, {"data__a": None}, {"data__tags__contains": ["x"]}):
        hits = await names(api, Doc.objects.filter(**lookup))
        rest = await names(api, Doc.objects.exclude(**lookup))
        assert sorted(hits + rest, key=every.index) == every, lookup


async def test_exclude_is_the_complement_on_a_not_null_column(api) -> None:
    """A NOT NULL JSON column still gives unknown comparisons (a key missing from an object):
    exclude() dropped {"b": 2} for data={"a": 1} on SQLite, where filter() did not match it."""
    values = {"match": {"a": 1}, "other": {"b": 2}, "list": [1], "text": "a", "null": {}}
    await api(Strict.objects, "bulk_create", [Strict(name=n, data=d) for n, d in values.items()])
    # JSON null (None alone is SQL NULL, which this column refuses)
    await api(Strict.objects.filter(name="null"), "update", data=Value(None, JSONField()))
    every = list(values)
    for lookup in ({"data": {"a": 1}}, {"data__a": 1}, {"data__a__gt": 0}, {"data__0": 1}):
        hits = await names(api, Strict.objects.filter(**lookup))
        rest = await names(api, Strict.objects.exclude(**lookup))
        assert sorted(hits + rest, key=every.index) == every, lookup


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        ({"data__has_key": "a"}, ["int", "float", "true", "text", "null", "list", "dict"]),
        ({"data__has_key": "tags"}, ["int", "float", "true"]),
        ({"data__nested__has_key": "d"}, ["text"]),
        ({"data__has_keys": ["a", "tags"]}, ["int", "float", "true"]),
        ({"data__has_any_keys": ["z", "it's"]}, ["missing", "dict"]),
        ({"data__has_key": 'k"d'}, ["list"]),
    ],
)
async def test_has_key(api, lookup, expected) -> None:
    """`data__has_key` looked for a key named "has_key"."""
    await seed(api)
    assert await names(api, Doc.objects.filter(**lookup)) == expected


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        ({"data__contains": {"a": 1}}, ["int", "float"]),
        ({"data__contains": {"a": 1, "tags": ["x"]}}, ["int"]),
        ({"data__contains": {"nested": {"b": {}}}}, ["int", "text"]),
        ({"data__contains": {"nested": {"d": [{"e": 5}]}}}, ["text"]),
        (
            {"data__contains": {}},
            ["int", "float", "true", "text", "null", "missing", "list", "dict"],
        ),
        ({"data__contains": [1]}, ["array"]),
        ({"data__contains": 7}, ["scalar"]),
        ({"data__contains": "two"}, ["array"]),  # an array contains a primitive it holds
        ({"data__tags__contains": ["y"]}, ["int", "float"]),
        ({"data__tags__contains": "x"}, ["int"]),
        ({"data__a__contains": {"c": [3]}}, ["dict"]),
        ({"data__contained_by": {"a": 1, "tags": ["y"], "z": 0}}, ["float", "missing"]),
        ({"data__tags__contained_by": ["x", "y"]}, ["int", "float", "true"]),
        ({"data__contained_by": [1, "two", {"three": 3}, 4]}, ["array"]),
        ({"data__a__contained_by": {"b": 1, "c": [3, 2, 1]}}, ["dict"]),
    ],
)
async def test_containment(api, backend, lookup, expected) -> None:
    """`data__contains` was a LIKE over the JSON text; containment as PostgreSQL's @> / <@.
    MariaDB's JSON_CONTAINS (what Django uses there) also finds a value inside a nested array."""
    await seed(api)
    key = next(iter(lookup.items()))
    if backend == "mysql" and repr(key) in MARIADB:
        expected = MARIADB[repr(key)]
    assert await names(api, Doc.objects.filter(**lookup)) == expected


MARIADB = {
    repr(("data__contains", {"a": 1})): ["int", "float", "list"],
    repr(("data__contains", {})): [
        "int",
        "float",
        "true",
        "text",
        "null",
        "missing",
        "list",
        "dict",
        "array",
    ],
}


async def test_json_values_must_be_json(api) -> None:
    with pytest.raises(ValidationError, match="data__a"):
        Doc.objects.filter(data__a={1, 2})
    with pytest.raises(ValidationError, match="JSON number"):
        Doc.objects.filter(data__a=float("nan"))


async def test_update_stores_json_and_null(api) -> None:
    await seed(api)
    assert await api(Doc.objects.filter(name="scalar"), "update", data={"a": 1}) == 1
    assert await names(api, Doc.objects.filter(data__a=1)) == ["int", "float", "scalar"]
    assert await api(Doc.objects.filter(name="scalar"), "update", data=None) == 1
    assert await names(api, Doc.objects.filter(data__isnull=True)) == ["scalar", "none"]
    json_null = Value(None, JSONField())
    assert await api(Doc.objects.filter(name="scalar"), "update", data=json_null) == 1
    assert await names(api, Doc.objects.filter(data=None)) == ["scalar"]
    assert await names(api, Doc.objects.filter(data__isnull=True)) == ["none"]

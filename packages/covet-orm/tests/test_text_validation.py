"""Text that no database column can hold alike is refused by validation and as a lookup value,
on every backend (issue 11): NUL (PostgreSQL refuses it in text and jsonb; SQLite and MariaDB
store it), lone surrogates (not Unicode), and NaN / Infinity or non-JSON values in a JSONField."""

from __future__ import annotations

import math
from typing import Any

import pytest

from covet.orm import CharField, DataError, JSONField, Model, TextField, ValidationError

pytestmark = pytest.mark.usefixtures("tables")


class Doc(Model):
    title = CharField(max_length=20, default="")
    body = TextField(default="")
    data = JSONField(default=dict)

    class Meta:
        table_name = "test_text_validation_doc"


MODELS = [Doc]

BAD_TEXT = ["a\x00", "\x00", "a\ud800", "\udfff"]
BAD_JSON = [
    "a\x00",
    ["ok", "\x00"],
    {"k": {"deep": ["\ud800"]}},
    {"a\x00": 1},
    math.nan,
    [math.inf],
    {"x": -math.inf},
    {1, 2},
    b"bytes",
]


@pytest.mark.parametrize("value", BAD_TEXT)
@pytest.mark.parametrize("field", ["title", "body"])
def test_text_fields_refuse_nul_and_lone_surrogates(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as info:
        Doc(**{field: value}).full_clean()
    assert list(info.value.errors) == [field]


@pytest.mark.parametrize("value", BAD_JSON, ids=repr)
def test_json_fields_refuse_what_a_database_cannot_store(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Doc(data=value).full_clean()
    assert list(info.value.errors) == ["data"]


@pytest.mark.parametrize("value", ["a\ud800", "\udfff"])
def test_lookup_values_with_lone_surrogates_are_refused(value: str) -> None:
    for lookup in ("title", "title__icontains", "body__startswith", "title__in", "title__gt"):
        with pytest.raises(ValidationError):
            Doc.objects.filter(**{lookup: [value] if lookup.endswith("in") else value})


async def test_a_lookup_value_holding_nul_matches_no_text(api: Any) -> None:
    """No text column holds NUL, so equality and LIKE lookups with one match nothing (exclude:
    everything) on every database, where PostgreSQL's driver would refuse to send the value.
    An ordering comparison with it is still refused: it is not a question of equality."""
    await api(Doc.objects, "bulk_create", [Doc(title="a", body="b"), Doc(title="a b", body="")])
    for lookup in ("title", "title__icontains", "body__startswith", "title__iexact"):
        found = await api(Doc.objects.filter(**{lookup: "a\x00"}), "count")
        kept = await api(Doc.objects.exclude(**{lookup: "a\x00"}), "count")
        assert (found, kept) == (0, 2), lookup
    assert await api(Doc.objects.filter(title__in=["a\x00", "a"]), "count") == 1
    with pytest.raises(ValidationError):
        Doc.objects.filter(title__gt="a\x00")


async def test_valid_text_is_stored_and_found_on_every_database(api: Any) -> None:
    text = "é 😀 \t\n\u200b"  # astral, control and zero-width characters are fine
    data = {"k": [text, 2**64, -(2**63) - 1, 1.5, None, True], "ü": {"": ""}}
    doc = Doc(title=text, body=text * 100, data=data)
    doc.full_clean()
    await api(doc, "save")
    got = await api(Doc.objects, "get", title=text)
    assert (got.title, got.body, got.data) == (text, text * 100, data)
    assert await api(Doc.objects.filter(body__contains="😀 \t"), "count") == 1


async def test_a_lone_surrogate_saved_without_full_clean_is_a_data_error(api: Any) -> None:
    """save() does not run full_clean() (as Django); the driver's bare UnicodeEncodeError (SQLite,
    MariaDB) was a 500 in an app, it is a DataError (a 422) as on PostgreSQL."""
    for value in ("\ud800", "a\udfffb"):
        with pytest.raises(DataError, match=r"not valid Unicode|utf-8|UTF8"):
            await api(Doc.objects, "create", body=value)
    assert await api(Doc.objects, "count") == 0

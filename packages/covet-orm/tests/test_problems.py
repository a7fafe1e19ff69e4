"""ORM errors know their HTTP answer (``__problem__``), and an IntegrityError knows what it
violated, read from each driver's error (both APIs on every backend)."""

from __future__ import annotations

from typing import Any

import pytest

from covet.orm import (
    CharField,
    CheckConstraint,
    Database,
    DataError,
    IntegerField,
    IntegrityError,
    InvalidFilterValue,
    Model,
    OperationalError,
    Q,
    SmallIntegerField,
    UnknownFieldsError,
    ValidationError,
)
from covet.orm._integrity import violation

from .conftest import Api


class Member(Model):
    email = CharField(max_length=50, unique=True)
    nick = CharField(max_length=20)
    team = CharField(max_length=20, default="")
    number = IntegerField(default=0)
    age = SmallIntegerField(default=0)

    class Meta:
        table_name = "problem_member"
        unique_together = [("team", "number")]
        constraints = [CheckConstraint(check=Q(age__gte=0), name="problem_member_age_ok")]


MODELS = [Member]


def _fk_sql(db: Database) -> list[str]:
    """A child table whose foreign key covet-orm did not name (no relations yet)."""
    q = db.dialect.quote
    key = "BIGINT" if db.dialect.name == "mysql" else "INTEGER"
    return [
        db.dialect.drop_table("problem_child"),
        f"CREATE TABLE {q('problem_child')} ({q('id')} INTEGER PRIMARY KEY, "
        f"{q('member_id')} {key} NOT NULL, "
        f"FOREIGN KEY ({q('member_id')}) REFERENCES {q('problem_member')} ({q('id')}))",
    ]


async def _integrity(api: Api, **fields: Any) -> IntegrityError:
    with pytest.raises(IntegrityError) as raised:
        await api(Member(**fields), "save")
    return raised.value


async def test_unique_violation_is_409_naming_the_field(tables: Database, api: Api) -> None:
    await api(Member(email="a@x", nick="a"), "save")
    error = await _integrity(api, email="a@x", nick="b", number=1)
    assert violation(error.driver_error).kind == "unique"
    body = error.__problem__()
    assert body["status"] == 409 and body["fields"] == ["email"]
    assert "email" in body["detail"]


async def test_unique_together_names_both_fields(tables: Database, api: Api) -> None:
    await api(Member(email="a@x", nick="a", team="red", number=7), "save")
    error = await _integrity(api, email="b@x", nick="b", team="red", number=7)
    assert error.__problem__()["fields"] == ["team", "number"]


async def test_not_null_is_422_per_field(tables: Database, api: Api) -> None:
    error = await _integrity(api, email="a@x", nick=None)
    body = error.__problem__()
    assert body["status"] == 422
    assert body["errors"] == [
        {"loc": ["body", "nick"], "msg": "this field cannot be null", "type": "value_error"}
    ]


async def test_check_violation_is_422(tables: Database, api: Api) -> None:
    error = await _integrity(api, email="a@x", nick="a", age=-1)
    found = violation(error.driver_error)
    assert found.kind == "check"
    body = error.__problem__()
    assert body["status"] == 422 and body["errors"][0]["loc"][0] == "body"


async def test_foreign_key_violation_is_409(tables: Database, api: Api) -> None:
    db = tables
    for sql in _fk_sql(db):
        await api(db, "execute", sql)
    try:
        p = db.param
        with pytest.raises(IntegrityError) as raised:
            await api(
                db,
                "execute",
                f"INSERT INTO problem_child (id, member_id) VALUES ({p(1)}, {p(2)})",
                [1, 42],
            )
        found = violation(raised.value.driver_error)
        assert found.kind == "foreign_key"
        if db.dialect.name != "sqlite":  # SQLite's message names no column
            assert found.fields == ("member_id",)
        assert raised.value.__problem__()["status"] == 409
    finally:
        await api(db, "execute", db.dialect.drop_table("problem_child"))


def test_validation_error_is_one_entry_per_field() -> None:
    error = ValidationError({"nick": ["too long", "not allowed"], "__all__": ["bad pair"]})
    assert error.__problem__() == {
        "status": 422,
        "detail": "Validation failed",
        "errors": [
            {"loc": ["body", "nick"], "msg": "too long; not allowed", "type": "value_error"},
            {"loc": ["body"], "msg": "bad pair", "type": "value_error"},
        ],
    }


def test_a_filter_value_error_claims_no_part_of_the_request() -> None:
    """The value may come from the query string, a path or a header: not "body"."""
    with pytest.raises(InvalidFilterValue) as raised:
        Member.objects.filter(number__gte="many")
    assert isinstance(raised.value, ValidationError) and isinstance(raised.value, ValueError)
    body = raised.value.__problem__()
    assert body["status"] == 422
    assert [(e["loc"], e["type"]) for e in body["errors"]] == [(["number"], "value_error")]
    assert "number__gte='many'" in body["errors"][0]["msg"]
    with pytest.raises(InvalidFilterValue) as raised:
        Member.objects.exclude(number="x")
    assert [e["loc"] for e in raised.value.__problem__()["errors"]] == [["number"]]


def test_unknown_fields_are_a_validation_error_and_still_a_type_error() -> None:
    with pytest.raises(UnknownFieldsError) as raised:
        Member(email="a@x", bogus=1, other=2)
    assert isinstance(raised.value, TypeError)
    assert "Member() got unexpected field(s) bogus, other" in str(raised.value)
    assert [e["loc"] for e in raised.value.__problem__()["errors"]] == [
        ["body", "bogus"],
        ["body", "other"],
    ]


def test_does_not_exist_is_404() -> None:
    assert Member.DoesNotExist("Member matching query does not exist").__problem__() == {
        "status": 404,
        "detail": "Member matching query does not exist",
    }


def test_unavailable_database_is_503_with_retry_after() -> None:
    body, headers = OperationalError("connection refused at 10.0.0.1").__problem__()
    assert body["status"] == 503 and headers == {"Retry-After": "5"}
    assert "10.0.0.1" not in str(body)  # no driver text on the wire


def test_data_error_is_422_without_driver_text() -> None:
    body = DataError(
        'value too long for type character varying(20) in "secret_table"'
    ).__problem__()
    assert body["status"] == 422 and "secret_table" not in str(body)


def test_other_errors_have_no_answer() -> None:
    from covet.orm import MultipleObjectsReturned, ProgrammingError

    assert ProgrammingError("syntax error").__problem__() is None
    assert MultipleObjectsReturned("two").__problem__() is None

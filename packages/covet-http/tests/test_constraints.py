"""Constraints on parameters and body fields: checked per request (422), shared with OpenAPI."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import annotated_types as at
import msgspec
import pydantic
import pytest

from covet.http import Body, Covet, Form, Header, Path, Query
from covet.http.testing import TestClient


def errors(reply: object) -> list[tuple[list[object], str]]:
    body = reply.json()  # type: ignore[attr-defined]
    return [(e["loc"], e["type"]) for e in body["errors"]]


def test_query_ranges_lengths_and_patterns() -> None:
    app = Covet()

    @app.get("/items")
    async def items(
        page: Annotated[int, Query(ge=1, le=100)] = 1,
        ratio: Annotated[float, Query(gt=0, lt=1)] = 0.5,
        step: Annotated[int, Query(multiple_of=5)] = 5,
        code: Annotated[str | None, Query(min_length=2, max_length=4, pattern=r"^[a-z]+$")] = None,
    ) -> dict[str, object]:
        return {"page": page, "ratio": ratio, "step": step, "code": code}

    client = TestClient(app)
    assert client.get("/items?page=100&ratio=0.1&step=10&code=ab").json() == {
        "page": 100,
        "ratio": 0.1,
        "step": 10,
        "code": "ab",
    }
    reply = client.get("/items?page=0&ratio=1&step=7&code=ABCDE")
    assert reply.status_code == 422
    assert errors(reply) == [
        (["query", "page"], "greater_than_equal"),
        (["query", "ratio"], "less_than"),
        (["query", "step"], "multiple_of"),
        (["query", "code"], "string_too_long"),
    ]
    assert errors(client.get("/items?code=a")) == [(["query", "code"], "string_too_short")]
    assert errors(client.get("/items?code=AB")) == [(["query", "code"], "string_pattern_mismatch")]
    assert client.get("/items?page=101").json()["errors"][0]["msg"] == (
        "Input should be less than or equal to 100"
    )


def test_list_lengths_count_items_and_item_rules_apply_to_each() -> None:
    app = Covet()

    @app.get("/tags")
    async def tags(tag: Annotated[list[int], Query(min_length=2, le=9)]) -> list[int]:
        return tag

    client = TestClient(app)
    assert client.get("/tags?tag=1&tag=2").json() == [1, 2]
    assert errors(client.get("/tags?tag=1")) == [(["query", "tag"], "too_short")]
    assert errors(client.get("/tags?tag=1&tag=10")) == [(["query", "tag", 1], "less_than_equal")]


def test_annotated_types_msgspec_meta_and_pydantic_field_metadata() -> None:
    app = Covet()

    @app.get("/a")
    async def a(
        x: Annotated[int, at.Ge(3)] = 3,
        y: Annotated[str, msgspec.Meta(max_length=2)] = "",
        z: Annotated[int, pydantic.Field(lt=10)] = 0,
    ) -> dict[str, object]:
        return {"x": x, "y": y, "z": z}

    client = TestClient(app)
    assert client.get("/a?x=3&y=ab&z=9").status_code == 200
    assert errors(client.get("/a?x=2&y=abc&z=10")) == [
        (["query", "x"], "greater_than_equal"),
        (["query", "y"], "string_too_long"),
        (["query", "z"], "less_than"),
    ]


def test_headers_paths_forms_and_embedded_bodies() -> None:
    app = Covet()

    @app.get("/users/{user_id:int}")
    async def user(
        user_id: Annotated[int, Path(ge=1)],
        x_token: Annotated[str, Header(min_length=8)],
    ) -> dict[str, int]:
        return {"id": user_id}

    @app.post("/login")
    async def login(name: Annotated[str, Form(max_length=3)]) -> str:
        return name

    @app.post("/score")
    async def score(points: Annotated[int, Body(embed=True, ge=0)]) -> int:
        return points

    client = TestClient(app)
    assert client.get("/users/1", headers={"x-token": "12345678"}).status_code == 200
    assert errors(client.get("/users/0", headers={"x-token": "short"})) == [
        (["path", "user_id"], "greater_than_equal"),
        (["header", "x-token"], "string_too_short"),
    ]
    assert errors(client.post("/login", data={"name": "four"})) == [
        (["form", "name"], "string_too_long")
    ]
    assert client.post("/score", json={"points": 3}).json() == 3
    assert errors(client.post("/score", json={"points": -1})) == [
        (["body", "points"], "greater_than_equal")
    ]


def test_dataclass_fields_with_annotated_constraints() -> None:
    @dataclasses.dataclass
    class Item:
        name: Annotated[str, at.MinLen(1)]
        qty: Annotated[int, at.Interval(ge=1, le=10)] = 1
        note: Annotated[str | None, at.MaxLen(3)] = None

    app = Covet()

    @app.post("/items")
    async def create(item: Item) -> dict[str, object]:
        return dataclasses.asdict(item)

    client = TestClient(app)
    assert client.post("/items", json={"name": "a", "qty": 10}).json() == {
        "name": "a",
        "qty": 10,
        "note": None,
    }
    assert errors(client.post("/items", json={"name": "", "qty": 11, "note": "long"})) == [
        (["body", "name"], "string_too_short"),
        (["body", "qty"], "less_than_equal"),
        (["body", "note"], "string_too_long"),
    ]


def test_a_broken_pattern_fails_when_the_marker_is_built() -> None:
    import re

    with pytest.raises(re.error):
        Query(pattern="(")


def test_patterns_mean_what_json_schema_says() -> None:
    app = Covet()

    @app.get("/code")
    async def code(
        c: Annotated[str, Query(pattern=r"^[a-z]+$")],
        d: Annotated[str, Query(pattern=r"^\d+$")] = "1",
    ) -> str:
        return c

    client = TestClient(app)
    assert client.get("/code?c=abc").status_code == 200
    assert client.get("/code", params={"c": "abc\n"}).status_code == 422  # $ is the very end
    assert client.get("/code", params={"c": "a", "d": "١٢"}).status_code == 422  # \d is ASCII
    assert client.get("/code", params={"c": "a", "d": "12"}).status_code == 200

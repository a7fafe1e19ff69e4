"""Constraints on parameters and body fields: checked per request (422), shared with OpenAPI."""

from __future__ import annotations

import dataclasses
import decimal
from typing import Annotated, Any

import annotated_types as at
import msgspec
import pydantic
import pytest

from covet.http import Body, ConfigurationError, Covet, Form, Header, Path, Query, UploadFile
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


def test_list_lengths_in_bodies_and_forms_count_items() -> None:
    @dataclasses.dataclass
    class Order:
        lines: Annotated[list[int], at.MinLen(1), at.MaxLen(2)]

    app = Covet()

    @app.post("/orders")
    async def order(order: Order) -> int:
        return len(order.lines)

    @app.post("/tags")
    async def tags(tag: Annotated[list[str], Form(max_length=2)]) -> int:
        return len(tag)

    @app.post("/ids")
    async def ids(ids: Annotated[list[int], Body(embed=True, min_length=1)]) -> int:
        return len(ids)

    client = TestClient(app)
    assert client.post("/orders", json={"lines": [1, 2]}).json() == 2
    assert errors(client.post("/orders", json={"lines": [1, 2, 3]})) == [
        (["body", "lines"], "too_long")
    ]
    assert errors(client.post("/orders", json={"lines": []})) == [(["body", "lines"], "too_short")]
    assert client.post("/tags", data={"tag": ["a", "b"]}).json() == 2
    assert errors(client.post("/tags", data={"tag": ["a", "b", "c"]})) == [
        (["form", "tag"], "too_long")
    ]
    assert errors(client.post("/ids", json={"ids": []})) == [(["body", "ids"], "too_short")]
    document = app.openapi()
    form = document["paths"]["/tags"]["post"]["requestBody"]["content"]
    assert form["application/x-www-form-urlencoded"]["schema"]["properties"]["tag"]["maxItems"] == 2


@pytest.mark.parametrize(
    ("path", "annotation", "message"),
    [
        ("/x", Annotated[str, Query(ge=1)], "ge bound numbers, not str"),
        ("/x", Annotated[list[str], Query(lt=1)], "lt bound numbers, not list"),
        ("/x", Annotated[bool, Query(le=1)], "le bound numbers, not bool"),
        ("/x", Annotated[int, Header(pattern="^1")], "pattern matches strings, not int"),
        ("/x", Annotated[int | None, Query(max_length=3)], "max_length measure strings and"),
        ("/x", Annotated[int, at.MinLen(1)], "min_length/max_length measure strings and lists"),
        ("/x/{q}", Annotated[str, Path(gt=0)], "gt bound numbers, not str"),
        ("/x/{q:int}", Annotated[Any, Path(pattern="1")], "pattern matches strings, not int"),
    ],
)
def test_rules_that_cannot_apply_are_refused_at_registration(
    path: str, annotation: object, message: str
) -> None:
    async def handler(q):  # type: ignore[no-untyped-def]
        pass

    handler.__annotations__["q"] = annotation
    with pytest.raises(ConfigurationError, match=rf"handler: parameter 'q': .*{message}"):
        Covet().add_route(path, handler)


def test_rules_on_bodies_uploads_and_body_fields_are_refused_too() -> None:
    @dataclasses.dataclass
    class Bad:
        name: Annotated[str, at.Ge(1)]

    async def body(item: Bad) -> None:
        pass

    async def embedded(n: Annotated[str, Body(embed=True, multiple_of=2)]) -> None:
        pass

    async def upload(f: Annotated[UploadFile, Form(max_length=10)]) -> None:
        pass

    async def uploads(f: Annotated[list[UploadFile], Form(max_length=3)]) -> None:
        pass

    with pytest.raises(ConfigurationError, match="body parameter 'item': ge bound numbers"):
        Covet().add_route("/b", body, ["POST"])
    with pytest.raises(ConfigurationError, match="body parameter 'n': multiple_of bound numbers"):
        Covet().add_route("/e", embedded, ["POST"])
    with pytest.raises(ConfigurationError, match="parameter 'f': min_length/max_length measure"):
        Covet().add_route("/u", upload, ["POST"])
    Covet().add_route("/us", uploads, ["POST"])  # a number of files is fine


def test_a_bound_must_be_a_number_and_multiple_of_above_zero() -> None:
    with pytest.raises(ConfigurationError, match="ge= takes a finite number, not '1'"):
        Query(ge="1")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="le= takes a finite number, not True"):
        Query(le=True)
    with pytest.raises(ConfigurationError, match="lt= takes a finite number, not nan"):
        Query(lt=float("nan"))  # would refuse every value, and JSON has no NaN
    with pytest.raises(ConfigurationError, match="gt= takes a finite number, not Decimal"):
        Query(gt=decimal.Decimal("Infinity"))
    with pytest.raises(ConfigurationError, match="multiple_of= must be above 0"):
        Query(multiple_of=0)  # was a ZeroDivisionError (500) on every request
    with pytest.raises(ConfigurationError, match="min_length= takes a whole number >= 0"):
        Query(min_length=-1)


def test_decimal_bounds_check_and_are_written_as_json_numbers() -> None:
    app = Covet()

    @app.get("/price")
    async def price(
        amount: Annotated[decimal.Decimal, Query(gt=decimal.Decimal("0.5"), le=10)],
        ratio: Annotated[float, Query(ge=decimal.Decimal("1"))] = 1.0,
    ) -> str:
        return str(amount)

    client = TestClient(app)
    assert client.get("/price?amount=0.75").text == "0.75"
    assert errors(client.get("/price?amount=0.5&ratio=0.9")) == [
        (["query", "amount"], "greater_than"),
        (["query", "ratio"], "greater_than_equal"),
    ]
    schemas = {
        p["name"]: p["schema"] for p in app.openapi()["paths"]["/price"]["get"]["parameters"]
    }
    assert schemas["amount"]["exclusiveMinimum"] == 0.5
    assert schemas["ratio"]["minimum"] == 1 and type(schemas["ratio"]["minimum"]) is int

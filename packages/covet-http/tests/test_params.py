"""Parameter injection; this module uses postponed annotations on purpose (get_type_hints path)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import enum
import functools
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal, TypedDict

import msgspec
import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from covet.http import (
    BackgroundTasks,
    Body,
    ConfigurationError,
    Cookie,
    Covet,
    Depends,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
)
from covet.http.testing import AsyncTestClient, TestClient


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Address:
    city: str
    zip: str | None = None


@dataclasses.dataclass
class Person:
    name: str
    age: int
    address: Address
    tags: list[str] = dataclasses.field(default_factory=list)


class Point(TypedDict):
    x: int
    y: int


class PydanticUser(pydantic.BaseModel):
    name: str
    age: int


class MsgspecUser(msgspec.Struct):
    name: str
    age: int


def query_app() -> Covet:
    app = Covet()

    @app.get("/q")
    async def q(
        a: int,
        b: float = 1.5,
        flag: bool = False,
        name: str | None = None,
        ids: list[int] = [],  # noqa: B006 - default never mutated
        color: Color = Color.RED,
        mode: Literal["x", "y"] = "x",
        u: uuid.UUID | None = None,
        search: Annotated[str, Query(alias="q")] = "",
    ) -> dict[str, Any]:
        return {
            "a": a,
            "b": b,
            "flag": flag,
            "name": name,
            "ids": ids,
            "color": color.value,
            "mode": mode,
            "u": str(u) if u else None,
            "search": search,
        }

    return app


def test_query_parameters_are_converted() -> None:
    client = TestClient(query_app())
    assert client.get("/q?a=1").json() == {
        "a": 1,
        "b": 1.5,
        "flag": False,
        "name": None,
        "ids": [],
        "color": "red",
        "mode": "x",
        "u": None,
        "search": "",
    }
    body = client.get(
        "/q",
        params=[
            ("a", "2"),
            ("b", "0.25"),
            ("flag", "yes"),
            ("name", "Zoë"),
            ("ids", "3"),
            ("ids", "4"),
            ("color", "blue"),
            ("mode", "y"),
            ("q", "hello world"),
            ("u", "12345678123456781234567812345678"),
        ],
    ).json()
    assert body == {
        "a": 2,
        "b": 0.25,
        "flag": True,
        "name": "Zoë",
        "ids": [3, 4],
        "color": "blue",
        "mode": "y",
        "u": "12345678-1234-5678-1234-567812345678",
        "search": "hello world",
    }
    for text, expected in (("true", True), ("1", True), ("on", True), ("off", False), ("0", False)):
        assert client.get(f"/q?a=1&flag={text}").json()["flag"] is expected


def test_every_query_error_is_listed_in_one_422() -> None:
    client = TestClient(query_app())
    response = client.get("/q?b=x&flag=maybe&ids=1&ids=z&color=green&mode=q")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422
    assert [(e["loc"], e["type"]) for e in problem["errors"]] == [
        (["query", "a"], "missing"),
        (["query", "b"], "float_parsing"),
        (["query", "flag"], "bool_parsing"),
        (["query", "ids", 1], "int_parsing"),
        (["query", "color"], "enum"),
        (["query", "mode"], "literal_error"),
    ]
    assert all(isinstance(e["msg"], str) and e["msg"] for e in problem["errors"])


def test_headers_and_cookies() -> None:
    app = Covet()

    @app.get("/h")
    async def h(
        x_token: Annotated[str, Header()],
        user_agent: Annotated[str | None, Header()] = None,
        raw: Annotated[str | None, Header(alias="X-Custom_Name")] = None,
        accept_values: Annotated[list[str], Header(alias="accept")] = [],  # noqa: B006
        session: Annotated[str | None, Cookie()] = None,
        count: Annotated[int, Cookie()] = 0,
    ) -> dict[str, Any]:
        return {
            "x_token": x_token,
            "ua": user_agent,
            "raw": raw,
            "accept": accept_values,
            "session": session,
            "count": count,
        }

    client = TestClient(app)
    response = client.get(
        "/h",
        headers=[
            ("X-Token", "t1"),
            ("User-Agent", "ua/1"),
            ("x-custom_name", "r"),
            ("Accept", "a/b"),
            ("Accept", "c/d"),
            ("Cookie", "session=abc; count=3"),
        ],
    )
    assert response.json() == {
        "x_token": "t1",
        "ua": "ua/1",
        "raw": "r",
        "accept": ["a/b", "c/d"],
        "session": "abc",
        "count": 3,
    }
    response = client.get("/h", headers={"Cookie": "count=x"})
    assert [e["loc"] for e in response.json()["errors"]] == [
        ["header", "x-token"],
        ["cookie", "count"],
    ]


def body_app() -> Covet:
    app = Covet()

    @app.post("/dict")
    async def as_dict(data: dict) -> dict[str, Any]:  # type: ignore[type-arg]
        return {"got": data}

    @app.post("/list")
    async def as_list(items: Annotated[list[int], Body()]) -> list[int]:
        return [i * 2 for i in items]

    @app.post("/bare-list")
    async def bare_list(items: list) -> int:  # type: ignore[type-arg]
        return len(items)

    @app.post("/person")
    async def person(p: Person) -> dict[str, Any]:
        assert isinstance(p.address, Address)
        return {"name": p.name, "age": p.age, "city": p.address.city, "tags": p.tags}

    @app.post("/point")
    async def point(pt: Point) -> int:
        return pt["x"] + pt["y"]

    @app.post("/pydantic")
    async def pyd(user: PydanticUser) -> PydanticUser:
        return user

    @app.post("/msgspec")
    async def ms(user: MsgspecUser) -> dict[str, Any]:
        return {"name": user.name, "age": user.age}

    @app.post("/embed")
    async def embed(
        name: Annotated[str, Body()], point: Point, verbose: bool = False
    ) -> dict[str, Any]:
        return {"name": name, "sum": point["x"] + point["y"], "verbose": verbose}

    @app.post("/optional")
    async def optional(data: dict | None = None) -> str:  # type: ignore[type-arg]
        return "none" if data is None else "some"

    return app


def test_json_bodies_of_every_kind() -> None:
    client = TestClient(body_app())
    assert client.post("/dict", json={"a": 1}).json() == {"got": {"a": 1}}
    assert client.post("/list", json=[1, 2]).json() == [2, 4]
    assert client.post("/bare-list", json=["a", 1]).json() == 2
    assert client.post(
        "/person", json={"name": "Ann", "age": 30, "address": {"city": "Oslo"}}
    ).json() == {"name": "Ann", "age": 30, "city": "Oslo", "tags": []}
    assert client.post("/point", json={"x": 1, "y": 2}).json() == 3
    assert client.post("/pydantic", json={"name": "P", "age": "7"}).json() == {
        "name": "P",
        "age": 7,
    }
    assert client.post("/msgspec", json={"name": "M", "age": 8}).json() == {"name": "M", "age": 8}
    assert client.post("/embed", json={"name": "n", "point": {"x": 2, "y": 3}}).json() == {
        "name": "n",
        "sum": 5,
        "verbose": False,
    }
    assert client.post("/optional").text == "none"
    assert client.post("/optional", json={}).text == "some"


def test_body_errors_have_locations() -> None:
    client = TestClient(body_app())
    errors = client.post("/person", json={"name": 5, "age": "x", "address": {"zip": 1}}).json()[
        "errors"
    ]
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "name"], "string_type"),
        (["body", "age"], "int_type"),
        (["body", "address", "city"], "missing"),
        (["body", "address", "zip"], "string_type"),
    ]
    assert client.post("/dict", json=[1]).json()["errors"][0]["type"] == "dict_type"
    assert client.post("/dict").json()["errors"] == [
        {"loc": ["body"], "msg": "Field required", "type": "missing"}
    ]
    assert client.post("/list", json=[1, "a"]).json()["errors"][0]["loc"] == ["body", 1]
    assert client.post("/point", json={"x": 1}).json()["errors"][0]["loc"] == ["body", "y"]
    response = client.post("/pydantic", json={"name": "P"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "age"]
    response = client.post("/msgspec", json={"name": "M", "age": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "age"]
    errors = client.post("/embed", json={"point": {"x": 1, "y": 1}}).json()["errors"]
    assert errors == [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]
    response = client.post(
        "/dict", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "json_invalid"


def get_db() -> Iterator[dict[str, Any]]:
    db = {"open": True, "thread": threading.get_ident()}
    EVENTS.append("db open")
    yield db
    db["open"] = False
    EVENTS.append("db closed")


async def get_user(db: Annotated[dict[str, Any], Depends(get_db)], name: str = "anon") -> str:
    EVENTS.append("user")
    return f"{name}@{'open' if db['open'] else 'closed'}"


async def tracer() -> AsyncIterator[str]:
    EVENTS.append("trace start")
    try:
        yield "trace"
    except ValueError:
        EVENTS.append("trace saw ValueError")
        raise
    finally:
        EVENTS.append("trace end")


EVENTS: list[str] = []


def deps_app() -> Covet:
    app = Covet()

    @app.get("/me")
    async def me(
        user: Annotated[str, Depends(get_user)],
        db: Annotated[dict[str, Any], Depends(get_db)],
        trace: Annotated[str, Depends(tracer)],
        tasks: BackgroundTasks,
    ) -> dict[str, Any]:
        EVENTS.append("handler")
        tasks.add_task(EVENTS.append, "background")
        return {"user": user, "db_open": db["open"], "trace": trace}

    @app.get("/fail")
    async def fail(trace: Annotated[str, Depends(tracer)]) -> None:
        raise ValueError("boom")

    return app


@pytest.fixture(autouse=True)
def clear_events() -> None:
    EVENTS.clear()


def test_dependencies_are_cached_and_cleaned_up_after_the_response() -> None:
    client = TestClient(deps_app())
    response = client.get("/me?name=zed")
    assert response.json() == {"user": "zed@open", "db_open": True, "trace": "trace"}
    assert EVENTS == [
        "db open",
        "user",
        "trace start",
        "handler",
        "background",
        "trace end",
        "db closed",
    ]


def test_generator_dependency_sees_the_handler_exception() -> None:
    client = TestClient(deps_app())
    response = client.get("/fail")
    assert response.status_code == 500
    assert EVENTS == ["trace start", "trace saw ValueError", "trace end"]


def test_dependency_overrides() -> None:
    app = deps_app()

    def fake_user() -> str:
        return "fake"

    app.dependency_overrides[get_user] = fake_user
    client = TestClient(app)
    assert client.get("/me").json()["user"] == "fake"
    app.dependency_overrides.clear()
    assert client.get("/me").json()["user"] == "anon@open"


def test_dependency_parameter_errors_join_the_handler_errors() -> None:
    app = Covet()

    def paging(page: int = 1, size: int = 10) -> tuple[int, int]:
        return page, size

    @app.get("/list")
    async def listing(paging: Annotated[tuple[int, int], Depends(paging)], q: int) -> list[int]:
        return [*paging, q]

    client = TestClient(app)
    assert client.get("/list?q=1&page=2").json() == [2, 10, 1]
    errors = client.get("/list?page=x&q=y").json()["errors"]
    assert sorted(e["loc"][1] for e in errors) == ["page", "q"]


def test_sync_handlers_run_in_a_worker_thread() -> None:
    app = Covet(thread_limit=2)

    def loop_running() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    @app.get("/async")
    async def on_loop() -> bool:
        return loop_running()

    @app.get("/sync")
    def in_thread() -> bool:
        return loop_running()

    with TestClient(app) as client:
        assert client.get("/async").json() is True
        assert client.get("/sync").json() is False
    assert app.settings.threads.total == 2
    with pytest.raises(ConfigurationError):
        Covet(thread_limit=0)


def test_request_parameter_by_name_or_annotation() -> None:
    app = Covet()

    @app.get("/r/{x}")
    async def r(req: Request, request: Request, x: str) -> list[str]:
        assert req is request
        return [request.method, request.path_params["x"], x]

    assert TestClient(app).get("/r/1").json() == ["GET", "1", "1"]


class Unknown:
    pass


def test_unresolvable_annotations_fail_at_registration() -> None:
    app = Covet()

    async def handler(x: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    with pytest.raises(ConfigurationError, match="type hints"):
        app.add_route("/x", handler)
    with pytest.raises(ConfigurationError, match="asks for a WebSocket"):
        app.add_route("/y", lambda websocket: None)


class Limiter:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    async def __call__(self, request: Request) -> int:
        return self.limit - len(request.query_params)


def test_callable_instances_and_classes_as_dependencies() -> None:
    app = Covet()

    @dataclasses.dataclass
    class Paging:
        page: int = 1
        size: int = 10

    @app.get("/x")
    async def x(
        remaining: Annotated[int, Depends(Limiter(5))],
        paging: Annotated[Paging, Depends(Paging)],
    ) -> list[int]:
        return [remaining, paging.page, paging.size]

    assert TestClient(app).get("/x?page=3").json() == [4, 3, 10]
    plan = app.routes[-1].plan  # type: ignore[attr-defined]
    limiter_dep = plan.dependencies[0][1]
    from covet.http._solve import dependency_plan

    assert dependency_plan(limiter_dep.dependency).is_async  # runs on the loop, not a thread


async def test_sync_handlers_are_bounded_by_the_thread_limit() -> None:
    app = Covet(thread_limit=2)
    lock = threading.Lock()
    running = 0
    peak = 0
    release = threading.Event()

    @app.get("/work")
    def work() -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(5)
        with lock:
            running -= 1
        return peak

    async with AsyncTestClient(app) as client:
        tasks = [asyncio.create_task(client.get("/work")) for _ in range(6)]
        for _ in range(500):
            if peak >= 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # give a third thread the chance it must not get
        release.set()
        responses = await asyncio.gather(*tasks)
    assert all(r.status_code == 200 for r in responses)
    assert peak == 2


def test_unannotated_defaults_and_partials() -> None:
    app = Covet()

    def listing(prefix: str, page=1, ratio=0.5, full=False, tag=None):  # type: ignore[no-untyped-def]
        return {"prefix": prefix, "page": page, "ratio": ratio, "full": full, "tag": tag}

    app.add_route("/list", functools.partial(listing, "p"))
    client = TestClient(app)
    assert client.get("/list?page=3&ratio=2&full=true&tag=x").json() == {
        "prefix": "p",
        "page": 3,
        "ratio": 2.0,
        "full": True,
        "tag": "x",
    }
    assert client.get("/list?page=x").json()["errors"][0]["loc"] == ["query", "page"]


@dataclasses.dataclass
class Shipment:
    id: uuid.UUID
    when: datetime.datetime
    color: Color
    mode: Literal["air", "sea"]
    weights: dict[str, float]
    ref: int | str
    codes: tuple[int, ...] = ()
    labels: set[str] = dataclasses.field(default_factory=set)
    note: str | None = None


def test_nested_json_types_are_validated_and_converted() -> None:
    app = Covet()

    @app.post("/ship")
    async def ship(s: Shipment) -> dict[str, Any]:
        return {
            "id": s.id.hex,
            "year": s.when.year,
            "color": s.color.value,
            "mode": s.mode,
            "weights": s.weights,
            "ref": s.ref,
            "codes": list(s.codes),
            "labels": sorted(s.labels),
            "types": [type(s.codes).__name__, type(s.labels).__name__],
        }

    client = TestClient(app)
    good = {
        "id": str(uuid.UUID(int=3)),
        "when": "2026-05-01T10:00:00",
        "color": "blue",
        "mode": "sea",
        "weights": {"a": 1, "b": 2.5},
        "ref": "R-1",
        "codes": [1, 2],
        "labels": ["x", "y", "x"],
    }
    assert client.post("/ship", json=good).json() == {
        "id": uuid.UUID(int=3).hex,
        "year": 2026,
        "color": "blue",
        "mode": "sea",
        "weights": {"a": 1.0, "b": 2.5},
        "ref": "R-1",
        "codes": [1, 2],
        "labels": ["x", "y"],
        "types": ["tuple", "set"],
    }
    bad = {
        "id": "nope",
        "when": "yesterday",
        "color": "green",
        "mode": "rail",
        "weights": {"a": "heavy"},
        "ref": [1],
        "codes": [1, "x"],
        "labels": "x",
        "note": 5,
    }
    errors = client.post("/ship", json=bad).json()["errors"]
    assert [(e["loc"], e["type"]) for e in errors] == [
        (["body", "id"], "uuid_parsing"),
        (["body", "when"], "datetime_parsing"),
        (["body", "color"], "enum"),
        (["body", "mode"], "literal_error"),
        (["body", "weights", "a"], "float_type"),
        (["body", "ref"], "int_type"),
        (["body", "codes", 1], "int_type"),
        (["body", "labels"], "list_type"),
        (["body", "note"], "string_type"),
    ]
    assert client.post("/ship", json={**good, "ref": True}).json()["errors"][0]["type"] == (
        "int_type"
    )


def test_generator_dependency_can_translate_the_handler_exception() -> None:
    app = Covet()

    def transaction() -> Iterator[str]:
        try:
            yield "tx"
        except KeyError as exc:
            raise HTTPException(409, f"conflict on {exc.args[0]}") from exc

    async def audit() -> AsyncIterator[None]:
        try:
            yield
        except HTTPException as exc:
            EVENTS.append(f"audit saw {exc.status_code}")
            raise

    @app.post("/items/{name}")
    async def create(
        name: str,
        log: Annotated[None, Depends(audit)],
        tx: Annotated[str, Depends(transaction)],
    ) -> str:
        raise KeyError(name)

    response = TestClient(app).post("/items/widget")
    assert response.status_code == 409
    assert response.json()["detail"] == "conflict on widget"
    assert EVENTS == ["audit saw 409"]  # the older dependency saw the translated error


def test_a_json_body_sent_with_another_content_type_is_422() -> None:
    """Like FastAPI: a cross-site form (text/plain needs no CORS preflight) cannot post JSON."""
    app = Covet()

    @app.post("/items")
    async def create(item: dict[str, int]) -> dict[str, int]:
        return item

    client = TestClient(app)
    body = b'{"a": 1}'
    for content_type in (
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ):
        response = client.post("/items", content=body, headers={"content-type": content_type})
        assert response.status_code == 200, content_type
    assert client.post("/items", content=body).status_code == 200  # no Content-Type: JSON
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "json",
    ):
        response = client.post("/items", content=body, headers={"content-type": content_type})
        assert response.status_code == 422, content_type
        (error,) = response.json()["errors"]
        assert error["loc"] == ["body"] and error["type"] == "content_type"
        assert "application/json" in error["msg"]
    response = client.post("/items", content=b"", headers={"content-type": "text/plain"})
    assert response.json()["errors"][0]["type"] == "missing"


def test_invalid_json_and_non_finite_numbers_in_bodies() -> None:
    app = Covet()

    @app.post("/n")
    async def number(n: Annotated[float, Body(embed=True)]) -> dict[str, float]:
        return {"n": n}

    client = TestClient(app)
    response = client.post("/n", content=b'{"n": ')
    (error,) = response.json()["errors"]
    assert error["type"] == "json_invalid" and error["msg"].count("Invalid JSON") == 1
    for raw in (b'{"n": NaN}', b'{"n": Infinity}', b'{"n": 1e999}', b'{"n": "\xff"}'):
        assert client.post("/n", content=raw).status_code == 422, raw
    assert client.post("/n", content=b'{"n": 12345678901234567890}').json() == {
        "n": 12345678901234567890.0
    }


def test_query_numbers_are_strict_ascii_and_finite() -> None:
    app = Covet()

    @app.get("/q")
    async def query(a: int = 0, x: float = 0.0) -> dict[str, float]:
        return {"a": a, "x": x}

    client = TestClient(app)
    assert client.get("/q?a=-12&x=1.5e3").json() == {"a": -12, "x": 1500.0}
    assert client.get("/q?a=%2B7&x=-.5").json() == {"a": 7, "x": -0.5}
    for text in (
        "a=%D9%A1",
        "a=1_000",
        "a=%201",
        "a=",
        "a=1.0",
        "a=" + "9" * 5000,
        "x=nan",
        "x=inf",
        "x=-Infinity",
        "x=1e999",
        "x=1_0",
        "x=%D9%A1",
        "x=",
    ):
        response = client.get("/q?" + text)
        assert response.status_code == 422, text
    errors = client.get("/q?x=nan").json()["errors"]
    assert errors[0]["type"] == "finite_number"


def _numbers_app() -> Covet:
    app = Covet()

    @app.get("/n")
    async def numbers(i: int = 0, f: float = 0.0) -> dict[str, Any]:
        return {"i": i, "f": f}

    return app


NUMBERS_CLIENT = TestClient(_numbers_app())


@given(
    i=st.integers(min_value=-(10**40), max_value=10**40),
    f=st.floats(allow_nan=False, allow_infinity=False),
)
def test_query_numbers_round_trip(i: int, f: float) -> None:
    reply = NUMBERS_CLIENT.get("/n", params={"i": str(i), "f": repr(f)})
    assert reply.json() == {"i": i, "f": f}


@given(text=st.text(max_size=12))
def test_any_query_text_is_a_number_or_a_422(text: str) -> None:
    reply = NUMBERS_CLIENT.get("/n", params={"i": text, "f": text})
    assert reply.status_code in (200, 422)
    if reply.status_code == 200:
        assert text.strip() == text and text.isascii() and "_" not in text
        assert reply.json()["i"] == int(text)


def test_dependency_problems_fail_at_registration_not_per_request() -> None:
    def dep_a(value: int = 0) -> int:
        return value

    def dep_b(value: Annotated[int, Depends(dep_a)]) -> int:
        return value

    dep_a.__annotations__["value"] = Annotated[int, Depends(dep_b)]  # a -> b -> a
    app = Covet()
    with pytest.raises(ConfigurationError, match="cycle") as info:

        @app.get("/a")
        async def handler(value: Annotated[int, Depends(dep_a)]) -> int:
            return value

    assert "dep_a" in str(info.value) and "dep_b" in str(info.value)

    def broken(value: Annotated[int, Body()], other: Annotated[int, Form()]) -> int:
        return value

    def uses_broken(dep: Annotated[int, Depends(broken)]) -> int:
        return dep

    async def route_b(dep: Annotated[int, Depends(uses_broken)]) -> int:
        return dep

    with pytest.raises(ConfigurationError, match="broken"):
        app.add_route("/b", route_b)
    with pytest.raises(ConfigurationError, match="broken"):
        app.add_route("/c", lambda: 1, dependencies=[broken])


def test_form_parameters_with_a_json_body_are_422_like_json_with_a_form() -> None:
    app = Covet()

    @app.post("/f")
    async def form_handler(name: Annotated[str, Form()]) -> dict[str, str]:
        return {"name": name}

    client = TestClient(app)
    assert client.post("/f", data={"name": "a"}).json() == {"name": "a"}
    reply = client.post("/f", json={"name": "a"})
    assert reply.status_code == 422
    (error,) = reply.json()["errors"]
    assert error["loc"] == ["form"] and error["type"] == "content_type"
    assert "application/json" in error["msg"]


class Pager:
    def __init__(self, page: int = 1, size: int = 10) -> None:
        self.page = page
        self.size = size


def test_depends_without_a_callable_uses_the_annotation_fastapi_style() -> None:
    app = Covet()

    @app.get("/items")
    async def items(pager: Annotated[Pager, Depends()]) -> dict[str, int]:
        return {"page": pager.page, "size": pager.size}

    client = TestClient(app)
    assert client.get("/items?page=3").json() == {"page": 3, "size": 10}
    assert client.get("/items?size=x").status_code == 422
    with pytest.raises(ConfigurationError, match="Depends"):

        @app.get("/bad")
        async def bad(value: Annotated[int | None, Depends()]) -> None:
            return None

    with pytest.raises(ConfigurationError, match="Depends"):
        app.add_route("/bad2", lambda: None, dependencies=[Depends()])


def test_raw_utf8_in_the_query_string_decodes_like_request_query_params() -> None:
    # browsers percent-encode, but some clients send raw UTF-8 bytes; both views must agree
    import json

    import anyio

    from covet.http import Covet, Message
    from covet.http.testing import TestClient

    app = Covet()

    @app.get("/search")
    async def search(request: Request, q: str) -> dict[str, str]:
        return {"param": q, "query_params": request.query_params["q"]}

    async def call() -> list[Message]:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": "/search", "raw_path": b"/search",
            "query_string": "q=café".encode(), "root_path": "", "headers": [],
            "client": ("127.0.0.1", 1), "server": ("testserver", 80),
        }  # fmt: skip
        await app(scope, receive, send)
        return sent

    messages = anyio.run(call)
    assert messages[0]["status"] == 200
    assert json.loads(messages[1]["body"]) == {"param": "café", "query_params": "café"}
    assert TestClient(app).get("/search", params={"q": "café"}).json()["param"] == "café"


# -- numeric bounds ---------------------------------------------------------------------------

INT64_MAX = 2**63 - 1


def test_bounded_numbers_answer_422_outside_their_range() -> None:
    app = Covet()

    @app.get("/items/{id:int}")
    async def item(
        id: Annotated[int, Path(le=INT64_MAX)],
        page: Annotated[int, Query(ge=1, le=INT64_MAX)] = 1,
        ratio: Annotated[float, Query(gt=0, lt=1)] = 0.5,
        ids: Annotated[list[int], Query(ge=0)] = [],  # noqa: B006
        x_limit: Annotated[int | None, Header(le=100)] = None,
    ) -> dict[str, Any]:
        return {"id": id, "page": page, "ratio": ratio, "ids": ids, "limit": x_limit}

    client = TestClient(app)
    assert client.get("/items/1?page=2&ids=0&ids=3", headers={"x-limit": "9"}).json() == {
        "id": 1, "page": 2, "ratio": 0.5, "ids": [0, 3], "limit": 9,
    }  # fmt: skip
    reply = client.get(f"/items/{2**64}?page=0&ratio=1&ids=1&ids=-1", headers={"x-limit": "101"})
    assert reply.status_code == 422
    assert [(e["loc"], e["type"]) for e in reply.json()["errors"]] == [
        (["path", "id"], "less_than_equal"),
        (["query", "page"], "greater_than_equal"),
        (["query", "ratio"], "less_than"),
        (["query", "ids", 1], "greater_than_equal"),
        (["header", "x-limit"], "less_than_equal"),
    ]
    assert reply.json()["errors"][0]["msg"] == f"Input should be less than or equal to {INT64_MAX}"


def test_an_unbounded_int_stays_a_python_int() -> None:
    app = Covet()

    @app.get("/n")
    async def n(value: int) -> str:
        return str(value)

    assert TestClient(app).get(f"/n?value={10**30}").text == str(10**30)


def test_bounds_on_a_form_field_and_on_a_non_number() -> None:
    app = Covet()

    @app.post("/qty")
    async def qty(n: Annotated[int, Form(ge=1)]) -> int:
        return n

    client = TestClient(app)
    assert client.post("/qty", data={"n": "2"}).json() == 2
    assert client.post("/qty", data={"n": "0"}).json()["errors"][0]["loc"] == ["form", "n"]

    async def text(q: Annotated[str, Query(ge=1)]) -> str:  # pragma: no cover - refused
        return q

    with pytest.raises(ConfigurationError, match="bound numbers"):
        Covet().add_route("/text", text)

"""The OpenAPI document: parameters, bodies, responses, components, operations, routers, mounts.

Every document built here is also validated against OpenAPI 3.1 by the repository's conftest.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any, Generic, Literal, NotRequired, Required, TypedDict, TypeVar

import annotated_types as at
import msgspec
import pydantic
import pytest

from covet.http import (
    BackgroundTasks,
    Body,
    ConfigurationError,
    Cookie,
    Covet,
    Depends,
    EventSourceResponse,
    FileResponse,
    Form,
    Header,
    HTMLResponse,
    HTTPEndpoint,
    Middleware,
    Mount,
    Path,
    Query,
    RedirectResponse,
    Request,
    Response,
    Route,
    Router,
    UploadFile,
    WebSocket,
)
from covet.http.testing import TestClient

REF = "#/components/schemas/"


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclasses.dataclass
class Address:
    street: str
    city: str = "Paris"


@dataclasses.dataclass
class Person:
    """Someone we know."""

    name: Annotated[str, at.MinLen(1)]
    age: int
    address: Address | None = None
    tags: list[str] = dataclasses.field(default_factory=list)


class Point(TypedDict):
    x: float
    y: float


class PydanticItem(pydantic.BaseModel):
    name: str
    price: float = pydantic.Field(gt=0)
    colour: Colour = Colour.RED


class MsgspecItem(msgspec.Struct):
    name: str
    quantity: int = 1


def op(app: Covet, path: str, method: str = "get") -> dict[str, Any]:
    operation: dict[str, Any] = app.openapi()["paths"][path][method]
    return operation


def params(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"]): p for p in operation.get("parameters", [])}


def json_schema(operation: dict[str, Any], status: str = "200") -> Any:
    return operation["responses"][status]["content"]["application/json"]["schema"]


def body_schema(operation: dict[str, Any], media: str = "application/json") -> Any:
    return operation["requestBody"]["content"][media]["schema"]


# -- the document ----------------------------------------------------------------------------


def test_info_servers_tags_and_openapi_version() -> None:
    app = Covet(
        title="Shop",
        version="2.1",
        summary="Things to buy",
        description="A **shop**.",
        servers=[{"url": "https://api.example.com"}],
        openapi_tags=[{"name": "items", "description": "What we sell"}],
        contact={"name": "Ann"},
        license_info={"name": "MIT", "identifier": "MIT"},
    )
    document = app.openapi()
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {
        "title": "Shop",
        "version": "2.1",
        "summary": "Things to buy",
        "description": "A **shop**.",
        "contact": {"name": "Ann"},
        "license": {"name": "MIT", "identifier": "MIT"},
    }
    assert document["servers"] == [{"url": "https://api.example.com"}]
    assert document["tags"] == [{"name": "items", "description": "What we sell"}]
    assert document["paths"] == {}  # the docs routes are not in it


def test_built_once_and_cached_until_reset() -> None:
    app = Covet()

    @app.get("/a")
    async def a() -> str:
        return "a"

    first = app.openapi()
    assert app.openapi() is first

    @app.get("/b")
    async def b() -> str:
        return "b"

    assert "/b" not in app.openapi()["paths"]
    app.openapi_schema = None
    assert "/b" in app.openapi()["paths"]


# -- parameters ------------------------------------------------------------------------------


def test_parameters_with_types_constraints_defaults_and_aliases() -> None:
    app = Covet()

    @app.get("/items/{item_id:int}")
    async def read_item(
        item_id: Annotated[int, Path(le=1000, description="The item")],
        q: Annotated[str | None, Query(min_length=3, max_length=50, pattern="^[a-z]+$")] = None,
        page: Annotated[int, Query(ge=1)] = 1,
        ratio: float = 0.5,
        exact: bool = False,
        colour: Colour = Colour.RED,
        sort: Literal["asc", "desc"] = "asc",
        tag: Annotated[list[int], Query(min_length=1, ge=0)] = [],  # noqa: B006
        when: datetime.date | None = None,
        ref: uuid.UUID | None = None,
        amount: decimal.Decimal | None = None,
        order_by: Annotated[str, Query(alias="order-by", deprecated=True)] = "id",
        x_token: Annotated[str, Header(examples=["abc"])] = "",
        session: Annotated[str | None, Cookie()] = None,
        hidden: Annotated[str, Query(include_in_schema=False)] = "",
    ) -> dict[str, Any]:
        return {}

    found = params(op(app, "/items/{item_id}"))
    assert found[("path", "item_id")] == {
        "name": "item_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0, "maximum": 1000},
        "description": "The item",
    }
    assert found[("query", "q")]["required"] is False
    assert found[("query", "q")]["schema"] == {
        "type": "string",
        "minLength": 3,
        "maxLength": 50,
        "pattern": "^[a-z]+$",
    }
    assert found[("query", "page")]["schema"] == {"type": "integer", "minimum": 1, "default": 1}
    assert found[("query", "ratio")]["schema"] == {"type": "number", "default": 0.5}
    assert found[("query", "exact")]["schema"] == {"type": "boolean", "default": False}
    assert found[("query", "colour")]["schema"] == {"$ref": REF + "Colour", "default": "red"}
    assert found[("query", "sort")]["schema"] == {
        "type": "string",
        "enum": ["asc", "desc"],
        "default": "asc",
    }
    assert found[("query", "tag")]["schema"] == {  # no default: [] breaks minItems
        "type": "array",
        "items": {"type": "integer", "minimum": 0},
        "minItems": 1,
    }
    assert (found[("query", "tag")]["style"], found[("query", "tag")]["explode"]) == ("form", True)
    assert found[("query", "when")]["schema"] == {"type": "string", "format": "date"}
    assert found[("query", "ref")]["schema"] == {"type": "string", "format": "uuid"}
    assert found[("query", "amount")]["schema"]["type"] == ["number", "string"]
    assert found[("query", "order-by")]["deprecated"] is True
    assert found[("header", "x-token")]["schema"] == {
        "type": "string",
        "default": "",
        "examples": ["abc"],
    }
    assert found[("cookie", "session")] == {
        "name": "session",
        "in": "cookie",
        "required": False,
        "schema": {"type": "string"},
    }
    assert ("query", "hidden") not in found
    assert app.openapi()["components"]["schemas"]["Colour"] == {
        "type": "string",
        "enum": ["red", "green"],
        "title": "Colour",
    }


def test_required_query_and_every_path_template_variable() -> None:
    app = Covet()

    @app.get("/files/{owner}/{rest:path}")
    async def files(q: str, n: int | None = None) -> str:  # takes neither path value
        return ""

    found = params(op(app, "/files/{owner}/{rest}"))
    assert found[("path", "owner")]["schema"] == {
        "type": "string",
        "minLength": 1,
        "pattern": "^[^/]+$",
    }
    assert found[("path", "rest")]["schema"] == {"type": "string"}
    assert found[("query", "q")]["required"] is True
    assert found[("query", "n")]["required"] is False


def test_dependencies_contribute_their_parameters() -> None:
    async def pagination(limit: Annotated[int, Query(le=100)] = 10, offset: int = 0) -> int:
        return limit

    async def user(
        x_user: Annotated[str, Header()], page: Annotated[int, Depends(pagination)]
    ) -> str:
        return x_user

    app = Covet()

    @app.get("/me", dependencies=[Depends(pagination)])
    async def me(who: Annotated[str, Depends(user)], request: Request) -> str:
        return who

    found = params(op(app, "/me"))
    assert set(found) == {("query", "limit"), ("query", "offset"), ("header", "x-user")}
    assert found[("query", "limit")]["schema"] == {"type": "integer", "maximum": 100, "default": 10}


# -- request bodies --------------------------------------------------------------------------


def test_json_bodies_dataclass_typeddict_dict_and_embedded() -> None:
    app = Covet()

    @app.post("/people")
    async def create_person(person: Person) -> Person:
        return person

    @app.post("/points")
    async def add_point(point: Point) -> dict[str, float]:
        return dict(point)

    @app.post("/raw")
    async def raw(data: dict[str, int]) -> None:
        return None

    @app.post("/pair")
    async def pair(a: Annotated[int, Body(ge=0)], b: Annotated[str, Body()] = "x") -> None:
        return None

    @app.post("/optional")
    async def optional(data: Person | None = None) -> None:
        return None

    document = app.openapi()
    schemas = document["components"]["schemas"]
    create = op(app, "/people", "post")
    assert create["requestBody"]["required"] is True
    assert body_schema(create) == {"$ref": REF + "Person"}
    assert json_schema(create) == {"$ref": REF + "Person"}
    assert schemas["Person"] == {
        "title": "Person",
        "type": "object",
        "description": "Someone we know.",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer"},
            "address": {"anyOf": [{"$ref": REF + "Address"}, {"type": "null"}], "default": None},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "age"],
    }
    assert schemas["Address"]["properties"]["city"] == {"type": "string", "default": "Paris"}
    assert schemas["Point"]["required"] == ["x", "y"]
    assert body_schema(op(app, "/raw", "post")) == {
        "type": "object",
        "additionalProperties": {"type": "integer"},
    }
    assert body_schema(op(app, "/pair", "post")) == {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "minimum": 0},
            "b": {"type": "string", "default": "x"},
        },
        "required": ["a"],
    }
    assert op(app, "/optional", "post")["requestBody"]["required"] is False


def test_pydantic_and_msgspec_bodies_use_their_own_schemas() -> None:
    app = Covet()

    @app.post("/pydantic")
    async def with_pydantic(item: PydanticItem) -> PydanticItem:
        return item

    @app.post("/msgspec")
    async def with_msgspec(items: list[MsgspecItem]) -> MsgspecItem:
        return items[0]

    schemas = app.openapi()["components"]["schemas"]
    assert body_schema(op(app, "/pydantic", "post")) == {"$ref": REF + "PydanticItem"}
    assert schemas["PydanticItem"]["properties"]["price"] == {
        "exclusiveMinimum": 0,
        "title": "Price",
        "type": "number",
    }
    assert schemas["PydanticItem"]["properties"]["colour"]["$ref"] == REF + "Colour"
    assert body_schema(op(app, "/msgspec", "post")) == {
        "type": "array",
        "items": {"$ref": REF + "MsgspecItem"},
    }
    assert schemas["MsgspecItem"]["required"] == ["name"]


def test_forms_and_uploads() -> None:
    app = Covet()

    @app.post("/login")
    async def login(
        username: Annotated[str, Form(max_length=20)], remember: Annotated[bool, Form()] = False
    ) -> str:
        return username

    @app.post("/upload")
    async def upload(
        file: UploadFile, more: list[UploadFile], note: Annotated[str | None, Form()] = None
    ) -> str:
        return ""

    login_body = body_schema(op(app, "/login", "post"), "application/x-www-form-urlencoded")
    assert login_body == {
        "type": "object",
        "properties": {
            "username": {"type": "string", "maxLength": 20},
            "remember": {"type": "boolean", "default": False},
        },
        "required": ["username"],
    }
    upload_body = body_schema(op(app, "/upload", "post"), "multipart/form-data")
    binary = {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}
    assert upload_body["properties"]["file"] == binary
    assert upload_body["properties"]["more"] == {"type": "array", "items": binary}
    assert upload_body["required"] == ["file", "more"]


def test_bodies_list_the_answers_they_get_before_validation() -> None:
    app = Covet(max_body_size=1000)

    @app.post("/login")
    async def login(username: Annotated[str, Form()]) -> str:
        return username

    @app.post("/points")
    async def points(point: Point) -> Point:
        return point

    @app.post("/unlimited", max_body_size=None)
    async def unlimited(point: Point) -> Point:
        return point

    @app.get("/plain")
    async def plain(q: str = "") -> str:
        return q

    client = TestClient(app)
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert client.post("/login", content=b"username=%ff", headers=form).status_code == 400
    assert (
        client.post("/login", content=b"username=" + b"a" * 1000, headers=form).status_code == 413
    )
    assert client.post("/points", json={"x": 1, "y": 2, "pad": "a" * 1000}).status_code == 413
    problem = {"application/problem+json": {"schema": {"$ref": REF + "ProblemDetails"}}}
    login_answers = op(app, "/login", "post")["responses"]
    assert sorted(login_answers) == ["200", "400", "413", "422"]
    assert login_answers["400"]["content"] == login_answers["413"]["content"] == problem
    assert sorted(op(app, "/points", "post")["responses"]) == ["200", "413", "422"]
    assert sorted(op(app, "/unlimited", "post")["responses"]) == ["200", "422"]
    assert sorted(op(app, "/plain")["responses"]) == ["200", "422"]


# -- responses -------------------------------------------------------------------------------


def test_responses_by_return_type() -> None:
    app = Covet()

    @app.get("/text")
    async def text() -> str:
        return ""

    @app.get("/bytes")
    async def raw() -> bytes:
        return b""

    @app.get("/html")
    async def page() -> HTMLResponse:
        return HTMLResponse("")

    @app.get("/events")
    async def events() -> EventSourceResponse:
        raise NotImplementedError

    @app.get("/file")
    async def download() -> FileResponse:
        raise NotImplementedError

    @app.get("/go")
    async def go() -> RedirectResponse:
        return RedirectResponse("/")

    @app.delete("/thing")
    async def delete() -> None:
        return None

    @app.post("/made", status_code=201)
    async def made() -> list[Point]:
        return []

    @app.get("/any")
    async def anything():  # type: ignore[no-untyped-def]
        return {}

    content = {path: op(app, path, "get")["responses"] for path in ("/text", "/bytes", "/html")}
    assert content["/text"]["200"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    assert content["/bytes"]["200"]["content"] == {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
    }
    assert content["/html"]["200"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert list(op(app, "/events")["responses"]["200"]["content"]) == ["text/event-stream"]
    assert list(op(app, "/file")["responses"]["200"]["content"]) == ["application/octet-stream"]
    assert op(app, "/go")["responses"]["307"]["headers"] == {
        "Location": {"schema": {"type": "string"}}
    }
    assert op(app, "/thing", "delete")["responses"] == {
        "204": {"description": "Successful Response"}
    }
    assert json_schema(op(app, "/made", "post"), "201") == {
        "type": "array",
        "items": {"$ref": REF + "Point"},
    }
    assert json_schema(op(app, "/any")) == {}


def test_problem_details_for_422_and_declared_errors() -> None:
    class NotFoundBody(TypedDict):
        missing: str

    app = Covet()

    @app.get(
        "/notes/{note_id:int}",
        responses={
            404: "No such note",
            409: {"description": "Conflict", "model": NotFoundBody},
            "5XX": "Server trouble",
        },
    )
    async def note(note_id: int) -> dict[str, str]:
        return {}

    @app.get("/static")
    async def static() -> str:
        return ""

    responses = op(app, "/notes/{note_id}")["responses"]
    problem = {"application/problem+json": {"schema": {"$ref": REF + "ProblemDetails"}}}
    assert responses["404"] == {"description": "No such note", "content": problem}
    assert responses["409"]["content"] == {
        "application/problem+json": {"schema": {"$ref": REF + "NotFoundBody"}}
    }
    assert responses["5XX"] == {"description": "Server trouble", "content": problem}
    assert responses["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": REF + "ValidationProblem"}}
    }
    assert "422" not in op(app, "/static")["responses"]  # nothing to validate
    schemas = app.openapi()["components"]["schemas"]
    assert schemas["ValidationProblem"]["properties"]["errors"]["items"]["required"] == [
        "loc",
        "msg",
        "type",
    ]
    assert schemas["ProblemDetails"]["required"] == ["type", "title", "status"]


def test_bad_responses_declarations_fail_at_registration() -> None:
    app = Covet()
    with pytest.raises(ConfigurationError, match="status codes"):
        app.get("/x", responses={99: "nope"})(lambda: None)
    with pytest.raises(ConfigurationError, match="unknown keys"):
        app.get("/y", responses={404: {"descr": "typo"}})(lambda: None)
    with pytest.raises(TypeError, match="unexpected route option"):
        app.get("/z", summmary="typo")(lambda: None)


# -- operations ------------------------------------------------------------------------------


def test_operation_metadata_from_options_and_docstrings() -> None:
    app = Covet()

    @app.get("/a", tags=["letters"], deprecated=True)
    async def first_letter() -> str:
        """Read the first letter.

        It is always *a*.
        """
        return "a"

    @app.get("/b", summary="B", description="The second", operation_id="letterB")
    async def second() -> str:
        """Ignored summary."""
        return "b"

    @app.get("/c", openapi_extra={"x-internal": True, "responses": {"200": {"description": "C"}}})
    async def third() -> str:
        return "c"

    a = op(app, "/a")
    assert (a["summary"], a["description"]) == ("Read the first letter.", "It is always *a*.")
    assert (a["tags"], a["deprecated"], a["operationId"]) == (["letters"], True, "first_letter")
    b = op(app, "/b")
    assert (b["summary"], b["description"], b["operationId"]) == ("B", "The second", "letterB")
    c = op(app, "/c")
    assert c["summary"] == "Third"
    assert c["x-internal"] is True and c["responses"]["200"]["description"] == "C"


def test_operation_ids_are_unique_and_stable() -> None:
    def make() -> Covet:
        app = Covet()
        router = Router()

        @router.get("/items")
        async def list_items() -> str:
            return ""

        @app.route("/things", methods=["GET", "PUT"])
        async def things() -> str:
            return ""

        app.include_router(router, prefix="/v1")
        app.include_router(router, prefix="/v2")
        return app

    ids = [
        operation["operationId"]
        for item in make().openapi()["paths"].values()
        for operation in item.values()
    ]
    assert sorted(ids) == sorted(
        ["things_get", "things_put", "list_items_v1_items", "list_items_v2_items"]
    )
    again = [
        operation["operationId"]
        for item in make().openapi()["paths"].values()
        for operation in item.values()
    ]
    assert again == ids
    app = Covet()
    app.get("/p", operation_id="same")(lambda: "")
    app.get("/q", operation_id="same")(lambda: "")
    with pytest.raises(ConfigurationError, match="operation_id 'same'"):
        app.openapi()


def test_include_in_schema_websockets_head_and_mounts() -> None:
    inner = Covet(title="inner")

    @inner.get("/users/{user_id:int}")
    async def inner_user(user_id: int) -> str:
        return ""

    router = Router()

    @router.get("/ping")
    async def ping() -> str:
        return "pong"

    async def raw_asgi(scope: Any, receive: Any, send: Any) -> None:
        raise NotImplementedError

    app = Covet()

    @app.get("/hidden", include_in_schema=False)
    async def hidden() -> str:
        return ""

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()

    app.include_router(router, prefix="/api", tags=["api"])
    app.mount("/tenants/{tenant}", inner)
    app.mount("/api/router", router)
    app.mount("/raw", raw_asgi)
    paths = app.openapi()["paths"]
    assert sorted(paths) == [
        "/api/ping",
        "/api/router/ping",
        "/tenants/{tenant}/users/{user_id}",
    ]
    assert list(paths["/api/ping"]) == ["get"]  # no implicit HEAD
    assert paths["/api/ping"]["get"]["tags"] == ["api"]
    mounted = params(paths["/tenants/{tenant}/users/{user_id}"]["get"])
    assert set(mounted) == {("path", "tenant"), ("path", "user_id")}


# -- response_model --------------------------------------------------------------------------


@dataclasses.dataclass
class PublicUser:
    id: int
    name: str
    address: Address | None = None


class Internal:
    def __init__(self) -> None:
        self.id = 7
        self.name = "ann"
        self.password_hash = "secret"
        self.address = None


def test_a_return_annotation_naming_a_model_filters_like_response_model() -> None:
    """As in FastAPI: the document says PublicUser, so the answer holds nothing else."""
    app = Covet()

    @app.get("/me")
    async def me() -> PublicUser:
        return Internal()  # type: ignore[return-value]

    @app.get("/all")
    def everyone() -> list[PublicUser]:
        return [{"id": 1, "name": "a", "password_hash": "x"}]  # type: ignore[list-item]

    @app.post("/users", status_code=201)
    async def create() -> tuple[PublicUser, int]:
        return {"id": 2, "name": "b", "token": "t"}, 201  # type: ignore[return-value]

    @app.get("/plain")
    async def plain() -> dict[str, Any]:
        return {"id": 1, "password_hash": "kept: a dict names no fields"}

    @app.get("/override", response_model=Point)
    async def override() -> PublicUser:
        return {"x": 1.0, "y": 2.0, "id": 3}  # type: ignore[return-value]

    @app.get("/raw")
    async def raw() -> Response:
        return Response(b"untouched")

    client = TestClient(app)
    assert client.get("/me").json() == {"id": 7, "name": "ann", "address": None}
    assert client.get("/all").json() == [{"id": 1, "name": "a"}]
    assert client.post("/users").json() == {"id": 2, "name": "b"}
    assert client.get("/plain").json() == {"id": 1, "password_hash": "kept: a dict names no fields"}
    assert client.get("/override").json() == {"x": 1.0, "y": 2.0}
    assert client.get("/raw").content == b"untouched"


T = TypeVar("T")


class LazyRows(Generic[T]):
    """A library's lazy query, as covet-orm's QuerySet is: it loads itself through
    ``__covet_result__`` and says with ``__covet_result_type__`` what it loads as."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    async def __covet_result__(self) -> list[Any]:
        return self.rows

    @classmethod
    def __covet_result_type__(cls, *args: Any) -> Any:
        return list[args[0]] if args else list  # type: ignore[valid-type]


def test_a_lazy_result_type_is_documented_and_filtered_as_what_it_loads() -> None:
    app = Covet()
    row = {"id": 1, "name": "a", "password_hash": "x"}

    @app.get("/lazy")
    async def lazy() -> LazyRows[PublicUser]:
        return LazyRows([row, Internal()])

    @app.get("/listed")
    async def listed() -> list[PublicUser]:
        return [row, Internal()]  # type: ignore[list-item]

    @app.get("/maybe")
    async def maybe() -> LazyRows[PublicUser] | None:
        return LazyRows([row])

    @app.get("/modelled", response_model=LazyRows[PublicUser])
    async def modelled() -> Any:
        return [row]

    @app.get("/bare")
    async def bare() -> LazyRows:  # type: ignore[type-arg]
        return LazyRows([row])

    paths = app.openapi()["paths"]

    def answer(path: str) -> Any:
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    many = {"type": "array", "items": {"$ref": REF + "PublicUser"}}
    assert answer("/lazy") == answer("/listed") == answer("/modelled") == many
    assert answer("/maybe") == {"anyOf": [many, {"type": "null"}]}
    assert answer("/bare") == {"type": "array"}
    client = TestClient(app)
    public = [{"id": 1, "name": "a"}, {"id": 7, "name": "ann", "address": None}]
    assert client.get("/lazy").json() == client.get("/listed").json() == public
    assert client.get("/maybe").json() == client.get("/modelled").json() == public[:1]
    assert client.get("/bare").json() == [row]  # names no model: nothing to cut


def test_response_model_filters_dicts_objects_and_nested_values() -> None:
    app = Covet()

    @app.get("/users", response_model=list[PublicUser])
    async def users() -> Any:
        return [
            {"id": 1, "name": "a", "password_hash": "x", "address": {"street": "s", "zip": "z"}},
            Internal(),
        ]

    @app.post("/users", response_model=PublicUser, status_code=201)
    async def create() -> Any:
        return {"id": 2, "name": "b", "token": "t"}, 201, {"Location": "/users/2"}

    @app.get("/point", response_model=Point)
    async def point() -> Any:
        return {"x": 1.0, "y": 2.0, "debug": True}

    @app.get("/broken", response_model=PublicUser)
    async def broken() -> Any:
        return {"id": 1}

    @app.get("/raw", response_model=PublicUser)
    async def raw() -> Response:
        return Response(b"untouched")

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/users").json() == [
        {"id": 1, "name": "a", "address": {"street": "s"}},
        {"id": 7, "name": "ann", "address": None},
    ]
    created = client.post("/users")
    assert created.status_code == 201 and created.headers["location"] == "/users/2"
    assert created.json() == {"id": 2, "name": "b"}
    assert client.get("/point").json() == {"x": 1.0, "y": 2.0}
    assert client.get("/broken").status_code == 500
    assert client.get("/raw").content == b"untouched"
    assert json_schema(op(app, "/users")) == {
        "type": "array",
        "items": {"$ref": REF + "PublicUser"},
    }
    assert json_schema(op(app, "/users", "post"), "201") == {"$ref": REF + "PublicUser"}


def test_response_model_with_pydantic_and_msgspec() -> None:
    app = Covet()

    @app.get("/p", response_model=PydanticItem)
    async def p() -> Any:
        return {"name": "n", "price": 2, "colour": "green", "cost": 1}

    @app.get("/m", response_model=list[MsgspecItem])
    async def m() -> Any:
        return [{"name": "n", "secret": 1}]

    client = TestClient(app)
    assert client.get("/p").json() == {"name": "n", "price": 2.0, "colour": "green"}
    assert client.get("/m").json() == [{"name": "n", "quantity": 1}]
    assert json_schema(op(app, "/p")) == {"$ref": REF + "PydanticItem"}


def test_response_model_is_kept_by_router_copies() -> None:
    router = Router()

    @router.get("/u", response_model=PublicUser, tags=["users"])
    async def u() -> Any:
        return {"id": 1, "name": "x", "hidden": True}

    app = Covet()
    app.include_router(router, prefix="/v1", tags=["v1"])
    assert TestClient(app).get("/v1/u").json() == {"id": 1, "name": "x"}
    assert op(app, "/v1/u")["tags"] == ["v1", "users"]


def test_handlers_that_take_no_request_values_still_document() -> None:
    app = Covet()

    @app.post("/tasks")
    def tasks(background: BackgroundTasks, response: Response) -> dict[str, bool]:
        return {"queued": True}

    assert "parameters" not in op(app, "/tasks", "post")
    assert "requestBody" not in op(app, "/tasks", "post")


def test_typeddict_keys_marked_required_or_not() -> None:
    class Patch(TypedDict, total=False):
        name: Required[str]
        age: NotRequired[Annotated[int, at.Ge(0)]]

    app = Covet()

    @app.patch("/me", response_model=Patch)
    async def patch(data: Patch) -> Any:
        return {**data, "secret": 1}

    client = TestClient(app)
    assert client.patch("/me", json={"name": "a"}).json() == {"name": "a"}
    assert client.patch("/me", json={"name": "a", "age": 3}).json() == {"name": "a", "age": 3}
    assert client.patch("/me", json={"age": -1}).json()["errors"] == [
        {"loc": ["body", "name"], "msg": "Field required", "type": "missing"},
        {
            "loc": ["body", "age"],
            "msg": "Input should be greater than or equal to 0",
            "type": "greater_than_equal",
        },
    ]
    schema = app.openapi()["components"]["schemas"]["Patch"]
    assert schema["required"] == ["name"]
    assert schema["properties"]["age"] == {"type": "integer", "minimum": 0}


# -- class-based endpoints -------------------------------------------------------------------


class ItemView(HTTPEndpoint):
    """An item of the shop."""

    async def get(self, id: int, verbose: bool = False) -> PublicUser:
        """Read one item.

        With every detail when verbose."""
        return Internal()  # type: ignore[return-value]

    async def put(self, id: int, user: PublicUser) -> PublicUser:
        """Replace an item."""
        return {"id": id, "name": user.name, "password_hash": "x"}  # type: ignore[return-value]

    async def delete(self, id: int) -> None:
        return None


def test_a_class_endpoint_has_one_operation_per_verb() -> None:
    app = Covet()
    app.add_route("/items/{id:int}", ItemView, response_model=PublicUser, tags=["items"])
    item = app.openapi()["paths"]["/items/{id}"]
    assert sorted(item) == ["delete", "get", "put"]  # HEAD comes with GET, undocumented
    get, put, delete = item["get"], item["put"], item["delete"]
    assert (get["summary"], get["description"]) == (
        "Read one item.",
        "With every detail when verbose.",
    )
    assert (put["summary"], "description" in put) == ("Replace an item.", False)
    # no docstring on the verb: "<Verb> <Class>", the class's docstring as the description
    assert (delete["summary"], delete["description"]) == ("Delete ItemView", "An item of the shop.")
    assert [(p["in"], p["name"]) for p in get["parameters"]] == [
        ("path", "id"),
        ("query", "verbose"),
    ]
    assert [(p["in"], p["name"]) for p in put["parameters"]] == [("path", "id")]
    assert "requestBody" not in get and "requestBody" not in delete
    assert body_schema(put) == {"$ref": REF + "PublicUser"}
    assert json_schema(get) == json_schema(put) == {"$ref": REF + "PublicUser"}
    assert list(delete["responses"]) == ["204", "422"]  # -> None answers 204, response_model or not
    assert [o["operationId"] for o in (get, put, delete)] == [
        "ItemView_get",
        "ItemView_put",
        "ItemView_delete",
    ]
    assert all(o["tags"] == ["items"] for o in (get, put, delete))


def test_response_model_filters_every_verb_of_a_class_endpoint() -> None:
    router = Router()
    router.add_route("/items/{id:int}", ItemView, response_model=PublicUser)
    app = Covet()
    app.add_route("/items/{id:int}", ItemView, response_model=PublicUser)
    app.include_router(router, prefix="/v2", tags=["v2"])  # copies keep it too
    client = TestClient(app)
    for prefix in ("", "/v2"):
        assert client.get(f"{prefix}/items/1").json() == {"id": 7, "name": "ann", "address": None}
        assert client.put(f"{prefix}/items/3", json={"id": 3, "name": "b"}).json() == {
            "id": 3,
            "name": "b",
        }
        assert client.delete(f"{prefix}/items/3").status_code == 204
    assert op(app, "/v2/items/{id}", "put")["tags"] == ["v2"]
    assert op(app, "/v2/items/{id}", "put")["operationId"] == "ItemView_put_v2_items_id"


# -- mounts, hosts and middleware ------------------------------------------------------------


class Passthrough:
    """Middleware that changes nothing: it must not change the document either."""

    def __init__(self, app: Any, label: str = "") -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


async def shop_items(
    shop: Annotated[int, Path(ge=1, description="The shop")],
    slug: Annotated[str, Path(max_length=20)],
    limit: Annotated[int, Query(le=50)] = 10,
) -> list[str]:
    return [f"{shop}/{slug}/{limit}"]


async def shop_info() -> str:
    return "a shop"


def test_mount_routes_take_the_mount_prefix_and_its_path_variables() -> None:
    app = Covet()
    app.mount(
        "/shops/{shop:int}",
        Router(
            [
                Route("/{slug}/items", shop_items, middleware=[Middleware(Passthrough)]),
                Mount("/about", routes=[Route("/", shop_info)]),
            ],
            middleware=[Middleware(Passthrough, label="router")],
        ),
        middleware=[Passthrough],
    )
    paths = app.openapi()["paths"]
    assert sorted(paths) == ["/shops/{shop}/about/", "/shops/{shop}/{slug}/items"]
    items = params(paths["/shops/{shop}/{slug}/items"]["get"])
    # the mount's {shop:int} converter, with the rules and description of the handler's Path()
    assert items[("path", "shop")]["schema"] == {"type": "integer", "minimum": 1}
    assert items[("path", "shop")]["description"] == "The shop"
    assert items[("path", "slug")]["schema"] == {"type": "string", "maxLength": 20, "minLength": 1}
    assert items[("query", "limit")]["schema"] == {"type": "integer", "maximum": 50, "default": 10}
    about = params(paths["/shops/{shop}/about/"]["get"])  # reads nothing, still described
    assert about[("path", "shop")]["schema"] == {"type": "integer", "minimum": 0}
    client = TestClient(app)  # and the server agrees with the document
    assert client.get("/shops/2/tea/items?limit=3").json() == ["2/tea/3"]
    assert client.get("/shops/0/tea/items").json()["errors"][0]["loc"] == ["path", "shop"]
    assert client.get("/shops/2/about/").text == "a shop"

    bare = Covet()  # the same routes without any middleware: the same document
    inner = [Route("/{slug}/items", shop_items), Mount("/about", routes=[Route("/", shop_info)])]
    bare.mount("/shops/{shop:int}", Router(inner))
    assert bare.openapi()["paths"] == paths


def make_hosts_app(**options: Any) -> Covet:
    api = Covet(title="The API")

    @api.get("/items/{id:int}")
    async def item(id: int) -> dict[str, int]:
        return {"id": id}

    @api.get("/")
    async def api_home() -> str:
        return "the API"

    async def tenant_orders(tenant: Annotated[str, Path()], limit: int = 10) -> str:
        return f"{tenant}/{limit}"

    async def tenant_items() -> list[str]:
        return []

    app = Covet(title="The site", **options)
    app.host("api.example.org", api, name="api")
    shop = Router([Route("/orders", tenant_orders), Route("/items", tenant_items, name="item")])
    app.host("{tenant}.shop.example.org", shop)
    app.host("admin.example.org:8443", Router([Route("/stats", tenant_items, name="item")]))

    @app.get("/")
    async def home() -> str:
        return "home"

    return app


def test_host_entries_are_documented_with_their_host_as_the_server() -> None:
    app = make_hosts_app()
    paths = app.openapi()["paths"]
    assert list(paths) == ["/", "/items/{id}", "/orders", "/items", "/stats"]
    # "/" is the hostless route's: it answers every other host, the API's "/" is left out
    assert "servers" not in paths["/"]["get"] and paths["/"]["get"]["operationId"] == "home"
    api_item = paths["/items/{id}"]["get"]
    assert api_item["servers"] == [{"url": "//api.example.org"}]
    orders = paths["/orders"]["get"]
    assert orders["servers"] == [
        {
            "url": "//{tenant}.shop.example.org",
            "variables": {
                "tenant": {"default": "tenant", "description": "the host's 'tenant' label"}
            },
        }
    ]
    assert [p["name"] for p in orders["parameters"]] == ["limit"]  # the host's label is no path's
    assert paths["/stats"]["get"]["servers"] == [{"url": "//admin.example.org:8443"}]
    # ids as url_for names the routes ("api:item"), unique across hosts
    ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert ids == ["home", "api_item", "shop_example_org_tenant_orders", "shop_example_org_item",
                   "admin_example_org_item"]  # fmt: skip
    # the server agrees with the document
    assert TestClient(app, base_url="https://api.example.org").get("/items/3").json() == {"id": 3}
    shop = TestClient(app, base_url="https://bob.shop.example.org")
    assert shop.get("/orders?limit=2").text == "bob/2"
    page = TestClient(app).get("/docs")  # "Try it out" may call the hosts
    connect = page.headers["content-security-policy"].split("connect-src ")[1].split(";")[0]
    assert connect.split() == [
        "'self'", "api.example.org", "*.shop.example.org", "admin.example.org:8443"
    ]  # fmt: skip


def test_host_servers_follow_the_root_path_and_the_declared_servers() -> None:
    outer = Covet(openapi_url=None)
    outer.mount("/site", make_hosts_app())
    document = TestClient(outer).get("/site/openapi.json").json()
    assert document["servers"] == [{"url": "/site"}]
    assert document["paths"]["/items/{id}"]["get"]["servers"] == [{"url": "//api.example.org/site"}]
    assert document["paths"]["/orders"]["get"]["servers"][0]["url"] == (
        "//{tenant}.shop.example.org/site"
    )
    declared = make_hosts_app(servers=[{"url": "https://www.example.org/v1/"}]).openapi()
    assert declared["paths"]["/items/{id}"]["get"]["servers"] == [{"url": "//api.example.org/v1"}]


def test_each_covet_app_behind_a_host_still_serves_its_own_document() -> None:
    app = make_hosts_app()
    on_api = TestClient(app, base_url="https://api.example.org")
    document = on_api.get("/openapi.json").json()
    assert (document["info"]["title"], list(document["paths"])) == (
        "The API",
        ["/items/{id}", "/"],
    )
    assert "servers" not in document["paths"]["/"]["get"]
    assert on_api.get("/docs").status_code == 200
    assert TestClient(app).get("/openapi.json").json()["info"]["title"] == "The site"


def test_host_operations_with_explicit_ids_must_still_be_unique() -> None:
    app = Covet()
    app.host("a.example.org", Router([Route("/x", home_text, operation_id="read")]))
    app.add_route("/y", home_text, operation_id="read")
    with pytest.raises(ConfigurationError, match="operation_id 'read'"):
        app.openapi()


async def home_text() -> str:
    return "home"

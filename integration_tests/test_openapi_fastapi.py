"""Side by side with FastAPI: the same ~20 endpoints, the same parameters, bodies and responses.

The documents are normalised before they are compared, for the differences that are deliberate
(docs/openapi.md, "Compared with FastAPI"): covet writes errors as problem details
(``application/problem+json``) where FastAPI writes ``HTTPValidationError`` as JSON, leaves out
pydantic's per-property ``title``, writes an optional parameter's schema without the ``null``
branch (it is absent, not null, and ``required: false`` says so), names operations after the
handler, its ``{id:int}`` converter only matches non-negative numbers (``minimum: 0``), and it
lists the 413 of a body over the limits and the 400 of an unreadable form.
"""

import dataclasses
import enum
import json
from typing import Annotated, Any, Literal

import fastapi

from covet import http as covet


class Kind(enum.StrEnum):
    BOOK = "book"
    DISC = "disc"


@dataclasses.dataclass
class Item:
    name: str
    price: float
    kind: Kind = Kind.BOOK
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Owner:
    id: int
    name: str


@dataclasses.dataclass
class ItemWithOwner:
    item: Item
    owner: Owner | None = None


def covet_app() -> covet.Covet:
    app = covet.Covet(title="Shop", version="1")
    Q, H, C, B, F = covet.Query, covet.Header, covet.Cookie, covet.Body, covet.Form

    @app.get("/items")
    async def list_items(skip: int = 0, limit: Annotated[int, Q(ge=1, le=100)] = 10) -> list[Item]:
        return []

    @app.post("/items", status_code=201)
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/items/{item_id:int}")
    async def read_item(item_id: int, q: str | None = None) -> Item:
        raise NotImplementedError

    @app.put("/items/{item_id:int}")
    async def replace_item(item_id: int, item: Item) -> Item:
        return item

    @app.delete("/items/{item_id:int}", status_code=204)
    async def delete_item(item_id: int) -> None:
        return None

    @app.get("/search")
    async def search(
        q: Annotated[str, Q(min_length=2, max_length=50)],
        kind: Kind | None = None,
        sort: Literal["asc", "desc"] = "asc",
        tag: Annotated[list[str], Q()] = [],  # noqa: B006
    ) -> dict[str, Any]:
        return {}

    @app.get("/headers")
    async def headers(
        x_token: Annotated[str, H()], user_agent: Annotated[str | None, H()] = None
    ) -> str:
        return ""

    @app.get("/cookies")
    async def cookies(session: Annotated[str, C()]) -> str:
        return ""

    @app.post("/embedded")
    async def embedded(
        item: Annotated[Item, B(embed=True)], note: Annotated[str, B()] = ""
    ) -> dict[str, Any]:
        return {}

    @app.post("/pair")
    async def pair(item: Item, owner: Owner) -> ItemWithOwner:
        return ItemWithOwner(item, owner)

    @app.post("/login")
    async def login(username: Annotated[str, F()], password: Annotated[str, F()]) -> dict[str, str]:
        return {}

    @app.post("/upload")
    async def upload(file: covet.UploadFile, note: Annotated[str, F()] = "") -> dict[str, str]:
        return {}

    @app.get("/text")
    async def text() -> str:
        return ""

    @app.get("/html")
    async def html() -> covet.HTMLResponse:
        return covet.HTMLResponse("")

    @app.get("/owners/{owner_id:int}/items")
    async def owner_items(owner_id: int, limit: int = 10) -> list[ItemWithOwner]:
        return []

    @app.get("/stats")
    async def stats() -> dict[str, int]:
        return {}

    @app.get("/old", deprecated=True, tags=["legacy"])
    async def old() -> dict[str, str]:
        return {}

    @app.get("/numbers")
    async def numbers(
        n: Annotated[list[int], Q()], ratio: Annotated[float, Q(gt=0, lt=1)] = 0.5
    ) -> list[int]:
        return n

    @app.patch("/owners/{owner_id:int}")
    async def rename_owner(
        owner_id: int, name: Annotated[str, B(embed=True, max_length=20)]
    ) -> Owner:
        return Owner(owner_id, name)

    @app.get("/hidden", include_in_schema=False)
    async def hidden() -> str:
        return ""

    return app


def fastapi_app() -> fastapi.FastAPI:
    app = fastapi.FastAPI(title="Shop", version="1")
    Q, H, C, B, F = fastapi.Query, fastapi.Header, fastapi.Cookie, fastapi.Body, fastapi.Form
    from fastapi.responses import HTMLResponse, PlainTextResponse

    @app.get("/items")
    async def list_items(skip: int = 0, limit: Annotated[int, Q(ge=1, le=100)] = 10) -> list[Item]:
        return []

    @app.post("/items", status_code=201)
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> Item:
        raise NotImplementedError

    @app.put("/items/{item_id}")
    async def replace_item(item_id: int, item: Item) -> Item:
        return item

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int) -> None:
        return None

    @app.get("/search")
    async def search(
        q: Annotated[str, Q(min_length=2, max_length=50)],
        kind: Kind | None = None,
        sort: Literal["asc", "desc"] = "asc",
        tag: Annotated[list[str], Q()] = [],  # noqa: B006
    ) -> dict[str, Any]:
        return {}

    @app.get("/headers", response_class=PlainTextResponse)
    async def headers(
        x_token: Annotated[str, H()], user_agent: Annotated[str | None, H()] = None
    ) -> str:
        return ""

    @app.get("/cookies", response_class=PlainTextResponse)
    async def cookies(session: Annotated[str, C()]) -> str:
        return ""

    @app.post("/embedded")
    async def embedded(
        item: Annotated[Item, B(embed=True)], note: Annotated[str, B()] = ""
    ) -> dict[str, Any]:
        return {}

    @app.post("/pair")
    async def pair(item: Item, owner: Owner) -> ItemWithOwner:
        return ItemWithOwner(item, owner)

    @app.post("/login")
    async def login(username: Annotated[str, F()], password: Annotated[str, F()]) -> dict[str, str]:
        return {}

    @app.post("/upload")
    async def upload(file: fastapi.UploadFile, note: Annotated[str, F()] = "") -> dict[str, str]:
        return {}

    @app.get("/text", response_class=PlainTextResponse)
    async def text() -> str:
        return ""

    @app.get("/html", response_class=HTMLResponse)
    async def html() -> str:
        return ""

    @app.get("/owners/{owner_id}/items")
    async def owner_items(owner_id: int, limit: int = 10) -> list[ItemWithOwner]:
        return []

    @app.get("/stats")
    async def stats() -> dict[str, int]:
        return {}

    @app.get("/old", deprecated=True, tags=["legacy"])
    async def old() -> dict[str, str]:
        return {}

    @app.get("/numbers")
    async def numbers(
        n: Annotated[list[int], Q()], ratio: Annotated[float, Q(gt=0, lt=1)] = 0.5
    ) -> list[int]:
        return n

    @app.patch("/owners/{owner_id}")
    async def rename_owner(
        owner_id: int, name: Annotated[str, B(embed=True, max_length=20)]
    ) -> Owner:
        return Owner(owner_id, name)

    @app.get("/hidden", include_in_schema=False)
    async def hidden() -> str:
        return ""

    return app


_IGNORED = {"title", "description", "examples"}


def normalise(schema: Any, document: dict[str, Any], *, parameter: bool = False) -> Any:
    """Refs resolved, titles dropped, ``X | None`` as ``anyOf`` sorted, a parameter's null
    branch removed, the int converter's minimum dropped."""
    if isinstance(schema, list):
        return [normalise(item, document) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        resolved = {
            **document["components"]["schemas"][name],
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
        return normalise(resolved, document, parameter=parameter)
    out = {k: normalise(v, document) for k, v in schema.items() if k not in _IGNORED}
    if "anyOf" in out:
        options = [o for o in out["anyOf"] if not (parameter and o == {"type": "null"})]
        if len(options) == 1:
            rest = {k: v for k, v in out.items() if k != "anyOf"}
            return {**options[0], **rest}
        out["anyOf"] = sorted(options, key=lambda o: json.dumps(o, sort_keys=True))
    if "required" in out:
        out["required"] = sorted(out["required"])
    if "default" in out and out["default"] is None:  # pydantic leaves it out on some fields
        del out["default"]
    if out.get("additionalProperties") is True:  # the same as leaving it out
        del out["additionalProperties"]
    if out.get("contentMediaType") == "application/octet-stream":
        out.pop("contentMediaType")
        out["format"] = "binary"
    return out


def described(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            parameters = {}
            for p in operation.get("parameters", []):
                schema = normalise(p["schema"], document, parameter=True)
                if p["in"] == "path":
                    schema.pop("minimum", None)  # covet's int converter: non-negative only
                parameters[(p["in"], p["name"].lower())] = (p["required"], schema)
            body = operation.get("requestBody")
            bodies = None
            if body is not None:
                bodies = {
                    media: normalise(content["schema"], document)
                    for media, content in body["content"].items()
                }
                bodies = (body.get("required", False), bodies)
            responses = {}
            for status, response in operation["responses"].items():
                if status == "422":
                    continue  # problem details vs HTTPValidationError: deliberate
                if status in ("400", "413") and body is not None:
                    continue  # an unreadable form, a body over the limits: covet lists them
                content = {
                    media: normalise(c.get("schema", {}), document)
                    for media, c in response.get("content", {}).items()
                }
                responses[status] = content
            found[(path, method)] = {
                "parameters": parameters,
                "body": bodies,
                "responses": responses,
                "has_422": "422" in operation["responses"],
                "deprecated": operation.get("deprecated", False),
                "tags": operation.get("tags", []),
                "summary": operation["summary"],
            }
    return found


def test_the_same_app_is_described_like_fastapi_describes_it() -> None:
    ours = described(covet_app().openapi())
    theirs = described(fastapi_app().openapi())
    assert len(ours) == 19  # 20 routes, one of them hidden
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        mine, peer = ours[key], theirs[key]
        assert mine["parameters"] == peer["parameters"], key
        assert mine["body"] == peer["body"], key
        # FastAPI writes the HTML/text body schema as a string too; only its media type differs
        assert mine["responses"] == peer["responses"], key
        assert (mine["has_422"], mine["deprecated"], mine["tags"], mine["summary"]) == (
            peer["has_422"],
            peer["deprecated"],
            peer["tags"],
            peer["summary"],
        ), key

"""covet-orm models as covet-http request and response bodies (issue 12 §3): ``data: Article``,
``Partial[Article]``, ``Article.schema(...)``, model instances and QuerySets as results, and their
OpenAPI components. SQLite through TestClient; end to end on PostgreSQL and MariaDB."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest

from covet.http import Covet
from covet.http.testing import TestClient
from covet.orm import (
    BooleanField,
    CharField,
    Database,
    DateTimeField,
    DecimalField,
    EnumField,
    IntegerField,
    JSONField,
    Model,
    ModelSchema,
    Partial,
    QuerySet,
    RawQuerySet,
    UUIDField,
)

from ._servers import SERVERS, server_database


class Status(enum.Enum):
    DRAFT = "draft"
    LIVE = "live"


def _no_shouting(value: str) -> None:
    if value.isupper():
        raise ValueError("do not shout")


class Article(Model):
    title = CharField(max_length=20, validators=[_no_shouting])
    kind = CharField(max_length=10, choices=["news", "essay"], default="news")
    status = EnumField(Status, default=Status.DRAFT)
    price = DecimalField(max_digits=6, decimal_places=2, default=decimal.Decimal("0"))
    ref = UUIDField(default=uuid.uuid4)
    meta = JSONField(default=dict)
    subtitle = CharField(max_length=50, null=True)
    pinned = BooleanField(default=False)
    secret = CharField(max_length=64, default="s3cr3t")
    views = IntegerField(default=0, editable=False)
    created = DateTimeField(auto_now_add=True)

    class Meta:
        table_name = "bodies_article"
        ordering = ["id"]


class ArticlePublic(ModelSchema, model=Article, exclude=["secret"]):
    """What clients may read: everything but the secret."""


class ArticleDraft(ModelSchema, model=Article, include=["title", "subtitle"]):
    """What a draft may set."""


def make_app() -> Covet:
    app = Covet(title="bodies", version="1")

    @app.post("/articles", status_code=201, response_model=ArticlePublic)
    async def create(data: Article) -> Any:
        assert data._adding and data.pk is None
        await data.asave()
        return data

    @app.post("/sync/articles", status_code=201, response_model=ArticlePublic)
    def create_sync(data: Article) -> Any:
        data.save()
        return data

    @app.post("/drafts", status_code=201, response_model=ArticlePublic)
    def create_draft(data: Annotated[Article, ArticleDraft]) -> Any:
        assert isinstance(data, Article)
        data.save()
        return data

    @app.patch("/articles/{pk:int}", response_model=ArticlePublic)
    async def update(pk: int, changes: Partial[Article]) -> Any:
        article = await Article.objects.aget(pk=pk)
        changes.apply(article)
        await article.asave(update_fields=changes.fields)
        return article

    @app.get("/articles", response_model=list[ArticlePublic])
    async def listing() -> Any:
        return Article.objects.all()  # unevaluated: read through the async API

    @app.get("/sync/articles", response_model=list[ArticlePublic])
    def listing_sync() -> Any:
        return Article.objects.filter(pinned=False)

    @app.get("/raw/articles")
    async def raw_listing() -> QuerySet[Article]:  # as list[Article]: every field of Article
        return Article.objects.all()

    @app.get("/articles/{pk:int}")
    async def read(pk: int) -> Article:
        return await Article.objects.aget(pk=pk)

    @app.get("/raw", response_model=list[ArticlePublic])
    async def raw() -> Any:
        return Article.objects.raw("SELECT * FROM bodies_article ORDER BY id DESC")

    @app.post("/bulk")
    async def bulk(items: list[Article], note: Partial[Article] | None = None) -> Any:
        return {"titles": [a.title for a in items], "note": None if note is None else note.values}

    @app.get("/titles")
    async def titles() -> Any:
        return Article.objects.values_list("title", flat=True)

    return app


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'bodies.db'}", default=True)
    database.create_tables([Article])
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def client(db: Database) -> TestClient:
    return TestClient(make_app())


def _errors(reply: Any) -> dict[str, tuple[str, str]]:
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    return {"/".join(map(str, e["loc"])): (e["msg"], e["type"]) for e in reply.json()["errors"]}


def test_a_model_body_is_validated_and_saved(client: TestClient) -> None:
    reply = client.post(
        "/articles",
        json={"title": "Hello", "price": "12.50", "status": "live", "meta": {"a": [1]}},
    )
    assert reply.status_code == 201, reply.text
    body = reply.json()
    assert "secret" not in body
    assert body["title"] == "Hello" and body["kind"] == "news" and body["status"] == "live"
    assert body["price"] == "12.50" and body["meta"] == {"a": [1]} and body["views"] == 0
    assert body["subtitle"] is None and body["pinned"] is False
    uuid.UUID(body["ref"])
    assert dt.datetime.fromisoformat(body["created"]).tzinfo is not None
    stored = Article.objects.get(pk=body["id"])
    assert stored.price == decimal.Decimal("12.50") and stored.status is Status.LIVE
    assert client.post("/sync/articles", json={"title": "Sync"}).json()["title"] == "Sync"


def test_every_field_error_is_listed(client: TestClient) -> None:
    errors = _errors(
        client.post(
            "/articles",
            json={
                "title": "way too long for this field",
                "kind": "poem",
                "status": "gone",
                "price": "1.234",
                "ref": "not-a-uuid",
                "pinned": "yes",
                "subtitle": None,
                "created": "2020-01-01T00:00:00",
                "id": 5,
                "views": 10,
                "colour": "red",
            },
        )
    )
    assert errors["body/title"][0].startswith("at most 20 characters")
    assert errors["body/kind"] == ("'poem' is not one of the choices", "value_error")
    assert errors["body/status"] == ("Input should be one of 'draft', 'live'", "enum")
    assert errors["body/price"] == ("at most 2 decimal places", "value_error")
    assert errors["body/ref"] == ("Input should be a valid UUID", "uuid_parsing")
    assert errors["body/pinned"] == ("Input should be a valid boolean", "bool_type")
    for read_only in ("id", "views", "created"):
        assert errors[f"body/{read_only}"] == ("read-only field: the server sets it", "read_only")
    message, kind = errors["body/colour"]
    assert kind == "extra_forbidden" and "title" in message and "secret" in message
    assert "body/subtitle" not in errors  # null=True
    assert Article.objects.count() == 0


def test_required_null_and_validators(client: TestClient) -> None:
    assert _errors(client.post("/articles", json={})) == {
        "body/title": ("Field required", "missing")
    }
    assert _errors(client.post("/articles", json={"title": None})) == {
        "body/title": ("this field cannot be null", "value_error")
    }
    assert _errors(client.post("/articles", json={"title": "LOUD"})) == {
        "body/title": ("do not shout", "value_error")
    }
    assert _errors(client.post("/articles", json={"title": 5})) == {
        "body/title": ("Input should be a valid string", "string_type")
    }
    assert _errors(client.post("/articles", json=["title"])) == {
        "body": ("Input should be a JSON object (Article)", "model_type")
    }


def test_a_selection_limits_what_a_client_may_send(client: TestClient) -> None:
    reply = client.post("/drafts", json={"title": "Draft", "subtitle": "sub"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["kind"] == "news"  # a default, not sent
    message, kind = _errors(client.post("/drafts", json={"title": "x", "kind": "essay"}))[
        "body/kind"
    ]
    assert kind == "extra_forbidden" and message == "unknown field; the fields are: title, subtitle"


def test_a_partial_body_changes_only_what_it_sends(client: TestClient) -> None:
    pk = client.post("/articles", json={"title": "First", "kind": "essay"}).json()["id"]
    reply = client.patch(f"/articles/{pk}", json={"pinned": True, "price": 3})
    assert reply.status_code == 200, reply.text
    assert reply.json()["pinned"] is True and reply.json()["price"] == "3.00"
    stored = Article.objects.get(pk=pk)
    assert (stored.title, stored.kind, stored.pinned) == ("First", "essay", True)
    assert client.patch(f"/articles/{pk}", json={}).status_code == 200
    errors = _errors(client.patch(f"/articles/{pk}", json={"title": None, "id": 9}))
    assert errors == {
        "body/changes/title": ("this field cannot be null", "value_error"),
        "body/changes/id": ("read-only field: the server sets it", "read_only"),
    } or errors == {
        "body/title": ("this field cannot be null", "value_error"),
        "body/id": ("read-only field: the server sets it", "read_only"),
    }


def test_querysets_and_instances_render_as_json(client: TestClient) -> None:
    for title in ("One", "Two"):
        client.post("/articles", json={"title": title, "meta": {"t": title}})
    listing = client.get("/articles").json()
    assert [a["title"] for a in listing] == ["One", "Two"]
    assert all("secret" not in a for a in listing)
    assert [a["title"] for a in client.get("/sync/articles").json()] == ["One", "Two"]
    raw = client.get("/raw/articles").json()
    assert raw[0]["secret"] == "s3cr3t" and raw[0]["meta"] == {"t": "One"}
    one = client.get(f"/articles/{listing[0]['id']}").json()
    assert one["price"] == "0.00" and one["status"] == "draft"
    assert client.get("/titles").json() == ["One", "Two"]
    assert [a["title"] for a in client.get("/raw").json()] == ["Two", "One"]
    assert client.get("/articles/999").status_code == 404


def test_a_deferred_field_is_not_loaded_behind_the_handler(db: Database) -> None:
    app = Covet()

    @app.get("/only", response_model=list[ArticlePublic])
    async def only() -> Any:
        return Article.objects.only("title")

    Article.objects.create(title="Hi")
    reply = TestClient(app, raise_server_exceptions=False).get("/only")
    assert reply.status_code == 500  # the programming error is not papered over with a query


def test_a_queryset_annotation_is_a_list_of_the_model(db: Database) -> None:
    """``-> QuerySet[M]`` (and ``-> RawQuerySet[M]``) is documented and filtered as
    ``-> list[M]``: an array of the model's read component, each row written by its fields."""
    app = Covet()

    @app.get("/queryset")
    async def queryset() -> QuerySet[Article]:
        return Article.objects.filter(pinned=False)

    @app.get("/listed")
    async def listed() -> list[Article]:
        return await Article.objects.filter(pinned=False).alist()

    @app.get("/raw")
    async def raw() -> RawQuerySet[Article]:
        return Article.objects.raw("SELECT * FROM bodies_article ORDER BY id")

    @app.get("/one")
    async def one() -> Article | None:
        return await Article.objects.filter(pinned=False).afirst()

    @app.get("/only")
    async def only() -> QuerySet[Article]:
        return Article.objects.only("title")

    paths = app.openapi()["paths"]  # validated as OpenAPI 3.1 by the root conftest

    def answer(path: str) -> Any:
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    rows = {"type": "array", "items": {"$ref": "#/components/schemas/Article"}}
    assert answer("/queryset") == answer("/listed") == answer("/raw") == rows
    assert answer("/one") == {"anyOf": [{"$ref": "#/components/schemas/Article"}, {"type": "null"}]}
    Article.objects.create(title="Hi", meta={"a": 1})
    client = TestClient(app, raise_server_exceptions=False)
    listed_rows = client.get("/listed").json()
    assert client.get("/queryset").json() == client.get("/raw").json() == listed_rows
    assert listed_rows[0]["title"] == "Hi" and listed_rows[0]["meta"] == {"a": 1}
    assert client.get("/one").json() == listed_rows[0]
    # as with list[Article]: a deferred field is a programming error, not a query per row
    assert client.get("/only").status_code == 500


def test_the_openapi_document_has_read_write_and_patch_components(client: TestClient) -> None:
    document = make_app().openapi()  # validated as OpenAPI 3.1 by the root conftest
    schemas = document["components"]["schemas"]
    post = document["paths"]["/articles"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ArticleWrite"}
    assert post["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ArticlePublic"
    }
    write = schemas["ArticleWrite"]
    assert write["required"] == ["title"] and write["additionalProperties"] is False
    assert set(write["properties"]) == {
        "title", "kind", "status", "price", "ref", "meta", "subtitle", "pinned", "secret"
    }  # fmt: skip
    assert write["properties"]["title"] == {"type": "string", "maxLength": 20}
    assert write["properties"]["kind"]["enum"] == ["news", "essay"]
    assert write["properties"]["subtitle"] == {
        "anyOf": [{"type": "string", "maxLength": 50}, {"type": "null"}]
    }
    public = schemas["ArticlePublic"]
    assert "secret" not in public["properties"] and "id" in public["required"]
    assert public["properties"]["created"] == {"type": "string", "format": "date-time"}
    assert public["properties"]["price"]["type"] == "string"
    patch = document["paths"]["/articles/{pk}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ArticlePatch"
    }
    assert "required" not in schemas["ArticlePatch"]
    draft = schemas["ArticleDraftWrite"]
    assert set(draft["properties"]) == {"title", "subtitle"}
    read = document["paths"]["/articles/{pk}"]["get"]["responses"]["200"]
    assert read["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Article"}
    assert "secret" in schemas["Article"]["properties"]


def test_selections_are_checked_and_cached() -> None:
    assert Article.schema(exclude=["secret"], name="Pub") is Article.schema(
        exclude=("secret",), name="Pub"
    )
    assert Article.schema(exclude=["secret"], name="Pub").__covet_spec__.name == "Pub"
    assert Partial[Article] is Partial[Article]
    assert Article.schema(exclude=["secret"]).__name__ == "ArticleWithoutSecret"
    with pytest.raises(Exception, match="'colour', which is not a field"):
        Article.schema(include=["colour"])
    patch = Partial[Article]({"title": "x"})
    assert "title" in patch and patch.fields == ["title"]


def test_an_async_handler_never_evaluates_a_queryset_with_the_blocking_api(db: Database) -> None:
    # strict: a blocking ORM call on the loop raises SynchronousOnlyError (a 500 here)
    app = Covet(extensions={"sync_orm_in_async": False})

    @app.get("/strict", response_model=list[ArticlePublic])
    async def strict() -> Any:
        return Article.objects.all()

    Article.objects.create(title="Hi")
    assert [a["title"] for a in TestClient(app).get("/strict").json()] == ["Hi"]


@pytest.fixture(params=list(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[Database]:
    with server_database(request.param, "bodies") as url:
        database = Database(url, default=True)
        database.create_tables([Article])
        try:
            yield database
        finally:
            database.close()


def test_end_to_end_on_a_server(server: Database) -> None:
    with TestClient(make_app()) as client:
        created = client.post(
            "/articles", json={"title": "Pg", "price": 9.99, "meta": {"n": [1, 2]}}
        )
        assert created.status_code == 201, created.text
        pk = created.json()["id"]
        changed = client.patch(f"/articles/{pk}", json={"status": "live", "subtitle": "s"})
        assert changed.json()["status"] == "live"
        listing = client.get("/articles").json()
        assert listing == [changed.json()]
        assert listing[0]["price"] == "9.99" and listing[0]["meta"] == {"n": [1, 2]}
        assert _errors(client.post("/articles", json={"title": "x" * 21}))["body/title"][0] == (
            "at most 20 characters (it has 21)"
        )
    stored = Article.objects.get(pk=pk)
    assert stored.status is Status.LIVE and stored.subtitle == "s"


def test_lists_of_models_and_optional_partials(client: TestClient) -> None:
    reply = client.post("/bulk", json={"items": [{"title": "a"}, {"title": "b"}]})
    assert reply.json() == {"titles": ["a", "b"], "note": None}
    reply = client.post("/bulk", json={"items": [], "note": {"pinned": True}})
    assert reply.json() == {"titles": [], "note": {"pinned": True}}
    assert _errors(client.post("/bulk", json={"items": [{"title": "a"}, {"title": 1}]})) == {
        "body/items/1/title": ("Input should be a valid string", "string_type")
    }

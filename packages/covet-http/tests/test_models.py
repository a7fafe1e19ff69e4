"""ModelAdapter: a library's model classes validate, serialize and describe themselves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

import pytest

from covet.http import Covet, ModelAdapter, register_model_adapter
from covet.http._models import _registered, find_adapter
from covet.http._validation import Invalid, error
from covet.http.testing import TestClient


class Record:
    """A stand-in for another library's model (covet-orm's, later): fields in ``fields``."""

    fields: tuple[str, ...] = ()

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class RecordAdapter:
    def handles(self, tp: Any) -> bool:
        return isinstance(tp, type) and issubclass(tp, Record)

    def validator(self, tp: Any) -> Callable[[Any, tuple[str | int, ...]], Any]:
        def check(value: Any, loc: tuple[str | int, ...]) -> Any:
            if not isinstance(value, dict) or set(value) != set(tp.fields):
                raise error(loc, f"expected exactly {list(tp.fields)}", "record")
            return tp(**value)

        return check

    def serializer(self, tp: Any) -> Callable[[Any], Any]:
        return lambda value: {name: getattr(value, name) for name in tp.fields}

    def json_schemas(
        self, types: Sequence[tuple[Any, str]], ref_template: str
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        components = {
            tp.__name__: {"type": "object", "required": list(tp.fields), "x-mode": mode}
            for tp, mode in types
        }
        return [{"$ref": ref_template.format(model=tp.__name__)} for tp, _ in types], components


class Song(Record):
    fields = ("title", "seconds")
    __covet_model_adapter__ = RecordAdapter()


class Album(Record):
    fields = ("name",)


def test_a_class_names_its_own_adapter() -> None:
    assert isinstance(RecordAdapter(), ModelAdapter)
    app = Covet()

    @app.post("/songs", response_model=Song)
    async def add(song: Song) -> Any:
        song.secret = "kept out"
        return song

    client = TestClient(app)
    assert client.post("/songs", json={"title": "a", "seconds": 3}).json() == {
        "title": "a",
        "seconds": 3,
    }
    refused = client.post("/songs", json={"title": "a"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"loc": ["body"], "msg": "expected exactly ['title', 'seconds']", "type": "record"}
    ]
    document = app.openapi()
    operation = document["paths"]["/songs"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Song"
    }
    assert document["components"]["schemas"]["Song"]["required"] == ["title", "seconds"]


def test_registered_adapters_come_before_the_built_in_ones() -> None:
    assert find_adapter(Album) is None
    adapter = RecordAdapter()
    register_model_adapter(adapter)
    try:
        assert find_adapter(Album) is adapter
        app = Covet()

        @app.post("/albums")
        async def add(album: Album) -> str:
            return str(album.name)

        assert TestClient(app).post("/albums", json={"name": "x"}).text == "x"
    finally:
        _registered.remove(adapter)
    with pytest.raises(TypeError, match="ModelAdapter protocol"):
        register_model_adapter(object())  # type: ignore[arg-type]


def test_invalid_errors_keep_their_location() -> None:
    check = RecordAdapter().validator(Song)
    with pytest.raises(Invalid) as caught:
        check([], ("body", "song"))
    assert caught.value.errors[0]["loc"] == ["body", "song"]


class ForeignError(Exception):
    """A library's own error: it cannot import covet.http's Invalid."""

    def __covet_errors__(self) -> list[dict[str, Any]]:
        return [{"loc": ["body", "title"], "msg": "too short", "type": "value_error"}]


class Strict(Record):
    fields = ("title",)


class StrictAdapter(RecordAdapter):
    def validator(self, tp: Any) -> Callable[[Any, tuple[str | int, ...]], Any]:
        def check(value: Any, loc: tuple[str | int, ...]) -> Any:
            if len(value.get("title", "")) < 3:
                raise ForeignError
            return tp(**value)

        return check


class StrictIn(Record):
    """Another shape of Strict's records: what a body may hold."""

    fields = ("title",)
    __covet_model_adapter__ = StrictAdapter()


def test_a_validator_may_raise_its_own_error_with_covet_errors() -> None:
    app = Covet()

    @app.post("/strict")
    async def add(item: StrictIn) -> str:
        return str(item.__dict__["title"])

    client = TestClient(app)
    assert client.post("/strict", json={"title": "long"}).text == "long"
    refused = client.post("/strict", json={"title": "x"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"loc": ["body", "title"], "msg": "too short", "type": "value_error"}
    ]


def test_annotated_metadata_naming_a_model_class_describes_the_body() -> None:
    app = Covet()

    @app.post("/songs")
    async def add(song: Annotated[Record, Song]) -> str:
        assert isinstance(song, Song)
        return str(song.__dict__["title"])

    client = TestClient(app)
    assert client.post("/songs", json={"title": "a", "seconds": 1}).text == "a"
    assert client.post("/songs", json={"title": "a"}).status_code == 422
    body = app.openapi()["paths"]["/songs"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Song"}


class LazyRows:
    """A query that must load itself before it can be rendered (as an ORM's QuerySet)."""

    def __init__(self) -> None:
        self.loaded_on: list[str] = []

    async def __covet_result__(self) -> list[Song]:
        self.loaded_on.append("loop")
        return [Song(title="a", seconds=1, hidden=True)]


def test_a_result_with_covet_result_is_loaded_before_rendering() -> None:
    app = Covet()
    rows = LazyRows()

    @app.get("/async", response_model=list[Song])
    async def read_async() -> Any:
        return rows

    @app.get("/sync")
    def read_sync() -> Any:
        return rows, 201

    client = TestClient(app)
    assert client.get("/async").json() == [{"title": "a", "seconds": 1}]
    created = client.get("/sync")
    assert created.status_code == 201 and created.json() == [
        {"title": "a", "seconds": 1, "hidden": True}
    ]
    assert rows.loaded_on == ["loop", "loop"]

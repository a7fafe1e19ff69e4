"""The demo application that ./scripts/demo runs works end to end on SQLite.

The tests use covet-orm's pytest plugin as a user's tests would: the demo module is loaded once,
pointed at the run's test database (``covet_database_url``), and each test runs inside the
``db`` fixture's transaction, which the app under ``TestClient`` shares and which is rolled back
at the end: no test sees another's notes.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from covet.http.testing import TestClient
from covet.orm import Database

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo" / "app.py"


@pytest.fixture(scope="session")
def demo_module(covet_database_url: str) -> Iterator[ModuleType]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COVET_DEMO_DATABASE_URL", covet_database_url)
        spec = importlib.util.spec_from_file_location("covet_demo_app", DEMO)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        patch.setitem(sys.modules, "covet_demo_app", module)
        spec.loader.exec_module(module)
        yield module


@pytest.fixture(scope="session")
def covet_db(demo_module: ModuleType) -> Iterator[Database]:
    """The plugin's fixtures act on the demo's own database."""
    db: Database = demo_module.db
    db.create_tables([demo_module.Note])
    yield db
    db.close()


@pytest.fixture
def demo(db: Database, demo_module: ModuleType) -> ModuleType:
    return demo_module


def test_notes_crud_through_sync_and_async_handlers(demo: ModuleType) -> None:
    with TestClient(demo.app) as client:
        assert "No notes yet" in client.get("/").text

        created = client.post("/api/notes", json={"title": " Buy milk ", "body": "semi"})
        assert created.status_code == 201
        note = created.json()
        assert note["title"] == "Buy milk" and note["done"] is False

        assert client.get(f"/api/notes/{note['id']}").json() == note  # sync ORM on a worker thread
        patched = client.patch(f"/api/notes/{note['id']}", json={"done": True})
        assert patched.status_code == 200 and patched.json()["done"] is True

        client.post("/api/notes", json={"title": "Write docs"})
        assert [n["title"] for n in client.get("/api/notes", params={"done": "false"}).json()] == [
            "Write docs"
        ]
        assert [n["title"] for n in client.get("/api/notes", params={"search": "MILK"}).json()] == [
            "Buy milk"
        ]
        assert client.get("/api/stats").json() == {"total": 2}
        assert "<b>Buy milk</b>" in client.get("/").text

        assert client.delete(f"/api/notes/{note['id']}").status_code == 204
        assert client.get(f"/api/notes/{note['id']}").status_code == 404


def test_bad_input_is_a_clear_client_error(demo: ModuleType) -> None:
    with TestClient(demo.app) as client:
        bad_limit = client.get("/api/notes", params={"limit": "abc"})
        assert bad_limit.status_code == 422
        assert bad_limit.headers["content-type"] == "application/problem+json"
        assert bad_limit.json()["errors"][0]["loc"] == ["query", "limit"]
        assert client.post("/api/notes", json={"body": "no title"}).status_code == 422
        assert client.post("/api/notes", json={"title": "   "}).status_code == 422
        assert client.patch("/api/notes/1", json={"done": "maybe"}).status_code == 422
        assert client.get("/api/notes/999").status_code == 404
        assert client.get("/api/notes/not-a-number").status_code == 404
        # past 64 bits a number would fail in SQLite (a 500, found by the contract tests)
        for offset, status in ((2**63 - 1, 200), (2**63, 422), (2**64, 422)):
            assert client.get("/api/notes", params={"offset": offset}).status_code == status
        assert client.get(f"/api/notes/{2**63}").status_code == 422
        assert client.patch("/api/notes/999", json={"done": True}).status_code == 404


def test_a_value_the_model_refuses_is_a_422_naming_the_field(demo: ModuleType) -> None:
    with TestClient(demo.app) as client:
        note = client.post("/api/notes", json={"title": "Buy milk"}).json()
        for body, field in [({"done": "notabool"}, "done"), ({"title": "x" * 201}, "title")]:
            reply = client.patch(f"/api/notes/{note['id']}", json=body)
            assert reply.status_code == 422, reply.text
            assert reply.headers["content-type"] == "application/problem+json"
            assert [e["loc"] for e in reply.json()["errors"]] == [["body", field]]
        assert client.get(f"/api/notes/{note['id']}").json() == note  # nothing was written


def test_the_model_is_the_body_and_the_server_sets_its_own_fields(demo: ModuleType) -> None:
    with TestClient(demo.app) as client:
        refused = client.post("/api/notes", json={"title": "x", "done": True, "id": 7})
        assert refused.status_code == 422
        assert {tuple(e["loc"]): e["type"] for e in refused.json()["errors"]} == {
            ("body", "done"): "extra_forbidden",  # NoteIn: a new note is never done
            ("body", "id"): "extra_forbidden",
        }
        note = client.post("/api/notes", json={"title": "x"}).json()
        assert set(note) == {"id", "title", "body", "done", "created_at"}
        changed = client.patch(f"/api/notes/{note['id']}", json={"created_at": "2000-01-01"})
        assert changed.json()["errors"][0]["type"] == "read_only"
        schemas = demo.app.openapi()["components"]["schemas"]
        assert set(schemas["NoteInWrite"]["properties"]) == {"title", "body"}
        assert schemas["NoteInWrite"]["properties"]["title"]["pattern"] == r"\S"
        assert set(schemas["NotePatch"]["properties"]) == {"title", "body", "done"}

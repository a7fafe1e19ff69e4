"""The demo application that ./scripts/demo runs works end to end on SQLite."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from covet.http.testing import TestClient

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo" / "app.py"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("COVET_DEMO_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    spec = importlib.util.spec_from_file_location("covet_demo_app", DEMO)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "covet_demo_app", module)
    spec.loader.exec_module(module)
    return module


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

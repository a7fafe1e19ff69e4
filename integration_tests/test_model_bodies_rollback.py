"""Model bodies under the pytest plugin's ``db`` fixture: rows written through a model body and
read back as a QuerySet result (loaded through the async API) are the test's, rolled back after
it, for ``def`` and ``async def`` handlers alike."""

from __future__ import annotations

from typing import Any

import pytest

from covet.http import Covet
from covet.http.testing import TestClient
from covet.orm import CharField, Database, Model


class Memo(Model):
    text = CharField(max_length=20)

    class Meta:
        table_name = "bodies_memo_rollback"
        ordering = ["id"]


@pytest.fixture(scope="session")
def covet_models() -> list[type[Model]]:
    return [Memo]


def make_app() -> Covet:
    app = Covet()

    @app.post("/memos", status_code=201, response_model=Memo)
    def add(data: Memo) -> Memo:
        data.save()
        return data

    @app.get("/memos", response_model=list[Memo])
    def memos() -> Any:
        return Memo.objects.all()  # loaded on the loop through the async API

    @app.get("/async/memos", response_model=list[Memo])
    async def async_memos() -> Any:
        return Memo.objects.all()

    return app


@pytest.mark.parametrize("run", [1, 2])
def test_rows_written_through_a_body_are_rolled_back(db: Database, run: int) -> None:
    assert Memo.objects.count() == 0  # the other run's row is gone
    with TestClient(make_app()) as client:
        assert client.post("/memos", json={"text": f"run {run}"}).status_code == 201
        assert [m["text"] for m in client.get("/memos").json()] == [f"run {run}"]
        assert [m["text"] for m in client.get("/async/memos").json()] == [f"run {run}"]
    assert Memo.objects.get().text == f"run {run}"

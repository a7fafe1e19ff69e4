"""ORM errors become the right HTTP answers in a covet.http app, with no exception handler in the
app (issue 12 §2): 422 per field, 409 for a unique violation, 404 for DoesNotExist, 503 with
Retry-After for a database that cannot be reached (logged once, not once per request)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from covet.http import Covet, Request, _errors, problem_response
from covet.http.testing import TestClient
from covet.orm import CharField, Database, IntegrityError, Model

from ._servers import server_database

PROBLEM = "application/problem+json"


class Account(Model):
    email = CharField(max_length=50, unique=True)
    name = CharField(max_length=10)

    class Meta:
        table_name = "errors_account"


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with server_database(request.param, "errors", tmp_path) as url:
        database = Database(url, default=True)
        database.create_tables([Account])
        try:
            yield database
        finally:
            database.close()


def make_app() -> Covet:
    app = Covet()

    @app.post("/accounts", status_code=201)
    async def create(data: dict[str, Any]) -> dict[str, Any]:
        account = Account(**data)
        account.full_clean()
        account.save()
        return account.to_dict()

    @app.post("/unchecked")
    def create_unchecked(data: dict[str, Any]) -> dict[str, Any]:  # no full_clean: the database
        return Account.objects.create(**data).to_dict()

    @app.get("/accounts/{pk:int}")
    async def read(pk: int) -> dict[str, Any]:
        return (await Account.objects.aget(pk=pk)).to_dict()

    @app.get("/accounts")
    async def search(id: str) -> list[dict[str, Any]]:  # a str passed on to an integer field
        return [a.to_dict() async for a in Account.objects.filter(id=id)]

    @app.get("/by-key/{key}")
    async def by_key(key: str) -> dict[str, Any]:
        return (await Account.objects.aget(pk=key)).to_dict()

    return app


def _problem(reply: Any, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


def test_orm_errors_answer_for_themselves(db: Database) -> None:
    with TestClient(make_app()) as client:
        assert client.post("/accounts", json={"email": "a@x", "name": "ada"}).status_code == 201

        taken = _problem(client.post("/accounts", json={"email": "a@x", "name": "eve"}), 409)
        assert taken["fields"] == ["email"]
        taken = _problem(client.post("/unchecked", json={"email": "a@x", "name": "eve"}), 409)
        assert taken["fields"] == ["email"]

        long_name = _problem(client.post("/accounts", json={"email": "b@x", "name": "x" * 11}), 422)
        assert [e["loc"] for e in long_name["errors"]] == [["body", "name"]]
        unknown = _problem(client.post("/accounts", json={"email": "b@x", "admin": True}), 422)
        assert [e["loc"] for e in unknown["errors"]] == [["body", "admin"]]
        null = _problem(client.post("/unchecked", json={"email": "b@x", "name": None}), 422)
        assert [e["loc"] for e in null["errors"]] == [["body", "name"]]

        missing = _problem(client.get("/accounts/999"), 404)
        assert missing["detail"] == "Account matching query does not exist"

        # a filter value from the query string or the path is not said to be from the body
        bad_filter = _problem(client.get("/accounts", params={"id": "many"}), 422)
        assert [e["loc"] for e in bad_filter["errors"]] == [["id"]]
        assert "id='many'" in bad_filter["errors"][0]["msg"]
        bad_key = _problem(client.get("/by-key/many"), 422)
        assert [e["loc"] for e in bad_key["errors"]] == [["id"]]
    assert Account.objects.count() == 1


def test_a_handler_overrides_a_mapping(db: Database) -> None:
    app = make_app()

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> Any:
        return problem_response(400, "my own answer")

    with TestClient(app) as client:
        client.post("/accounts", json={"email": "a@x", "name": "ada"})
        reply = client.post("/accounts", json={"email": "a@x", "name": "eve"})
    assert reply.status_code == 400 and reply.json()["detail"] == "my own answer"


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
def test_an_unreachable_database_is_503_logged_once(
    scheme: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_errors, "outages", _errors.OutageLog(interval=3600))
    down = Database(f"{scheme}://nobody@127.0.0.1:1/none", default=True, connect_timeout=2)
    try:
        with TestClient(make_app()) as client, caplog.at_level(logging.ERROR, "covet.http"):
            for _ in range(3):
                reply = client.get("/accounts/1")
                body = _problem(reply, 503)
                assert reply.headers["retry-after"] == "5"
                assert "127.0.0.1" not in reply.text and "nobody" not in reply.text
                assert body["title"] == "Database unavailable"
    finally:
        down.close()
    logged = [r for r in caplog.records if "answered 503" in r.getMessage()]
    assert len(logged) == 1

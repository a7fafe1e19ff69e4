"""The two protocols through which other packages cooperate with covet.http without importing it
(or being imported): exceptions that know their problem answer (``__problem__``), and the
``covet.http.extensions`` entry points that wrap every app."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from covet.http import ConfigurationError, Covet, Request, _errors, _extensions, problem_response
from covet.http.testing import TestClient


class Conflict(Exception):
    def __problem__(self) -> dict[str, Any]:
        return {"status": 409, "detail": "taken", "fields": ["email"]}


class Unavailable(Exception):
    def __problem__(self) -> tuple[dict[str, Any], dict[str, str]]:
        return {"status": 503, "title": "Database unavailable"}, {"Retry-After": "5"}


class NoAnswer(Exception):
    def __problem__(self) -> None:
        return None


class Broken(Exception):
    def __problem__(self) -> dict[str, Any]:
        raise RuntimeError("broken")


class NotAStatus(Exception):
    def __problem__(self) -> dict[str, Any]:
        return {"status": 200}


def raising_app(**options: Any) -> Covet:
    app = Covet(**options)

    @app.get("/raise/{kind}")
    async def raise_(kind: str) -> None:
        raise {
            "conflict": Conflict,
            "unavailable": Unavailable,
            "none": NoAnswer,
            "broken": Broken,
            "status": NotAStatus,
        }[kind]("internal detail")

    @app.get("/sync/conflict")
    def sync_conflict() -> None:
        raise Conflict()

    return app


def test_an_exception_answers_with_its_own_problem() -> None:
    with TestClient(raising_app()) as client:
        for path in ("/raise/conflict", "/sync/conflict"):
            reply = client.get(path)
            assert reply.status_code == 409
            assert reply.headers["content-type"] == "application/problem+json"
            assert reply.json() == {
                "type": "about:blank",
                "title": "Conflict",
                "status": 409,
                "detail": "taken",
                "fields": ["email"],
            }


def test_a_problem_carries_its_headers() -> None:
    with TestClient(raising_app()) as client:
        reply = client.get("/raise/unavailable")
    assert reply.status_code == 503 and reply.headers["retry-after"] == "5"
    assert reply.json()["title"] == "Database unavailable"


@pytest.mark.parametrize("kind", ["none", "broken", "status"])
def test_no_usable_problem_is_a_plain_500(kind: str) -> None:
    with TestClient(raising_app(), raise_server_exceptions=False) as client:
        reply = client.get(f"/raise/{kind}")
    assert reply.status_code == 500 and "internal detail" not in reply.text


def test_a_handler_for_the_class_or_the_status_comes_first() -> None:
    app = raising_app()

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Exception) -> Any:
        return problem_response(400, "mine")

    @app.exception_handler(503)
    def unavailable(request: Request, exc: Exception) -> Any:
        return problem_response(503, "down for maintenance", headers={"Retry-After": "60"})

    with TestClient(app) as client:
        assert client.get("/raise/conflict").json()["detail"] == "mine"
        reply = client.get("/raise/unavailable")
    assert reply.json()["detail"] == "down for maintenance"
    assert reply.headers["retry-after"] == "60"


def test_a_catch_all_handler_keeps_its_hands_off_answered_errors() -> None:
    app = raising_app()

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Any:
        return problem_response(500, "sorry")

    with TestClient(app) as client:
        assert client.get("/raise/conflict").status_code == 409
        assert client.get("/raise/none").json()["detail"] == "sorry"  # no answer: an error


def test_server_problems_are_logged_once_per_window(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_errors, "outages", _errors.OutageLog(interval=3600))
    with TestClient(raising_app()) as client, caplog.at_level(logging.ERROR, "covet.http"):
        for _ in range(5):
            assert client.get("/raise/unavailable").status_code == 503
        assert client.get("/raise/conflict").status_code == 409  # a 4xx is not logged
        records = [r for r in caplog.records if "answered 503" in r.getMessage()]
        assert len(records) == 1 and records[0].exc_info is not None
        _errors.outages.interval = 0
        client.get("/raise/unavailable")
    last = [r for r in caplog.records if "answered 503" in r.getMessage()][-1]
    assert "(4 more since the last report)" in last.getMessage()


# -- extensions ----------------------------------------------------------------------------------


class Tagging:
    """An extension: a pure-ASGI middleware that adds a response header."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-tag", b"on")]
            await send(message)

        await self.app(scope, receive, tagged)


@pytest.fixture
def tagging(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = (*_extensions.installed(), ("tagging", Tagging))
    monkeypatch.setattr(_extensions, "installed", lambda: installed)


def ping_app(**options: Any) -> Covet:
    app = Covet(**options)

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    return app


@pytest.mark.usefixtures("tagging")
@pytest.mark.parametrize(
    ("extensions", "tagged"),
    [(True, True), ({"tagging": True}, True), ({"tagging": False}, False), (False, False)],
)
def test_installed_extensions_wrap_every_app(extensions: Any, tagged: bool) -> None:
    with TestClient(ping_app(extensions=extensions)) as client:
        assert ("x-tag" in client.get("/ping").headers) is tagged


def test_asking_for_a_missing_extension_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not installed"):
        ping_app(extensions={"nope": True}).build_middleware_stack()
    ping_app(extensions={"nope": False}).build_middleware_stack()  # off: nothing to refuse

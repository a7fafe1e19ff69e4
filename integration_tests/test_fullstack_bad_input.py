"""Bad input through the full-stack example into the ORM, on SQLite, PostgreSQL and MariaDB
(issue 11): wrong JSON types, ids that are not integers or do not fit 64 bits, NaN and Infinity,
lone surrogates, over-long strings and NUL characters. Every one is a clear 4xx (never a 500) and
leaves the tables as they were."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from covet.auth import PasswordHasher
from covet.http.testing import TestClient

from ._servers import server_database

ROOT = Path(__file__).resolve().parent.parent
GOOD = {"url": "https://a.example/x", "title": "A", "notes": "n", "tags": ["t"]}


def fullstack_module() -> ModuleType:
    """examples/fullstack/app.py, loaded once per process (test_fullstack.py shares it)."""
    found = sys.modules.get("covet_fullstack_app")
    if found is not None:
        return found
    path = ROOT / "examples" / "fullstack" / "app.py"
    spec = importlib.util.spec_from_file_location("covet_fullstack_app", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["covet_fullstack_app"] = module
    spec.loader.exec_module(module)
    return module


fullstack = fullstack_module()


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with server_database(request.param, "bad", tmp_path) as url:
        yield url


class Session:
    """A signed-in client of the example app with one bookmark of its own."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        reply = client.post("/auth/signup", json={"username": "ada", "password": "x" * 10})
        assert reply.status_code == 201, reply.text
        token = client.post("/auth/token", json={"username": "ada", "password": "x" * 10})
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        created = client.post("/bookmarks", json=GOOD, headers=self.headers)
        assert created.status_code == 201, created.text
        self.good = created.json()
        self.path = f"/bookmarks/{self.good['id']}"

    def send(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        if "content" in kwargs:
            headers["content-type"] = "application/json"
        return self.client.request(method, path, headers=headers, **kwargs)

    def state(self) -> tuple[int, list[dict[str, Any]], int]:
        """What the tables hold, read straight through the ORM."""
        rows = [b.to_dict() for b in fullstack.Bookmark.objects.order_by("id")]
        return fullstack.User.objects.count(), rows, len(rows)


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    app = fullstack.create_app(database_url, password_hasher=PasswordHasher.for_testing())
    with TestClient(app, base_url="https://testserver") as client:
        yield Session(client)


def body(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def raw(text: str) -> dict[str, Any]:
    """A JSON body sent as written (NaN, lone surrogate escapes, huge numbers)."""
    return {"content": text.encode()}


BIG = [2**63, -(2**63) - 1, 2**64, 10**30]
# (method, path template ({id}: the user's bookmark), request options, allowed statuses)
CASES: list[tuple[str, str, dict[str, Any], set[int]]] = [
    # wrong JSON types
    ("POST", "/bookmarks", {"json": body(title=0)}, {422}),
    ("POST", "/bookmarks", {"json": body(notes=0)}, {422}),
    ("POST", "/bookmarks", {"json": body(tags=[0])}, {422}),
    ("POST", "/bookmarks", {"json": body(tags="t")}, {422}),
    ("POST", "/bookmarks", {"json": body(url=None)}, {422}),
    ("POST", "/bookmarks", {"json": [GOOD]}, {422}),
    ("PATCH", "{id}", {"json": {"title": 0}}, {422}),
    ("PATCH", "{id}", {"json": {"tags": {"a": 1}}}, {422}),
    ("POST", "/auth/signup", {"json": {"username": 0, "password": "x" * 10}}, {422}),
    # a trailing newline after a value checked by a pattern (``$`` in Python allows one)
    ("POST", "/bookmarks", {"json": body(url="https://a.example/x\n")}, {422}),
    ("PATCH", "{id}", {"json": {"url": "https://a.example\n"}}, {422}),
    ("POST", "/auth/signup", {"json": {"username": "eve\n", "password": "x" * 10}}, {422}),
    # ids that are not integers
    ("GET", "/bookmarks/1abc", {}, {404}),
    ("PATCH", "/bookmarks/1abc", {"json": {"title": "x"}}, {404}),
    ("DELETE", "/bookmarks/1.0", {}, {404}),
    ("GET", "/bookmarks/%201", {}, {404}),
    # integers beyond 64 bits, in paths and in bodies
    *[("GET", f"/bookmarks/{n}", {}, {404}) for n in BIG],
    *[("PATCH", f"/bookmarks/{n}", {"json": {"title": "x"}}, {404}) for n in BIG],
    *[("DELETE", f"/bookmarks/{n}", {}, {404}) for n in BIG],
    *[("POST", f"/bookmarks/{n}/visit", {}, {404}) for n in BIG],
    *[("POST", "/bookmarks", {"json": body(title=n)}, {422}) for n in BIG],
    *[("POST", "/bookmarks", {"json": body(tags=[n])}, {422}) for n in BIG],
    ("POST", "/bookmarks", raw('{"url": "https://a.example", "title": 1e400}'), {422}),
    # NaN and Infinity are not JSON (invalid JSON is a 422 naming the body, as in FastAPI)
    *[
        (
            "POST",
            "/bookmarks",
            raw(f'{{"url": "https://a.example", "title": "t", "x": {v}}}'),
            {400, 422},
        )
        for v in ("NaN", "Infinity", "-Infinity")
    ],
    ("PATCH", "{id}", raw('{"title": NaN}'), {400, 422}),
    # lone surrogates: in JSON strings (with and without a 19-digit number beside them), in the
    # query string and the path (percent-encoded UTF-8 of a surrogate is not UTF-8)
    ("POST", "/bookmarks", raw('{"url": "https://a.example", "title": "\\ud800"}'), {400, 422}),
    (
        "POST",
        "/bookmarks",
        raw('{"url": "https://a.example", "title": "t", "notes": "\\udfff"}'),
        {400, 422},
    ),
    (
        "POST",
        "/bookmarks",
        raw(
            '{"url": "https://a.example", "title": "t", "tags": ["\\ud800"], '
            '"n": 12345678901234567890}'
        ),
        {400, 422},
    ),
    ("PATCH", "{id}", raw('{"notes": "a\\ud800b"}'), {400, 422}),
    ("POST", "/auth/signup", raw('{"username": "\\ud800", "password": "xxxxxxxxxx"}'), {400, 422}),
    (
        "POST",
        "/auth/token",
        raw('{"username": "\\ud800", "password": "12345678901234567890"}'),
        {400, 401, 422},
    ),
    ("GET", "/bookmarks?q=%ED%A0%80", {}, {200, 400, 422}),
    ("GET", "/bookmarks/%ED%A0%80", {}, {404}),
    # over-long strings
    ("POST", "/bookmarks", {"json": body(title="x" * 201)}, {422}),
    ("POST", "/bookmarks", {"json": body(url="https://a.example/" + "x" * 2000)}, {422}),
    ("PATCH", "{id}", {"json": {"title": "é" * 201}}, {422}),
    ("POST", "/auth/signup", {"json": {"username": "u" * 151, "password": "x" * 10}}, {422}),
    (
        "POST",
        "/auth/signup",
        {"json": {"username": "eve", "password": "x" * 10, "email": "a" * 250 + "@b.cd"}},
        {422},
    ),
    # NUL characters (PostgreSQL refuses them in text and jsonb)
    ("POST", "/bookmarks", {"json": body(title="a\x00b")}, {422}),
    ("POST", "/bookmarks", {"json": body(notes="\x00")}, {422}),
    ("POST", "/bookmarks", {"json": body(tags=["a\x00"])}, {422}),
    ("PATCH", "{id}", {"json": {"notes": "x\x00"}}, {422}),
    ("PATCH", "{id}", {"json": {"tags": ["\x00"]}}, {422}),
    (
        "POST",
        "/auth/signup",
        {"json": {"username": "eve", "password": "x" * 10, "email": "e\x00@b.cd"}},
        {422},
    ),
    ("GET", "/bookmarks?q=a%00", {}, {200}),  # no stored text holds NUL: nothing matches
]


def test_bad_input_is_a_4xx_and_writes_nothing(session: Session) -> None:
    before = session.state()
    failures = []
    for method, template, options, allowed in CASES:
        path = template.replace("{id}", session.path)
        reply = session.send(method, path, **options)
        if reply.status_code not in allowed:
            failures.append(f"{method} {path} {options}: {reply.status_code} {reply.text[:200]}")
        elif reply.status_code >= 400:
            assert reply.headers["content-type"] == "application/problem+json", path
    assert not failures, "\n".join(failures)
    assert session.state() == before  # nothing half-written, nothing changed
    # and the app still works
    assert session.send("GET", session.path).json() == session.good


def test_the_example_app_runs_twice(database_url: str) -> None:
    """Its lifespan closes the database (``await db.aclose()``); the same app started again (a
    test client per test, a reloading server) reopens it, on every database."""
    app = fullstack.create_app(database_url, password_hasher=PasswordHasher.for_testing())
    with TestClient(app, base_url="https://testserver") as client:
        first = Session(client)
    for _ in range(2):
        with TestClient(app, base_url="https://testserver") as client:
            token = client.post("/auth/token", json={"username": "ada", "password": "x" * 10})
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            assert client.get(first.path, headers=headers).json() == first.good
            listed = client.get("/bookmarks", headers=headers)  # the sync API: the sync pool
            assert listed.status_code == 200 and len(listed.json()) == 1

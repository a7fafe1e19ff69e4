"""Contract tests: the example apps keep what their OpenAPI documents promise.

Schemathesis generates requests from each operation of the document, valid ones and invalid
ones, sends them through the app (with its lifespan, on SQLite) and checks every answer: no 500,
a documented status code and content type, a body that matches the documented schema, valid
input accepted and invalid input refused. The number of examples is bounded, and on CI
(``CI=true``) the generation is derandomized by the repository's Hypothesis profile, so a run
passes or fails the same way every time.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.config import SchemathesisConfig

from covet.http import Covet
from covet.http.testing import TestClient
from covet.middleware import SecurityHeadersMiddleware

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
MAX_EXAMPLES = 25  # per operation and mode: about 30 s for both apps on a quiet machine
#: checks that send requests of their own over the network (the apps here run in-process)
OWN_CALLS = [
    checks.ensure_resource_availability,
    checks.use_after_free,
    checks.ignored_auth,
    checks.unsupported_method,
]


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def send(client: TestClient, case: Any, headers: dict[str, str]) -> Any:
    """Send a generated case with the covet test client (which runs the app's lifespan)."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    method, url = kwargs.pop("method"), kwargs.pop("url")
    for option in ("timeout", "allow_redirects", "verify"):
        kwargs.pop(option, None)
    cookies = kwargs.pop("cookies", None)
    if cookies:
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        kwargs.setdefault("headers", {})["cookie"] = cookie
    data = kwargs.pop("data", None)
    if isinstance(data, bytes | str):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    return client.request(method, url, **kwargs)


#: covet-orm refuses NUL in text (no PostgreSQL text column can hold it, so no database is
#: allowed to): a schema-valid string in these apps has none (docs/openapi.md)
CONFIG = SchemathesisConfig.from_dict({"generation": {"allow-x00": False}})


def _exercise(
    operation: Any,
    mode: GenerationMode,
    client: TestClient,
    headers: dict[str, str],
    seen: set[int],
) -> None:
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = send(client, case, headers)
        seen.add(response.status_code)
        case.validate_response(response, headers=headers, excluded_checks=OWN_CALLS)

    run()


def check_contract(
    app: Covet, client: TestClient, headers: dict[str, str] | None = None, last: str = ""
) -> dict[str, set[int]]:
    """Run every operation (``last`` at the end); return the statuses seen per operation."""
    schema = schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: operation.label == last)
    seen: dict[str, set[int]] = {}
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{mode.value} {operation.label}"
            try:
                _exercise(operation, mode, client, headers or {}, seen.setdefault(label, set()))
            except Unsatisfiable:  # no invalid request exists (no parameters, no body)
                continue
            except BaseException as exc:  # schemathesis reports a group of failures
                failures.append(f"{label}:\n{exc}")
    assert not failures, "\n\n".join(failures)
    return seen


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("COVET_DEMO_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.delitem(sys.modules, "covet_contract_demo", raising=False)
    return load("covet_contract_demo", EXAMPLES / "demo" / "app.py")


@pytest.fixture
def fullstack(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("BOOKMARKS_TEST_HASHER", "1")
    monkeypatch.delitem(sys.modules, "covet_contract_fullstack", raising=False)
    return load("covet_contract_fullstack", EXAMPLES / "fullstack" / "app.py")


@pytest.mark.slow
def test_the_demo_keeps_its_contract(demo: ModuleType) -> None:
    with TestClient(demo.app, raise_server_exceptions=False) as client:
        client.post("/api/notes", json={"title": "seed"})
        seen = check_contract(demo.app, client)
    assert 200 in seen["positive GET /api/notes"]
    assert 201 in seen["positive POST /api/notes"]
    assert 422 in seen["negative GET /api/notes"]


@pytest.mark.slow
def test_the_fullstack_example_keeps_its_contract(fullstack: ModuleType, tmp_path: Path) -> None:
    app = fullstack.create_app(
        f"sqlite:///{tmp_path / 'bookmarks.db'}",
        secret="k" * 64,
        login_rate=(1_000_000, 60),
        lockout_delay=0.01,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert (
            client.post(
                "/auth/signup", json={"username": "ann", "password": "correct horse"}
            ).status_code
            == 201
        )
        login = client.post("/auth/token", data={"username": "ann", "password": "correct horse"})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        client.post("/bookmarks", json={"url": "https://a.example", "title": "a"}, headers=auth)
        seen = check_contract(app, client, auth, last="POST /auth/logout")
    # the token worked until the logout ran last: the guarded routes were really exercised
    assert 200 in seen["positive GET /bookmarks"]
    assert 201 in seen["positive POST /bookmarks"]
    assert 422 in seen["negative POST /bookmarks"]


@pytest.mark.slow
def test_the_bookshop_keeps_its_contract_and_filters_its_records() -> None:
    bookshop = load("covet_contract_bookshop", EXAMPLES / "bookshop" / "app.py")
    app = bookshop.create_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        created = client.post(
            "/admin/books",
            json={"title": "Dune", "author": "Herbert", "genre": "fiction", "price_cents": 999,
                  "cost_cents": 400, "stock": 3},
        )  # fmt: skip
        assert created.status_code == 201
        book = created.json()
        assert book == {
            "id": 1,
            "title": "Dune",
            "author": "Herbert",
            "genre": "fiction",
            "price_cents": 999,
            "in_stock": True,
        }  # no cost price, no supplier
        assert client.get("/books").json() == [{"id": 1, "title": "Dune"}]
        assert client.get("/books/1").json() == book
        assert "/health" not in app.openapi()["paths"]
        seen = check_contract(app, client)
    assert 200 in seen["positive GET /books/{book_id}"] | seen["positive GET /books"]
    assert 201 in seen["positive POST /admin/books"]


def test_docs_pages_keep_their_policy_under_the_security_headers_middleware() -> None:
    app = Covet(title="Pets", docs_assets="local")

    @app.get("/pets")
    async def pets() -> list[str]:
        return ["rex"]

    app.add_middleware(SecurityHeadersMiddleware, content_security_policy="default-src 'self'")
    client = TestClient(app)
    page = client.get("/docs")
    assert page.headers["content-security-policy"].startswith(
        "default-src 'none'; script-src 'self';"
    )
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/pets").headers["content-security-policy"] == "default-src 'self'"
    # every asset the pages load is served by the app itself
    for path in ("/docs", "/redoc"):
        urls = re.findall(r'(?:src|href|spec-url)="([^"]+)"', client.get(path).text)
        assert urls and all(url.startswith("/") for url in urls)
        for url in urls:
            reply = client.get(url)
            assert reply.status_code == 200, url
            assert len(reply.content) > 100

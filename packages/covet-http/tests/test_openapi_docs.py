"""Serving the document and the docs pages: URLs, root paths, assets, CSP, and ``covet openapi``."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from covet.http import ConfigurationError, Covet
from covet.http._cli import openapi_command
from covet.http._openapi import _docs
from covet.http.testing import TestClient


def make_app(**options: object) -> Covet:
    app = Covet(title="Pets <&>", **options)  # type: ignore[arg-type]

    @app.get("/pets")
    async def pets() -> list[str]:
        return ["rex"]

    return app


def test_document_and_pages_at_their_default_urls() -> None:
    client = TestClient(make_app())
    document = client.get("/openapi.json")
    assert document.headers["content-type"] == "application/json"
    assert list(document.json()["paths"]) == ["/pets"]
    page = client.get("/docs")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Pets &lt;&amp;&gt; - Swagger UI</title>" in page.text
    assert f'src="{_docs.SWAGGER_CDN}/swagger-ui-bundle.js"' in page.text
    config = json.loads(
        re.search(r'data-config="([^"]*)"', page.text).group(1).replace("&quot;", '"')  # type: ignore[union-attr]
    )
    assert config["url"] == "/openapi.json" and config["dom_id"] == "#swagger-ui"
    init = client.get("/docs/swagger-init.js")
    assert init.headers["content-type"].startswith("text/javascript")
    assert "SwaggerUIBundle(config)" in init.text
    redoc = client.get("/redoc")
    assert '<redoc spec-url="/openapi.json"></redoc>' in redoc.text
    assert f'src="{_docs.REDOC_CDN}/redoc.standalone.js"' in redoc.text
    assert client.head("/openapi.json").status_code == 200


def test_pages_have_no_inline_script_and_their_own_policy() -> None:
    client = TestClient(make_app(servers=[{"url": "https://api.example.com/v1"}]))
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.DOTALL)
        assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
        assert "style=" not in page.text and "<style" not in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self' https://cdn.jsdelivr.net;" in policy
        assert "connect-src 'self' https://api.example.com;" in policy
        assert "unsafe-eval" not in policy


def test_local_assets_are_the_installed_packages_files() -> None:
    client = TestClient(make_app(docs_assets="local"))
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in bundle.content[:2000]
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.get("/redoc/assets/redoc.standalone.js").status_code == 200
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
    assert client.get("/docs/assets/index.html").status_code == 404


def test_local_assets_refused_at_start_up_without_their_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_docs, "_redoc_file", lambda: None)
    with pytest.raises(ConfigurationError, match=r"drf-spectacular-sidecar.*redoc_url=None"):
        make_app(docs_assets="local")
    make_app(docs_assets="local", redoc_url=None)  # Swagger UI alone is fine
    monkeypatch.setattr(_docs, "_swagger_dir", lambda: None)
    with pytest.raises(ConfigurationError, match=r"covet-http\[docs\]"):
        make_app(docs_assets="local", redoc_url=None)
    with pytest.raises(ConfigurationError, match="docs_assets"):
        make_app(docs_assets="elsewhere")


def test_urls_can_move_or_be_turned_off() -> None:
    client = TestClient(make_app(openapi_url="/api/schema", docs_url="/api/docs", redoc_url=None))
    assert client.get("/api/schema").status_code == 200
    assert 'data-config="' in client.get("/api/docs").text
    assert "/api/schema" in client.get("/api/docs").text
    assert client.get("/redoc").status_code == 404
    off = TestClient(make_app(openapi_url=None))
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert off.get(path).status_code == 404
    assert make_app(openapi_url=None).openapi()["paths"]  # still available in code
    with pytest.raises(ConfigurationError, match="docs_url"):
        make_app(docs_url="docs")


def test_root_path_reaches_the_document_and_the_pages() -> None:
    outer = Covet(openapi_url=None)
    outer.mount("/api", make_app(docs_assets="local"))
    client = TestClient(outer)
    document = client.get("/api/openapi.json").json()
    assert document["servers"] == [{"url": "/api"}]
    page = client.get("/api/docs").text
    assert "/api/openapi.json" in page and 'src="/api/docs/assets/swagger-ui-bundle.js"' in page
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200
    assert "servers" not in TestClient(make_app()).get("/openapi.json").json()
    configured = make_app(servers=[{"url": "https://x.example"}])
    outer = Covet(openapi_url=None)
    outer.mount("/api", configured)
    assert TestClient(outer).get("/api/openapi.json").json()["servers"] == [
        {"url": "https://x.example"}
    ]


def test_swagger_ui_parameters_are_passed_on() -> None:
    page = TestClient(make_app(swagger_ui_parameters={"deepLinking": False})).get("/docs").text
    assert "&quot;deepLinking&quot;: false" in page


def test_a_user_route_on_the_docs_url_is_refused() -> None:
    app = Covet()
    with pytest.raises(ConfigurationError, match="/docs"):
        app.get("/docs")(lambda: "mine")
    mine = Covet(docs_url=None)
    mine.get("/docs")(lambda: "mine")
    assert TestClient(mine).get("/docs").text == "mine"


APP = textwrap.dedent(
    """
    from covet.http import Covet

    app = Covet(title="CLI")

    @app.get("/hello")
    async def hello(name: str = "world") -> str:
        return "hello " + name

    broken = object()
    """
)


def test_the_openapi_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cli_openapi_app.py").write_text(APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert openapi_command(["cli_openapi_app:app", "--app-dir", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["info"]["title"] == "CLI" and "/hello" in printed["paths"]
    target = tmp_path / "schema.json"
    assert openapi_command(["cli_openapi_app", "-o", str(target), "--indent", "0"]) == 0
    assert json.loads(target.read_text()) == printed
    assert openapi_command(["cli_openapi_app:broken"]) == 1
    assert "not a Covet app" in capsys.readouterr().err

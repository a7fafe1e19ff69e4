"""Host routing: virtual hosts, host parameters, url_for across hosts."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from covet.http import (
    ConfigurationError,
    Covet,
    Host,
    NoMatchFound,
    Path,
    PlainTextResponse,
    Request,
    Route,
    Router,
    WebSocket,
)
from covet.http.testing import TestClient


async def www_home(request: Request) -> dict[str, str]:
    return {"site": "www", "api_users": str(request.url_for("api:users"))}


async def www_users() -> str:
    return "All users"


async def api_users(request: Request) -> dict[str, Any]:
    return {"users": ["tom"], "home": str(request.url_for("home"))}


async def tenant_page(tenant: Annotated[str, Path()], request: Request) -> dict[str, str]:
    return {"tenant": tenant, "self": str(request.url_for("tenants:page", tenant=tenant))}


def make_app() -> Covet:
    app = Covet()
    app.host("api.example.org", Router([Route("/users", api_users, name="users")]), name="api")
    app.host(
        "{tenant}.shop.example.org", Router([Route("/", tenant_page, name="page")]), name="tenants"
    )
    app.host("port.example.org:3600", PlainTextResponse("port"), name="port")
    app.add_route("/", www_home, name="home")
    app.add_route("/users", www_users)
    return app


def test_a_host_owns_every_request_for_it() -> None:
    api = TestClient(make_app(), base_url="https://api.example.org")
    assert api.get("/users").json() == {"users": ["tom"], "home": "https://api.example.org/"}
    assert api.get("/").status_code == 404  # the app's own "/" is not served on the API host
    www = TestClient(make_app(), base_url="https://www.example.org")
    assert www.get("/users").text == "All users"
    assert www.get("/").json() == {
        "site": "www",
        "api_users": "https://api.example.org/users",
    }


def test_host_matching_ignores_case_and_port() -> None:
    app = make_app()
    for host in ("API.Example.ORG", "api.example.org:8443", "api.example.org:000080"):
        reply = TestClient(app).get("/users", headers={"host": host})
        assert reply.json()["users"] == ["tom"], host
    assert TestClient(app, base_url="http://port.example.org:5600").get("/").text == "port"


def test_host_parameters_are_path_parameters() -> None:
    client = TestClient(make_app(), base_url="https://acme.shop.example.org")
    assert client.get("/").json() == {
        "tenant": "acme",
        "self": "https://acme.shop.example.org/",
    }
    # a parameter is one label: a.b.shop.example.org is not a tenant
    other = TestClient(make_app(), base_url="https://a.b.shop.example.org")
    assert other.get("/").json()["site"] == "www"


def test_reverse_urls_across_hosts() -> None:
    app = make_app()
    users = app.url_path_for("api:users")
    assert (users, users.host) == ("/users", "api.example.org")
    assert users.make_absolute_url("https://whatever") == "https://api.example.org/users"
    page = app.url_path_for("tenants:page", tenant="acme")
    assert page.make_absolute_url("http://x") == "http://acme.shop.example.org/"
    assert app.url_path_for("port", path="/a").make_absolute_url("http://x") == (
        "http://port.example.org:3600/a"
    )
    with pytest.raises(NoMatchFound):
        app.url_path_for("tenants:page")  # the host parameter is missing
    with pytest.raises(NoMatchFound):
        app.url_path_for("tenants:page", tenant="a.b")  # not one label
    with pytest.raises(NoMatchFound):
        app.url_path_for("api", path="/x", extra=1)


def test_ip_literal_hosts() -> None:
    app = Router(
        [
            Host("[::1]", PlainTextResponse("loopback")),
            Host("[2001:db8::1]", PlainTextResponse("documentation")),
            Host("127.0.0.1", PlainTextResponse("v4")),
        ]
    )
    assert TestClient(app, base_url="http://[::1]:8000").get("/").text == "loopback"
    assert TestClient(app, base_url="http://[2001:DB8::1]").get("/").text == "documentation"
    assert TestClient(app, base_url="http://127.0.0.1").get("/").text == "v4"
    assert TestClient(app).get("/").status_code == 404


def test_int_host_parameter_and_websocket_routes() -> None:
    async def shard(n: Annotated[int, Path()], websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"n": n, "url": str(websocket.url_for("shards:live", n=n))})
        await websocket.close()

    inner = Router()
    inner.add_websocket_route("/live", shard, name="live")
    with pytest.raises(ConfigurationError):  # a parameter must be a whole label
        Covet().host("shard{n:int}.example.org", inner, name="shards")

    app = Covet()
    app.host("{n:int}.shards.example.org", inner, name="shards")
    client = TestClient(app, base_url="http://7.shards.example.org")
    with client.websocket_connect("/live") as ws:
        assert ws.receive_json() == {"n": 7, "url": "ws://7.shards.example.org/live"}
    assert TestClient(app, base_url="http://x.shards.example.org").get("/").status_code == 404


def test_host_patterns_are_checked_when_registered() -> None:
    for bad in ("/users", "exa mple.org", "{a b}.example.org", "{p:path}.example.org", "a:b:c"):
        with pytest.raises(ConfigurationError):
            Host(bad, PlainTextResponse("x"))
    app = Covet()
    app.host("api.example.org", PlainTextResponse("a"))
    with pytest.raises(ConfigurationError, match="already handled"):
        app.host("API.example.org", PlainTextResponse("b"))


def test_a_request_without_a_matching_host_goes_to_the_app() -> None:
    app = make_app()
    client = TestClient(app)
    assert client.get("/users").text == "All users"
    assert client.get("/users", headers={"host": ""}).text == "All users"


def test_hosts_of_an_included_router_and_their_lifespans() -> None:
    started: list[str] = []
    inner = Covet(on_startup=[lambda: started.append("api")])

    @inner.get("/ping")
    async def ping() -> str:
        return "pong"

    router = Router()
    router.host("api.example.org", inner, name="api")
    app = Covet()
    app.include_router(router)
    with TestClient(app, base_url="http://api.example.org") as client:
        assert client.get("/ping").text == "pong"
    assert started == ["api"]
    with pytest.raises(ConfigurationError, match="prefix"):
        Covet().include_router(router, prefix="/v1")

"""CovetPy virtual hosts: a site, an API and per-tenant shops in one app.

    python examples/virtual_hosts.py            # serves http://127.0.0.1:8000
    python examples/virtual_hosts.py --check    # runs the checks below in-process and exits

- ``www.example.org`` (and any other host): the site, whose pages link to the API with
  ``request.url_for("api:item", id=...)`` — an absolute URL on the API's host;
- ``api.example.org``: a router of class-based endpoints, with its own middleware;
- ``{tenant}.shops.example.org``: one router for every tenant, the tenant a path parameter.

Try it with curl's ``--resolve`` or a Host header::

    curl -s localhost:8000/ -H 'Host: www.example.org'
    curl -s localhost:8000/items/3 -H 'Host: api.example.org'
    curl -s localhost:8000/ -H 'Host: acme.shops.example.org'
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

from covet.http import (
    Covet,
    HTTPEndpoint,
    Middleware,
    Path,
    Receive,
    Request,
    Router,
    Scope,
    Send,
)

ITEMS = {1: "teapot", 2: "kettle", 3: "cup"}


class ApiVersion:
    """Pure-ASGI middleware: every API answer says which version served it."""

    def __init__(self, app: Any, version: str) -> None:
        self.app = app
        self.version = version.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_version(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"api-version", self.version)]
            await send(message)

        await self.app(scope, receive, send_with_version)


class Item(HTTPEndpoint):
    async def get(self, id: Annotated[int, Path(ge=1)], request: Request) -> dict[str, Any]:
        name = ITEMS.get(id)
        return {"id": id, "name": name, "self": str(request.url_for("api:item", id=id))}


api = Router(middleware=[Middleware(ApiVersion, version="2")])
api.add_route("/items/{id:int}", Item, name="item")


async def shop(tenant: Annotated[str, Path()], request: Request) -> dict[str, str]:
    return {"shop": tenant, "home": str(request.url_for("shops:home", tenant=tenant))}


shops = Router()
shops.add_route("/", shop, name="home")

app = Covet()
app.host("api.example.org", api, name="api")
app.host("{tenant}.shops.example.org", shops, name="shops")


@app.get("/", name="home")
async def home(request: Request) -> dict[str, Any]:
    return {
        "site": request.url.hostname,
        "items": [str(request.url_for("api:item", id=id)) for id in ITEMS],
        "acme": str(request.url_for("shops:home", tenant="acme")),
    }


def check() -> None:
    from covet.http.testing import TestClient

    www = TestClient(app, base_url="https://www.example.org")
    page = www.get("/").json()
    assert page["items"][0] == "https://api.example.org/items/1", page
    assert page["acme"] == "https://acme.shops.example.org/", page
    api_client = TestClient(app, base_url="https://api.example.org")
    reply = api_client.get("/items/3")
    assert reply.json() == {"id": 3, "name": "cup", "self": "https://api.example.org/items/3"}
    assert reply.headers["api-version"] == "2"
    assert api_client.get("/items/0").status_code == 422  # Path(ge=1)
    assert api_client.get("/").status_code == 404  # the API host serves the API only
    shop_client = TestClient(app, base_url="https://acme.shops.example.org")
    assert shop_client.get("/").json()["shop"] == "acme"
    print("virtual hosts: all checks passed")


if __name__ == "__main__":
    if "--check" in sys.argv:
        check()
    else:
        app.run()

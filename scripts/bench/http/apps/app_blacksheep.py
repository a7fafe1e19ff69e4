"""BlackSheep (Cython-compiled) serving the five benchmark endpoints with its idiomatic API."""

from typing import Any

from blacksheep import Application, FromJSON, Response, json, text

app = Application()
get = app.router.get
post = app.router.post


@get("/plaintext")
async def plaintext() -> Response:
    return text("Hello, World!")


@get("/json")
async def json_endpoint() -> Response:
    return json({"message": "Hello, World!"})


@get("/users/{int:id}")
async def user(id: int) -> Response:
    return json({"id": id})


@get("/search")
async def search(q: str, page: int = 1, size: int = 10) -> Response:
    return json({"q": q, "page": page, "size": size})


@post("/echo")
async def echo(data: FromJSON[dict[str, Any]]) -> Response:
    return json(data.value)

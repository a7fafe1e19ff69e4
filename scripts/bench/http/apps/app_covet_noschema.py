"""``app_covet`` with the OpenAPI document and docs pages turned off (``openapi_url=None``)."""

from __future__ import annotations

from typing import Any

from covet.http import Covet

app = Covet(openapi_url=None)


@app.get("/plaintext")
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/users/{id:int}")
async def user(id: int) -> dict[str, int]:
    return {"id": id}


@app.get("/search")
async def search(q: str, page: int = 1, size: int = 10) -> dict[str, Any]:
    return {"q": q, "page": page, "size": size}


@app.post("/echo")
async def echo(data: dict[str, Any]) -> dict[str, Any]:
    return data

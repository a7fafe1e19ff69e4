"""Covet serving the five benchmark endpoints with its idiomatic API.

Decorators, typed path and query parameters taken from the signature, a ``dict`` parameter as the
JSON body, and plain return values (``str`` -> text/plain, ``dict`` -> JSON).
"""

from __future__ import annotations

from typing import Any

from covet.http import Covet

app = Covet()


@app.get("/plaintext")
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/json")
async def json_endpoint() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/users/{id:int}")
async def user(id: int) -> dict[str, int]:
    return {"id": id}


@app.get("/search")
async def search(q: str, page: int = 1, size: int = 10) -> dict[str, Any]:
    return {"q": q, "page": page, "size": size}


@app.post("/echo")
async def echo(data: dict[str, Any]) -> dict[str, Any]:
    return data

"""FastAPI serving the five benchmark endpoints with its defaults (pydantic, dict returns)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/json")
async def json_endpoint() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/users/{id}")
async def user(id: int) -> dict[str, int]:
    return {"id": id}


@app.get("/search")
async def search(q: str, page: int = 1, size: int = 10) -> dict[str, Any]:
    return {"q": q, "page": page, "size": size}


@app.post("/echo")
async def echo(data: dict[str, Any]) -> dict[str, Any]:
    return data

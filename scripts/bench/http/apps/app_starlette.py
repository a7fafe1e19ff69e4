"""Starlette serving the five benchmark endpoints, the way its documentation writes them.

Starlette does not validate query parameters itself; the handler converts them with ``int()`` and
answers 422 on failure so it does the same work as the validating frameworks.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route


async def plaintext(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, World!")


async def json_endpoint(request: Request) -> JSONResponse:
    return JSONResponse({"message": "Hello, World!"})


async def user(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["id"]})


async def search(request: Request) -> JSONResponse:
    query = request.query_params
    errors = []
    if "q" not in query:
        errors.append({"loc": ["query", "q"], "msg": "field required"})
    values: dict[str, Any] = {"q": query.get("q")}
    for name, default in (("page", 1), ("size", 10)):
        raw = query.get(name)
        try:
            values[name] = default if raw is None else int(raw)
        except ValueError:
            errors.append({"loc": ["query", name], "msg": "not a valid integer"})
    if errors:
        return JSONResponse({"errors": errors}, status_code=422)
    return JSONResponse(values)


async def echo(request: Request) -> JSONResponse:
    try:
        data = await request.json()
    except json.JSONDecodeError:
        return JSONResponse({"detail": "invalid JSON"}, status_code=400)
    return JSONResponse(data)


app = Starlette(
    routes=[
        Route("/plaintext", plaintext),
        Route("/json", json_endpoint),
        Route("/users/{id:int}", user),
        Route("/search", search),
        Route("/echo", echo, methods=["POST"]),
    ]
)

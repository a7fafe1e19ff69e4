"""Starlette + raw asyncpg: the floor (no ORM, one pool, prepared statements)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from _world import DATABASE_URL, POOL_SIZE, fortunes_html, query_count, random_id
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

pool: Any = None
READ = "SELECT id, randomnumber FROM world WHERE id = $1"
WRITE = "UPDATE world SET randomnumber = $1 WHERE id = $2"


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=POOL_SIZE, max_size=POOL_SIZE)
    yield
    await pool.close()


async def json_(request: Request) -> JSONResponse:
    return JSONResponse({"message": "Hello, World!"})


async def single(request: Request) -> JSONResponse:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(READ, random_id())
    return JSONResponse({"id": row[0], "randomNumber": row[1]})


async def queries(request: Request) -> JSONResponse:
    count = query_count(request.query_params.get("queries"))
    async with pool.acquire() as conn:
        statement = await conn.prepare(READ)
        rows = [await statement.fetchrow(random_id()) for _ in range(count)]
    return JSONResponse([{"id": r[0], "randomNumber": r[1]} for r in rows])


async def fortunes(request: Request) -> HTMLResponse:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT id, message FROM fortune")
    return HTMLResponse(fortunes_html([(r[0], r[1]) for r in rows]))


async def updates(request: Request) -> JSONResponse:
    count = query_count(request.query_params.get("queries"))
    async with pool.acquire() as conn:
        statement = await conn.prepare(READ)
        worlds = [dict(await statement.fetchrow(random_id())) for _ in range(count)]
        for world in worlds:
            world["randomnumber"] = random_id()
        worlds.sort(key=lambda w: w["id"])
        await conn.executemany(WRITE, [(w["randomnumber"], w["id"]) for w in worlds])
    return JSONResponse([{"id": w["id"], "randomNumber": w["randomnumber"]} for w in worlds])


app = Starlette(
    routes=[
        Route("/json", json_),
        Route("/db", single),
        Route("/queries", queries),
        Route("/fortunes", fortunes),
        Route("/updates", updates),
    ],
    lifespan=lifespan,
)

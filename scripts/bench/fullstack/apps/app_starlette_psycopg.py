"""Starlette ``def`` endpoints + raw psycopg 3: the floor of the worker-thread design.

Starlette runs a ``def`` endpoint on anyio's worker threads, as covet.http does by default, and
psycopg's sync connections are what covet-orm's sync API drives on PostgreSQL. The pool is the
least a pool can be (a LIFO queue of open autocommit connections), so what covet_sync spends
beyond this app is covet's own work, and what this app spends beyond starlette_asyncpg is the
price of the worker threads."""

from __future__ import annotations

import contextlib
import queue
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
from _world import DATABASE_URL, POOL_SIZE, fortunes_html, query_count, random_id
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

idle: queue.LifoQueue[Any] = queue.LifoQueue()
READ = "SELECT id, randomnumber FROM world WHERE id = %s"
WRITE = "UPDATE world SET randomnumber = %s WHERE id = %s"


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    # autocommit, as the other apps' reads (no transaction around a single SELECT)
    opened = [psycopg.connect(DATABASE_URL, autocommit=True) for _ in range(POOL_SIZE)]
    for conn in opened:
        idle.put(conn)
    yield
    for conn in opened:
        conn.close()


@contextlib.contextmanager
def connection() -> Iterator[Any]:
    conn = idle.get()
    try:
        yield conn
    finally:
        idle.put(conn)


def json_(request: Request) -> JSONResponse:
    return JSONResponse({"message": "Hello, World!"})


def single(request: Request) -> JSONResponse:
    with connection() as conn:
        row = conn.execute(READ, (random_id(),), prepare=True).fetchone()
    return JSONResponse({"id": row[0], "randomNumber": row[1]})


def queries(request: Request) -> JSONResponse:
    count = query_count(request.query_params.get("queries"))
    with connection() as conn:
        rows = [conn.execute(READ, (random_id(),), prepare=True).fetchone() for _ in range(count)]
    return JSONResponse([{"id": r[0], "randomNumber": r[1]} for r in rows])


def fortunes(request: Request) -> HTMLResponse:
    with connection() as conn:
        rows = conn.execute("SELECT id, message FROM fortune", prepare=True).fetchall()
    return HTMLResponse(fortunes_html([(r[0], r[1]) for r in rows]))


def updates(request: Request) -> JSONResponse:
    count = query_count(request.query_params.get("queries"))
    with connection() as conn:
        worlds = [
            list(conn.execute(READ, (random_id(),), prepare=True).fetchone()) for _ in range(count)
        ]
        for world in worlds:
            world[1] = random_id()
        worlds.sort(key=lambda w: w[0])
        with conn.cursor() as cur:
            cur.executemany(WRITE, [(w[1], w[0]) for w in worlds])
    return JSONResponse([{"id": w[0], "randomNumber": w[1]} for w in worlds])


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

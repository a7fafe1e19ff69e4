"""Databases follow the app's life: a connection per request, all closed when the app stops.

``RequestConnectionMiddleware`` is covet-orm's ``request_connection`` extension of covet.http:
a request checks one connection out of each server database's pool at its first query, uses it
for every query and transaction of the request, and returns it when the response is sent (or
when the app returns, for work after the response), instead of one checkout per query. Under
load, when every pooled connection is busy, a checkout means waiting in the pool's queue; one
wait per request instead of one per query is what the full-stack benchmark measures
(docs/fullstack.md). Only the request's own task uses the connection; SQLite keeps a checkout
per query (it never waits for a busy pool).

``DatabaseLifespanMiddleware`` is covet-orm's ``database_lifecycle`` extension of covet.http
(every covet.http app has it; ``Covet(extensions={"database_lifecycle": False})`` turns it off),
and a pure-ASGI middleware for any other framework. When the app has finished its own lifespan
shutdown, every ``Database`` of the process closes its pooled connections, async and sync
(``Database.adisconnect``: the object stays usable, so an app started again -- a test client
per test -- connects again). No lifespan code needed; an explicit ``await db.aclose()`` in the
app's own lifespan still works and is final.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio

from covet.orm._database import RequestConnections, disconnect_all, held_connections

Message = MutableMapping[str, Any]
ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]

_DONE = ("lifespan.shutdown.complete", "lifespan.shutdown.failed")


class DatabaseLifespanMiddleware:
    """Closes every database's connections after the app's lifespan shutdown."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def closing_send(message: Message) -> None:
            if message["type"] in _DONE:
                await disconnect_all()
            await send(message)

        await self.app(scope, receive, closing_send)


class RequestConnectionMiddleware:
    """One pooled connection per request and database (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held = RequestConnections()
        token = held_connections.set(held)

        async def releasing_send(message: Message) -> None:
            await send(message)
            final = message["type"] == "http.response.body" and not message.get("more_body")
            if final and (held.conns or held.sync_conns):
                await held.release(idle_only=True)

        try:
            await self.app(scope, receive, releasing_send)
        finally:
            held_connections.reset(token)
            if held.conns or held.sync_conns:
                with anyio.CancelScope(shield=True):
                    await held.release()

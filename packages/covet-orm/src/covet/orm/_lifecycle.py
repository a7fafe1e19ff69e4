"""Databases follow the app's life: their connections are closed when the app shuts down.

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

from covet.orm._database import disconnect_all

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

"""The sync API inside async code, without blocking the event loop.

A sync call (``user.save()``, ``for u in User.objects.all()``, ``with db.transaction():``) made
on a thread that runs an event loop cannot wait on the database without stopping the loop. Inside
a task that has a `greenback <https://greenback.readthedocs.io>`_ portal it does not have to: the
call runs the async API underneath (``greenback.await_``) and the task suspends on the loop while
the database works, exactly as ``await user.asave()`` would; other tasks go on. Same pool, same
task-bound transaction, so ``user.save()`` and ``await user.asave()`` in one handler share one
transaction.

Without a portal the sync call raises ``SynchronousOnlyError``. A portal is opened by:

* covet.http, for every request, websocket and lifespan of an app (its ``covet.http.extensions``
  entry point ``sync_orm_in_async``; ``Covet(extensions={"sync_orm_in_async": False})`` turns it
  off);
* ``SyncORMMiddleware``, a pure-ASGI middleware for any other ASGI app (Starlette, FastAPI, ...);
* ``@sync_orm`` on a coroutine function (a handler, a background job, ``asyncio.run``'s main).

The portal lasts for the call it wraps (``greenback.with_portal_run``): no task internals are
touched, and tasks the wrapped code starts get no portal of their own (their sync calls raise).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class SyncORMMiddleware:
    """A pure-ASGI middleware: covet.orm's sync API works inside the app's async code without
    blocking the event loop (see the module docstring). covet.http apps have it already.

    ``app = SyncORMMiddleware(app)`` (Starlette: ``Middleware(SyncORMMiddleware)``). The portal
    belongs to the task that runs the request: a middleware between this one and the endpoint
    that runs the endpoint in another task (Starlette's ``BaseHTTPMiddleware``) hides it; put
    this one inside such middleware, or use ``@sync_orm`` on the endpoint.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        from greenback import with_portal_run  # imported on first use: it pulls in attrs

        await with_portal_run(self.app, scope, receive, send)


def sync_orm(func: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorate a coroutine function so that covet.orm's sync API works inside it (and in sync
    functions it calls) without blocking the event loop."""

    @functools.wraps(func)
    async def with_sync_orm(*args: P.args, **kwargs: P.kwargs) -> T:
        from greenback import with_portal_run

        return await with_portal_run(func, *args, **kwargs)

    return with_sync_orm

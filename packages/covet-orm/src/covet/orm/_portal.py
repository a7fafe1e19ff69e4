"""The sync API inside async code, without blocking the event loop.

A sync call (``user.save()``, ``for u in User.objects.all()``, ``with db.transaction():``) made
on a thread that runs an event loop cannot wait on the database without stopping the loop --
unless the coroutine it runs in can be suspended from inside a plain function. That is what a
*portal* gives: the coroutine (a request handler, with everything it calls) runs in a worker
greenlet (`greenlet <https://greenlet.readthedocs.io>`_, public API only); a sync ORM call inside
it runs the async API underneath (``suspend``) and, whenever that waits, switches back to the
task, which hands the wait to the event loop like any ``await``. The task is suspended, the loop
serves others, and the semantics are the async API's: same pool, same task-bound transaction, so
``user.save()`` and ``await user.asave()`` in one handler share one transaction.

Without a portal the sync call raises ``SynchronousOnlyError``. A portal is opened by:

* covet.http, for every request, websocket and lifespan of an app (covet-orm's
  ``covet.http.extensions`` entry point ``sync_orm_in_async``;
  ``Covet(extensions={"sync_orm_in_async": False})`` turns it off);
* ``SyncORMMiddleware``, a pure-ASGI middleware for any other ASGI app (Starlette, FastAPI, ...);
* ``@sync_orm`` on a coroutine function (a handler, a background job, ``asyncio.run``'s main).

This is greenback's idea (``greenback.with_portal_run`` / ``await_``), written here because
greenback creates and destroys a greenlet for every portal: about 27 µs per request on the
project's machine, as much as the rest of a covet.http request (docs/fullstack.md has the
measurement). Worker greenlets here are kept and reused, one per concurrently running portal and
thread, so a portal costs two greenlet switches, plus two for each time the coroutine waits.
Tasks started inside a portal get none of their own (their sync calls raise).
"""

from __future__ import annotations

import functools
import threading
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, ParamSpec, TypeVar, cast

import greenlet  # type: ignore[import-untyped]

P = ParamSpec("P")
T = TypeVar("T")

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

_YIELD, _RETURN, _RAISE = 0, 1, 2


class _Worker(greenlet.greenlet):  # type: ignore[misc]
    """A greenlet that runs one coroutine at a time for the task that resumes it, then waits
    for the next one (kept per thread: a greenlet belongs to the thread that made it)."""

    #: the greenlet that last resumed this one (the task's), where waits are sent
    resumer: greenlet.greenlet | None = None
    #: whether a coroutine is running here now: sync calls may suspend
    busy = False


_idle = threading.local()


def _serve(job: tuple[Coroutine[Any, Any, Any], greenlet.greenlet]) -> None:
    """A worker's life: drive each coroutine it is given until it returns or raises."""
    me = greenlet.getcurrent()
    assert isinstance(me, _Worker)
    while True:
        coro, me.resumer = job
        me.busy = True
        failed, value = False, cast(Any, None)
        while True:
            try:
                trap = coro.throw(value) if failed else coro.send(value)
            except StopIteration as stop:
                outcome = (_RETURN, stop.value, me)
                break
            except BaseException as error:
                outcome = (_RAISE, error, me)
                break
            failed, value = _wait(me, trap)
        me.busy = False
        resumer, me.resumer = me.resumer, None
        assert resumer is not None
        job = resumer.switch(outcome)


def _wait(me: _Worker, trap: Any) -> tuple[bool, Any]:
    """Hand ``trap`` (what the coroutine waits for) to the task; come back with the outcome."""
    resumer = me.resumer
    assert resumer is not None
    result: tuple[bool, Any] = resumer.switch((_YIELD, trap, me))
    return result


@types.coroutine
def _in_portal(coro: Coroutine[Any, Any, T]) -> Generator[Any, Any, T]:
    """Run ``coro`` in a worker greenlet, passing its waits to the event loop (a task step)."""
    pool: list[_Worker] | None = getattr(_idle, "workers", None)
    if pool is None:
        pool = _idle.workers = []
    here = greenlet.getcurrent()
    worker = pool.pop() if pool else _Worker(_serve)
    worker.gr_context = here.gr_context  # the task's contextvars, seen from the sync code
    message = worker.switch((coro, here))
    try:
        while True:
            kind, value, source = message
            if kind == _RETURN:
                result: T = value
                return result
            if kind == _RAISE:
                raise value
            try:
                sent = (False, (yield value))
            except BaseException as error:
                sent = (True, error)
            now = greenlet.getcurrent()
            if now is not here:  # resumed from another greenlet: waits go back there
                here = source.resumer = now
                source.gr_context = now.gr_context
            message = source.switch(sent)
    finally:
        if not worker.busy:
            pool.append(worker)


def has_portal() -> bool:
    """Whether sync code running now may suspend its task (it runs inside a portal)."""
    current = greenlet.getcurrent()
    return isinstance(current, _Worker) and current.busy


def suspend(awaitable: Awaitable[T]) -> T:
    """``await awaitable`` from sync code inside a portal: the task suspends while it waits."""
    me = greenlet.getcurrent()
    if not isinstance(me, _Worker) or not me.busy:
        if isinstance(awaitable, Coroutine):
            awaitable.close()
        raise RuntimeError("no portal: only code run by SyncORMMiddleware or @sync_orm may suspend")
    coro = awaitable if isinstance(awaitable, Coroutine) else _adapt(awaitable)
    failed, value = False, cast(Any, None)
    while True:
        try:
            trap = coro.throw(value) if failed else coro.send(value)
        except StopIteration as stop:
            result: T = stop.value
            return result
        failed, value = _wait(me, trap)


async def _adapt(awaitable: Awaitable[T]) -> T:
    return await awaitable


async def run_in_portal(func: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
    """``await func(*args, **kwargs)`` with a portal (no new one when already inside one)."""
    if has_portal():
        return await func(*args, **kwargs)
    awaitable = func(*args, **kwargs)
    coro = awaitable if isinstance(awaitable, Coroutine) else _adapt(awaitable)
    return await _in_portal(coro)


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
        await run_in_portal(self.app, scope, receive, send)


def sync_orm(func: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorate a coroutine function so that covet.orm's sync API works inside it (and in sync
    functions it calls) without blocking the event loop."""

    @functools.wraps(func)
    async def with_sync_orm(*args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_portal(func, *args, **kwargs)

    return with_sync_orm

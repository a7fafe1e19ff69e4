"""The ASGI lifespan protocol: start-up and shutdown hooks and the ``lifespan=`` context manager.

A start-up failure is reported as ``lifespan.startup.failed`` with the error in ``message`` (the
server then refuses to start). A server that never sends lifespan events still gets a working app;
the hooks simply do not run.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import traceback
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from covet.http._concurrency import run_in_threadpool
from covet.http._types import Receive, Scope, Send

if TYPE_CHECKING:
    from covet.http._app import Covet

logger = logging.getLogger("covet.http")

Hook = Callable[[], Any]
LifespanFactory = Callable[..., contextlib.AbstractAsyncContextManager[Mapping[str, Any] | None]]


def as_lifespan(lifespan: Callable[..., Any]) -> LifespanFactory:
    """Accept ``@asynccontextmanager`` functions or bare async generators, taking ``app`` or not."""
    func = lifespan
    if inspect.isasyncgenfunction(func):
        func = contextlib.asynccontextmanager(func)
    try:
        takes_app = bool(inspect.signature(lifespan).parameters)
    except (TypeError, ValueError):
        takes_app = True
    if takes_app:
        return func
    return lambda app: func()


async def _call_hook(hook: Hook) -> None:
    if inspect.iscoroutinefunction(hook):
        await hook()
    else:
        result = await run_in_threadpool(hook)
        if inspect.isawaitable(result):
            await result


class Lifespan:
    """Runs the app's hooks; one instance per app."""

    def __init__(
        self,
        lifespan: Callable[..., Any] | None,
        on_startup: Sequence[Hook],
        on_shutdown: Sequence[Hook],
    ) -> None:
        self.factory = as_lifespan(lifespan) if lifespan is not None else None
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)

    @contextlib.asynccontextmanager
    async def run(self, app: Covet) -> AsyncIterator[Mapping[str, Any] | None]:
        for hook in self.on_startup:
            await _call_hook(hook)
        state: Mapping[str, Any] | None = None
        async with contextlib.AsyncExitStack() as stack:
            if self.factory is not None:
                state = await stack.enter_async_context(self.factory(app))
            yield state
        for hook in self.on_shutdown:
            await _call_hook(hook)

    async def __call__(self, app: Covet, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        message = await receive()
        assert message["type"] == "lifespan.startup", message
        try:
            async with self.run(app) as state:
                app.build_middleware_stack()
                if state:
                    if "state" in scope:
                        scope["state"].update(state)
                    for key, value in state.items():
                        setattr(app.state, key, value)
                await send({"type": "lifespan.startup.complete"})
                started = True
                message = await receive()
                assert message["type"] == "lifespan.shutdown", message
        except Exception as exc:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            if started:
                logger.error("Application shutdown failed:\n%s", text)
                await send({"type": "lifespan.shutdown.failed", "message": text})
            else:
                logger.error("Application startup failed:\n%s", text)
                await send({"type": "lifespan.startup.failed", "message": text})
            return
        await send({"type": "lifespan.shutdown.complete"})

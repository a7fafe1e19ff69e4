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

import anyio

from covet.http._concurrency import run_in_threadpool
from covet.http._types import Message, Receive, Scope, Send

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
    async def run(
        self, app: Covet, shared: dict[str, Any] | None = None
    ) -> AsyncIterator[Mapping[str, Any] | None]:
        """Start-up hooks, the ``lifespan`` context, then the lifespans of mounted ASGI apps
        (with ``shared``, the server's lifespan state, as theirs); shutdown in reverse."""
        for hook in self.on_startup:
            await _call_hook(hook)
        state: Mapping[str, Any] | None = None
        async with contextlib.AsyncExitStack() as stack:
            if self.factory is not None:
                state = await stack.enter_async_context(self.factory(app))
            await stack.enter_async_context(_mounted_lifespans(app, shared))
            yield state
        for hook in self.on_shutdown:
            await _call_hook(hook)

    async def __call__(self, app: Covet, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        message = await receive()
        assert message["type"] == "lifespan.startup", message
        try:
            async with self.run(app, scope.get("state")) as state:
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


class _Mounted:
    """The lifespan protocol, spoken to one mounted ASGI app (as a server speaks it)."""

    def __init__(self, path: str, app: Any, state: dict[str, Any] | None) -> None:
        self.path = path or "/"
        self.app = app
        self.started = False
        self.scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        if state is not None:  # else the app sees what it would see standalone: no state
            self.scope["state"] = state
        self.to_app, self.app_inbox = anyio.create_memory_object_stream[Message](1)
        self.app_outbox, self.from_app = anyio.create_memory_object_stream[Message](1)

    async def serve(self) -> None:
        """The app's lifespan call; ends when the app returns (or raises: no lifespan)."""

        async def receive() -> Message:
            return await self.app_inbox.receive()

        async def send(message: Message) -> None:
            await self.app_outbox.send(message)

        try:
            await self.app(self.scope, receive, send)
        except Exception as exc:
            if self.started:  # it had started: a failure of its own shutdown
                logger.error("Shutdown of the app mounted at %r failed", self.path, exc_info=exc)
            else:  # most apps without a lifespan raise on the unknown scope type
                logger.debug("mounted app at %r has no lifespan: %r", self.path, exc)
        finally:
            self.app_outbox.close()
            self.app_inbox.close()

    def close(self) -> None:
        self.to_app.close()
        self.from_app.close()

    async def _exchange(self, kind: str) -> Message | None:
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            await self.to_app.send({"type": kind})
        try:
            return await self.from_app.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return None  # the app returned without answering: it has no lifespan

    async def startup(self) -> bool:
        """True when the app has a lifespan and started; raises when it failed to start."""
        reply = await self._exchange("lifespan.startup")
        kind = reply.get("type") if reply is not None else None
        if reply is not None and kind == "lifespan.startup.failed":
            detail = reply.get("message", "")
            raise RuntimeError(f"the app mounted at {self.path!r} failed to start: {detail}")
        self.started = kind == "lifespan.startup.complete"
        return self.started

    async def shutdown(self) -> None:
        reply = await self._exchange("lifespan.shutdown")
        if reply is not None and reply.get("type") == "lifespan.shutdown.failed":
            logger.error(
                "Shutdown of the app mounted at %r failed:\n%s", self.path, reply.get("message")
            )


@contextlib.asynccontextmanager
async def _mounted_lifespans(app: Covet, shared: dict[str, Any] | None) -> AsyncIterator[None]:
    """Run the lifespan of every app mounted on ``app`` (Starlette, FastAPI, Covet, ...), as a
    server would: start-up in mount order after ``app``'s own, shutdown in reverse before it.
    Apps without a lifespan (StaticFiles, plain ASGI callables) are skipped, as uvicorn's
    ``--lifespan auto`` skips them."""
    from covet.http._routing import Host, Mount

    mounts = [route for route in app.router.routes if isinstance(route, Mount | Host)]
    if not mounts:
        yield
        return
    subs: list[_Mounted] = []
    started: list[_Mounted] = []
    seen: set[int] = set()
    async with anyio.create_task_group() as tg:
        try:
            for mount in mounts:
                if id(mount.app) in seen:  # one app under two prefixes starts once
                    continue
                seen.add(id(mount.app))
                where = mount.host if isinstance(mount, Host) else mount.path
                sub = _Mounted(where, mount.app, shared)
                subs.append(sub)
                tg.start_soon(sub.serve)
                if await sub.startup():
                    started.append(sub)
            yield
        finally:
            with anyio.CancelScope(shield=True):
                for sub in reversed(started):
                    await sub.shutdown()
            tg.cancel_scope.cancel()
            for sub in subs:
                sub.close()

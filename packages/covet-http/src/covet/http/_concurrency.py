"""Running blocking code off the event loop, on a bounded thread pool.

``def`` handlers, sync dependencies and sync exception handlers run on anyio's worker threads,
at most ``thread_limit`` of them per app (a ``CapacityLimiter``), as in Starlette: the call runs
in a copy of the caller's context, a cancelled caller waits for its thread, and
``anyio.from_thread.run(...)`` works inside the call. An app or a function can opt out of the
thread hop with ``def_handlers="loop"`` / ``@on_loop`` (``OnLoop`` below).

A pool of covet's own threads (a ``SimpleQueue`` and no checkpoint) was measured at about 100 us
less CPU per ``def`` request under uvicorn, but it cannot make ``anyio.from_thread`` work without
anyio's private thread-locals, so the default stays anyio's (docs/performance.md).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Literal, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_THREAD_LIMIT = 40


class WorkerThreads:
    """At most ``total`` of anyio's worker threads running one app's blocking calls."""

    def __init__(self, total: int = DEFAULT_THREAD_LIMIT) -> None:
        if total < 1:
            raise ValueError("a thread pool needs at least one thread")
        self.total = total
        self.limiter = CapacityLimiter(total)

    async def run(self, func: Callable[[], T]) -> T:
        """Call ``func()`` in a worker thread; wait for it without blocking the loop."""
        return await anyio.to_thread.run_sync(func, limiter=self.limiter)


class OnLoop:
    """Calls sync functions on the event loop's thread, in the request's task: for an app or
    function that opted in with ``Covet(def_handlers="loop")`` or ``@on_loop``."""

    total = 0

    async def run(self, func: Callable[[], T]) -> T:
        return func()


ON_LOOP = OnLoop()

Runner = WorkerThreads | OnLoop
#: ``Covet(def_handlers=...)``
DefHandlers = Literal["threads", "loop"]


def on_loop(func: F) -> F:
    """Call this ``def`` handler (or sync dependency, or sync exception handler) on the event
    loop's thread instead of a worker thread.

    Only for functions that never block the thread, except through a portal that suspends the
    request's task while it waits -- covet-orm's sync API under covet.http is one
    (``covet.orm``'s ``sync_orm_in_async`` extension). Anything else that blocks (``time.sleep``,
    ``requests.get``, a file read, a lock) stops every other request while it waits. In exchange,
    a request skips two thread switches and the GIL contention between worker threads
    (docs/performance.md). ``Covet(def_handlers="loop")`` does this for every sync function
    of an app.
    """
    func.__covet_on_loop__ = True  # type: ignore[attr-defined]
    return func


def marked_on_loop(func: Callable[..., Any]) -> bool:
    """Whether ``func`` (or the function it wraps) was decorated with ``@on_loop``."""
    while True:
        if getattr(func, "__covet_on_loop__", False):
            return True
        inner = getattr(func, "__wrapped__", None) or getattr(func, "func", None)
        if inner is None or inner is func:
            return False
        func = inner


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func`` on anyio's default thread pool and return its result."""
    if kwargs:
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
    return await anyio.to_thread.run_sync(func, *args)


async def run_sync(func: Callable[..., T], *args: object, threads: Runner | None) -> T:
    """Run ``func(*args)`` on ``threads`` (anyio's default pool when None)."""
    if threads is None:
        return await anyio.to_thread.run_sync(func, *args)
    return await threads.run(functools.partial(func, *args) if args else func)


class _StopIteration(Exception):
    pass


def _next(iterator: Iterator[T]) -> T:
    try:
        return next(iterator)
    except StopIteration:
        raise _StopIteration from None


async def iterate_in_threadpool(
    iterable: Iterable[T], limiter: CapacityLimiter | None = None
) -> AsyncIterator[T]:
    """Iterate a blocking iterable, fetching each item in a worker thread."""
    iterator = iter(iterable)
    while True:
        try:
            yield await anyio.to_thread.run_sync(_next, iterator, limiter=limiter)
        except _StopIteration:
            break

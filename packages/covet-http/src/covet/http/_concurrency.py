"""Running blocking code off the event loop, on a bounded thread pool."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_THREAD_LIMIT = 40


def create_limiter(total_tokens: int = DEFAULT_THREAD_LIMIT) -> CapacityLimiter:
    """A thread limiter for ``def`` handlers and other blocking work; one per app."""
    return CapacityLimiter(total_tokens)


async def run_in_threadpool(func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run ``func`` on anyio's default thread pool and return its result."""
    if kwargs:
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
    return await anyio.to_thread.run_sync(func, *args)


async def run_sync(
    func: Callable[..., T], *args: object, limiter: CapacityLimiter | None = None
) -> T:
    """Run ``func(*args)`` in a worker thread bounded by ``limiter``."""
    return await anyio.to_thread.run_sync(func, *args, limiter=limiter)


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

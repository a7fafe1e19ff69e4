"""Running blocking code off the event loop, on a bounded thread pool.

``def`` handlers, sync dependencies and sync exception handlers run on the app's own
``WorkerThreads``: at most ``thread_limit`` threads, started when needed and kept while busy,
fed from one queue. Compared with ``anyio.to_thread.run_sync`` (used before, and still used
when the loop is not asyncio's), a call skips anyio's checkpoint (an extra turn of the event
loop), its cancel scope and capacity limiter, and a ``queue.Queue`` per worker (a Python-level
condition variable): under uvicorn with 64 clients, a ``def`` handler that only returns a dict
went from 110-150 µs of CPU per request to about 50 µs (docs/performance.md).

Semantics are anyio's: the call runs in a copy of the caller's context (contextvars), and a
cancelled caller waits for the thread to finish before the cancellation is raised (a thread
cannot be interrupted). One difference: ``anyio.from_thread.run(...)`` inside a worker needs
an explicit ``token=anyio.lowlevel.current_token()`` taken on the loop, since these are not
anyio's worker threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import queue
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Literal, ParamSpec, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

P = ParamSpec("P")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_THREAD_LIMIT = 40
#: seconds an idle worker thread waits for work before it ends
IDLE_TIMEOUT = 10.0


class _Job:
    __slots__ = ("context", "delivered", "func", "future", "loop")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
        func: Callable[[], Any],
    ) -> None:
        self.loop = loop
        self.future = future
        self.func = func
        self.context = contextvars.copy_context()
        self.delivered = False


def _deliver(job: _Job, failed: bool, value: Any) -> None:
    """On the job's loop: hand the outcome to whoever waits for it now."""
    job.delivered = True
    future = job.future
    if future.done():  # the caller was cancelled and is no longer waiting
        return
    if failed:
        future.set_exception(value)
    else:
        future.set_result(value)


class WorkerThreads:
    """At most ``total`` threads running blocking calls for one app (see the module docstring)."""

    def __init__(self, total: int = DEFAULT_THREAD_LIMIT) -> None:
        if total < 1:
            raise ValueError("a thread pool needs at least one thread")
        self.total = total
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        #: threads started and not ended; threads waiting for a job (or about to)
        self.threads = 0
        self.idle = 0
        self._anyio_limiter: CapacityLimiter | None = None
        _pools.add(self)

    async def run(self, func: Callable[[], T]) -> T:
        """Call ``func()`` in a worker thread; wait for it without blocking the loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another event loop (trio): anyio's threads, the same bound
            return await anyio.to_thread.run_sync(func, limiter=self._limiter())
        future: asyncio.Future[T] = loop.create_future()
        job = _Job(loop, future, func)
        jobs = self._jobs
        jobs.put(job)
        if jobs.qsize() > self.idle and self.threads < self.total:
            self._start()  # more jobs waiting than threads about to take one
        try:
            return await future
        except asyncio.CancelledError:
            if job.delivered:
                raise
            await _outlive(job)  # the thread still runs func: wait for it, as anyio does
            raise

    def _start(self) -> None:
        with self._lock:
            if self._jobs.qsize() <= self.idle or self.threads >= self.total:
                return
            self.threads += 1
            self.idle += 1
        try:
            threading.Thread(target=self._work, name="covet-http-worker", daemon=True).start()
        except BaseException:
            with self._lock:
                self.threads -= 1
                self.idle -= 1
            raise

    def _work(self) -> None:
        jobs = self._jobs
        while True:
            try:
                job = jobs.get(timeout=IDLE_TIMEOUT)
            except queue.Empty:
                with self._lock:
                    if jobs.empty():  # a job put after this sees one idle thread less
                        self.idle -= 1
                        self.threads -= 1
                        return
                continue
            with self._lock:
                self.idle -= 1
            outcome: tuple[bool, Any]
            try:
                outcome = (False, job.context.run(job.func))
            except BaseException as error:
                outcome = (True, error)
            with self._lock:
                self.idle += 1
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                job.loop.call_soon_threadsafe(_deliver, job, *outcome)
            del job, outcome

    def _limiter(self) -> CapacityLimiter:
        if self._anyio_limiter is None:
            self._anyio_limiter = CapacityLimiter(self.total)
        return self._anyio_limiter

    def _forget_threads(self) -> None:
        """In a forked child: the parent's threads do not exist here."""
        self._jobs = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.threads = self.idle = 0


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


async def _outlive(job: _Job) -> None:
    """Wait, shielded from further cancellation, until ``job``'s thread has finished."""
    while not job.delivered:
        job.future = job.loop.create_future()
        try:
            await job.future
        except asyncio.CancelledError:
            continue
        except BaseException:  # noqa: S110 - the call's own outcome is dropped, as by anyio
            pass


_pools: weakref.WeakSet[WorkerThreads] = weakref.WeakSet()


def _after_fork() -> None:
    for pool in list(_pools):
        pool._forget_threads()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


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

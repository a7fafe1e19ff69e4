"""The app's worker threads (``def`` handlers, sync dependencies, sync exception handlers)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from typing import Annotated

import pytest

from covet.http import Covet, Depends, _concurrency
from covet.http._concurrency import WorkerThreads
from covet.http.testing import TestClient

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


async def test_calls_run_in_a_worker_thread_with_the_callers_context() -> None:
    threads = WorkerThreads(2)
    request_id.set("r1")
    name, seen = await threads.run(lambda: (threading.current_thread().name, request_id.get()))
    assert name == "covet-http-worker"
    assert seen == "r1"


async def test_errors_reach_the_caller() -> None:
    threads = WorkerThreads(1)

    def fail() -> None:
        raise LookupError("gone")

    with pytest.raises(LookupError, match="gone"):
        await threads.run(fail)
    assert await threads.run(lambda: 2) == 2  # the thread survived


async def test_no_more_threads_than_the_limit_however_many_calls_wait() -> None:
    threads = WorkerThreads(3)
    lock = threading.Lock()
    running = peak = 0

    def work() -> str:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return threading.current_thread().name

    names = await asyncio.gather(*(threads.run(work) for _ in range(30)))
    assert len(names) == 30
    assert peak == 3
    assert threads.threads == 3


async def test_a_cancelled_caller_waits_for_its_thread_to_finish() -> None:
    threads = WorkerThreads(1)
    started, release = threading.Event(), threading.Event()
    finished: list[bool] = []

    def blocking() -> int:
        started.set()
        release.wait(5)
        finished.append(True)
        return 1

    task = asyncio.create_task(threads.run(blocking))
    await asyncio.to_thread(started.wait, 5)
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # a thread cannot be interrupted: the caller stays until it ends
    task.cancel()  # cancelled again meanwhile: still waits
    await asyncio.sleep(0.01)
    assert not task.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert finished == [True]


async def test_idle_threads_end_and_new_ones_start_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_concurrency, "IDLE_TIMEOUT", 0.05)
    threads = WorkerThreads(2)
    await threads.run(lambda: None)
    assert threads.threads == 1
    for _ in range(200):
        if threads.threads == 0:
            break
        await asyncio.sleep(0.01)
    assert threads.threads == 0
    assert await threads.run(lambda: 3) == 3


def test_def_handlers_and_sync_dependencies_use_the_apps_worker_threads() -> None:
    app = Covet(thread_limit=2)

    def dependency() -> str:
        return threading.current_thread().name

    @app.get("/where")
    def where(dep: Annotated[str, Depends(dependency)]) -> list[str]:
        return [threading.current_thread().name, dep]

    with TestClient(app) as client:
        assert client.get("/where").json() == ["covet-http-worker", "covet-http-worker"]
    assert app.settings.threads.total == 2


def test_at_least_one_thread() -> None:
    with pytest.raises(ValueError, match="at least one"):
        WorkerThreads(0)

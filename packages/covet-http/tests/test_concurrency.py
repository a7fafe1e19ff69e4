"""The app's worker threads (``def`` handlers, sync dependencies, sync exception handlers)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Iterator
from typing import Annotated

import pytest

from covet.http import (
    ConfigurationError,
    Covet,
    Depends,
    JSONResponse,
    Request,
    _concurrency,
    on_loop,
)
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


async def test_calls_made_together_get_threads_of_their_own() -> None:
    threads = WorkerThreads(4)
    meet = threading.Barrier(4, timeout=5)  # broken unless all four run at once
    assert sorted(await asyncio.gather(*(threads.run(meet.wait) for _ in range(4)))) == [0, 1, 2, 3]
    assert threads.threads == 4


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


def _on_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_on_loop_handlers_and_dependencies_run_on_the_loops_thread() -> None:
    app = Covet()
    closed: list[bool] = []

    @on_loop
    def session() -> Iterator[bool]:
        yield _on_loop_thread()
        closed.append(_on_loop_thread())

    def threaded() -> bool:
        return _on_loop_thread()

    @app.get("/marked")
    @on_loop
    def marked(
        dep: Annotated[bool, Depends(session)], other: Annotated[bool, Depends(threaded)]
    ) -> list[bool]:
        return [_on_loop_thread(), dep, other]

    @app.get("/fast")
    @on_loop
    def fast() -> bool:
        return _on_loop_thread()

    @app.get("/plain")
    def plain() -> bool:
        return _on_loop_thread()

    with TestClient(app) as client:
        assert client.get("/marked").json() == [True, True, False]
        assert closed == [True]
        assert client.get("/fast").json() is True
        assert client.get("/plain").json() is False


def test_an_app_can_run_every_sync_function_on_the_loop() -> None:
    app = Covet(def_handlers="loop")

    class Refused(Exception):
        pass

    def dependency() -> bool:
        return _on_loop_thread()

    @app.exception_handler(Refused)
    def refused(request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"on_loop": _on_loop_thread()}, status_code=409)

    @app.get("/x")
    def x(dep: Annotated[bool, Depends(dependency)]) -> list[bool]:
        return [_on_loop_thread(), dep]

    @app.get("/refuse")
    def refuse() -> None:
        raise Refused

    with TestClient(app) as client:
        assert client.get("/x").json() == [True, True]
        assert client.get("/refuse").json() == {"on_loop": True}
    with pytest.raises(ConfigurationError, match="def_handlers"):
        Covet(def_handlers="process")  # type: ignore[arg-type]

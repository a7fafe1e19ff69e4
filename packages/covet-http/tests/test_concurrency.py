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
    on_loop,
)
from covet.http._concurrency import WorkerThreads
from covet.http.testing import TestClient

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


async def test_calls_run_in_a_worker_thread_with_the_callers_context() -> None:
    threads = WorkerThreads(2)
    request_id.set("r1")
    name, seen = await threads.run(lambda: (threading.current_thread().name, request_id.get()))
    assert name == "AnyIO worker thread"
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


async def test_calls_made_together_get_threads_of_their_own() -> None:
    threads = WorkerThreads(4)
    meet = threading.Barrier(4, timeout=5)  # broken unless all four run at once
    assert sorted(await asyncio.gather(*(threads.run(meet.wait) for _ in range(4)))) == [0, 1, 2, 3]


def test_def_handlers_and_sync_dependencies_use_the_apps_worker_threads() -> None:
    app = Covet(thread_limit=2)

    def dependency() -> str:
        return threading.current_thread().name

    @app.get("/where")
    def where(dep: Annotated[str, Depends(dependency)]) -> list[str]:
        return [threading.current_thread().name, dep]

    with TestClient(app) as client:
        assert client.get("/where").json() == ["AnyIO worker thread", "AnyIO worker thread"]
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


def test_anyio_from_thread_works_inside_def_handlers() -> None:
    """The worker threads are anyio's, so a def handler can call back into the loop as in
    Starlette (a thread pool of covet's own would need an explicit token here)."""
    import anyio.from_thread

    app = Covet()

    async def on_the_loop() -> bool:
        await asyncio.sleep(0)
        return threading.current_thread() is threading.main_thread() or True

    @app.get("/back")
    def back() -> dict[str, bool]:
        return {"ok": anyio.from_thread.run(on_the_loop)}

    with TestClient(app) as client:
        assert client.get("/back").json() == {"ok": True}

"""The portal (covet.orm._portal): sync code inside a coroutine suspends its task, with the task's
context variables, exceptions and cancellation behaving as they do for ``await``."""

from __future__ import annotations

import asyncio
import contextvars
import gc

import pytest

from covet.orm import Database, SynchronousOnlyError, sync_orm
from covet.orm._portal import has_portal, run_in_portal, suspend

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def sync_sleep_then(value: str) -> str:
    """Sync code that waits on the loop (a stand-in for a sync ORM call's wait)."""
    suspend(asyncio.sleep(0.01))
    return value


async def test_sync_code_suspends_and_other_tasks_run() -> None:
    order: list[str] = []
    released = asyncio.Event()

    @sync_orm
    async def waiting() -> None:
        order.append("waiting starts")
        suspend(released.wait())  # only another task can set it: the loop must go on
        order.append("waiting ends")

    async def releasing() -> None:
        order.append("releasing")
        released.set()

    async with asyncio.timeout(30):  # a blocked loop would hang here: fail instead
        await asyncio.gather(waiting(), releasing())
    assert order == ["waiting starts", "releasing", "waiting ends"]


async def test_context_variables_are_the_tasks_both_ways() -> None:
    @sync_orm
    async def body() -> tuple[str, str]:
        var.set("set in async code")
        seen_in_sync = (lambda: var.get())()

        async def set_it() -> None:
            var.set("set through suspend")

        suspend(set_it())
        return seen_in_sync, var.get()

    assert await body() == ("set in async code", "set through suspend")


async def test_exceptions_cross_the_portal_both_ways() -> None:
    async def fails() -> None:
        await asyncio.sleep(0)
        raise KeyError("inside")

    @sync_orm
    async def body() -> str:
        try:
            suspend(fails())
        except KeyError as exc:
            return f"caught {exc}"
        return "not raised"

    assert await body() == "caught 'inside'"

    @sync_orm
    async def raises() -> None:
        sync_sleep_then("x")
        raise ValueError("out")

    with pytest.raises(ValueError, match="out"):
        await raises()


async def test_cancelling_a_suspended_task_cancels_its_wait() -> None:
    started = asyncio.Event()
    cleaned: list[str] = []

    @sync_orm
    async def body() -> None:
        started.set()
        try:
            suspend(asyncio.sleep(10))
        finally:
            cleaned.append("finally ran")

    task = asyncio.create_task(body())
    await started.wait()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == ["finally ran"]

    @sync_orm
    async def again() -> str:
        return sync_sleep_then("x")

    assert await again() == "x"  # the worker that was cancelled serves again


async def test_many_concurrent_portals_reuse_their_workers() -> None:
    @sync_orm
    async def body(i: int) -> str:
        for _ in range(3):
            suspend(asyncio.sleep(0))
        return sync_sleep_then(str(i))

    for _ in range(3):
        assert await asyncio.gather(*(body(i) for i in range(50))) == [str(i) for i in range(50)]
    gc.collect()


async def test_only_code_inside_a_portal_may_suspend() -> None:
    assert not has_portal()
    with pytest.raises(RuntimeError, match="no portal"):
        suspend(asyncio.sleep(0))

    async def check() -> bool:
        await asyncio.sleep(0)
        return has_portal()

    @sync_orm
    async def outer() -> tuple[bool, bool]:
        child = asyncio.create_task(check())  # a task of its own: no portal
        inner = await run_in_portal(check)  # nested: the same portal
        return await child, inner

    assert await outer() == (False, True)


async def test_the_sync_api_inside_and_outside_a_portal(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/portal.db", default=False)
    try:
        with pytest.raises(SynchronousOnlyError, match="SyncORMMiddleware"):
            db.execute("SELECT 1")

        @sync_orm
        async def body() -> list[dict[str, int]]:
            with db.transaction():
                db.execute("CREATE TABLE t (x INTEGER)")
                db.execute("INSERT INTO t VALUES (1)")
            return db.fetch_all("SELECT x FROM t")

        assert await body() == [{"x": 1}]
    finally:
        await db.aclose()

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import anyio.to_thread
import pytest

from covet.orm import CharField, Database, IntegrityError, Model, SynchronousOnlyError


class Entry(Model):
    name = CharField(max_length=50, unique=True)

    class Meta:
        table_name = "test_entry"


MODELS = [Entry]
pytestmark = pytest.mark.usefixtures("tables")


class Boom(Exception):
    pass


def create_then_fail(db: Database, name: str) -> None:
    with db.transaction():
        Entry.objects.create(name=name)
        raise Boom


async def acreate_then_fail(db: Database, name: str) -> None:
    async with db.transaction():
        await Entry.objects.acreate(name=name)
        raise Boom


def names() -> list[str]:
    return sorted(Entry.objects.values_list("name", flat=True))


async def anames() -> list[str]:
    return sorted(await Entry.objects.values_list("name", flat=True).alist())


def test_sync_commit_rollback_savepoints(db: Database) -> None:
    with db.transaction():
        Entry.objects.create(name="outer")
        assert db.in_transaction()
        with pytest.raises(Boom):
            create_then_fail(db, "inner")
        with db.transaction():
            Entry.objects.create(name="kept")
    assert not db.in_transaction()
    assert names() == ["kept", "outer"]
    with pytest.raises(Boom):
        create_then_fail(db, "gone")
    assert names() == ["kept", "outer"]


async def test_async_commit_rollback_savepoints(db: Database) -> None:
    async with db.transaction():
        await Entry.objects.acreate(name="outer")
        with pytest.raises(Boom):
            await acreate_then_fail(db, "inner")
        async with db.transaction():
            await Entry.objects.acreate(name="kept")
    assert await anames() == ["kept", "outer"]
    with pytest.raises(Boom):
        await acreate_then_fail(db, "gone")
    assert await anames() == ["kept", "outer"]


def test_integrity_error_in_savepoint_keeps_outer_transaction(db: Database) -> None:
    with db.transaction():
        Entry.objects.create(name="a")
        with pytest.raises(IntegrityError) as info, db.transaction():
            Entry.objects.create(name="a")
        assert info.value.driver_error is not None
        assert info.value.__cause__ is info.value.driver_error
        Entry.objects.create(name="b")
    assert names() == ["a", "b"]


def register_then_fail(db: Database, callback: Callable[[], object]) -> None:
    with db.transaction():
        db.on_commit(callback)
        raise Boom


def test_on_commit_sync(db: Database) -> None:
    calls: list[str] = []
    db.on_commit(lambda: calls.append("immediate"))
    with db.transaction():
        db.on_commit(lambda: calls.append("outer"))
        with pytest.raises(Boom):
            register_then_fail(db, lambda: calls.append("rolled back"))
        with db.transaction():
            db.on_commit(lambda: calls.append("savepoint"))
        assert calls == ["immediate"]
    assert calls == ["immediate", "outer", "savepoint"]
    with pytest.raises(Boom):
        register_then_fail(db, lambda: calls.append("never"))
    assert "never" not in calls


async def test_on_commit_async(db: Database) -> None:
    calls: list[str] = []

    async def later() -> None:
        calls.append("awaited")

    async with db.transaction():
        db.on_commit(later)
        db.on_commit(lambda: calls.append("plain"))
        assert calls == []
    assert calls == ["awaited", "plain"]


async def test_tasks_never_share_a_transaction(db: Database) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    seen: dict[str, list[str]] = {}

    async def writer() -> None:
        async with db.transaction():
            await Entry.objects.acreate(name="uncommitted")
            started.set()
            await release.wait()
            raise Boom

    async def reader() -> None:
        await started.wait()
        assert db.backend.abound() is None
        seen["reader"] = await anames()
        release.set()

    results = await asyncio.gather(writer(), reader(), return_exceptions=True)
    assert isinstance(results[0], Boom)
    assert results[1] is None
    assert seen["reader"] == []
    assert await anames() == []


async def test_child_task_does_not_inherit_transaction(db: Database) -> None:
    async with db.transaction():
        await Entry.objects.acreate(name="parent")

        async def probe() -> object:
            return db.backend.abound()

        assert await asyncio.create_task(probe()) is None
        assert db.backend.abound() is not None


def test_threads_never_share_a_transaction(db: Database) -> None:
    inside = threading.Event()
    done = threading.Event()
    seen: list[list[str]] = []

    def other() -> None:
        inside.wait(5)
        assert db.backend.bound() is None
        seen.append(names())
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with db.transaction():
        Entry.objects.create(name="pending")
        inside.set()
        done.wait(10)
    t.join()
    assert seen == [[]]
    assert names() == ["pending"]


async def test_sync_transaction_on_loop_is_refused(db: Database) -> None:
    tx = db.transaction()
    with pytest.raises(SynchronousOnlyError, match=r"async with db\.transaction"):
        tx.__enter__()


async def test_sync_transaction_in_worker_thread_while_loop_runs(db: Database) -> None:
    def work() -> list[str]:
        with db.transaction():
            Entry.objects.create(name="from-thread")
        return names()

    assert await anyio.to_thread.run_sync(work) == ["from-thread"]


async def test_cancelled_task_rolls_back_and_frees_its_connection(db: Database) -> None:
    inside = asyncio.Event()

    async def stuck() -> None:
        async with db.transaction():
            await Entry.objects.acreate(name="cancelled")
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.transaction():  # would block on the abandoned write lock if it leaked
        await Entry.objects.acreate(name="after")
    assert await anames() == ["after"]

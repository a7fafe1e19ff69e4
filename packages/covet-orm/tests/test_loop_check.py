"""The sync API refuses to run on a thread whose event loop is running, and only there.

The check is on every sync statement, so it answers the common "no loop" case from the thread's
async-generator hooks (which a running asyncio or uvloop loop installs) without raising and
catching ``get_running_loop``'s RuntimeError; these tests pin down that the shortcut never lets a
blocking call through on a loop thread and never refuses one elsewhere."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from covet.orm import CharField, Database, Model, SynchronousOnlyError, sync_orm


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'loop.db'}")
    yield database
    database.close()


def make_model(database: Database) -> type[Model]:
    class Pet(Model):
        name = CharField(max_length=20)

        class Meta:
            db = database
            table_name = "pet"

    database.create_tables([Pet])
    Pet.objects.create(name="rex")
    return Pet


def test_plain_thread_runs_sync_calls(db: Database) -> None:
    pet = make_model(db)
    assert pet.objects.get(pk=1).name == "rex"


def test_asyncio_loop_thread_refuses_sync_get(db: Database) -> None:
    pet = make_model(db)

    async def body() -> None:
        with pytest.raises(SynchronousOnlyError, match="aget"):
            pet.objects.get(pk=1)
        with pytest.raises(SynchronousOnlyError):
            list(pet.objects.all())

    asyncio.run(body())
    assert pet.objects.get(pk=1).name == "rex"  # the loop is gone: sync works again


def test_uvloop_thread_refuses_sync_get(db: Database) -> None:
    uvloop = pytest.importorskip("uvloop")
    pet = make_model(db)

    async def body() -> None:
        with pytest.raises(SynchronousOnlyError):
            pet.objects.get(pk=1)

    uvloop.run(body())


def test_hooks_without_a_loop_still_run_sync_calls(db: Database) -> None:
    """Async-generator hooks set by other code (no loop running) only cost the slow check."""
    pet = make_model(db)
    before = sys.get_asyncgen_hooks()

    def firstiter(agen: object) -> None:
        return None

    sys.set_asyncgen_hooks(firstiter=firstiter)
    try:
        assert pet.objects.get(pk=1).name == "rex"
    finally:
        sys.set_asyncgen_hooks(*before)


def test_loop_in_another_thread_does_not_refuse(db: Database) -> None:
    pet = make_model(db)
    started = threading.Event()
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def idle() -> None:
        done = asyncio.Event()
        running.append((asyncio.get_running_loop(), done))
        started.set()
        await done.wait()

    thread = threading.Thread(target=asyncio.run, args=(idle(),))
    thread.start()
    try:
        assert started.wait(10)
        assert pet.objects.get(pk=1).name == "rex"
    finally:
        loop, done = running[0]
        loop.call_soon_threadsafe(done.set)
        thread.join(10)


def test_portal_still_suspends_inside_the_loop(db: Database) -> None:
    pet = make_model(db)

    @sync_orm
    async def body() -> str:
        name: str = pet.objects.get(pk=1).name
        return name

    assert asyncio.run(body()) == "rex"

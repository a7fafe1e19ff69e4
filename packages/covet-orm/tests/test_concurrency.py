"""Transactions on PostgreSQL and MariaDB: task isolation, savepoints, unique violations."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from typing import Any

import asyncmy.errors
import asyncpg
import psycopg
import pytest

from covet.orm import CharField, Database, IntegerField, IntegrityError, Model

TASKS = 50


class Ticket(Model):
    owner = IntegerField()
    code = CharField(max_length=20, unique=True)

    class Meta:
        table_name = "conc_ticket"


MODELS = [Ticket]


class Boom(Exception):
    pass


@pytest.fixture
def sdb(server_db_url: str) -> Iterator[Database]:
    """A default database with a pool big enough for 50 concurrent transactions."""
    db = Database(server_db_url, default=True, pool_size=TASKS + 5)
    db.drop_tables([Ticket])
    db.create_tables([Ticket])
    try:
        yield db
    finally:
        db.drop_tables([Ticket])
        db.close()


async def test_fifty_tasks_never_see_each_others_uncommitted_rows(sdb: Database) -> None:
    inserted = asyncio.Barrier(TASKS)
    checked = asyncio.Barrier(TASKS)
    seen: dict[int, list[int]] = {}

    async def worker(i: int) -> None:
        async with sdb.transaction():
            await Ticket.objects.acreate(owner=i, code=f"t{i}")
            await inserted.wait()  # every task now holds an uncommitted row
            seen[i] = [t.owner async for t in Ticket.objects.all()]
            await checked.wait()

    await asyncio.gather(*(worker(i) for i in range(TASKS)))
    assert seen == {i: [i] for i in range(TASKS)}
    assert await Ticket.objects.acount() == TASKS


async def test_a_failed_task_rolls_back_only_its_own_rows(sdb: Database) -> None:
    started = asyncio.Barrier(10)

    async def worker(i: int) -> None:
        async with sdb.transaction():
            await Ticket.objects.acreate(owner=i, code=f"t{i}")
            await started.wait()
            if i % 2:
                raise Boom

    results = await asyncio.gather(*(worker(i) for i in range(10)), return_exceptions=True)
    assert [type(r) for r in results] == [type(None), Boom] * 5
    owners = sorted([t.owner async for t in Ticket.objects.all()])
    assert owners == [0, 2, 4, 6, 8]


async def test_rolled_back_savepoint_keeps_the_outer_rows(sdb: Database, api: Any) -> None:
    def sync_inner() -> None:
        with sdb.transaction():
            Ticket.objects.create(owner=2, code="inner")
            raise Boom

    def sync_body() -> None:
        with sdb.transaction():
            Ticket.objects.create(owner=1, code="outer-1")
            with pytest.raises(Boom):
                sync_inner()
            Ticket.objects.create(owner=3, code="outer-2")

    async def async_inner() -> None:
        async with sdb.transaction():
            await Ticket.objects.acreate(owner=2, code="inner")
            raise Boom

    async def async_body() -> None:
        async with sdb.transaction():
            await Ticket.objects.acreate(owner=1, code="outer-1")
            with pytest.raises(Boom):
                await async_inner()
            await Ticket.objects.acreate(owner=3, code="outer-2")

    await (async_body() if api.is_async else asyncio.to_thread(sync_body))
    codes = sorted(await api.list(Ticket.objects.values_list("code", flat=True)))
    assert codes == ["outer-1", "outer-2"]


async def test_unique_violation_in_a_savepoint_leaves_the_transaction_usable(
    sdb: Database, api: Any
) -> None:
    """PostgreSQL aborts a whole transaction on an error unless a savepoint contains it."""

    def sync_body() -> None:
        with sdb.transaction():
            Ticket.objects.create(owner=1, code="same")
            with pytest.raises(IntegrityError), sdb.transaction():
                Ticket.objects.create(owner=2, code="same")
            Ticket.objects.create(owner=3, code="other")

    async def async_body() -> None:
        async with sdb.transaction():
            await Ticket.objects.acreate(owner=1, code="same")
            with pytest.raises(IntegrityError):
                async with sdb.transaction():
                    await Ticket.objects.acreate(owner=2, code="same")
            await Ticket.objects.acreate(owner=3, code="other")

    await (async_body() if api.is_async else asyncio.to_thread(sync_body))
    owners = sorted(await api.list(Ticket.objects.values_list("owner", flat=True)))
    assert owners == [1, 3]


DRIVER_UNIQUE_ERROR = {
    ("sqlite", "sync"): sqlite3.IntegrityError,
    ("sqlite", "async"): sqlite3.IntegrityError,
    ("postgres", "sync"): psycopg.errors.UniqueViolation,
    ("postgres", "async"): asyncpg.UniqueViolationError,
    ("mysql", "sync"): asyncmy.errors.IntegrityError,
    ("mysql", "async"): asyncmy.errors.IntegrityError,
}


@pytest.mark.usefixtures("tables")
async def test_unique_violation_is_integrity_error_on_every_backend(backend: str, api: Any) -> None:
    await api(Ticket.objects, "create", owner=1, code="dup")
    with pytest.raises(IntegrityError) as info:
        await api(Ticket.objects, "create", owner=2, code="dup")
    assert isinstance(info.value.driver_error, DRIVER_UNIQUE_ERROR[backend, api.name])
    assert info.value.__cause__ is info.value.driver_error
    assert await api(Ticket.objects, "count") == 1

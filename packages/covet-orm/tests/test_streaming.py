"""QuerySet.iterator(chunk_size=) / aiterator(): the same objects as a plain evaluation, read in
chunks (server-side cursor on PostgreSQL, unbuffered result on MariaDB, stepping on SQLite), on
every backend through both APIs. Peak memory on a million rows is measured by
scripts/bench/orm/streaming.py, not here."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from covet.orm import CharField, Database, IntegerField, Model, TransactionManagementError


class Row(Model):
    n = IntegerField()
    name = CharField(max_length=20)

    class Meta:
        table_name = "test_stream_row"
        ordering = ["n"]


MODELS = [Row]
pytestmark = pytest.mark.usefixtures("tables")


async def _fill(api: Any, count: int) -> None:
    await api(Row.objects, "bulk_create", [Row(n=i, name=f"r{i}") for i in range(count)])


async def _iterate(api: Any, qs: Any, chunk_size: int) -> list[Any]:
    if api.is_async:
        return [obj async for obj in qs.aiterator(chunk_size=chunk_size)]
    return await api.run(lambda: list(qs.iterator(chunk_size=chunk_size)))


async def test_iterator_gives_what_evaluation_gives(api: Any) -> None:
    await _fill(api, 25)
    streamed = await _iterate(api, Row.objects.all(), 7)
    assert [(r.n, r.name) for r in streamed] == [(i, f"r{i}") for i in range(25)]
    assert await _iterate(api, Row.objects.filter(n__gte=20).values_list("n", flat=True), 2) == [
        20, 21, 22, 23, 24,
    ]  # fmt: skip
    assert await _iterate(api, Row.objects.filter(n__lt=0), 5) == []


async def test_rows_arrive_in_chunks(api: Any, db: Database) -> None:
    await _fill(api, 25)
    sql = "SELECT n FROM test_stream_row ORDER BY n"
    if api.is_async:
        sizes = [len(chunk) async for chunk in db.astream(sql, [], 10)]
    else:
        sizes = await api.run(lambda: [len(c) for c in db.stream(sql, [], 10, "stream")])
    assert sizes == [10, 10, 5]


async def test_stopping_early_gives_the_connection_back(db_url: str, api: Any) -> None:
    db = Database(db_url, default=False, pool_size=1, connect_timeout=2)
    Row._meta.db = db
    try:
        await _fill(api, 30)
        if api.is_async:
            async for obj in Row.objects.aiterator(chunk_size=4):
                assert obj.n == 0
                break
        else:

            def first() -> int:
                for obj in Row.objects.iterator(chunk_size=4):
                    return obj.n
                raise AssertionError("no rows")

            assert await api.run(first) == 0
        # pool_size=1: this would time out if the streaming connection had not come back
        assert await api(Row.objects, "count") == 30
    finally:
        Row._meta.db = None
        await (db.aclose() if api.is_async else asyncio.to_thread(db.close))


async def test_iterator_inside_a_transaction_sees_its_rows(api: Any, db: Database) -> None:
    def sync_body() -> list[int]:
        with db.transaction():
            Row.objects.create(n=1, name="pending")
            seen = [r.n for r in Row.objects.iterator(chunk_size=1)]
            Row.objects.create(n=2, name="after")  # the connection is usable again
            return seen

    async def async_body() -> list[int]:
        async with db.transaction():
            await Row.objects.acreate(n=1, name="pending")
            seen = [r.n async for r in Row.objects.aiterator(chunk_size=1)]
            await Row.objects.acreate(n=2, name="after")
            return seen

    seen = await (async_body() if api.is_async else asyncio.to_thread(sync_body))
    assert seen == [1]
    assert await api(Row.objects, "count") == 2


@pytest.mark.parametrize("size", [0, -1, 1.5, True, None])
async def test_chunk_size_must_be_a_positive_integer(size: object) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        Row.objects.iterator(chunk_size=size).__next__()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_size"):
        await Row.objects.aiterator(chunk_size=size).__anext__()  # type: ignore[arg-type]


async def test_select_for_update_iterator_needs_a_transaction() -> None:
    with pytest.raises(TransactionManagementError):
        await Row.objects.select_for_update().aiterator().__anext__()

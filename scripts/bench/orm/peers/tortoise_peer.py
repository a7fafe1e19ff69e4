"""Tortoise ORM 1.x (async): aiosqlite, asyncpg, asyncmy."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from _workload import Config, Row, chunks, new_level
from tortoise import Tortoise, fields
from tortoise.models import Model
from tortoise.transactions import in_transaction

IS_ASYNC = True


class Journal(Model):
    id = fields.BigIntField(primary_key=True)
    timestamp = fields.DatetimeField()
    level = fields.SmallIntField(db_index=True)
    text = fields.CharField(max_length=255, db_index=True)

    class Meta:
        table = "journal"


def tortoise_url(cfg: Config) -> str:
    if cfg.db == "sqlite":
        return f"sqlite://{cfg.url}"
    if cfg.db == "postgres":
        return cfg.url.replace("postgresql://", "asyncpg://")
    base = (
        cfg.url
        if "@" not in cfg.url or ":" in cfg.url.split("@")[0][8:]
        else cfg.url.replace("@", ":@", 1)
    )
    return base + "?charset=utf8mb4"


class TortoisePeer:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.rnd = random.Random(7)

    async def start(self) -> TortoisePeer:
        await Tortoise.init(db_url=tortoise_url(self.cfg), modules={"models": [__name__]})
        return self

    async def insert_single(self, rows: Sequence[Row]) -> None:
        async with in_transaction():
            for ts, lv, tx in rows:
                await Journal.create(timestamp=ts, level=lv, text=tx)

    async def insert_batch(self, rows: Sequence[Row]) -> None:
        async with in_transaction():
            for chunk in chunks(rows, 100):
                await Journal.bulk_create(
                    [Journal(timestamp=ts, level=lv, text=tx) for ts, lv, tx in chunk]
                )

    async def insert_bulk(self, rows: Sequence[Row]) -> None:
        objs = [Journal(timestamp=ts, level=lv, text=tx) for ts, lv, tx in rows]
        await Journal.bulk_create(objs, batch_size=500)

    async def filter_large(self, limit: int) -> int:
        return len(await Journal.filter(level__gte=10).limit(limit))

    async def filter_small(self, level: int, offset: int) -> int:
        return len(await Journal.filter(level=level).limit(20).offset(offset))

    async def get(self, pk: int) -> Any:
        return await Journal.get(id=pk)

    async def dicts(self, limit: int) -> int:
        return len(await Journal.filter(level__gte=10).limit(limit).values())

    async def tuples(self, limit: int) -> int:
        return len(await Journal.filter(level__gte=10).limit(limit).values_list())

    async def load(self, limit: int) -> list[Any]:
        return list(await Journal.all().limit(limit))

    async def update_whole(self, objs: list[Any]) -> None:
        async with in_transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                await o.save()

    async def update_partial(self, objs: list[Any]) -> None:
        async with in_transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                await o.save(update_fields=["level"])

    async def delete(self, objs: list[Any]) -> None:
        async with in_transaction():
            for o in objs:
                await o.delete()

    async def close(self) -> None:
        await Tortoise.close_connections()


async def make(cfg: Config) -> TortoisePeer:
    return await TortoisePeer(cfg).start()

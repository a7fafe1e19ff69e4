"""covet-orm, sync API (sqlite3; asyncpg / asyncmy on private event loops)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from _workload import Config, Row, chunks, new_level

IS_ASYNC = False


def covet_url(cfg: Config) -> str:
    if cfg.db == "sqlite":
        return f"sqlite:///{cfg.url}"
    return cfg.url


def define(cfg: Config) -> tuple[Any, Any]:
    from covet.orm import CharField, Database, DateTimeField, Model, SmallIntegerField

    database = Database(covet_url(cfg))

    class Journal(Model):
        timestamp = DateTimeField()
        level = SmallIntegerField(index=True)
        text = CharField(max_length=255, index=True)

        class Meta:
            table_name = "journal"
            db = database

    return database, Journal


class CovetSync:
    def __init__(self, cfg: Config) -> None:
        self.db, self.J = define(cfg)
        self.rnd = random.Random(7)

    def insert_single(self, rows: Sequence[Row]) -> None:
        J = self.J
        with self.db.transaction():
            for ts, lv, tx in rows:
                J.objects.create(timestamp=ts, level=lv, text=tx)

    def insert_batch(self, rows: Sequence[Row]) -> None:
        J = self.J
        with self.db.transaction():
            for chunk in chunks(rows, 100):
                J.objects.bulk_create([J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in chunk])

    def insert_bulk(self, rows: Sequence[Row]) -> None:
        J = self.J
        J.objects.bulk_create([J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in rows])

    def filter_large(self, limit: int) -> int:
        return len(list(self.J.objects.filter(level__gte=10)[:limit]))

    def filter_small(self, level: int, offset: int) -> int:
        return len(list(self.J.objects.filter(level=level)[offset : offset + 20]))

    def get(self, pk: int) -> Any:
        return self.J.objects.get(id=pk)

    def dicts(self, limit: int) -> int:
        return len(list(self.J.objects.filter(level__gte=10).values()[:limit]))

    def tuples(self, limit: int) -> int:
        return len(list(self.J.objects.filter(level__gte=10).values_list()[:limit]))

    def load(self, limit: int) -> list[Any]:
        return list(self.J.objects.all()[:limit])

    def update_whole(self, objs: list[Any]) -> None:
        with self.db.transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                o.save()

    def update_partial(self, objs: list[Any]) -> None:
        with self.db.transaction():
            for o in objs:
                o.level = new_level(self.rnd)
                o.save(update_fields=["level"])

    def delete(self, objs: list[Any]) -> None:
        with self.db.transaction():
            for o in objs:
                o.delete()

    def close(self) -> None:
        self.db.close()


def make(cfg: Config) -> CovetSync:
    return CovetSync(cfg)

"""Peewee 4 (sync): sqlite3, psycopg 3, PyMySQL."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import peewee as pw
from _workload import Config, Row, chunks, mysql_params, new_level

IS_ASYNC = False


class Journal(pw.Model):
    timestamp = pw.DateTimeField()
    level = pw.SmallIntegerField(index=True)
    text = pw.CharField(max_length=255, index=True)

    class Meta:
        table_name = "journal"


class PeeweePeer:
    def __init__(self, cfg: Config) -> None:
        self.rnd = random.Random(7)
        self.naive = cfg.db != "postgres"
        if cfg.db == "sqlite":
            self.db: Any = pw.SqliteDatabase(cfg.url, pragmas={"journal_mode": "wal"})
        elif cfg.db == "postgres":
            self.db = pw.PostgresqlDatabase(cfg.url)
        else:
            params = mysql_params(cfg.url)
            self.db = pw.MySQLDatabase(params.pop("database"), charset="utf8mb4", **params)
        self.db.bind([Journal])
        self.db.connect()

    def _data(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        return [(ts.replace(tzinfo=None) if self.naive else ts, lv, tx) for ts, lv, tx in rows]

    def insert_single(self, rows: Sequence[Row]) -> None:
        with self.db.atomic():
            for ts, lv, tx in self._data(rows):
                Journal.create(timestamp=ts, level=lv, text=tx)

    def insert_batch(self, rows: Sequence[Row]) -> None:
        fields = [Journal.timestamp, Journal.level, Journal.text]
        with self.db.atomic():
            for chunk in chunks(self._data(rows), 100):
                Journal.insert_many(chunk, fields).execute()

    def insert_bulk(self, rows: Sequence[Row]) -> None:
        fields = [Journal.timestamp, Journal.level, Journal.text]
        for chunk in chunks(self._data(rows), 500):
            Journal.insert_many(chunk, fields).execute()

    def filter_large(self, limit: int) -> int:
        return len(list(Journal.select().where(Journal.level >= 10).limit(limit)))

    def filter_small(self, level: int, offset: int) -> int:
        return len(list(Journal.select().where(Journal.level == level).limit(20).offset(offset)))

    def get(self, pk: int) -> Any:
        return Journal.get_by_id(pk)

    def dicts(self, limit: int) -> int:
        return len(list(Journal.select().where(Journal.level >= 10).limit(limit).dicts()))

    def tuples(self, limit: int) -> int:
        return len(list(Journal.select().where(Journal.level >= 10).limit(limit).tuples()))

    def load(self, limit: int) -> list[Any]:
        return list(Journal.select().limit(limit))

    def update_whole(self, objs: list[Any]) -> None:
        with self.db.atomic():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                o.save()

    def update_partial(self, objs: list[Any]) -> None:
        with self.db.atomic():
            for o in objs:
                o.level = new_level(self.rnd)
                o.save(only=[Journal.level])

    def delete(self, objs: list[Any]) -> None:
        with self.db.atomic():
            for o in objs:
                o.delete_instance()

    def close(self) -> None:
        self.db.close()


def make(cfg: Config) -> PeeweePeer:
    return PeeweePeer(cfg)

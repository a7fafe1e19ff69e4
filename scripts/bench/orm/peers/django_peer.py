"""Django 5.2 ORM (sync): sqlite3, psycopg 3, PyMySQL standing in for mysqlclient."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from _workload import Config, Row, chunks, mysql_params, new_level

IS_ASYNC = False


def _settings(cfg: Config) -> dict[str, Any]:
    if cfg.db == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": cfg.url}
    if cfg.db == "postgres":
        u = urlsplit(cfg.url)
        return {
            "ENGINE": "django.db.backends.postgresql", "NAME": u.path.lstrip("/"),
            "USER": u.username or "",
            "HOST": u.hostname or "", "PORT": str(u.port or 5432), "PASSWORD": u.password or "",
        }  # fmt: skip
    import pymysql

    pymysql.install_as_MySQLdb()
    p = mysql_params(cfg.url)
    return {
        "ENGINE": "django.db.backends.mysql", "NAME": p["database"], "USER": p["user"],
        "PASSWORD": p["password"],
        "HOST": p["host"], "PORT": str(p["port"]), "OPTIONS": {"charset": "utf8mb4"},
    }  # fmt: skip


class DjangoPeer:
    def __init__(self, cfg: Config) -> None:
        import django
        from django.conf import settings

        settings.configure(
            DATABASES={"default": _settings(cfg)},
            INSTALLED_APPS=[],
            USE_TZ=True,
            TIME_ZONE="UTC",
            DEBUG=False,
        )
        django.setup()
        from django.db import models, transaction

        class Journal(models.Model):
            timestamp = models.DateTimeField()
            level = models.SmallIntegerField(db_index=True)
            text = models.CharField(max_length=255, db_index=True)

            class Meta:
                app_label = "bench"
                db_table = "journal"

        self.Journal = Journal
        self.atomic = transaction.atomic
        self.rnd = random.Random(7)

    def insert_single(self, rows: Sequence[Row]) -> None:
        with self.atomic():
            for ts, lv, tx in rows:
                self.Journal.objects.create(timestamp=ts, level=lv, text=tx)

    def insert_batch(self, rows: Sequence[Row]) -> None:
        J = self.Journal
        with self.atomic():
            for chunk in chunks(rows, 100):
                J.objects.bulk_create([J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in chunk])

    def insert_bulk(self, rows: Sequence[Row]) -> None:
        J = self.Journal
        J.objects.bulk_create(
            [J(timestamp=ts, level=lv, text=tx) for ts, lv, tx in rows], batch_size=500
        )

    def filter_large(self, limit: int) -> int:
        return len(list(self.Journal.objects.filter(level__gte=10)[:limit]))

    def filter_small(self, level: int, offset: int) -> int:
        return len(list(self.Journal.objects.filter(level=level)[offset : offset + 20]))

    def get(self, pk: int) -> Any:
        return self.Journal.objects.get(id=pk)

    def dicts(self, limit: int) -> int:
        return len(list(self.Journal.objects.filter(level__gte=10).values()[:limit]))

    def tuples(self, limit: int) -> int:
        return len(list(self.Journal.objects.filter(level__gte=10).values_list()[:limit]))

    def load(self, limit: int) -> list[Any]:
        return list(self.Journal.objects.all()[:limit])

    def update_whole(self, objs: list[Any]) -> None:
        with self.atomic():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                o.save()

    def update_partial(self, objs: list[Any]) -> None:
        with self.atomic():
            for o in objs:
                o.level = new_level(self.rnd)
                o.save(update_fields=["level"])

    def delete(self, objs: list[Any]) -> None:
        with self.atomic():
            for o in objs:
                o.delete()

    def close(self) -> None:
        from django.db import connections

        connections.close_all()


def make(cfg: Config) -> DjangoPeer:
    return DjangoPeer(cfg)

"""SQLAlchemy 2 ORM, sync: sqlite3, psycopg 3, PyMySQL. Each save is a flush of one object."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from _workload import Config, Row, chunks, new_level
from sqlalchemy import DateTime, SmallInteger, String, create_engine, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

IS_ASYNC = False


class Base(DeclarativeBase):
    pass


class Journal(Base):
    __tablename__ = "journal"
    id: Mapped[int] = mapped_column(primary_key=True)
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    text: Mapped[str] = mapped_column(String(255), index=True)


COLS = (Journal.id, Journal.timestamp, Journal.level, Journal.text)


def engine_url(cfg: Config, asyncio: bool) -> str:
    if cfg.db == "sqlite":
        return f"sqlite+{'aiosqlite' if asyncio else 'pysqlite'}:///{cfg.url}"
    if cfg.db == "postgres":
        return cfg.url.replace(
            "postgresql://", "postgresql+asyncpg://" if asyncio else "postgresql+psycopg://"
        )
    return (
        cfg.url.replace("mysql://", "mysql+asyncmy://" if asyncio else "mysql+pymysql://")
        + "?charset=utf8mb4"
    )


def values(cfg: Config, rows: Sequence[Row]) -> list[dict[str, Any]]:
    naive = cfg.db == "mysql"
    return [
        {"timestamp": ts.replace(tzinfo=None) if naive else ts, "level": lv, "text": tx}
        for ts, lv, tx in rows
    ]


class SASync:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.engine = create_engine(engine_url(cfg, False))
        self.session = Session(self.engine, expire_on_commit=False)
        self.rnd = random.Random(7)

    def insert_single(self, rows: Sequence[Row]) -> None:
        with self.session.begin():
            for v in values(self.cfg, rows):
                self.session.add(Journal(**v))
                self.session.flush()

    def insert_batch(self, rows: Sequence[Row]) -> None:
        with self.session.begin():
            for chunk in chunks(values(self.cfg, rows), 100):
                self.session.add_all([Journal(**v) for v in chunk])
                self.session.flush()

    def insert_bulk(self, rows: Sequence[Row]) -> None:
        with self.session.begin():
            self.session.execute(insert(Journal), values(self.cfg, rows))

    def _read(self, stmt: Any) -> list[Any]:
        with self.session.begin():
            return list(self.session.scalars(stmt).all())

    def filter_large(self, limit: int) -> int:
        return len(self._read(select(Journal).where(Journal.level >= 10).limit(limit)))

    def filter_small(self, level: int, offset: int) -> int:
        return len(
            self._read(select(Journal).where(Journal.level == level).limit(20).offset(offset))
        )

    def get(self, pk: int) -> Any:
        with self.session.begin():
            return self.session.execute(select(Journal).where(Journal.id == pk)).scalar_one()

    def dicts(self, limit: int) -> int:
        with self.session.begin():
            res = self.session.execute(select(*COLS).where(Journal.level >= 10).limit(limit))
            return len(res.mappings().all())

    def tuples(self, limit: int) -> int:
        with self.session.begin():
            return len(
                self.session.execute(select(*COLS).where(Journal.level >= 10).limit(limit)).all()
            )

    def load(self, limit: int) -> list[Any]:
        return self._read(select(Journal).limit(limit))

    def update_whole(self, objs: list[Any]) -> None:
        with self.session.begin():
            for o in objs:
                o.level = new_level(self.rnd)
                o.text = f"{o.text} Update"
                self.session.flush()

    def update_partial(self, objs: list[Any]) -> None:
        with self.session.begin():
            for o in objs:
                o.level = new_level(self.rnd)
                self.session.flush()

    def delete(self, objs: list[Any]) -> None:
        with self.session.begin():
            for o in objs:
                self.session.delete(o)
                self.session.flush()

    def close(self) -> None:
        self.session.close()
        self.engine.dispose()


def make(cfg: Config) -> SASync:
    return SASync(cfg)

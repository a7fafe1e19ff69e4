"""Raw sync DB-API drivers: sqlite3, psycopg 3, PyMySQL; hand-written SQL, the driver's rows."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from typing import Any

from _workload import Config, Row, chunks, mysql_params, new_level

COLS = "id, timestamp, level, text"


class RawSync:
    def __init__(self, cfg: Config, driver: str) -> None:
        self.rnd = random.Random(7)
        self.iso = False
        self.naive = driver == "pymysql"
        if driver == "sqlite3":
            self.conn: Any = sqlite3.connect(cfg.url, isolation_level=None)
            self.p = "?"
            self.iso = True  # stdlib sqlite3: store timestamps as ISO text, as the ORMs do
        elif driver == "psycopg":
            import psycopg

            self.conn = psycopg.connect(cfg.url, autocommit=True)
            self.p = "%s"
        else:
            import pymysql

            self.conn = pymysql.connect(**mysql_params(cfg.url), autocommit=True, charset="utf8mb4")
            self.p = "%s"
        p = self.p
        self.ins = f"INSERT INTO journal (timestamp, level, text) VALUES ({p}, {p}, {p})"
        self.sel = f"SELECT {COLS} FROM journal"
        self.cur = self.conn.cursor()

    def _rows(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        if self.iso:
            return [(ts.isoformat(), lv, tx) for ts, lv, tx in rows]
        if self.naive:  # MySQL DATETIME(6) holds UTC without an offset
            return [(ts.replace(tzinfo=None), lv, tx) for ts, lv, tx in rows]
        return list(rows)

    def _begin(self) -> None:
        self.cur.execute("BEGIN")

    def _commit(self) -> None:
        self.cur.execute("COMMIT")

    def insert_single(self, rows: Sequence[Row]) -> None:
        self._begin()
        for row in self._rows(rows):
            self.cur.execute(self.ins, row)
        self._commit()

    def insert_batch(self, rows: Sequence[Row]) -> None:
        self._begin()
        for chunk in chunks(self._rows(rows), 100):
            self.cur.executemany(self.ins, chunk)
        self._commit()

    def insert_bulk(self, rows: Sequence[Row]) -> None:
        p = self.p
        for chunk in chunks(self._rows(rows), 500):
            values = ", ".join([f"({p}, {p}, {p})"] * len(chunk))
            params = [v for row in chunk for v in row]
            self.cur.execute(
                f"INSERT INTO journal (timestamp, level, text) VALUES {values}", params
            )

    def filter_large(self, limit: int) -> int:
        self.cur.execute(f"{self.sel} WHERE level >= {self.p} LIMIT {self.p}", (10, limit))
        return len(self.cur.fetchall())

    def filter_small(self, level: int, offset: int) -> int:
        p = self.p
        self.cur.execute(f"{self.sel} WHERE level = {p} LIMIT {p} OFFSET {p}", (level, 20, offset))
        return len(self.cur.fetchall())

    def get(self, pk: int) -> Any:
        self.cur.execute(f"{self.sel} WHERE id = {self.p}", (pk,))
        return self.cur.fetchone()

    def dicts(self, limit: int) -> int:
        self.cur.execute(f"{self.sel} WHERE level >= {self.p} LIMIT {self.p}", (10, limit))
        names = [d[0] for d in self.cur.description]
        return len([dict(zip(names, r, strict=True)) for r in self.cur.fetchall()])

    def tuples(self, limit: int) -> int:
        return self.filter_large(limit)

    def load(self, limit: int) -> list[Any]:
        self.cur.execute(f"{self.sel} LIMIT {self.p}", (limit,))
        return [list(r) for r in self.cur.fetchall()]

    def update_whole(self, objs: list[Any]) -> None:
        p = self.p
        sql = f"UPDATE journal SET timestamp = {p}, level = {p}, text = {p} WHERE id = {p}"
        self._begin()
        for o in objs:
            o[2] = new_level(self.rnd)
            o[3] = f"{o[3]} Update"
            self.cur.execute(sql, (o[1], o[2], o[3], o[0]))
        self._commit()

    def update_partial(self, objs: list[Any]) -> None:
        sql = f"UPDATE journal SET level = {self.p} WHERE id = {self.p}"
        self._begin()
        for o in objs:
            o[2] = new_level(self.rnd)
            self.cur.execute(sql, (o[2], o[0]))
        self._commit()

    def delete(self, objs: list[Any]) -> None:
        sql = f"DELETE FROM journal WHERE id = {self.p}"
        self._begin()
        for o in objs:
            self.cur.execute(sql, (o[0],))
        self._commit()

    def close(self) -> None:
        self.cur.close()
        self.conn.close()

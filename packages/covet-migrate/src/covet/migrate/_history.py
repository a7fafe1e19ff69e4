"""The ``covet_migrations`` history table and the deploy lock, as plans (see ``_plan``).

One row per applied migration: app, name, the SHA-256 of its file, when it was applied (UTC) and
how long it took. ``progress`` is set while a non-atomic migration (every MariaDB migration:
MariaDB commits each DDL statement) is partly applied: the number of its steps done, so ``up``
resumes after the last one; negative while partly unapplied. It is NULL once complete.

The deploy lock serialises concurrent runs: a session advisory lock on PostgreSQL, ``GET_LOCK``
on MariaDB, and on SQLite the write lock of ``BEGIN IMMEDIATE``, held for the whole run (each
migration is then a savepoint).
"""

from __future__ import annotations

import datetime as dt
import time
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from covet.migrate._exceptions import LockTimeout
from covet.migrate._plan import Begin, Commit, Execute, Fetch, Plan, Say, Sleep
from covet.migrate._state import ModelState
from covet.orm import BigAutoField, CharField, DateTimeField, FloatField, IntegerField
from covet.orm.sql import ddl

if TYPE_CHECKING:
    from covet.orm import Database
    from covet.orm.sql.dialect import Dialect

TABLE = "covet_migrations"

HISTORY = ModelState(
    "covet",
    "MigrationRecord",
    [
        ("id", BigAutoField()),
        ("app", CharField(max_length=255)),
        ("name", CharField(max_length=255)),
        ("checksum", CharField(max_length=64)),
        ("applied_at", DateTimeField()),
        ("duration", FloatField()),
        ("progress", IntegerField(null=True)),
    ],
    table_name=TABLE,
    unique_together=[("app", "name")],
)


@dataclass(frozen=True)
class Record:
    """A row of the history table."""

    app: str
    name: str
    checksum: str
    applied_at: dt.datetime
    duration: float
    progress: int | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.app, self.name)

    @property
    def complete(self) -> bool:
        return self.progress is None


class History:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.model = HISTORY.render()
        self.q = dialect.quote
        self.p = dialect.param

    def exists(self) -> Plan[bool]:
        name = self.dialect.name
        if name == "sqlite":
            sql = (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'covet_migrations'"
            )
        elif name == "postgresql":
            sql = (
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema() AND table_name = 'covet_migrations'"
            )
        else:
            sql = (
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = 'covet_migrations'"
            )
        rows = yield Fetch(sql)
        return bool(rows)

    def ensure(self) -> Plan[None]:
        """Create the table unless it exists (asked first: MariaDB warns on IF NOT EXISTS)."""
        if (yield from self.exists()):
            return
        yield Execute(ddl.create_table_statement(self.model, self.dialect))

    def read(self) -> Plan[list[Record]]:
        q = self.q
        rows = yield Fetch(
            f"SELECT {q('app')} AS app, {q('name')} AS name, {q('checksum')} AS checksum, "  # noqa: S608
            f"{q('applied_at')} AS applied_at, {q('duration')} AS duration, "
            f"{q('progress')} AS progress FROM {q(TABLE)} ORDER BY {q('id')}"
        )
        convert = self.model._meta.get_field("applied_at").converter(self.dialect)
        out = []
        for row in rows:
            when = row["applied_at"]
            if convert is not None and when is not None:
                when = convert(when)
            progress = row["progress"]
            out.append(
                Record(
                    row["app"], row["name"], row["checksum"], when, float(row["duration"]),
                    None if progress is None else int(progress),
                )
            )  # fmt: skip
        return out

    def insert(self, app: str, name: str, checksum: str, duration: float, progress: int | None):  # type: ignore[no-untyped-def]
        q, p = self.q, self.p
        now = self.model._meta.get_field("applied_at").adapter(self.dialect)(
            dt.datetime.now(dt.UTC)
        )
        cols = ("app", "name", "checksum", "applied_at", "duration", "progress")
        yield Execute(
            f"INSERT INTO {q(TABLE)} ({', '.join(q(c) for c in cols)}) "  # noqa: S608
            f"VALUES ({', '.join(p(i + 1) for i in range(len(cols)))})",
            (app, name, checksum, now, duration, progress),
        )

    def update(self, app: str, name: str, **values: Any) -> Plan[None]:
        q, p = self.q, self.p
        names = list(values)
        sets = ", ".join(f"{q(n)} = {p(i + 1)}" for i, n in enumerate(names))
        n = len(names)
        where = f"{q('app')} = {p(n + 1)} AND {q('name')} = {p(n + 2)}"
        yield Execute(
            f"UPDATE {q(TABLE)} SET {sets} WHERE {where}",  # noqa: S608 (quoted names)
            (*values.values(), app, name),
        )

    def delete(self, app: str, name: str) -> Plan[None]:
        q, p = self.q, self.p
        yield Execute(
            f"DELETE FROM {q(TABLE)} WHERE {q('app')} = {p(1)} AND {q('name')} = {p(2)}",  # noqa: S608
            (app, name),
        )


# -- the deploy lock -------------------------------------------------------------------------------
LOCK_KEY = zlib.crc32(b"covet.migrate") & 0x7FFFFFFF
WAIT_MESSAGE = (
    "waiting for the migration lock: another 'covet migrate' run holds it{holder} "
    "(giving up after {timeout:g}s)"
)


def acquire_lock(db: Database, timeout: float) -> Plan[None]:
    name = db.dialect.name
    start = time.monotonic()
    next_note = 0.0
    while True:
        if name == "sqlite":
            got = yield from _sqlite_try_lock()
        elif name == "postgresql":
            rows = yield Fetch(f"SELECT pg_try_advisory_lock({LOCK_KEY}) AS ok")
            got = bool(rows[0]["ok"])
        else:
            rows = yield Fetch("SELECT GET_LOCK(%s, 1) AS ok", (_mysql_lock_name(db),))
            got = rows[0]["ok"] == 1
        if got:
            return
        waited = time.monotonic() - start
        if waited >= next_note:
            holder = yield from _holder(db)
            if next_note == 0.0:
                yield Say(WAIT_MESSAGE.format(holder=holder, timeout=timeout))
            else:
                yield Say(f"still waiting for the migration lock ({waited:.0f}s){holder}")
            next_note = waited + 10.0
        if waited >= timeout:
            raise LockTimeout(
                f"gave up after {waited:.1f}s waiting for the migration lock; another "
                f"'covet migrate' run is still holding it{(yield from _holder(db))}. "
                "Wait for it to finish, or raise --lock-timeout"
            )
        if name == "postgresql":
            yield Sleep(0.25)


def _sqlite_try_lock() -> Plan[bool]:
    from covet.orm import OperationalError

    yield Execute("PRAGMA foreign_keys = OFF")
    try:
        yield Begin()  # BEGIN IMMEDIATE: waits busy_timeout for other writers
    except OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return False
        raise
    return True


def _holder(db: Database) -> Plan[str]:
    name = db.dialect.name
    if name == "postgresql":
        rows = yield Fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "  # noqa: S608
            f"AND objid = {LOCK_KEY} AND database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database())"
        )
        return f" (server process {rows[0]['pid']})" if rows else ""
    if name == "mysql":
        rows = yield Fetch("SELECT IS_USED_LOCK(%s) AS id", (_mysql_lock_name(db),))
        return f" (connection {rows[0]['id']})" if rows and rows[0]["id"] else ""
    return ""


def release_lock(db: Database) -> Plan[None]:
    name = db.dialect.name
    if name == "sqlite":
        yield Commit()
        yield Execute("PRAGMA foreign_keys = ON")
    elif name == "postgresql":
        yield Fetch(f"SELECT pg_advisory_unlock({LOCK_KEY}) AS ok")
    else:
        yield Fetch("SELECT RELEASE_LOCK(%s) AS ok", (_mysql_lock_name(db),))


def _mysql_lock_name(db: Database) -> str:
    return f"covet_migrate.{db.url.database}"[:64]

"""MySQL/MariaDB backend: asyncmy for the async API and, on private event loops, for the sync API.

URL: ``mysql://user:password@host:3306/dbname`` or ``mariadb://...`` (``?unix_socket=/run/mysqld/
mysqld.sock`` for a socket). MariaDB 10.11 is tested; MySQL 8 is best effort.

Every connection runs with ``autocommit=True`` (a pooled connection in a transaction would hold
snapshots and metadata locks: ``DROP TABLE`` would hang), transactions are explicit ``START
TRANSACTION``; ``CLIENT.FOUND_ROWS`` (an UPDATE's rowcount is the rows it matched, as on SQLite and
PostgreSQL); ``charset=utf8mb4``; ``time_zone='+00:00'`` (``DATETIME(6)`` holds UTC); a strict
``sql_mode``. ``command_timeout`` becomes MariaDB's ``max_statement_time`` (MySQL:
``max_execution_time``). Errors are mapped by MySQL error code (1062 -> IntegrityError, ...).

``%`` in SQL text (DB-API "format" style, as Django): with parameters the text is a format string,
so a literal ``%`` is written ``%%`` (misuse is a ``ProgrammingError`` saying so); without
parameters the text is sent as written, except that text in which every ``%`` is doubled (the
ORM's own SQL, or raw SQL written for the parameter rule) still means one ``%`` per ``%%``.

A cancelled statement is stopped on the server with ``KILL CONNECTION`` from a separate connection
(bounded by ``connect_timeout``, at most 5 s) and its connection is dropped, never pooled: MariaDB
would otherwise run it to the end, and the connection would hold its unread result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import asyncmy
import asyncmy.errors as myerr
from asyncmy.constants import CLIENT, FIELD_TYPE
from asyncmy.converters import conversions, convert_datetime

from covet.orm import _exceptions as exc
from covet.orm.backends._pools import ServerBackend
from covet.orm.backends._server import ServerConnection, drop_transport, transport_quiet
from covet.orm.backends.base import ExecResult, Params, Row

SQL_MODE = (
    "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
    "NO_ENGINE_SUBSTITUTION"
)

_CODES: dict[type[exc.DatabaseError], frozenset[int]] = {
    # duplicate key, foreign keys, NOT NULL, no default for a NOT NULL column, CHECK constraints
    exc.IntegrityError: frozenset(
        {1022, 1048, 1062, 1169, 1216, 1217, 1364, 1451, 1452, 1557, 1586, 3819, 4025}
    ),
    # out of range, truncated, wrong value for the column, too long, invalid JSON
    exc.DataError: frozenset(
        {1264, 1265, 1292, 1365, 1366, 1367, 1406, 1411, 1416, 1690, 3140, 4038}
    ),
    # syntax, unknown table/column/database, already exists, ambiguous, bad index
    exc.ProgrammingError: frozenset(
        {1044, 1049, 1050, 1051, 1052, 1054, 1060, 1061, 1064, 1072, 1091, 1109, 1110, 1142,
         1146, 1149, 1193}
    ),
    exc.NotSupportedError: frozenset({1235, 1295}),
    # lock wait timeout, deadlock, gone away, lost, killed, too many connections, timeouts
    exc.OperationalError: frozenset(
        {1040, 1045, 1053, 1152, 1158, 1159, 1160, 1161, 1205, 1213, 1927, 1969, 2002, 2003,
         2006, 2013, 2055, 3024, 3572}
    ),
}  # fmt: skip
_BY_CODE = {code: cls for cls, codes in _CODES.items() for code in codes}
_BY_CLASS: list[tuple[type[BaseException], type[exc.DatabaseError]]] = [
    (myerr.IntegrityError, exc.IntegrityError),
    (myerr.DataError, exc.DataError),
    (myerr.ProgrammingError, exc.ProgrammingError),
    (myerr.NotSupportedError, exc.NotSupportedError),
    (myerr.OperationalError, exc.OperationalError),
    (myerr.InterfaceError, exc.OperationalError),  # "Not connected": the server dropped us
    (myerr.InternalError, exc.DatabaseError),
    (myerr.Error, exc.DatabaseError),
]


_fromisoformat = dt.datetime.fromisoformat


def _utc_datetime(text: Any) -> Any:
    """DATETIME/TIMESTAMP text (the session is in UTC) -> an aware UTC datetime, in one C call.

    The ORM wants aware UTC values; attaching UTC to asyncmy's naive ones costs three calls per
    value in the hydrator, this costs one here. Text ``fromisoformat`` cannot read is left to
    asyncmy (naive, or the text itself for a value like a zero date).
    """
    try:
        return _fromisoformat(text + "+00:00")
    except (TypeError, ValueError):
        return convert_datetime(text)


#: asyncmy's decoders, DATETIME and TIMESTAMP returning aware UTC datetimes
CONVERSIONS: dict[Any, Any] = {
    **conversions,
    FIELD_TYPE.DATETIME: _utc_datetime,
    FIELD_TYPE.TIMESTAMP: _utc_datetime,
}

_PERCENT = re.compile(r"%(.?)", re.DOTALL)


def _plain_text(sql: str) -> str:
    """SQL sent without parameters: as written, unless every ``%`` in it is doubled."""
    if any(m.group(1) != "%" for m in _PERCENT.finditer(sql)):
        return sql
    return sql.replace("%%", "%")


def _percent_misuse(sql: str, count: int) -> str | None:
    """Why ``sql`` cannot take ``count`` parameters (``%`` misuse), or None if it can."""
    placeholders = 0
    for m in _PERCENT.finditer(sql):
        if m.group(1) == "s":
            placeholders += 1
        elif m.group(1) != "%":
            return (
                f"SQL text with parameters is a format string: write %% for a literal % "
                f"(LIKE 'x%%'); found {sql[m.start() : m.start() + 2]!r} at offset {m.start()}"
            )
    if placeholders != count:
        return (
            f"SQL text has {placeholders} %s placeholder{'' if placeholders == 1 else 's'} "
            f"for {count} parameter{'' if count == 1 else 's'}"
        )
    return None


def translate(error: BaseException) -> exc.DatabaseError | None:
    """The covet.orm error for an asyncmy (or socket) error; None for anything else."""
    if isinstance(error, myerr.Error):
        args = error.args
        code = args[0] if args and isinstance(args[0], int) else None
        message = f"({code}) {args[1]}" if code is not None and len(args) > 1 else str(error)
        cls = _BY_CODE.get(code) if code is not None else None
        if cls is None:
            cls = next(ours for theirs, ours in _BY_CLASS if isinstance(error, theirs))
        return cls(message, error)
    if isinstance(error, OSError | TimeoutError | EOFError):
        return exc.OperationalError(str(error) or type(error).__name__, error)
    return None


class MySQLConnection(ServerConnection):
    raw: Any  # asyncmy.Connection
    _cursor: Any = None
    _cursor_of: Any = None
    #: ``KILL CONNECTION <id>`` from another connection (set by the backend)
    kill: Callable[[int], Awaitable[None]] | None = None

    def _cur(self) -> Any:
        """One cursor per driver connection, reused: a statement needs no cursor set-up."""
        if self._cursor_of is not self.raw:
            self._cursor, self._cursor_of = self.raw.cursor(), self.raw
        return self._cursor

    async def _run(self, sql: str, params: Params) -> Any:
        cur = self._cur()
        if not params:
            await cur.execute(_plain_text(sql) if "%" in sql else sql)  # no formatting at all
            return cur
        try:
            await cur.execute(sql, params)
        except (TypeError, ValueError) as error:  # asyncmy's ``sql % params``: nothing was sent
            misuse = _percent_misuse(sql, len(params))
            if misuse is None:
                raise
            raise exc.ProgrammingError(misuse, error) from error
        return cur

    async def _do_execute(self, sql: str, params: Params) -> ExecResult:
        cur = await self._run(sql, params)
        return ExecResult(cur.rowcount, cur.lastrowid)

    async def _do_executemany(self, sql: str, seq: list[Params]) -> int:
        if not seq:
            return 0
        cur = self._cur()
        try:
            await cur.executemany(sql, seq)
        except (TypeError, ValueError) as error:
            misuse = _percent_misuse(sql, len(seq[0]))
            if misuse is None:
                raise
            raise exc.ProgrammingError(misuse, error) from error
        count: int = cur.rowcount
        return count

    async def _do_fetch_all(self, sql: str, params: Params) -> list[Row]:
        cur = await self._run(sql, params)
        rows: list[Row] = await cur.fetchall()
        return rows

    async def _do_fetch_one(self, sql: str, params: Params) -> Row | None:
        cur = await self._run(sql, params)
        row: Row | None = await cur.fetchone()
        return row

    async def _do_fetch_columns(self, sql: str, params: Params) -> tuple[list[str], list[Row]]:
        cur = await self._run(sql, params)
        rows: list[Row] = await cur.fetchall()
        return [d[0] for d in cur.description or ()], list(rows)

    async def cancelled(self) -> None:
        """MariaDB runs a statement to its end even when nobody reads the result: kill it, and
        drop this connection (its unread result or error packet would poison the next user)."""
        raw = self.raw
        thread_id = raw.server_thread_id[0] if raw.server_thread_id else None
        self.terminate()
        if thread_id is not None and self.kill is not None:
            with contextlib.suppress(Exception):
                await self.kill(thread_id)

    def translate(self, error: BaseException) -> exc.DatabaseError | None:
        return translate(error)

    def not_executed(self, error: BaseException) -> bool:
        # asyncmy raises these before a byte is sent: InterfaceError "Not connected" and 2006
        # "MySQL server has gone away" (only from its write path, on a closed transport). 2013
        # "Lost connection during query" is the ambiguous one: the statement may have run.
        if isinstance(error, myerr.InterfaceError):
            return "Not connected" in str(error)
        return isinstance(error, myerr.OperationalError) and error.args[:1] == (2006,)

    def alive(self, probe: bool = True) -> bool:
        raw = self.raw
        if not raw.connected or getattr(raw, "_stream_broken", False):  # asyncmy >= 0.2.18
            return False
        if not probe:
            return True
        return transport_quiet(raw._transport)

    def terminate(self) -> None:
        raw = self.raw
        with contextlib.suppress(Exception):
            drop_transport(raw._transport)
        with contextlib.suppress(Exception):
            raw.close()

    async def _close_raw(self) -> None:
        await self.raw.ensure_closed()


class MySQLBackend(ServerBackend):
    """MariaDB 10.5+ / MySQL 8 through asyncmy (``pip install 'covet-orm[mysql]'``)."""

    name = "mysql"

    def _connect_kwargs(self) -> dict[str, Any]:
        url, opts = self.url, self.options
        kwargs: dict[str, Any] = {
            "host": url.host or "127.0.0.1",
            "port": url.port or 3306,
            "user": url.username or "root",
            "password": url.password or "",
            "database": url.database or None,
            "unix_socket": url.query.get("unix_socket"),
            "charset": "utf8mb4",
            "autocommit": True,
            # UPDATE reports rows matched, not rows changed (save() of an unchanged row is 1)
            "client_flag": CLIENT.FOUND_ROWS,
            "connect_timeout": max(1, round(opts.connect_timeout)),
            "init_command": f"SET time_zone = '+00:00', sql_mode = '{SQL_MODE}'",
            "conv": CONVERSIONS,
        }
        kwargs.update(opts.connect_args)
        return {k: v for k, v in kwargs.items() if v is not None}

    async def _open_raw(self) -> Any:
        try:
            raw = await asyncmy.connect(**self._connect_kwargs())
        except Exception as error:
            if translate(error) is None:
                raise
            raise exc.OperationalError(
                f"cannot connect to MySQL at {self.url!r}: {error}", error
            ) from error
        timeout = self.options.command_timeout
        if timeout:
            try:
                await self._set_timeout(raw, timeout)
            except BaseException:
                raw.close()
                raise
        return raw

    @staticmethod
    async def _set_timeout(raw: Any, seconds: float) -> None:
        async with raw.cursor() as cur:
            try:
                await cur.execute("SET SESSION max_statement_time = %s", (float(seconds),))
            except myerr.Error as error:
                if not error.args or error.args[0] != 1193:  # not MariaDB: MySQL 8 spells it in ms
                    raise translate(error) or error from error
                await cur.execute("SET SESSION max_execution_time = %s", (int(seconds * 1000),))

    async def _kill(self, thread_id: int) -> None:
        """``KILL CONNECTION`` on a connection of its own, within ``connect_timeout`` (at most
        5 s). Not ``KILL QUERY``: the connection is dropped anyway, and a ``KILL QUERY`` that
        overtakes its statement (still in flight) is forgotten when the statement starts."""
        with anyio.move_on_after(min(5.0, self.options.connect_timeout)):
            raw = await asyncmy.connect(**self._connect_kwargs())
            try:
                async with raw.cursor() as cur:
                    await cur.execute(f"KILL CONNECTION {int(thread_id)}")
            except myerr.Error as error:
                if error.args[:1] != (1094,):  # unknown thread: it has ended already
                    raise
            finally:
                raw.close()

    async def connect(self) -> MySQLConnection:
        conn = MySQLConnection(self.dialect, self._open_raw, await self._open_raw())
        conn.kill = self._kill
        return conn

"""PostgreSQL backend: asyncpg for the async API, psycopg 3 for the sync API.

URL: ``postgresql://user:password@host:5432/dbname`` (``postgres://`` too; ``?host=/run/postgresql``
for a Unix socket). Both drivers' sessions run with ``TimeZone=UTC`` and
``application_name=covet-orm``; ``json``/``jsonb`` values are encoded with ``json.dumps`` and
decoded with ``json.loads``. Options used here: ``pool_size``, ``connect_timeout``,
``command_timeout`` (the session's ``statement_timeout``, plus a client deadline one second later
for a server that does not answer), ``statement_cache_size`` (asyncpg's statement cache, psycopg's
``prepared_max``; 0 behind pgbouncer in transaction mode) and ``connect_args`` (extra
``asyncpg.connect`` arguments; their ``server_settings`` apply to both drivers' sessions).

The dialect writes one SQL text (``$n`` placeholders) for both drivers: psycopg's ``RawCursor``
takes it as it is. The drivers differ in how they type parameters: asyncpg asks the server for
each parameter's type, psycopg infers it from the Python value. They agree on everything the ORM
sends except JSON, where a ``dict``, ``list``, ``str`` or number means "a JSON document" to
asyncpg but an array, text or number to psycopg. So the sync connection asks the server the
parameter types of each statement once (``describe``, cached per connection like asyncpg's
prepared statements) and wraps the values bound to ``json``/``jsonb`` parameters in psycopg's
``Json``/``Jsonb``; results decode alike for the column kinds the ORM maps (``test_types.py``
and ``test_safety.py`` run through both APIs; asyncpg's UUIDs are its own ``uuid.UUID``
subclass, equal to psycopg's).

Errors are mapped by SQLSTATE class, the same for both drivers: 23 -> IntegrityError, 22 ->
DataError, 42/3D/3F -> ProgrammingError, 0A -> NotSupportedError, 08/25/40/53-58 ->
OperationalError; lost connections and timeouts -> OperationalError.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import re
import select
import socket
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from typing import Any, TypeVar

import anyio
import asyncpg  # type: ignore[import-untyped]
import asyncpg.exceptions as pgexc  # type: ignore[import-untyped]
import psycopg
from psycopg import pq
from psycopg.types.datetime import DateLoader, TimestampLoader, TimestamptzLoader
from psycopg.types.json import Json, Jsonb

from covet.orm import _exceptions as exc
from covet.orm.backends._pools import ServerBackend
from covet.orm.backends._server import (
    CLIENT_GRACE,
    ServerConnection,
    Watchdog,
    is_read_only,
    may_retry,
    refuse_on_event_loop,
    socket_readable,
)
from covet.orm.backends.base import ExecResult, Params, Row, SyncConnection
from covet.orm.sql.dialect import Dialect

T = TypeVar("T")

_SQLSTATE_CLASS: dict[str, type[exc.DatabaseError]] = {
    "23": exc.IntegrityError,
    "22": exc.DataError,
    "42": exc.ProgrammingError,
    "3D": exc.ProgrammingError,
    "3F": exc.ProgrammingError,
    "0A": exc.NotSupportedError,
    "08": exc.OperationalError,
    "25": exc.OperationalError,
    "40": exc.OperationalError,
    "53": exc.OperationalError,
    "54": exc.OperationalError,
    "55": exc.OperationalError,
    "57": exc.OperationalError,
    "58": exc.OperationalError,
    "28": exc.OperationalError,
}
#: the server ended the session before running the statement (admin/crash shutdown, starting up)
_NOT_EXECUTED = {"57P01", "57P02", "57P03"}
_ROWCOUNT = re.compile(r"(\d+)$")
_DML = {"INSERT", "UPDATE", "DELETE"}
#: the protocol's limit on bound parameters (asyncpg refuses more; psycopg is held to it too)
MAX_PARAMS = 32767
_JSON_OIDS: dict[int, type[Json] | type[Jsonb]] = {114: Json, 3802: Jsonb}  # json, jsonb


def _by_sqlstate(error: BaseException, message: str) -> exc.DatabaseError:
    state = getattr(error, "sqlstate", None) or ""
    return _SQLSTATE_CLASS.get(state[:2], exc.DatabaseError)(message, error)


def translate(error: BaseException) -> exc.DatabaseError | None:
    """The covet.orm error for an asyncpg (or socket) error; None for anything else."""
    message = str(error) or type(error).__name__
    if isinstance(error, pgexc.PostgresError):
        return _by_sqlstate(error, message)
    if isinstance(error, pgexc.InterfaceError):
        if isinstance(error, ValueError):  # asyncpg's DataError: a value the type cannot take
            return exc.DataError(message, error)
        if "connection is closed" in message:  # the server (or the network) dropped it
            return exc.OperationalError(f"connection lost: {message}", error)
        if "another operation is in progress" in message:
            return exc.InterfaceError(message, error)
        return exc.ProgrammingError(message, error)
    if isinstance(error, pgexc.InternalClientError):
        return exc.DatabaseError(message, error)
    if isinstance(error, OSError | TimeoutError | EOFError):
        return exc.OperationalError(message, error)
    return None


def translate_psycopg(error: BaseException) -> exc.DatabaseError | None:
    """The covet.orm error for a psycopg error; None for anything else."""
    if not isinstance(error, psycopg.Error):
        return None
    message = str(error).strip() or type(error).__name__
    if error.sqlstate:
        return _by_sqlstate(error, message)
    if isinstance(error, psycopg.DataError):  # a Python value psycopg cannot send
        return exc.DataError(message, error)
    if isinstance(error, psycopg.ProgrammingError | psycopg.NotSupportedError):
        return exc.ProgrammingError(message, error)
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return exc.OperationalError(message, error)
    return exc.DatabaseError(message, error)


def _rowcount(status: str | None) -> int:
    if not status:
        return -1
    found = _ROWCOUNT.search(status)
    return int(found.group(1)) if found else -1


def _too_many(params: Params) -> exc.ProgrammingError:
    return exc.ProgrammingError(
        f"the number of query arguments cannot exceed {MAX_PARAMS} (got {len(params)})"
    )


# -- async: asyncpg -----------------------------------------------------------------------------
class PostgresConnection(ServerConnection):
    raw: asyncpg.Connection

    async def _do_execute(self, sql: str, params: Params) -> ExecResult:
        if params:
            status = await self.raw.execute(sql, *params)
        else:  # simple protocol: several statements allowed, no prepared statement
            status = await self.raw.execute(sql)
        return ExecResult(_rowcount(status), None)

    async def _do_executemany(self, sql: str, seq: list[Params]) -> int:
        """Rows changed by all parameter sets (asyncpg's ``executemany`` reports nothing).

        INSERT/UPDATE/DELETE get ``RETURNING 1`` and run pipelined through ``fetchmany``: one
        row back per row changed (about 1.2x ``executemany`` on 1,000 UPDATEs). Anything else
        (a RETURNING of its own, a comment or ``;`` that appending could break, WITH) runs the
        prepared statement once per parameter set, summing the status counts.
        """
        if not seq:
            return 0
        body = sql.rstrip().rstrip(";").rstrip()
        if (
            body.lstrip()[:6].upper() in _DML
            and "RETURNING" not in body.upper()
            and ";" not in body
            and "--" not in body
        ):
            return len(await self.raw.fetchmany(f"{body} RETURNING 1", seq))
        stmt = await self.raw.prepare(sql)
        total = 0
        for params in seq:
            await stmt.fetch(*params)
            total += max(0, _rowcount(stmt.get_statusmsg()))
        return total

    async def _do_fetch_all(self, sql: str, params: Params) -> list[Row]:
        rows: list[Row] = await self.raw.fetch(sql, *params)
        return rows

    async def _do_fetch_one(self, sql: str, params: Params) -> Row | None:
        row: Row | None = await self.raw.fetchrow(sql, *params)
        return row

    async def _do_fetch_columns(self, sql: str, params: Params) -> tuple[list[str], list[Row]]:
        rows = await self.raw.fetch(sql, *params)
        if rows:
            return list(rows[0].keys()), rows
        stmt = await self.raw.prepare(sql)
        return [a.name for a in stmt.get_attributes()], []

    async def stream(
        self, sql: str, params: Params, chunk_size: int
    ) -> AsyncGenerator[list[Row], None]:
        """A server-side cursor (asyncpg's need a transaction: one is opened if none is)."""
        own = not self.in_transaction
        if own:
            await self.begin()
        try:
            try:
                cursor = await self.raw.cursor(sql, *params)
                while rows := await cursor.fetch(chunk_size):
                    yield rows
            except Exception as error:
                translated = translate(error)
                if translated is None:
                    raise
                raise translated from error
        except BaseException as error:
            if own:
                with anyio.CancelScope(shield=True):
                    if isinstance(error, GeneratorExit):
                        await self.commit()
                    else:
                        await self.rollback()
            raise
        if own:
            await self.commit()

    def translate(self, error: BaseException) -> exc.DatabaseError | None:
        return translate(error)

    def refused_by_driver(self, error: BaseException) -> bool:
        # the server's errors carry the fields of its ErrorResponse (source file among them);
        # asyncpg's own refusals (a value it cannot encode, too many arguments) do not
        if isinstance(error, pgexc.InterfaceError) and not isinstance(error, ValueError):
            message = str(error)
            return "connection is closed" not in message and "in progress" not in message
        return (
            isinstance(error, pgexc.PostgresError | pgexc.InterfaceError)
            and getattr(error, "server_source_filename", None) is None
        )

    def not_executed(self, error: BaseException) -> bool:
        if isinstance(error, pgexc.InterfaceError) and "connection is closed" in str(error):
            return True  # asyncpg refused before sending anything
        return getattr(error, "sqlstate", None) in _NOT_EXECUTED

    def alive(self, probe: bool = True) -> bool:
        return not self.raw.is_closed()

    def terminate(self) -> None:
        with contextlib.suppress(Exception):  # RuntimeError: its loop is closed already
            self.raw.terminate()

    async def _close_raw(self) -> None:
        await self.raw.close(timeout=5)


def _json_codecs() -> dict[str, Any]:
    return {"encoder": json.dumps, "decoder": json.loads, "schema": "pg_catalog"}


# -- sync: psycopg 3 ----------------------------------------------------------------------------
# psycopg's (C) loaders refuse PostgreSQL's 'infinity' dates and timestamps, which covet never
# writes but other clients may. A read that meets one is run again through a cursor with these
# (Python, slower) loaders, which read it as Python's extremes, as the async API's codecs do.
class _InfinityDateLoader(DateLoader):
    def load(self, data: Any) -> dt.date:
        if bytes(data) == b"infinity":
            return dt.date.max
        if bytes(data) == b"-infinity":
            return dt.date.min
        return super().load(data)


class _InfinityTimestampLoader(TimestampLoader):
    def load(self, data: Any) -> dt.datetime:
        if bytes(data) == b"infinity":
            return dt.datetime.max
        if bytes(data) == b"-infinity":
            return dt.datetime.min
        return super().load(data)


class _InfinityTimestamptzLoader(TimestamptzLoader):
    def load(self, data: Any) -> dt.datetime:
        if bytes(data) == b"infinity":
            return dt.datetime.max.replace(tzinfo=dt.UTC)
        if bytes(data) == b"-infinity":
            return dt.datetime.min.replace(tzinfo=dt.UTC)
        return super().load(data)


def _meets_infinity(error: psycopg.DataError) -> bool:
    message = str(error)
    return "'infinity'" in message or "'-infinity'" in message


class PsycopgConnection(SyncConnection):
    """A psycopg 3 connection (autocommit, ``RawCursor``: ``$n`` placeholders) with the same
    transaction tracking, guarded retry and error mapping as the async ``ServerConnection``."""

    def __init__(
        self,
        dialect: Dialect,
        connect: Callable[[], psycopg.Connection[Any]],
        watchdog: Watchdog | None,
    ) -> None:
        self.dialect = dialect
        self._connect = connect
        self._watchdog = watchdog
        self.in_transaction = False
        self.fresh = True
        self.timed_out = False
        self._open()

    def _open(self) -> None:
        self.raw = self._connect()
        self.cur: psycopg.RawCursor[Any] = self.raw.cursor()  # type: ignore[assignment]
        #: SQL text -> (position, wrapper) of its json/jsonb parameters
        self._json: dict[str, tuple[tuple[int, type[Json] | type[Jsonb]], ...]] = {}

    # -- parameters ----------------------------------------------------------------------------
    def _json_params(self, sql: str) -> tuple[tuple[int, type[Json] | type[Jsonb]], ...]:
        """Which parameters of ``sql`` the server types as json/jsonb (asked once)."""
        found = self._json.get(sql)
        if found is not None:
            return found
        pgconn = self.raw.pgconn
        pgconn.send_prepare(b"", sql.encode())
        if any(r.status != pq.ExecStatus.COMMAND_OK for r in self._results()):
            return ()  # the statement itself will report the problem
        pgconn.send_describe_prepared(b"")
        desc = self._results()[0]
        found = tuple(
            (i, _JSON_OIDS[oid])
            for i in range(desc.nparams)
            if (oid := desc.param_type(i)) in _JSON_OIDS
        )
        if len(self._json) >= 512:
            self._json.clear()
        self._json[sql] = found
        return found

    def _results(self) -> list[pq.abc.PGresult]:
        """The results of what was just sent with libpq's asynchronous API, waited for here
        (``select``, so Ctrl-C and the watchdog can interrupt it, unlike a blocking libpq
        call). A lost connection raises psycopg's ``OperationalError``."""
        pgconn = self.raw.pgconn
        fileno = pgconn.socket
        while pgconn.flush():
            select.select([], [fileno], [])
        results: list[pq.abc.PGresult] = []
        while True:
            while pgconn.is_busy():
                select.select([fileno], [], [])
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                return results
            results.append(result)

    def _adapt(self, sql: str, params: Params) -> Params:
        if len(params) > MAX_PARAMS:
            raise _too_many(params)
        wraps = self._json_params(sql)
        if not wraps:
            return params
        values = list(params)
        for i, wrapper in wraps:
            value = values[i]
            if value is not None and not isinstance(value, Json | Jsonb):
                values[i] = wrapper(value)
        return values

    # -- the guarded call ----------------------------------------------------------------------
    def _call(self, fn: Callable[[str, Params], T], sql: str, params: Params) -> T:
        watchdog = self._watchdog
        if watchdog is not None:
            watchdog.start(id(self), self._abort)
        try:
            try:
                result = fn(sql, params)
            except psycopg.Error as error:
                result = self._failed(fn, sql, params, error)
            except UnicodeEncodeError as error:  # encoding a parameter: nothing was sent
                message = f"text that is not valid Unicode (a lone surrogate): {error}"
                raise exc.DataError(message, error) from error
        finally:
            if watchdog is not None:
                watchdog.done(id(self))
        self.fresh = False
        return result

    def _failed(
        self, fn: Callable[[str, Params], T], sql: str, params: Params, error: psycopg.Error
    ) -> T:
        if self.timed_out:
            limit = self._watchdog.limit if self._watchdog is not None else 0
            raise exc.OperationalError(
                f"the server did not answer within {limit:g}s (command_timeout); "
                "the connection was dropped",
                error,
            ) from error
        translated = translate_psycopg(error)
        assert translated is not None
        if not isinstance(translated, exc.OperationalError) and not self.alive():
            translated = exc.OperationalError(f"connection lost: {translated}", error)
        if not may_retry(self, translated, error, sql):
            raise translated from error
        self.terminate()
        try:
            self._open()
        except exc.DatabaseError:
            raise translated from error
        try:
            return fn(sql, params)
        except psycopg.Error as again:
            raise translate_psycopg(again) or exc.DatabaseError(str(again), again) from again

    def _abort(self) -> None:
        """The watchdog's verdict: unblock the waiting thread by shutting the socket down."""
        self.timed_out = True
        with socket.socket(fileno=os.dup(self.raw.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)

    def not_executed(self, error: BaseException) -> bool:
        return getattr(error, "sqlstate", None) in _NOT_EXECUTED

    def alive(self, probe: bool = True) -> bool:
        raw = self.raw
        if raw.closed or raw.broken or self.timed_out:
            return False
        return not probe or not socket_readable(raw.fileno())

    def terminate(self) -> None:
        with contextlib.suppress(Exception):
            self.raw.close()

    # -- statements ----------------------------------------------------------------------------
    def _execute(self, sql: str, params: Params) -> ExecResult:
        cur = self.cur
        cur.execute(sql, self._adapt(sql, params) if params else None)
        return ExecResult(cur.rowcount, None)

    def _executemany(self, sql: str, seq: list[Params]) -> int:
        if not seq:
            return 0
        cur = self.cur
        cur.executemany(sql, [self._adapt(sql, params) for params in seq])
        return max(0, cur.rowcount)

    def _fetch_all(self, sql: str, params: Params) -> list[Row]:
        return self._read(sql, params, _all_rows)

    def _fetch_one(self, sql: str, params: Params) -> Row | None:
        return self._read(sql, params, _one_row)

    def _fetch_columns(self, sql: str, params: Params) -> tuple[list[str], list[Row]]:
        return self._read(sql, params, _columns_and_rows)

    def _read(self, sql: str, params: Params, fetch: Callable[[psycopg.RawCursor[Any]], T]) -> T:
        cur = self.cur
        cur.execute(sql, self._adapt(sql, params) if params else None)
        try:
            return fetch(cur)
        except psycopg.DataError as error:
            if not _meets_infinity(error) or not is_read_only(sql):
                raise
        # an 'infinity' date: read again with loaders that know it (see _InfinityDateLoader)
        cur = self.raw.cursor()  # type: ignore[assignment]
        for name, loader in (
            ("date", _InfinityDateLoader),
            ("timestamp", _InfinityTimestampLoader),
            ("timestamptz", _InfinityTimestamptzLoader),
        ):
            cur.adapters.register_loader(name, loader)
        cur.execute(sql, self._adapt(sql, params) if params else None)
        return fetch(cur)

    def execute(self, sql: str, params: Params = ()) -> ExecResult:
        refuse_on_event_loop()
        return self._call(self._execute, sql, params)

    def executemany(self, sql: str, seq_of_params: Iterable[Params]) -> int:
        refuse_on_event_loop()
        return self._call(self._executemany, sql, list(seq_of_params))  # type: ignore[arg-type]

    def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        refuse_on_event_loop()
        return self._call(self._fetch_all, sql, params)

    def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        refuse_on_event_loop()
        return self._call(self._fetch_one, sql, params)

    def fetch_columns(self, sql: str, params: Params = ()) -> tuple[list[str], list[Row]]:
        refuse_on_event_loop()
        return self._call(self._fetch_columns, sql, params)

    def stream(self, sql: str, params: Params, chunk_size: int) -> Generator[list[Row], None, None]:
        """A server-side cursor, in a transaction of its own when none is open."""
        refuse_on_event_loop()
        own = not self.in_transaction
        if own:
            self.begin()
        try:
            try:
                with self.raw.cursor(name=f"covet_stream_{id(self)}") as cur:
                    cur.itersize = chunk_size
                    cur.execute(sql, self._adapt(sql, params) if params else None)
                    while rows := cur.fetchmany(chunk_size):
                        yield rows
            except psycopg.Error as error:
                raise translate_psycopg(error) or exc.DatabaseError(str(error)) from error
        except BaseException as error:
            if own:
                if isinstance(error, GeneratorExit):
                    self.commit()
                else:
                    with contextlib.suppress(exc.DatabaseError):
                        self.rollback()
            raise
        if own:
            self.commit()

    def begin(self) -> None:
        self.execute(self.dialect.begin_sql)
        self.in_transaction = True

    def commit(self) -> None:
        try:
            self.execute("COMMIT")
        finally:
            self.in_transaction = False

    def rollback(self) -> None:
        try:
            if self.alive():
                self.execute("ROLLBACK")
        except exc.DatabaseError:
            if self.alive():
                raise
        finally:
            self.in_transaction = False

    def close(self) -> None:
        self.terminate()


def _all_rows(cur: psycopg.RawCursor[Any]) -> list[Row]:
    return cur.fetchall()


def _one_row(cur: psycopg.RawCursor[Any]) -> Row | None:
    row: Row | None = cur.fetchone()
    return row


def _columns_and_rows(cur: psycopg.RawCursor[Any]) -> tuple[list[str], list[Row]]:
    rows = cur.fetchall() if cur.description is not None else []
    return [c.name for c in cur.description or ()], rows


class PostgresBackend(ServerBackend):
    """PostgreSQL 12+ through asyncpg (async) and psycopg 3 (sync):
    ``pip install 'covet-orm[postgres]'``."""

    name = "postgresql"

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        timeout = self.options.command_timeout
        self._watchdog = Watchdog(timeout + CLIENT_GRACE) if timeout else None

    def _server_settings(self) -> dict[str, str]:
        settings = {"TimeZone": "UTC", "application_name": "covet-orm"}
        if self.options.command_timeout:
            settings["statement_timeout"] = str(max(1, round(self.options.command_timeout * 1000)))
        settings.update(self.options.connect_args.get("server_settings", {}))
        return settings

    def _connect_kwargs(self) -> dict[str, Any]:
        url, opts = self.url, self.options
        kwargs: dict[str, Any] = {
            "host": url.host or url.query.get("host"),
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "database": url.database or None,
            "timeout": opts.connect_timeout,
            "statement_cache_size": opts.statement_cache_size,
            "server_settings": self._server_settings(),
        }
        if opts.command_timeout:
            kwargs["command_timeout"] = opts.command_timeout + CLIENT_GRACE
        if "sslmode" in url.query:
            kwargs["ssl"] = url.query["sslmode"]
        extra = dict(opts.connect_args)
        extra.pop("server_settings", None)
        kwargs.update(extra)
        return {k: v for k, v in kwargs.items() if v is not None}

    async def _open_raw(self) -> asyncpg.Connection:
        try:
            async with asyncio.timeout(self.options.connect_timeout):
                raw = await asyncpg.connect(**self._connect_kwargs())
                try:
                    await raw.set_type_codec("jsonb", **_json_codecs())
                    await raw.set_type_codec("json", **_json_codecs())
                    for codec in self.dialect.codecs():  # date/timestamp: no 'infinity'
                        await raw.set_type_codec(**codec)
                except BaseException:
                    raw.terminate()
                    raise
        except Exception as error:
            if translate(error) is None:
                raise
            raise exc.OperationalError(
                f"cannot connect to PostgreSQL at {self.url!r}: {error}", error
            ) from error
        return raw

    async def connect(self) -> PostgresConnection:
        return PostgresConnection(self.dialect, self._open_raw, await self._open_raw())

    # -- sync ---------------------------------------------------------------------------------
    def _open_sync(self) -> psycopg.Connection[Any]:
        url, opts = self.url, self.options
        options = " ".join(
            f"-c {key}={_escape_option(str(value))}"
            for key, value in self._server_settings().items()
            if key != "application_name"
        )
        kwargs: dict[str, Any] = {
            "host": url.host or url.query.get("host"),
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "dbname": url.database or None,
            "sslmode": url.query.get("sslmode"),
            "application_name": self._server_settings()["application_name"],
            "options": options,
            # libpq counts whole seconds (at least 2); psycopg enforces it on the whole handshake
            "connect_timeout": max(2, math.ceil(opts.connect_timeout)),
        }
        try:
            raw = psycopg.connect(
                autocommit=True,
                cursor_factory=psycopg.RawCursor,
                prepare_threshold=5 if opts.statement_cache_size else None,
                **{k: v for k, v in kwargs.items() if v is not None},
            )
        except psycopg.Error as error:
            raise exc.OperationalError(
                f"cannot connect to PostgreSQL at {self.url!r}: {error}", error
            ) from error
        raw.server_cursor_factory = psycopg.RawServerCursor
        if opts.statement_cache_size:
            raw.prepared_max = opts.statement_cache_size
        return raw

    def connect_sync(self) -> PsycopgConnection:
        return PsycopgConnection(self.dialect, self._open_sync, self._watchdog)

    def close(self) -> None:
        super().close()
        if self._watchdog is not None:
            self._watchdog.stop()


def _escape_option(value: str) -> str:
    """A value inside libpq's ``options``: spaces and backslashes escaped with a backslash."""
    return value.replace("\\", "\\\\").replace(" ", "\\ ")

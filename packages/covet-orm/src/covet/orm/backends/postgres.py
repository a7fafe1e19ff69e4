"""PostgreSQL backend: asyncpg for the async API and, on private event loops, for the sync API.

URL: ``postgresql://user:password@host:5432/dbname`` (``postgres://`` too; ``?host=/run/postgresql``
for a Unix socket). Sessions run with ``TimeZone=UTC``; ``json``/``jsonb`` use ``json.dumps`` /
``json.loads`` (registered on every new connection, before it joins a pool). Options used here:
``pool_size``, ``connect_timeout``, ``command_timeout``, ``statement_cache_size`` (asyncpg's
prepared-statement cache; set 0 behind pgbouncer in transaction mode) and ``connect_args``
(passed to ``asyncpg.connect``).

Errors are mapped by SQLSTATE class: 23 -> IntegrityError, 22 -> DataError, 42/3D/3F ->
ProgrammingError, 0A -> NotSupportedError, 08/40/53/55/57/58 -> OperationalError; lost
connections and timeouts -> OperationalError.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import asyncpg.exceptions as pgexc  # type: ignore[import-untyped]
from asyncpg.exceptions._base import DataError as ClientDataError  # type: ignore[import-untyped]

from covet.orm import _exceptions as exc
from covet.orm.backends._pools import ServerBackend
from covet.orm.backends._server import ServerConnection, drop_transport, transport_quiet
from covet.orm.backends.base import ExecResult, Params, Row

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


def translate(error: BaseException) -> exc.DatabaseError | None:
    """The covet.orm error for an asyncpg (or socket) error; None for anything else."""
    message = str(error) or type(error).__name__
    if isinstance(error, pgexc.PostgresError):
        state = getattr(error, "sqlstate", None) or ""
        cls = _SQLSTATE_CLASS.get(state[:2], exc.DatabaseError)
        return cls(message, error)
    if isinstance(error, ClientDataError):  # a Python value the column's type cannot take
        return exc.DataError(message, error)
    if isinstance(error, pgexc.InterfaceError):
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


def _rowcount(status: str | None) -> int:
    if not status:
        return -1
    found = _ROWCOUNT.search(status)
    return int(found.group(1)) if found else -1


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
        (a RETURNING of its own, a comment or ``;`` that appending could break, WITH, asyncpg
        < 0.30) runs the prepared statement once per parameter set, summing the status counts.
        """
        if not seq:
            return 0
        body = sql.rstrip().rstrip(";").rstrip()
        fetchmany = getattr(self.raw, "fetchmany", None)  # asyncpg >= 0.30
        if (
            fetchmany is not None
            and body.lstrip()[:6].upper() in _DML
            and "RETURNING" not in body.upper()
            and ";" not in body
            and "--" not in body
        ):
            return len(await fetchmany(f"{body} RETURNING 1", seq))
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

    def translate(self, error: BaseException) -> exc.DatabaseError | None:
        return translate(error)

    def refused_by_driver(self, error: BaseException) -> bool:
        # the server's errors carry the fields of its ErrorResponse (source file among them);
        # asyncpg's own refusals (a value it cannot encode, too many arguments) do not
        if isinstance(error, pgexc.InterfaceError):
            message = str(error)
            return "connection is closed" not in message and "in progress" not in message
        return (
            isinstance(error, pgexc.PostgresError | ClientDataError)
            and getattr(error, "server_source_filename", None) is None
        )

    def not_executed(self, error: BaseException) -> bool:
        if isinstance(error, pgexc.InterfaceError) and "connection is closed" in str(error):
            return True  # asyncpg refused before sending anything
        return getattr(error, "sqlstate", None) in _NOT_EXECUTED

    def alive(self, probe: bool = True) -> bool:
        raw = self.raw
        if raw.is_closed():
            return False
        if not probe:
            return True
        return transport_quiet(raw._transport)

    def terminate(self) -> None:
        raw = self.raw
        if raw.is_closed():
            return
        with contextlib.suppress(Exception):
            drop_transport(raw._transport)
        raw._aborted = True  # what asyncpg's own terminate() records

    async def _close_raw(self) -> None:
        await self.raw.close(timeout=5)


def _json_codecs() -> dict[str, Any]:
    return {"encoder": json.dumps, "decoder": json.loads, "schema": "pg_catalog"}


class PostgresBackend(ServerBackend):
    """PostgreSQL 12+ through asyncpg (``pip install 'covet-orm[postgres]'``)."""

    name = "postgresql"

    def _connect_kwargs(self) -> dict[str, Any]:
        url, opts = self.url, self.options
        kwargs: dict[str, Any] = {
            "host": url.host or url.query.get("host"),
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "database": url.database or None,
            "timeout": opts.connect_timeout,
            "command_timeout": opts.command_timeout,
            "statement_cache_size": opts.statement_cache_size,
            "server_settings": {"TimeZone": "UTC", "application_name": "covet-orm"},
        }
        if "sslmode" in url.query:
            kwargs["ssl"] = url.query["sslmode"]
        extra = dict(opts.connect_args)
        kwargs["server_settings"].update(extra.pop("server_settings", {}))
        kwargs.update(extra)
        return {k: v for k, v in kwargs.items() if v is not None}

    async def _open_raw(self) -> asyncpg.Connection:
        try:
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

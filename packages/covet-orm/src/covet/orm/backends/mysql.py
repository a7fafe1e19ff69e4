"""MySQL/MariaDB backend: asyncmy for both APIs (the sync API runs it on private event loops).

URL: ``mysql://user:password@host:3306/dbname`` or ``mariadb://...`` (``?unix_socket=/run/mysqld/
mysqld.sock`` for a socket). MariaDB 10.11 is tested; MySQL 8 is best effort.

Every connection runs with ``autocommit=True`` (a pooled connection in a transaction would hold
snapshots and metadata locks: ``DROP TABLE`` would hang), transactions are explicit ``START
TRANSACTION``; ``CLIENT.FOUND_ROWS`` (an UPDATE's rowcount is the rows it matched, as on SQLite and
PostgreSQL); ``charset=utf8mb4``; ``time_zone='+00:00'`` (``DATETIME(6)`` holds UTC); a strict
``sql_mode``. ``command_timeout`` becomes MariaDB's ``max_statement_time`` (MySQL:
``max_execution_time``), with a client deadline one second later for a server that does not
answer. Errors are mapped by MySQL error code (1062 -> IntegrityError, ...).

The sync API drives the same asyncmy connections in the calling thread, each on an event loop of
its own that no thread runs and that turns only while asyncmy waits (``LoopConnection``): PyMySQL,
the pure-Python sync twin of asyncmy, decodes result sets 10-20x slower (docs/orm-backends.md).
covet-orm opens every connection's socket itself and hands it to asyncmy (``sock=``), so that a
pool can tell a closed idle connection from a live one without the driver's internals.

``%`` in SQL text (DB-API "format" style, as Django): with parameters the text is a format string,
so a literal ``%`` is written ``%%`` (misuse is a ``ProgrammingError`` saying so); without
parameters the text is sent as written, except that text in which every ``%`` is doubled (the
ORM's own SQL, or raw SQL written for the parameter rule) still means one ``%`` per ``%%``.

A cancelled statement is stopped on the server with ``KILL CONNECTION`` from a separate connection
(bounded by ``connect_timeout``, at most 5 s) and its connection is dropped, never pooled: MariaDB
would otherwise run it to the end, and the connection would hold its unread result.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import select
import socket
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import anyio
import asyncmy
import asyncmy.errors as myerr
from asyncmy.constants import CLIENT, FIELD_TYPE
from asyncmy.converters import conversions, convert_datetime
from asyncmy.cursors import SSCursor

from covet.orm import _exceptions as exc
from covet.orm.backends._pools import ServerBackend
from covet.orm.backends._server import (
    CLIENT_GRACE,
    LoopConnection,
    PrivateLoop,
    ServerConnection,
    shielded,
    socket_readable,
)
from covet.orm.backends.base import ExecResult, Params, Row

_HAS_POLL = hasattr(select, "poll")

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


def _unsent(error: TypeError | ValueError, sql: str, count: int) -> Exception:
    """What to raise for an error asyncmy raised before sending anything: ``%`` misuse in the
    SQL text, text it cannot encode (a lone surrogate: bad data, as PostgreSQL reports it), or
    the error itself."""
    if isinstance(error, UnicodeEncodeError):
        return exc.DataError(f"text that is not valid Unicode (a lone surrogate): {error}", error)
    misuse = _percent_misuse(sql, count)
    return error if misuse is None else exc.ProgrammingError(misuse, error)


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
    #: the socket asyncmy speaks over (ours; asyncio's transport closes it when the peer does)
    sock: socket.socket
    _cursor: Any = None
    _cursor_of: Any = None
    #: ``KILL CONNECTION <id>`` from another connection (set by the backend)
    kill: Callable[[int], Awaitable[None]] | None = None

    def _cur(self) -> Any:
        """One cursor per driver connection, reused: a statement needs no cursor set-up."""
        if self._cursor_of is not self.raw:
            self._cursor, self._cursor_of = self.raw.cursor(), self.raw
        return self._cursor

    async def _run(self, sql: str, params: Params, cur: Any = None) -> Any:
        cur = self._cur() if cur is None else cur
        if not params:
            await cur.execute(_plain_text(sql) if "%" in sql else sql)  # no formatting at all
            return cur
        try:
            await cur.execute(sql, params)
        except (TypeError, ValueError) as error:  # asyncmy's ``sql % params``: nothing was sent
            raise _unsent(error, sql, len(params)) from error
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
            raise _unsent(error, sql, len(seq[0])) from error
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

    async def stream(
        self, sql: str, params: Params, chunk_size: int
    ) -> AsyncGenerator[list[Row], None]:
        """An unbuffered cursor: rows are read from the socket as chunks are asked for. Until the
        last row is read (or the iterator closed, which reads and discards the rest), the
        connection can run nothing else, so a stream inside a transaction must finish first."""
        cur = self.raw.cursor(SSCursor)
        try:
            try:
                await self._run(sql, params, cur)
                while rows := await cur.fetchmany(chunk_size):
                    yield list(rows)
            finally:
                with shielded():
                    await cur.close()
        except Exception as error:
            translated = translate(error)
            if translated is None:
                raise
            raise translated from error

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

    #: the backend's session opener (set by the backend)
    open_raw: Callable[[], Awaitable[tuple[Any, socket.socket]]]

    async def _reconnect(self) -> Any:
        """The retry's new session, on a new socket of its own."""
        raw, self.sock = await self.open_raw()
        return raw

    def alive(self, probe: bool = True) -> bool:
        if not self.raw.connected or self.sock.fileno() < 0:  # asyncio closes it on EOF
            return False
        return not probe or not self._readable()

    #: a ``select.poll`` registered on ``_polled`` (``sock``, until a retry replaces it): the
    #: sync pool's probe of an idle socket is one poll(), without select()'s four lists
    _poll: Any = None
    _polled: socket.socket | None = None

    def _readable(self) -> bool:
        """Whether the socket has something to read now (for an idle connection: EOF or the
        server's goodbye); a closed socket counts as readable."""
        sock = self.sock
        if sock.fileno() < 0:
            return True
        if not _HAS_POLL:  # Windows
            return socket_readable(sock.fileno())
        if self._polled is not sock:
            self._poll = select.poll()
            self._poll.register(sock, select.POLLIN)
            self._polled = sock
        try:
            return bool(self._poll.poll(0))
        except (OSError, ValueError):
            return True

    def terminate(self) -> None:
        with contextlib.suppress(Exception):  # RuntimeError: its loop is closed already
            self.raw.close()
        self.sock.close()

    async def _close_raw(self) -> None:
        try:
            await asyncio.wait_for(self.raw.ensure_closed(), 5)
        finally:
            self.sock.close()


class MySQLBackend(ServerBackend):
    """MariaDB 10.5+ / MySQL 8 through asyncmy (``pip install 'covet-orm[mysql]'``)."""

    name = "mysql"

    def _connect_kwargs(self) -> dict[str, Any]:
        url, opts = self.url, self.options
        kwargs: dict[str, Any] = {
            "host": self._host,
            "port": self._port,
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

    @property
    def _host(self) -> str:
        return self.url.host or "127.0.0.1"

    @property
    def _port(self) -> int:
        return self.url.port or 3306

    def _socket(self) -> socket.socket:
        """A connected socket, for the sync API (blocking connect, within connect_timeout)."""
        path = self.url.query.get("unix_socket")
        try:
            if path:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    sock.settimeout(self.options.connect_timeout)
                    sock.connect(path)
                except BaseException:
                    sock.close()
                    raise
            else:
                sock = socket.create_connection(
                    (self._host, self._port), timeout=self.options.connect_timeout
                )
                _tune(sock)
        except OSError as error:
            raise self._unreachable(error) from error
        sock.settimeout(None)
        return sock

    async def _asocket(self) -> socket.socket:
        """A connected non-blocking socket, for the async API."""
        loop = asyncio.get_running_loop()
        path = self.url.query.get("unix_socket")
        if path:
            targets: list[tuple[Any, Any]] = [(socket.AF_UNIX, path)]
        else:
            infos = await loop.getaddrinfo(self._host, self._port, type=socket.SOCK_STREAM)
            targets = [(family, address) for family, _, _, _, address in infos]
        error: OSError = OSError(f"no address for {self._host}")
        for family, address in targets:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            try:
                await loop.sock_connect(sock, address)
            except OSError as failed:
                sock.close()
                error = failed
                continue
            except BaseException:
                sock.close()
                raise
            if family != socket.AF_UNIX:
                _tune(sock)
            return sock
        raise error

    def _unreachable(self, error: BaseException) -> exc.OperationalError:
        return exc.OperationalError(f"cannot connect to MySQL at {self.url!r}: {error}", error)

    async def _open_raw(
        self, sock: socket.socket | None = None, *, set_timeout: bool = True
    ) -> tuple[Any, socket.socket]:
        """A session on ``sock`` (opened here if None), set up; the whole handshake within
        ``connect_timeout`` (asyncmy bounds only the TCP connect)."""
        try:
            async with asyncio.timeout(self.options.connect_timeout):
                if sock is None:
                    sock = await self._asocket()
                kwargs = self._connect_kwargs()
                kwargs.pop("unix_socket", None)
                raw = await asyncmy.connect(sock=sock, **kwargs)
        except BaseException as error:
            if sock is not None:  # closed now, also when cancelled: not left to the loop
                sock.close()
            if not isinstance(error, Exception) or translate(error) is None:
                raise
            raise self._unreachable(error) from error
        timeout = self.options.command_timeout
        if timeout and set_timeout:
            try:
                await self._set_timeout(raw, timeout)
            except BaseException:
                raw.close()
                sock.close()
                raise
        return raw, sock

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
        overtakes its statement (still in flight) is forgotten when the statement starts. The
        socket is ours and closed before this returns, however it ends (a server that does not
        answer, a cancellation): the sync API closes its private loop right after."""
        with anyio.move_on_after(min(5.0, self.options.connect_timeout)):
            raw, sock = await self._open_raw(set_timeout=False)
            try:
                async with raw.cursor() as cur:
                    await cur.execute(f"KILL CONNECTION {int(thread_id)}")
            except myerr.Error as error:
                if error.args[:1] != (1094,):  # unknown thread: it has ended already
                    raise
            finally:
                raw.close()
                sock.close()

    async def _connection(self, sock: socket.socket | None = None) -> MySQLConnection:
        raw, sock = await self._open_raw(sock)
        conn = MySQLConnection(self.dialect, _unset, raw)
        conn._connect = conn._reconnect
        conn.open_raw = self._open_raw
        conn.sock = sock
        conn.kill = self._kill
        if self.options.command_timeout:
            conn.timeout = self.options.command_timeout + CLIENT_GRACE
        return conn

    async def connect(self) -> MySQLConnection:
        return await self._connection()

    def connect_sync(self) -> LoopConnection:
        sock = self._socket()
        loop = PrivateLoop()
        try:
            aconn = loop.run_until_complete(self._connection(sock))
        except BaseException:
            sock.close()
            loop.close()
            raise
        return LoopConnection(aconn, loop)


async def _unset() -> Any:
    raise AssertionError("replaced by MySQLConnection._reconnect")


def _tune(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

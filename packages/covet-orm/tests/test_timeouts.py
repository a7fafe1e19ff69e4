"""command_timeout and connect_timeout hold on both APIs and every database, including against a
server that stops answering. The frozen server is a TCP proxy in front of the shared server that
stops forwarding (the shared servers themselves keep running for everyone else's tests): bytes
sent to it wait in its socket buffers, as they would in a SIGSTOPped server's."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from covet.orm import Database, OperationalError

SLEEP = {
    "postgres": "SELECT pg_sleep(3)",
    "mysql": "SELECT SLEEP(3)",
}
#: no test may take this long; a call that hangs fails the test instead of the suite
BOUND = 30


class FreezableProxy:
    """Forwards TCP connections to ``target`` until frozen; frozen, it forwards nothing and
    accepts no new connections (the kernel still completes their handshake, as for a stopped
    server), and sends everything that waited once thawed."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.running = threading.Event()
        self.running.set()
        self.closed = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.running.clear()

    def thaw(self) -> None:
        self.running.set()

    def _accept(self) -> None:
        while not self.closed:
            self.running.wait()
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:  # close() may have run meanwhile: nobody else would close these
                if self.closed:
                    client.close()
                    upstream.close()
                    return
                self._socks += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                self.running.wait()
                data = src.recv(65536)
                if not data:
                    break
                self.running.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with self._lock:
            self.closed = True
        self.running.set()
        self.listener.close()
        for sock in self._socks:
            sock.close()


@pytest.fixture
def proxy(server_db_url: str) -> Iterator[tuple[FreezableProxy, str]]:
    parts = urlsplit(server_db_url)
    default = 5432 if parts.scheme.startswith("postgres") else 3306
    px = FreezableProxy((parts.hostname or "127.0.0.1", parts.port or default))
    url = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{px.port}"))
    try:
        yield px, url
    finally:
        px.close()


def _open_sockets_to(port: int) -> list[int]:
    """This process's open sockets connected to 127.0.0.1:``port`` (Linux: /proc/self/fd)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc/self/fd")
    found = []
    for entry in fds.iterdir():
        with contextlib.suppress(OSError, ValueError):
            if not os.readlink(entry).startswith("socket:"):
                continue
            probe = socket.socket(fileno=os.dup(int(entry.name)))
            try:
                if probe.family == socket.AF_INET and probe.getpeername()[1] == port:
                    found.append(int(entry.name))
            finally:
                probe.close()
    return found


def _call(fn: Any, *args: Any) -> BaseException | None:
    """Run a blocking call in a thread, within BOUND seconds; its error (or None)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fn(*args)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(BOUND)
    assert outcome, f"the call did not return within {BOUND}s: a timeout did not hold"
    return outcome[0]


async def test_command_timeout_stops_a_slow_statement(server_db_url: str, server: str, api) -> None:
    db = Database(server_db_url, default=False, command_timeout=0.5)
    try:
        with pytest.raises(OperationalError):
            await api(db, "fetch_all", SLEEP[server])
        assert await api(db, "fetch_one", "SELECT 1 AS one") == {"one": 1}  # usable afterwards
    finally:
        await (db.aclose() if api.is_async else asyncio.to_thread(db.close))


async def test_command_timeout_holds_against_a_frozen_server(
    proxy: tuple[FreezableProxy, str], server: str, api
) -> None:
    px, url = proxy
    db = Database(url, default=False, command_timeout=0.5, connect_timeout=2)
    gc.disable()  # sockets must be closed by the code, not found later by the collector
    try:
        assert await api(db, "fetch_one", "SELECT 1 AS one") == {"one": 1}
        px.freeze()
        if api.is_async:
            with pytest.raises(OperationalError):
                await asyncio.wait_for(db.afetch_one("SELECT 2 AS two"), BOUND)
        else:
            error = await asyncio.to_thread(_call, db.fetch_one, "SELECT 2 AS two")
            assert isinstance(error, OperationalError), error
            # the timed-out connection and MariaDB's KILL connection (which the frozen server
            # never answered) are closed by now, not left to a loop that no longer runs
            assert _open_sockets_to(px.port) == []
        assert not px.running.is_set()  # it failed while the server was still frozen
    finally:
        gc.enable()
        px.thaw()
        await (db.aclose() if api.is_async else asyncio.to_thread(db.close))


async def test_connect_timeout_holds_against_a_frozen_server(
    proxy: tuple[FreezableProxy, str], api
) -> None:
    px, url = proxy
    px.freeze()
    db = Database(url, default=False, connect_timeout=2)
    try:
        if api.is_async:
            with pytest.raises(OperationalError):
                await asyncio.wait_for(db.afetch_one("SELECT 1"), BOUND)
        else:
            error = await asyncio.to_thread(_call, db.fetch_one, "SELECT 1")
            assert isinstance(error, OperationalError), error
    finally:
        px.thaw()
        await (db.aclose() if api.is_async else asyncio.to_thread(db.close))


async def test_a_timed_out_write_in_a_transaction_is_never_committed(
    proxy: tuple[FreezableProxy, str], server_db_url: str, server: str, api
) -> None:
    """What docs/orm-backends.md promises for a server that stops answering: a statement whose
    client gave up may still run when the server resumes, but inside a transaction it is never
    committed (the client dropped the connection before COMMIT; the server rolls back)."""
    px, url = proxy
    table = f"to_{uuid.uuid4().hex[:10]}"
    admin = Database(server_db_url, default=False)
    db = Database(url, default=False, command_timeout=0.5, connect_timeout=2)
    p = db.param
    try:
        await api(admin, "execute", f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")

        def sync_body() -> None:
            with db.transaction():
                db.execute(f"INSERT INTO {table} VALUES ({p(1)})", [1])
                px.freeze()
                db.execute(f"INSERT INTO {table} VALUES ({p(1)})", [2])

        async def async_body() -> None:
            async with db.transaction():
                await db.aexecute(f"INSERT INTO {table} VALUES ({p(1)})", [1])
                px.freeze()
                await db.aexecute(f"INSERT INTO {table} VALUES ({p(1)})", [2])

        if api.is_async:
            with pytest.raises(OperationalError):
                await asyncio.wait_for(async_body(), BOUND)
        else:
            assert isinstance(await asyncio.to_thread(_call, sync_body), OperationalError)
        px.thaw()
        await asyncio.sleep(1)  # the server reads what waited for it and sees the client gone
        assert await api(admin, "fetch_all", f"SELECT id FROM {table}") == []
    finally:
        px.thaw()
        await api(admin, "execute", f"DROP TABLE IF EXISTS {table}")
        await (db.aclose() if api.is_async else asyncio.to_thread(db.close))
        await (admin.aclose() if api.is_async else asyncio.to_thread(admin.close))


async def test_sqlite_command_timeout(tmp_path: Path, api) -> None:
    db = Database(f"sqlite:///{tmp_path / 't.db'}", default=False, command_timeout=0.2)
    endless = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    )
    try:
        with pytest.raises(OperationalError, match="command_timeout"):
            await api(db, "fetch_all", endless)
        assert await api(db, "fetch_one", "SELECT 1 AS one") == {"one": 1}
    finally:
        await (db.aclose() if api.is_async else asyncio.to_thread(db.close))

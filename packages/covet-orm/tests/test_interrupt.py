"""Ctrl-C during a sync call on PostgreSQL or MariaDB stops the statement on the server.

Dropping the connection is not enough: PostgreSQL runs a statement to its end (an autocommit
UPDATE then commits) before it notices the client is gone. The sync path cancels the statement
the way the async path does when its task is cancelled, then drops the connection."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

from covet.orm import Database

SLEEP = {"postgres": "SELECT pg_sleep(60)", "mysql": "SELECT SLEEP(60)"}
RUNNING = {
    "postgres": "SELECT count(*) AS n FROM pg_stat_activity "
    "WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
    "mysql": "SELECT count(*) AS n FROM information_schema.processlist "
    "WHERE info LIKE %s AND id <> CONNECTION_ID()",
}
CHILD = textwrap.dedent(
    """
    import sys
    from covet.orm import Database

    db = Database(sys.argv[1], default=False)
    db.fetch_one("SELECT 1")
    print("ready", flush=True)
    try:
        db.fetch_one(sys.argv[2])
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    sys.exit(0)
    """
)


def _running(admin: Database, server: str, marker: str) -> int:
    row = admin.fetch_one(RUNNING[server], [f"%{marker}%"])
    assert row is not None
    return int(row["n"])


def _wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_ctrl_c_cancels_the_statement_on_the_server(server_db_url: str, server: str) -> None:
    marker = f"covet_interrupt_{uuid.uuid4().hex[:12]}"
    sql = f"{SLEEP[server]} /* {marker} */"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, server_db_url, sql],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with Database(server_db_url, default=False) as admin:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            assert _wait_for(lambda: _running(admin, server, marker) == 1, 10), "never started"
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=30)  # a hang guard on a loaded machine
            assert child.returncode == 3, err
            assert "interrupted" in out
            # stopped on the server, well before its 60 seconds (a killed MariaDB thread can
            # linger in the process list for a few seconds on a loaded machine)
            assert _wait_for(lambda: _running(admin, server, marker) == 0, 15), (
                "the statement kept running on the server after Ctrl-C"
            )
        finally:
            if child.poll() is None:
                child.kill()
            child.communicate()  # reaps it and closes its pipes


@pytest.mark.parametrize("interrupts", [1, 2])
@pytest.mark.parametrize("server", ["mysql"])
def test_a_second_interrupt_while_unwinding_still_raises_the_first(
    server_db_url: str, interrupts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C twice (or a cancellation path slower than UNWIND_TIMEOUT) on MariaDB's sync API
    (asyncmy on a private loop): the caller gets the KeyboardInterrupt, the connection is
    dropped, no task is left pending on the loop."""
    import asyncio

    import anyio

    from covet.orm.backends import _server

    db = Database(server_db_url, default=False, pool_size=1)
    conn = db.backend.acquire()
    assert isinstance(conn, _server.LoopConnection)
    loop = conn.loop

    async def slow_kill() -> None:  # as opening MariaDB's KILL connection to a slow server
        with anyio.move_on_after(10):
            await asyncio.sleep(10)

    monkeypatch.setattr(conn.aconn, "cancelled", slow_kill)
    monkeypatch.setattr(_server, "UNWIND_TIMEOUT", 0.3)
    fired = 0

    def interrupt() -> None:
        nonlocal fired
        fired += 1
        if fired < interrupts:
            loop.call_later(0.05, interrupt)
        raise KeyboardInterrupt

    loop.call_later(0.2, interrupt)
    try:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            conn.fetch_all("SELECT SLEEP(5)")
        assert time.monotonic() - started < 2
        assert not conn.alive(probe=False)
        assert [t for t in asyncio.all_tasks(loop) if not t.done()] == []
    finally:
        db.backend.release(conn)
        db.close()

"""A migration session: one connection, bound to the current thread (sync) or task (async).

The runner needs one connection for the whole run: the deploy lock is a session lock on it, each
migration's transaction is begun and committed on it by hand, and ``RunPython`` code calling the
ORM must land in that transaction. Binding the connection as covet.orm's ``Transaction`` does makes
every ``db.execute`` / ``Model.objects...`` call of this thread or task run on it. This module is
the only place covet.migrate uses the backend contract (``acquire`` / ``bind``) below ``Database``.
A run that completes leaves the connection as it found it (the lock released, SQLite's
``foreign_keys`` back on, no transaction open) and returns it to the pool; a run that fails
discards it, since its state is then unknown.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covet.orm import Database
    from covet.orm.backends.base import AsyncConnection, SyncConnection


class Session:
    def __init__(self, db: Database, say: Callable[[str], None]) -> None:
        self.db = db
        self.say = say
        self._sync: SyncConnection | None = None
        self._async: AsyncConnection | None = None

    def sync_conn(self) -> SyncConnection:
        assert self._sync is not None, "not a sync session"
        return self._sync

    def async_conn(self) -> AsyncConnection:
        assert self._async is not None, "not an async session"
        return self._async


@contextlib.contextmanager
def sync_session(db: Database, say: Callable[[str], None]) -> Iterator[Session]:
    backend = db.backend
    if backend.bound() is not None:
        raise RuntimeError("migrations cannot run inside a transaction (db.transaction())")
    session = Session(db, say)
    conn = backend.acquire()
    _, token = backend.bind(conn)
    session._sync = conn
    discard = False
    try:
        yield session
    except BaseException:
        discard = True
        raise
    finally:
        backend.unbind(token)
        backend.release(conn, discard=discard)


@contextlib.asynccontextmanager
async def async_session(db: Database, say: Callable[[str], None]) -> AsyncIterator[Session]:
    backend = db.backend
    if backend.abound() is not None:
        raise RuntimeError("migrations cannot run inside a transaction (db.transaction())")
    session = Session(db, say)
    conn = await backend.aacquire()
    _, token = backend.abind(conn)
    session._async = conn
    discard = False
    try:
        yield session
    except BaseException:
        discard = True
        raise
    finally:
        backend.aunbind(token)
        await backend.arelease(conn, discard=discard)

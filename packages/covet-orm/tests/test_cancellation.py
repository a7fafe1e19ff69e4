"""Cancellation: a cancelled statement does not happen, a cancelled transaction rolls back without
masking the cancellation, and the connection goes back to the pool usable."""

from __future__ import annotations

from pathlib import Path

import anyio

from covet.orm import Database

# ~3M generated rows: long enough that a 50 ms deadline always lands inside the statement
_ROWS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT x FROM c"
)


async def _setup(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'cancel.db'}", default=False, pool_size=1)
    await db.aexecute("CREATE TABLE big (x INTEGER)")
    return db


async def test_cancelled_sqlite_write_is_interrupted(tmp_path: Path) -> None:
    db = await _setup(tmp_path)
    try:
        with anyio.move_on_after(0.05) as scope:
            await db.aexecute(f"INSERT INTO big (x) {_ROWS}")
        assert scope.cancelled_caught
        assert await db.afetch_one("SELECT COUNT(*) AS n FROM big") == {"n": 0}
    finally:
        await db.aclose()


async def test_cancelled_sqlite_transaction_rolls_back_quietly(tmp_path: Path) -> None:
    db = await _setup(tmp_path)
    try:
        with anyio.move_on_after(0.05) as scope:
            async with db.transaction():
                await db.aexecute("INSERT INTO big (x) VALUES (1)")
                await db.aexecute(f"INSERT INTO big (x) {_ROWS}")
        assert scope.cancelled_caught  # the cancellation, not a ROLLBACK error, left the block
        assert await db.afetch_one("SELECT COUNT(*) AS n FROM big") == {"n": 0}
        async with db.transaction():  # the pooled connection is usable for a new transaction
            await db.aexecute("INSERT INTO big (x) VALUES (2)")
        assert await db.afetch_all("SELECT x FROM big") == [{"x": 2}]
    finally:
        await db.aclose()


async def test_cancelled_sqlite_savepoint_does_not_mask_the_cancellation(tmp_path: Path) -> None:
    db = await _setup(tmp_path)
    try:
        with anyio.move_on_after(0.05) as scope:
            async with db.transaction():
                await db.aexecute("INSERT INTO big (x) VALUES (1)")
                async with db.transaction():
                    await db.aexecute(f"INSERT INTO big (x) {_ROWS}")
        assert scope.cancelled_caught
        assert await db.afetch_one("SELECT COUNT(*) AS n FROM big") == {"n": 0}
    finally:
        await db.aclose()


async def test_cancelled_begin_never_pools_a_connection_inside_a_transaction(
    tmp_path: Path,
) -> None:
    """BEGIN IMMEDIATE waits for another writer; cancelling that wait must not pool a connection
    that might have begun a transaction (later autocommit writes would never commit)."""
    db = await _setup(tmp_path)
    other = Database(f"sqlite:///{tmp_path / 'cancel.db'}", default=False, busy_timeout=0.3)
    try:
        async with db.transaction():  # holds the write lock
            with anyio.move_on_after(0.05) as scope:
                async with other.transaction():
                    pass
            assert scope.cancelled_caught
        await anyio.sleep(0.5)  # the abandoned BEGIN has given up or succeeded by now
        await other.aexecute("INSERT INTO big (x) VALUES (7)")  # autocommit: visible to all
        assert await db.afetch_all("SELECT x FROM big") == [{"x": 7}]
    finally:
        await other.aclose()
        await db.aclose()

"""Instructions and steps: how covet.migrate's work is written once and run sync or async.

Everything that touches the database (the deploy lock, the history table, each migration's
statements) is a generator that yields *instructions* and receives their results, as covet.orm's
operations do. ``drive`` runs one with the sync API, ``adrive`` with the async API; the logic
exists once.

A *step* is one unit of a migration's work: an SQL statement, a Python call (``RunPython``) or a
small program (the SQLite table rebuild, which reads the catalog at run time). Steps print
themselves for ``covet migrate sql``.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import anyio

if TYPE_CHECKING:
    from covet.migrate._session import Session
    from covet.orm import Database

T = TypeVar("T")


class Execute(NamedTuple):
    sql: str
    params: Sequence[Any] = ()


class Fetch(NamedTuple):
    """A query; the result is a list of dicts keyed by column name."""

    sql: str
    params: Sequence[Any] = ()


class Begin(NamedTuple):
    pass


class Commit(NamedTuple):
    pass


class Rollback(NamedTuple):
    pass


class Sleep(NamedTuple):
    seconds: float


class Say(NamedTuple):
    """A line of progress for the terminal (or the ``progress`` callback)."""

    text: str


class Call(NamedTuple):
    """Call ``fn(*args)``: a ``def`` is called, an ``async def`` awaited (async driver only)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()


Instruction = Execute | Fetch | Begin | Commit | Rollback | Sleep | Say | Call
Plan = Generator[Instruction, Any, T]


def drive(plan: Plan[T], session: Session) -> T:
    """Run ``plan`` with the sync API on the session's bound connection."""
    db = session.db
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            instruction = plan.send(result) if error is None else plan.throw(error)
        except StopIteration as stop:
            value: T = stop.value
            return value
        result, error = None, None
        try:
            if isinstance(instruction, Execute):
                result = db.execute(instruction.sql, instruction.params)
            elif isinstance(instruction, Fetch):
                result = db.fetch_all(instruction.sql, instruction.params)
            elif isinstance(instruction, Begin):
                session.sync_conn().begin()
            elif isinstance(instruction, Commit):
                session.sync_conn().commit()
            elif isinstance(instruction, Rollback):
                session.sync_conn().rollback()
            elif isinstance(instruction, Sleep):
                time.sleep(instruction.seconds)
            elif isinstance(instruction, Say):
                session.say(instruction.text)
            else:
                if inspect.iscoroutinefunction(instruction.fn):
                    raise TypeError(
                        f"{_name(instruction.fn)} is an async function: run the migrations with "
                        "the async API (await manager.aupgrade() / adowngrade()); the covet "
                        "migrate command does so when a pending migration has one"
                    )
                result = instruction.fn(*instruction.args)
        except Exception as exc:
            error = exc


async def adrive(plan: Plan[T], session: Session) -> T:
    """Run ``plan`` with the async API on the session's bound connection."""
    db = session.db
    result: Any = None
    error: Exception | None = None
    while True:
        try:
            instruction = plan.send(result) if error is None else plan.throw(error)
        except StopIteration as stop:
            value: T = stop.value
            return value
        result, error = None, None
        try:
            if isinstance(instruction, Execute):
                result = await db.aexecute(instruction.sql, instruction.params)
            elif isinstance(instruction, Fetch):
                result = await db.afetch_all(instruction.sql, instruction.params)
            elif isinstance(instruction, Begin):
                await session.async_conn().begin()
            elif isinstance(instruction, Commit):
                await session.async_conn().commit()
            elif isinstance(instruction, Rollback):
                await session.async_conn().rollback()
            elif isinstance(instruction, Sleep):
                await anyio.sleep(instruction.seconds)
            elif isinstance(instruction, Say):
                session.say(instruction.text)
            else:
                if not inspect.iscoroutinefunction(instruction.fn):
                    raise TypeError(
                        f"{_name(instruction.fn)} is a sync function: run the migrations with "
                        "the sync API (manager.upgrade() / downgrade()), or make it async def"
                    )
                result = await instruction.fn(*instruction.args)
        except Exception as exc:
            error = exc


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


# -- steps ----------------------------------------------------------------------------------------
class Step:
    """One unit of a migration's work."""

    #: a Python call: its transaction differs on MariaDB (data is transactional, DDL is not)
    is_python = False

    def sql_lines(self) -> list[str]:
        """What ``covet migrate sql`` prints for this step."""
        raise NotImplementedError

    def run(self, db: Database) -> Plan[None]:
        raise NotImplementedError


class SqlStep(Step):
    def __init__(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.sql = sql
        self.params = tuple(params)

    def __repr__(self) -> str:
        return f"SqlStep({self.sql!r}, {self.params!r})"

    def sql_lines(self) -> list[str]:
        lines = [self.sql + ";"]
        if self.params:
            lines.append(f"-- parameters: {list(self.params)!r}")
        return lines

    def run(self, db: Database) -> Plan[None]:
        yield Execute(self.sql, self.params)


class PythonStep(Step):
    """``fn(models, db)``: ``RunPython`` with the historical models of the migration state."""

    is_python = True

    def __init__(self, fn: Callable[..., Any], make_args: Callable[[Database], tuple[Any, ...]]):
        self.fn = fn
        self.make_args = make_args

    def sql_lines(self) -> list[str]:
        kind = "async " if inspect.iscoroutinefunction(self.fn) else ""
        return [f"-- RunPython: {kind}{_name(self.fn)}(models, db)"]

    def run(self, db: Database) -> Plan[None]:
        yield Call(self.fn, self.make_args(db))

"""The runner: applies and unapplies migrations under the deploy lock, as one plan.

PostgreSQL: each migration is one transaction (DDL is transactional): a failure leaves the
database at the previous migration. SQLite: the whole run is one ``BEGIN IMMEDIATE`` transaction
(that is the lock) and each migration a savepoint, with ``foreign_keys`` off and
``PRAGMA foreign_key_check`` before the savepoint is released. MariaDB (and ``atomic = False``
migrations on PostgreSQL): every step is recorded in the history row as it completes, so ``up``
after a failure resumes at the failed step.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from covet.migrate._exceptions import InconsistentHistory, IrreversibleError, MigrationFailed
from covet.migrate._history import History, Record, acquire_lock, release_lock
from covet.migrate._introspect import read_catalog
from covet.migrate._loader import Graph, Key, Migration
from covet.migrate._plan import Begin, Commit, Execute, Fetch, Plan, Rollback, Say, Step
from covet.migrate._schema import schema_editor
from covet.migrate._state import ProjectState
from covet.migrate.operations.base import Operation
from covet.migrate.operations.models import CreateModel

if TYPE_CHECKING:
    from covet.orm import Database


def _snake(name: str) -> str:
    from covet.orm._model import _snake as snake

    return snake(name)


@dataclass
class Work:
    """One migration to apply or unapply, with its steps grouped by operation."""

    migration: Migration
    backwards: bool
    steps: list[tuple[Operation, list[Step]]]

    @property
    def flat(self) -> list[tuple[Operation, Step]]:
        return [(op, step) for op, steps in self.steps for step in steps]


def migration_steps(
    migration: Migration, before: ProjectState, dialect: Any, *, backwards: bool
) -> tuple[list[tuple[Operation, list[Step]]], ProjectState]:
    """The steps of a migration from ``before`` (forwards) or back to ``before``, and the state
    after it."""
    states = [before]
    for op in migration.operations:
        state = states[-1].clone()
        op.state_forwards(migration.app, state)
        states.append(state)
    out: list[tuple[Operation, list[Step]]] = []
    for i, op in enumerate(migration.operations):
        editor = schema_editor(dialect, fill_empty=backwards)
        if backwards:
            if not op.reversible:
                raise IrreversibleError(
                    f"{migration.label}: operation {i + 1} ({op.describe()}) cannot be unapplied"
                )
            op.database_backwards(migration.app, editor, states[i], states[i + 1])
        else:
            op.database_forwards(migration.app, editor, states[i], states[i + 1])
        out.append((op, editor.steps))
    if backwards:
        out.reverse()
    return out, states[-1]


class Runner:
    def __init__(self, db: Database, *, lock_timeout: float = 300.0) -> None:
        self.db = db
        self.dialect = db.dialect
        self.history = History(db.dialect)
        self.lock_timeout = lock_timeout

    # -- the whole run ----------------------------------------------------------------------------
    def run(
        self,
        choose: Callable[[list[Record]], list[Work]],
        *,
        fake: bool = False,
        fake_initial: bool = False,
    ) -> Plan[list[str]]:
        """Lock, read the history, let ``choose`` pick the work from it, do it, unlock."""
        yield from acquire_lock(self.db, self.lock_timeout)
        try:
            yield from self.history.ensure()
            records = yield from self.history.read()
            work = choose(records)
            if not work:
                yield Say("Nothing to do: the database is up to date with the target.")
            done = []
            partial = {r.key: r.progress for r in records if not r.complete}
            tables: set[str] = set()
            if fake_initial:
                catalog = yield from read_catalog(self.dialect)
                tables = set(catalog)
            for item in work:
                creates = [
                    op.options.get("table_name") or _snake(op.name)
                    for op in item.migration.operations
                    if isinstance(op, CreateModel)
                ]
                adopt = (
                    fake_initial
                    and item.migration.initial
                    and bool(creates)
                    and all(t in tables for t in creates)
                )
                if fake or adopt:
                    yield from self.fake(item)
                else:
                    yield from self.do(item, partial.get(item.migration.key))
                done.append(item.migration.label)
        except Exception:
            # the failure is what matters: a lock release that fails too (a dropped connection,
            # which releases the lock anyway) must not hide it
            with contextlib.suppress(Exception):
                yield from release_lock(self.db)
            raise
        yield from release_lock(self.db)
        return done

    def read_history(self) -> Plan[list[Record]]:
        if not (yield from self.history.exists()):
            return []
        records: list[Record] = yield from self.history.read()
        return records

    # -- one migration ---------------------------------------------------------------------------
    def fake(self, work: Work) -> Plan[None]:
        m = work.migration
        if work.backwards:
            yield from self.history.delete(m.app, m.name)
            yield Say(f"Unapplied {m.label} (fake: no SQL run)")
        else:
            yield from self.history.insert(m.app, m.name, m.checksum, 0.0, None)
            yield Say(f"Applied {m.label} (fake: no SQL run)")

    def do(self, work: Work, progress: int | None) -> Plan[None]:
        m = work.migration
        verb = "Unapplying" if work.backwards else "Applying"
        yield Say(f"{verb} {m.label}...")
        atomic = m.atomic and self.dialect.supports_ddl_transactions
        if self.dialect.name == "sqlite":
            atomic = True  # the run is one transaction: every migration is a savepoint
        start = time.monotonic()
        if atomic:
            yield from self._atomic(work, start)
        else:
            yield from self._stepwise(work, progress or 0, start)
        yield Say(f"  {'unapplied' if work.backwards else 'applied'} {m.label} in {_ms(start)}")

    def _atomic(self, work: Work, start: float) -> Plan[None]:
        m = work.migration
        sqlite = self.dialect.name == "sqlite"
        yield Execute("SAVEPOINT covet_migration") if sqlite else Begin()
        current = "starting"
        try:
            for op, steps in work.steps:
                current = f"operation {work.migration.operations.index(op) + 1} ({op.describe()})"
                op_start = time.monotonic()
                for step in steps:
                    yield from step.run(self.db)
                yield Say(f"  {_undo(work)}{op.describe()} ({_ms(op_start)})")
            if sqlite:
                current = "PRAGMA foreign_key_check"
                yield from _foreign_key_check()
            if work.backwards:
                yield from self.history.delete(m.app, m.name)
            else:
                yield from self.history.insert(
                    m.app, m.name, m.checksum, time.monotonic() - start, None
                )
        except Exception as exc:
            if sqlite:
                yield Execute("ROLLBACK TO SAVEPOINT covet_migration")
                yield Execute("RELEASE SAVEPOINT covet_migration")
            else:
                yield Rollback()
            where = "before" if not work.backwards else "with"
            raise MigrationFailed(
                m.label,
                current,
                f"Rolled back: the database is as it was {where} {m.label} applied "
                "(the migration runs in one transaction).",
                exc,
            ) from exc
        yield Execute("RELEASE SAVEPOINT covet_migration") if sqlite else Commit()

    def _stepwise(self, work: Work, progress: int, start: float) -> Plan[None]:
        """Non-transactional DDL: record each finished step so a failure can be resumed."""
        m = work.migration
        flat = work.flat
        done = -progress if work.backwards else progress
        if work.backwards and progress > 0:
            raise InconsistentHistory(
                f"{m.label} is partly applied ({progress} of {len(flat)} steps); run 'up' to "
                "finish it before unapplying it"
            )
        if not work.backwards and progress < 0:
            raise InconsistentHistory(
                f"{m.label} is partly unapplied; run 'down' again to finish unapplying it"
            )
        if not work.backwards and progress == 0:
            yield from self.history.insert(m.app, m.name, m.checksum, 0.0, 0)
        elif done:
            yield Say(f"  resuming {m.label} after step {done} of {len(flat)}")
        last_op: Operation | None = None
        op_start = time.monotonic()
        for index, (op, step) in enumerate(flat):
            if index < done:
                continue
            if op is not last_op:
                if last_op is not None:
                    yield Say(f"  {_undo(work)}{last_op.describe()} ({_ms(op_start)})")
                last_op, op_start = op, time.monotonic()
            mark = -(index + 1) if work.backwards else index + 1
            try:
                if step.is_python:
                    yield Begin()
                    try:
                        yield from step.run(self.db)
                        yield from self.history.update(m.app, m.name, progress=mark)
                    except Exception:
                        yield Rollback()
                        raise
                    yield Commit()
                else:
                    yield from step.run(self.db)
                    yield from self.history.update(m.app, m.name, progress=mark)
            except Exception as exc:
                number = m.operations.index(op) + 1
                direction = "down" if work.backwards else "up"
                raise MigrationFailed(
                    m.label,
                    f"operation {number} ({op.describe()}), step {index + 1} of {len(flat)}",
                    f"{self.dialect.name} cannot roll back DDL: {index} of {len(flat)} steps of "
                    f"{m.label} are done and recorded in covet_migrations. Fix the cause and "
                    f"run '{direction}' again to resume at step {index + 1}.",
                    exc,
                ) from exc
        if last_op is not None:
            yield Say(f"  {_undo(work)}{last_op.describe()} ({_ms(op_start)})")
        if work.backwards:
            yield from self.history.delete(m.app, m.name)
        else:
            yield from self.history.update(
                m.app,
                m.name,
                progress=None,
                duration=time.monotonic() - start,
                checksum=m.checksum,  # a resumed migration was fixed: record the fixed file
            )


def _foreign_key_check() -> Plan[None]:
    from covet.orm import IntegrityError

    rows = yield Fetch("PRAGMA foreign_key_check")
    if rows:
        first = rows[0]
        raise IntegrityError(
            f"PRAGMA foreign_key_check found {len(rows)} row(s) breaking a foreign key, e.g. "
            f"{first.get('table')} rowid {first.get('rowid')} -> {first.get('parent')}"
        )


def _undo(work: Work) -> str:
    return "undo: " if work.backwards else ""


def _ms(start: float) -> str:
    return f"{(time.monotonic() - start) * 1000:.0f} ms"


def plan_work(graph: Graph, keys: list[Key], *, backwards: bool, dialect: Any) -> list[Work]:
    """The steps of each migration in ``keys`` (in the order given)."""
    out = []
    for key in keys:
        migration = graph.nodes[key]
        before = graph.state(set(graph.ancestors([key])) - {key})
        steps, _ = migration_steps(migration, before, dialect, backwards=backwards)
        out.append(Work(migration, backwards, steps))
    return out

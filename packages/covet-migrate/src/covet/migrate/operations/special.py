"""Operations that run code: ``RunSQL`` (per-dialect variants) and ``RunPython``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from covet.migrate._exceptions import IrreversibleError
from covet.migrate._plan import PythonStep
from covet.migrate._state import HistoricalModels
from covet.migrate.operations.base import Operation

if TYPE_CHECKING:
    from covet.migrate._schema import SchemaEditor
    from covet.migrate._state import ProjectState
    from covet.orm import Database

#: a statement, a list of statements, or {dialect name: either} (key "default" for the rest)
SQL = str | Sequence[str] | Mapping[str, str | Sequence[str]]


class RunSQL(Operation):
    """Raw SQL forwards and (optionally) backwards, the same for every database or one variant
    per dialect: ``RunSQL({"postgresql": "...", "sqlite": "...", "default": "..."})``. Use
    ``reverse_sql=RunSQL.noop`` for a reverse that does nothing."""

    noop = ""

    def __init__(self, sql: SQL, reverse_sql: SQL | None = None) -> None:
        self.sql, self.reverse_sql = sql, reverse_sql
        self.reversible = reverse_sql is not None

    def describe(self) -> str:
        return "Raw SQL"

    def state_forwards(self, app: str, state: ProjectState) -> None:
        pass

    @staticmethod
    def statements(sql: SQL, dialect: str) -> list[str]:
        if isinstance(sql, Mapping):
            if dialect in sql:
                chosen = sql[dialect]
            elif "default" in sql:
                chosen = sql["default"]
            else:
                raise IrreversibleError(
                    f"RunSQL has no variant for {dialect!r} (it has {', '.join(sql)}); "
                    'add one, or a "default"'
                )
            return RunSQL.statements(chosen, dialect)
        if isinstance(sql, str):
            return [sql] if sql.strip() else []
        return [s for s in sql if s.strip()]

    def database_forwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        for sql in self.statements(self.sql, editor.dialect.name):
            editor.execute(sql)

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        if self.reverse_sql is None:
            raise IrreversibleError("RunSQL without reverse_sql cannot be unapplied")
        for sql in self.statements(self.reverse_sql, editor.dialect.name):
            editor.execute(sql)


Code = Callable[["HistoricalModels", "Database"], Any]


class RunPython(Operation):
    """Call ``code(models, db)`` forwards and ``reverse_code(models, db)`` backwards.

    ``models`` holds the *historical* models (``models["app.Model"]``): the fields as they are
    at this point of the migrations, not as they are in the code today. Both functions may be
    ``def`` (run by ``upgrade()``) or ``async def`` (run by ``aupgrade()``). They run in the
    migration's transaction; on MariaDB in a transaction of their own."""

    def __init__(self, code: Code, reverse_code: Code | None = None) -> None:
        self.code, self.reverse_code = code, reverse_code
        self.reversible = reverse_code is not None

    @staticmethod
    def noop(models: HistoricalModels, db: Database) -> None:
        """A reverse (or forward) that does nothing."""

    def describe(self) -> str:
        return f"Run Python {getattr(self.code, '__qualname__', self.code)!r}"

    def state_forwards(self, app: str, state: ProjectState) -> None:
        pass

    def _step(self, fn: Code, app: str, state: ProjectState) -> PythonStep:
        def make_args(db: Database) -> tuple[Any, ...]:
            return (HistoricalModels(state, db, app), db)

        return PythonStep(fn, make_args)

    def database_forwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.steps.append(self._step(self.code, app, after))

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        if self.reverse_code is None:
            raise IrreversibleError("RunPython without reverse_code cannot be unapplied")
        editor.steps.append(self._step(self.reverse_code, app, after))

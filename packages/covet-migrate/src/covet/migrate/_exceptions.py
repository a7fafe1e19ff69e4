"""Exceptions raised by covet.migrate.

MigrationError               root of every error this package raises on purpose
├── ConfigurationError       no database or apps, a bad setting in pyproject.toml or on the CLI
├── MigrationLoadError       a migration file cannot be imported or is malformed
├── GraphError               unknown or circular dependencies, an unknown target
│   └── ConflictError        an app has several leaf migrations (merge them)
├── InconsistentHistory      the history table disagrees with the migration files
├── QuestionNeeded           ``make`` needs an answer (a one-off default) and cannot ask
├── IrreversibleError        an operation has no backward form
├── LockTimeout              another process held the deploy lock for too long
└── MigrationFailed          a statement failed; names the migration, the operation and the
                             state the database was left in (``.cause`` is the original)
"""

from __future__ import annotations


class MigrationError(Exception):
    """Root of the covet.migrate exception hierarchy."""


class ConfigurationError(MigrationError):
    """The database or the apps to migrate are not configured, or configured wrongly."""


class MigrationLoadError(MigrationError):
    """A migration file cannot be imported, or does not define what a migration must."""


class GraphError(MigrationError):
    """The migration graph is broken: a missing dependency, a cycle, an unknown target."""


class ConflictError(GraphError):
    """An app has more than one leaf migration: two branches were made in parallel."""


class InconsistentHistory(MigrationError):
    """The history table records migrations the files do not have, or out of order."""


class QuestionNeeded(MigrationError):
    """The autodetector needs an answer it cannot ask for (no terminal, no flag)."""


class IrreversibleError(MigrationError):
    """An operation (RunSQL/RunPython without a reverse) cannot be unapplied."""


class LockTimeout(MigrationError):
    """The deploy lock was not acquired in time."""


class MigrationFailed(MigrationError):
    """A migration failed; ``migration``, ``operation`` and ``state`` say where and what now."""

    def __init__(
        self, migration: str, operation: str, state: str, cause: BaseException | None
    ) -> None:
        self.migration = migration
        self.operation = operation
        self.state = state
        self.cause = cause
        detail = f": {type(cause).__name__}: {cause}" if cause is not None else ""
        super().__init__(f"migration {migration} failed in {operation}{detail}\n{state}")

"""covet.migrate: schema migrations for covet.orm, autodetected, forwards and backwards, with a
deploy lock. See docs/migrations.md."""

from covet.migrate import operations
from covet.migrate import operations as ops
from covet.migrate.__about__ import __version__
from covet.migrate._autodetector import Autodetector, Questioner
from covet.migrate._exceptions import (
    ConfigurationError,
    ConflictError,
    GraphError,
    InconsistentHistory,
    IrreversibleError,
    LockTimeout,
    MigrationError,
    MigrationFailed,
    MigrationLoadError,
    QuestionNeeded,
)
from covet.migrate._history import Record
from covet.migrate._loader import Migration
from covet.migrate._manager import MigrationManager, MigrationStatus
from covet.migrate._state import HistoricalModels, ModelState, ProjectState

__all__ = [
    "Autodetector",
    "ConfigurationError",
    "ConflictError",
    "GraphError",
    "HistoricalModels",
    "InconsistentHistory",
    "IrreversibleError",
    "LockTimeout",
    "Migration",
    "MigrationError",
    "MigrationFailed",
    "MigrationLoadError",
    "MigrationManager",
    "MigrationStatus",
    "ModelState",
    "ProjectState",
    "QuestionNeeded",
    "Questioner",
    "Record",
    "__version__",
    "operations",
    "ops",
]

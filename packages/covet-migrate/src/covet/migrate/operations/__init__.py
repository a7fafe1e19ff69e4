"""The operations a migration file lists (``from covet.migrate import ops``)."""

from covet.migrate.operations.base import Operation
from covet.migrate.operations.fields import AddField, AlterField, RemoveField, RenameField
from covet.migrate.operations.models import (
    AddConstraint,
    AddIndex,
    AlterModelTable,
    AlterUniqueTogether,
    CreateModel,
    DeleteModel,
    RemoveConstraint,
    RemoveIndex,
    RenameModel,
)
from covet.migrate.operations.special import RunPython, RunSQL

__all__ = [
    "AddConstraint",
    "AddField",
    "AddIndex",
    "AlterField",
    "AlterModelTable",
    "AlterUniqueTogether",
    "CreateModel",
    "DeleteModel",
    "Operation",
    "RemoveConstraint",
    "RemoveField",
    "RemoveIndex",
    "RenameField",
    "RenameModel",
    "RunPython",
    "RunSQL",
]

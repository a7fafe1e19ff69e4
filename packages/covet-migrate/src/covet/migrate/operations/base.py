"""``Operation``: one explicit change in a migration file.

An operation changes the project state (``state_forwards``) and writes the steps that change the
database, forwards and backwards, through a ``SchemaEditor``. Model names are relative to the
migration's app. Operations record their constructor call so the writer can print them back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from covet.migrate._schema import SchemaEditor
    from covet.migrate._state import ProjectState


class Operation:
    #: False when there is no backward form (RunSQL / RunPython without a reverse)
    reversible = True
    #: changes only data, never the schema (RunPython): it may run in its own transaction
    _constructor_args: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        op = super().__new__(cls)
        op._constructor_args = (args, kwargs)
        return op

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """``(class name, args, kwargs)``: how the writer prints this operation."""
        args, kwargs = self._constructor_args
        return type(self).__name__, args, dict(kwargs)

    def __repr__(self) -> str:
        name, args, kwargs = self.deconstruct()
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        return f"{name}({', '.join(parts)})"

    def describe(self) -> str:
        raise NotImplementedError

    def state_forwards(self, app: str, state: ProjectState) -> None:
        raise NotImplementedError

    def database_forwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        raise NotImplementedError

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        """Undo: ``before`` is the state the database goes back to, ``after`` where it is."""
        raise NotImplementedError

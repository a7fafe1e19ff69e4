"""Operations on models and their table options."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from covet.migrate._state import ModelState
from covet.migrate.operations.base import Operation
from covet.orm import Field, Index

if TYPE_CHECKING:
    from covet.migrate._schema import SchemaEditor
    from covet.migrate._state import ProjectState


class CreateModel(Operation):
    """``CreateModel("Author", fields=[("id", orm.BigAutoField()), ...], options={...})``;
    options: ``table_name``, ``indexes``, ``unique_together``, ``constraints``."""

    def __init__(
        self,
        name: str,
        fields: Sequence[tuple[str, Field[Any]]],
        options: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.fields = list(fields)
        self.options = dict(options or {})

    def describe(self) -> str:
        return f"Create model {self.name}"

    def state_forwards(self, app: str, state: ProjectState) -> None:
        state.add(ModelState(app, self.name, self.fields, **self.options))

    def database_forwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.create_model(after.get(app, self.name))

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.delete_model(after.get(app, self.name))


class DeleteModel(Operation):
    def __init__(self, name: str) -> None:
        self.name = name

    def describe(self) -> str:
        return f"Delete model {self.name}"

    def state_forwards(self, app: str, state: ProjectState) -> None:
        state.remove(app, self.name)

    def database_forwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.delete_model(before.get(app, self.name))

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.create_model(before.get(app, self.name))


class _TableChange(Operation):
    """An operation that takes one model's table from its state before to its state after."""

    model_name: str

    def new_name(self) -> str:
        return self.model_name

    def renames(self) -> dict[str, str]:
        """New field name -> old field name."""
        return {}

    def fills(self) -> dict[str, Any]:
        return {}

    def change(self, model: ModelState) -> ModelState:
        raise NotImplementedError

    def state_forwards(self, app: str, state: ProjectState) -> None:
        old = state.remove(app, self.model_name)
        state.add(self.change(old))

    def database_forwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.alter_table(
            before.get(app, self.model_name),
            after.get(app, self.new_name()),
            renames=self.renames(),
            fills=self.fills(),
        )

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.alter_table(
            after.get(app, self.new_name()),
            before.get(app, self.model_name),
            renames={old: new for new, old in self.renames().items()},
        )


class RenameModel(_TableChange):
    """Rename a model; its table follows when the table name was derived from the class name."""

    def __init__(self, old_name: str, new_name: str) -> None:
        self.model_name = old_name
        self.old_name, self._new_name = old_name, new_name

    def new_name(self) -> str:
        return self._new_name

    def describe(self) -> str:
        return f"Rename model {self.old_name} to {self._new_name}"

    def change(self, model: ModelState) -> ModelState:
        from covet.orm._model import _snake

        table = model.table_name
        if table == _snake(model.name):
            table = _snake(self._new_name)
        return model.clone(name=self._new_name, table_name=table)


class AlterModelTable(_TableChange):
    def __init__(self, name: str, table_name: str) -> None:
        self.model_name, self.table_name = name, table_name

    def describe(self) -> str:
        return f"Rename table of {self.model_name} to {self.table_name}"

    def change(self, model: ModelState) -> ModelState:
        return model.clone(table_name=self.table_name)


class AddIndex(_TableChange):
    def __init__(self, model_name: str, index: Index) -> None:
        self.model_name, self.index = model_name, index

    def describe(self) -> str:
        label = self.index.name or ", ".join(self.index.fields)
        return f"Create index {label} on {self.model_name}"

    def change(self, model: ModelState) -> ModelState:
        return model.clone(indexes=[*model.indexes, self.index])


class RemoveIndex(_TableChange):
    """Remove the index with this name, or (unnamed indexes) these fields."""

    def __init__(
        self, model_name: str, name: str | None = None, *, fields: Iterable[str] = ()
    ) -> None:
        self.model_name, self.name, self.fields = model_name, name, list(fields)

    def describe(self) -> str:
        return f"Remove index {self.name or ', '.join(self.fields)} from {self.model_name}"

    def matches(self, index: Index) -> bool:
        if self.name is not None:
            return index.name == self.name
        return index.name is None and list(index.fields) == self.fields

    def change(self, model: ModelState) -> ModelState:
        kept = [i for i in model.indexes if not self.matches(i)]
        if len(kept) == len(model.indexes):
            raise KeyError(f"{model.label} has no index {self.name or self.fields}")
        return model.clone(indexes=kept)


class AddConstraint(_TableChange):
    def __init__(self, model_name: str, constraint: Any) -> None:
        self.model_name, self.constraint = model_name, constraint

    def describe(self) -> str:
        return f"Create constraint {self.constraint.name} on {self.model_name}"

    def change(self, model: ModelState) -> ModelState:
        return model.clone(constraints=[*model.constraints, self.constraint])


class RemoveConstraint(_TableChange):
    def __init__(self, model_name: str, name: str) -> None:
        self.model_name, self.name = model_name, name

    def describe(self) -> str:
        return f"Remove constraint {self.name} from {self.model_name}"

    def change(self, model: ModelState) -> ModelState:
        kept = [c for c in model.constraints if c.name != self.name]
        if len(kept) == len(model.constraints):
            raise KeyError(f"{model.label} has no constraint {self.name!r}")
        return model.clone(constraints=kept)


class AlterUniqueTogether(_TableChange):
    def __init__(self, name: str, unique_together: Iterable[Iterable[str]]) -> None:
        self.model_name = name
        self.unique_together = [tuple(u) for u in unique_together]

    def describe(self) -> str:
        return f"Alter unique_together of {self.model_name} ({len(self.unique_together)} set(s))"

    def change(self, model: ModelState) -> ModelState:
        return model.clone(unique_together=self.unique_together)

"""Operations on models and their table options."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from covet.migrate._state import ModelState, StateField, retarget
from covet.migrate.operations.base import Operation
from covet.orm import Index
from covet.orm.sql import ddl

if TYPE_CHECKING:
    from covet.migrate._schema import SchemaEditor
    from covet.migrate._state import ProjectState


class CreateModel(Operation):
    """``CreateModel("Author", fields=[("id", orm.BigAutoField()), ...], options={...})``;
    options: ``table_name``, ``indexes``, ``unique_together``, ``constraints``."""

    def __init__(
        self,
        name: str,
        fields: Sequence[tuple[str, StateField]],
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
        editor.create_model(after.bound(app, self.name))

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.delete_model(after.bound(app, self.name))


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
        editor.delete_model(before.bound(app, self.name))

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        editor.create_model(before.bound(app, self.name))


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
        old_key = (app, before.resolve(app, self.model_name))
        new_key = (app, after.resolve(app, self.new_name()))
        change_table(editor, before, after, old_key, new_key, self.renames(), self.fills())

    def database_backwards(
        self, app: str, editor: SchemaEditor, before: ProjectState, after: ProjectState
    ) -> None:
        old_key = (app, before.resolve(app, self.model_name))
        new_key = (app, after.resolve(app, self.new_name()))
        renames = {old: new for new, old in self.renames().items()}
        change_table(editor, after, before, new_key, old_key, renames, {})


Key = tuple[str, str]


def change_table(
    editor: SchemaEditor,
    before: ProjectState,
    after: ProjectState,
    old_key: Key,
    new_key: Key,
    renames: dict[str, str],
    fills: dict[str, Any],
) -> None:
    """Take one model's table from ``before`` to ``after``, with what other tables owe to the
    change: join tables of many-to-many relations to it follow a rename, and the columns that
    reference a key whose type changes change with it (their foreign keys dropped first and
    added back after, as MariaDB requires; SQLite rebuilds with foreign keys off)."""
    old, new = before.bound(*old_key), after.bound(*new_key)
    retyped: list[tuple[str, str]] = []  # (old column, new column) of keys changing type
    for name, field in new.fields.items():
        was = old.fields.get(renames.get(name, name))
        if was is None:
            continue
        # a foreign key to an auto key has the type of its kind (SQLite's keys are all INTEGER)
        if (editor.base_type(was), was.kind) != (editor.base_type(field), field.kind):
            retyped.append((was.column, field.column))
    in_place = editor.dialect.name != "sqlite"
    dropped, restored = [], []
    if retyped and in_place:
        dropped = _references_to(editor, before, old.table_name, {c for c, _ in retyped})
        restored = _references_to(editor, after, new.table_name, {c for _, c in retyped})
    for table, constraint in dropped:
        editor.drop_constraint(table, constraint)
    editor.alter_table(old, new, renames=renames, fills=fills)
    for model in after.referencing(new_key):
        key = (model.app, model.name)
        if key not in before.models:
            continue
        was_model, now_model = before.bound(*key), after.bound(*key)
        if retyped:  # its columns that reference the key change type with it
            editor.alter_table(was_model, now_model)
        else:
            editor.alter_many_to_many(was_model, now_model)
    for table, constraint in restored:
        editor.add_constraint(table, constraint)


def _references_to(
    editor: SchemaEditor, state: ProjectState, table: str, columns: set[str]
) -> list[tuple[str, ddl.TableConstraint]]:
    """The foreign key constraints of ``state`` (join tables included) on ``table.columns``."""
    from covet.migrate._schema import join_tables

    out = []
    for app, name in state.models:
        model = state.render(app, name)
        for m in [model, *join_tables(model).values()]:
            foreign = {
                c.columns: c
                for c in ddl.table_constraints(m, editor.dialect)
                if c.kind == "foreign"
            }
            for f in m._meta.fields:
                spec = ddl.references(f)
                if spec is not None and spec.table == table and spec.column in columns:
                    out.append((m._meta.table_name, foreign[(f.column,)]))
    return out


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

    def state_forwards(self, app: str, state: ProjectState) -> None:
        old_name = state.resolve(app, self.old_name)
        super().state_forwards(app, state)
        # relations pointing at the model now point at its new name
        old, new = f"{app}.{old_name}", f"{app}.{self._new_name}"
        for key, model in list(state.models.items()):
            fields = [(n, retarget(f, old, new, model.app)) for n, f in model.items()]
            if any(a is not b for (_, a), (_, b) in zip(fields, model.items(), strict=True)):
                state.models[key] = model.clone(fields=fields)
        state.add(state.get(app, self._new_name))  # drops the rendered models


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

"""Operations on one field of a model."""

from __future__ import annotations

from typing import Any

from covet.migrate._state import ModelState, StateField
from covet.migrate.operations.models import _TableChange
from covet.orm._fields import NOT_PROVIDED


class AddField(_TableChange):
    """Add a column. ``fill`` is the value existing rows get when the field is NOT NULL and has
    no default (the one-off default ``covet migrate make`` asks for)."""

    def __init__(
        self, model_name: str, name: str, field: StateField, *, fill: Any = NOT_PROVIDED
    ) -> None:
        self.model_name, self.name, self.field, self.fill = model_name, name, field, fill

    def describe(self) -> str:
        return f"Add field {self.name} to {self.model_name}"

    def fills(self) -> dict[str, Any]:
        return {} if self.fill is NOT_PROVIDED else {self.name: self.fill}

    def change(self, model: ModelState) -> ModelState:
        if self.name in model.fields or self.name in model.many_to_many:
            raise KeyError(f"{model.label} already has a field {self.name!r}")
        return model.clone(fields=[*model.items(), (self.name, self.field)])


class RemoveField(_TableChange):
    def __init__(self, model_name: str, name: str) -> None:
        self.model_name, self.name = model_name, name

    def describe(self) -> str:
        return f"Remove field {self.name} from {self.model_name}"

    def change(self, model: ModelState) -> ModelState:
        model.get_field(self.name)
        return model.clone(fields=[(n, f) for n, f in model.items() if n != self.name])


class AlterField(_TableChange):
    """Change a field's definition; ``fill`` replaces NULLs when it becomes NOT NULL."""

    def __init__(
        self, model_name: str, name: str, field: StateField, *, fill: Any = NOT_PROVIDED
    ) -> None:
        self.model_name, self.name, self.field, self.fill = model_name, name, field, fill

    def describe(self) -> str:
        return f"Alter field {self.name} on {self.model_name}"

    def fills(self) -> dict[str, Any]:
        return {} if self.fill is NOT_PROVIDED else {self.name: self.fill}

    def change(self, model: ModelState) -> ModelState:
        model.get_field(self.name)
        fields = [(n, self.field if n == self.name else f) for n, f in model.items()]
        return model.clone(fields=fields)


class RenameField(_TableChange):
    """Rename a field; its column follows unless ``db_column`` pins it."""

    def __init__(self, model_name: str, old_name: str, new_name: str) -> None:
        self.model_name, self.old_name, self.new_name_ = model_name, old_name, new_name

    def describe(self) -> str:
        return f"Rename field {self.old_name} on {self.model_name} to {self.new_name_}"

    def renames(self) -> dict[str, str]:
        return {self.new_name_: self.old_name}

    def change(self, model: ModelState) -> ModelState:
        model.get_field(self.old_name)
        if self.new_name_ in model.fields or self.new_name_ in model.many_to_many:
            raise KeyError(f"{model.label} already has a field {self.new_name_!r}")
        old, new = self.old_name, self.new_name_

        def rename(names: Any) -> Any:
            return [new if n == old else ("-" + new if n == "-" + old else n) for n in names]

        fields = [(new if n == old else n, f) for n, f in model.items()]
        indexes = []
        for index in model.indexes:
            moved = type(index)(fields=rename(index.fields), name=index.name, unique=index.unique)
            indexes.append(moved)
        constraints = []
        for c in model.constraints:
            if hasattr(c, "fields"):
                c = type(c)(fields=rename(c.fields), name=c.name)
            elif hasattr(c, "check"):
                c = type(c)(check=rename_in_q(c.check, old, new), name=c.name)
            constraints.append(c)
        together = [tuple(rename(u)) for u in model.unique_together]
        return model.clone(
            fields=fields, indexes=indexes, constraints=constraints, unique_together=together
        )


def rename_in_q(q: Any, old: str, new: str) -> Any:
    """A copy of a ``Q`` whose lookups and ``F`` references name ``new`` instead of ``old``."""
    from covet.orm import F, Q

    if isinstance(q, F):
        return F(new) if q.name == old else q
    if not isinstance(q, Q):
        return q
    copy = Q()
    copy.connector, copy.negated = q.connector, q.negated
    children: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(rename_in_q(child, old, new))
            continue
        if not isinstance(child, tuple):  # an expression: a rename does not reach inside it
            children.append(child)
            continue
        lookup, value = child
        head, sep, rest = lookup.partition("__")
        children.append((new + sep + rest if head == old else lookup, rename_in_q(value, old, new)))
    copy.children = children
    return copy

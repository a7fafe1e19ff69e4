"""Folding a squashed range of operations into fewer: what ``squash`` writes.

A ``CreateModel`` absorbs the later changes to the same model (fields added, altered, renamed or
removed; indexes, constraints, unique sets, table renames, a model rename) by replaying them on
its state, and a model created and deleted within the range disappears. ``RunSQL`` and
``RunPython`` are barriers (they may read the table as it was), and relation fields are never
moved (their target may not exist yet at the ``CreateModel``), nor the later changes to their
model.
"""

from __future__ import annotations

from typing import Any

from covet.migrate._state import ProjectState, model_key, target_label
from covet.migrate.operations import (
    AddField,
    AlterField,
    CreateModel,
    DeleteModel,
    Operation,
    RenameModel,
    RunPython,
    RunSQL,
)
from covet.migrate.operations.models import _TableChange
from covet.orm import ForeignKey, ManyToManyField
from covet.orm.sql.ddl import references


def optimize(app: str, operations: list[Operation]) -> list[Operation]:
    ops = list(operations)
    i = 0
    while i < len(ops):
        op = ops[i]
        if isinstance(op, CreateModel):
            folded = _fold(app, op, ops[i + 1 :], _related_names(app, ops))
            if folded is not None:
                created, rest = folded
                ops[i:] = [created, *rest] if created is not None else rest
                if created is None:
                    continue
        i += 1
    return ops


def _fold(
    app: str, create: CreateModel, later: list[Operation], related: set[str]
) -> tuple[CreateModel | None, list[Operation]] | None:
    """``create`` with the changes to its model absorbed (None when the model is deleted in the
    range), and the operations left; None when nothing could be absorbed."""
    state = ProjectState()
    create.state_forwards(app, state)
    name = create.name
    rest: list[Operation] = []
    absorbed = blocked = False
    for index, op in enumerate(later):
        if isinstance(op, RunSQL | RunPython):
            rest += later[index:]
            break
        targets_model = isinstance(op, _TableChange | DeleteModel) and (
            (_model_of(op) or "").lower() == name.lower()
        )
        if not targets_model:
            rest.append(op)
            continue
        renamed_target = isinstance(op, RenameModel) and name.lower() in related
        if blocked or _moves_foreign_key(op) or renamed_target:
            # a relation stays where it is, and so does every later change to the model (it
            # may name the relation, or the model by the name the relation's operation uses)
            rest.append(op)
            blocked = True
            continue
        if isinstance(op, DeleteModel):
            return None, rest + later[index + 1 :]
        op.state_forwards(app, state)
        if isinstance(op, _TableChange):
            name = state.get(app, op.new_name()).name
        absorbed = True
    if not absorbed:
        return None
    model = state.get(app, name)
    options: dict[str, Any] = {"table_name": model.table_name}
    if model.indexes:
        options["indexes"] = list(model.indexes)
    if model.unique_together:
        options["unique_together"] = list(model.unique_together)
    if model.constraints:
        options["constraints"] = list(model.constraints)
    return CreateModel(model.name, model.items(), options), rest


def _related_names(app: str, operations: list[Operation]) -> set[str]:
    """Lower-cased names of the models of ``app`` that relations in ``operations`` point to (a
    rename of one is kept: the relations name it)."""
    found = set()
    for op in operations:
        fields = list(getattr(op, "fields", []))
        if hasattr(op, "field"):
            fields.append(("", op.field))
        for _, field in fields:
            for label in (target_label(field), getattr(field, "through_ref", None)):
                if isinstance(label, str) and label != "self":
                    owner, name = model_key(label, app)
                    if owner == app:
                        found.add(name.lower())
    return found


def _model_of(op: Operation) -> str | None:
    name = getattr(op, "model_name", None) or getattr(op, "name", None)
    return name if isinstance(name, str) else None


def _moves_foreign_key(op: Operation) -> bool:
    if not isinstance(op, AddField | AlterField):
        return False
    field: Any = op.field
    return isinstance(field, ForeignKey | ManyToManyField) or references(field) is not None

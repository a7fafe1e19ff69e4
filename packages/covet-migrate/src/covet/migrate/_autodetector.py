"""The autodetector: the operations that take the migrations' state to the models' state.

Offline: it compares two ``ProjectState``s, never a database. A rename is never guessed: a
removed and an added model (or field) of the same definition are a rename only if the
``Questioner`` says so (a prompt at a terminal, ``--rename`` answers otherwise); without an
answer they stay a removal and an addition and ``notes`` says what to pass. Adding a NOT NULL
field without a default, or making a field NOT NULL, needs a value for existing rows: the
questioner is asked, and raises ``QuestionNeeded`` when it cannot ask.

Each operation is applied to a working copy of the state as it is emitted, so later decisions
see earlier ones (a renamed field is already renamed in the indexes that name it).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from covet.migrate._exceptions import MigrationError, QuestionNeeded
from covet.migrate._state import (
    Key,
    ModelState,
    ProjectState,
    constraint_key,
    field_key,
    index_key,
    model_key,
    target_label,
)
from covet.migrate.operations import (
    AddConstraint,
    AddField,
    AddIndex,
    AlterField,
    AlterModelTable,
    AlterUniqueTogether,
    CreateModel,
    DeleteModel,
    Operation,
    RemoveConstraint,
    RemoveField,
    RemoveIndex,
    RenameField,
    RenameModel,
)
from covet.orm import Field, ForeignKey, ManyToManyField
from covet.orm.sql.ddl import references


class Questioner:
    """Answers the autodetector's questions from ``--rename`` / ``--default`` values, and by
    prompting when ``interactive``.

    ``renames``: ``{"Author": "Writer", "Author.name": "full_name"}`` (keys may start with
    ``app:``). ``defaults``: ``{"Author.email": "''"}``: Python literals (a bare word is a
    string)."""

    def __init__(
        self,
        renames: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        *,
        interactive: bool = False,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.renames = dict(renames or {})
        self.defaults = dict(defaults or {})
        self.interactive = interactive
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.used: set[str] = set()

    def _answer(self, table: dict[str, Any], app: str, key: str) -> tuple[bool, Any]:
        for candidate in (f"{app}:{key}", f"{app}.{key}", key):
            if candidate in table:
                self.used.add(candidate)
                return True, table[candidate]
        return False, None

    def _ask(self, question: str) -> str:
        self.stdout.write(question)
        self.stdout.flush()
        return self.stdin.readline().strip()

    def rename_model(self, app: str, old: str, new: str) -> bool:
        found, answer = self._answer(self.renames, app, old)
        if found:
            return bool(answer == new)
        if self.interactive:
            reply = self._ask(f"Was the model {app}.{old} renamed to {new}? [y/N] ")
            return reply.lower() in ("y", "yes")
        return False

    def rename_field(self, app: str, model: str, old: str, new: str) -> bool:
        found, answer = self._answer(self.renames, app, f"{model}.{old}")
        if found:
            return bool(answer == new)
        if self.interactive:
            reply = self._ask(f"Was the field {app}.{model}.{old} renamed to {new}? [y/N] ")
            return reply.lower() in ("y", "yes")
        return False

    def fill(self, app: str, model: str, name: str, field: Field[Any], why: str) -> Any:
        found, answer = self._answer(self.defaults, app, f"{model}.{name}")
        if found:
            return parse_value(answer)
        if isinstance(field, ForeignKey):
            key = field.to_field or "primary key"
            what = f"the {key} of an existing {field.to} row"
            flag = f"--default {model}.{name}=ID"
            example = f"{what}, e.g. 1"
        else:
            what, flag, example = "a Python literal", f"--default {model}.{name}=VALUE", ""
            example = "a Python literal, e.g. 0 or 'x'"
        if not self.interactive:
            raise QuestionNeeded(
                f"{app}.{model}.{name} {why}: existing rows need a value. Give the field a "
                f"default, make it null=True, or pass {flag} ({what})"
            )
        while True:
            reply = self._ask(f"{app}.{model}.{name} {why}. Value for existing rows ({example}): ")
            if reply:
                return parse_value(reply)


def parse_value(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


class Autodetector:
    def __init__(
        self, before: ProjectState, after: ProjectState, questioner: Questioner | None = None
    ) -> None:
        self.before = before
        self.after = after
        self.questioner = questioner or Questioner()
        self.notes: list[str] = []

    def changes(self, apps: list[str]) -> dict[str, list[Operation]]:
        """Operations per app (apps without changes are left out)."""
        out: dict[str, list[Operation]] = {}
        for app in apps:
            ops = self.app_changes(app)
            if ops:
                out[app] = ops
        return out

    def app_changes(self, app: str) -> list[Operation]:
        working = self.before.clone()
        ops: list[Operation] = []

        def emit(op: Operation) -> None:
            op.state_forwards(app, working)
            ops.append(op)

        old_names = [m.name for m in self.before.app_models(app)]
        new_models = {m.name: m for m in self.after.app_models(app)}
        removed = [n for n in old_names if n not in new_models]
        added = [n for n in new_models if n not in old_names]
        for new in list(added):
            for old in list(removed):
                if _same_fields(self.before.get(app, old), new_models[new]):
                    if self.questioner.rename_model(app, old, new):
                        emit(RenameModel(old, new))
                        removed.remove(old)
                        added.remove(new)
                        break
                    self.notes.append(
                        f"{app}.{old} removed and {app}.{new} added; if it was a rename, "
                        f"pass --rename {old}={new}"
                    )
        # new tables first (a kept model may gain a foreign key to one), in an order where each
        # is created after the models it references; a cycle defers its relations to AddField
        deferred: list[tuple[str, str, Any]] = []
        tables = {m.table_name: k for k, m in [*working.models.items(), *self.after.models.items()]}
        created = set(working.models) | {k for k in self.after.models if k[0] != app}
        for name in _creation_order(app, [new_models[n] for n in added], tables):
            target = new_models[name]
            fields = []
            for field_name, field in target.items():
                if field_dependencies(field, app, tables) - created - {(app, name)}:
                    deferred.append((name, field_name, field))
                else:
                    fields.append((field_name, field))
            emit(CreateModel(name, fields, _options(target, {n for n, _ in fields})))
            created.add((app, name))
        for name, field_name, field in deferred:
            emit(AddField(name, field_name, field))
        for name in dict.fromkeys(name for name, _, _ in deferred):
            # the indexes and constraints that named a deferred field
            self.model_changes(app, working.get(app, name), new_models[name], emit, working)
        for name, target in new_models.items():
            if name in added:
                continue
            self.model_changes(app, working.get(app, name), target, emit, working)
        # a table is dropped after the tables that reference it
        removed_states = [self.before.get(app, n) for n in removed]
        for name in reversed(_creation_order(app, removed_states, tables)):
            emit(DeleteModel(name))
        return ops

    def model_changes(
        self,
        app: str,
        current: ModelState,
        target: ModelState,
        emit: Callable[[Operation], None],
        working: ProjectState,
    ) -> None:
        name = target.name
        current_fields, target_fields = dict(current.items()), dict(target.items())
        gone = [f for f in current_fields if f not in target_fields]
        new = [f for f in target_fields if f not in current_fields]
        for new_name in list(new):
            for old_name in list(gone):
                if field_key(current_fields[old_name]) != field_key(target_fields[new_name]):
                    continue
                if self.questioner.rename_field(app, name, old_name, new_name):
                    emit(RenameField(name, old_name, new_name))
                    gone.remove(old_name)
                    new.remove(new_name)
                    break
                self.notes.append(
                    f"{app}.{name}.{old_name} removed and {new_name} added; if it was a "
                    f"rename, pass --rename {name}.{old_name}={new_name}"
                )
        current = working.get(app, name)
        if current.table_name != target.table_name:
            emit(AlterModelTable(name, target.table_name))
            current = working.get(app, name)
        # 1. constraints, indexes and unique sets that go away (they may name removed fields)
        target_constraints = {constraint_key(c) for c in target.constraints}
        for c in current.constraints:
            if constraint_key(c) not in target_constraints:
                emit(RemoveConstraint(name, c.name))
        target_indexes = {index_key(i) for i in target.indexes}
        for i in current.indexes:
            if index_key(i) not in target_indexes:
                emit(RemoveIndex(name, i.name) if i.name else RemoveIndex(name, fields=i.fields))
        current = working.get(app, name)
        kept = [u for u in current.unique_together if u in target.unique_together]
        if kept != current.unique_together:
            emit(AlterUniqueTogether(name, kept))
        # 2. fields
        for field_name in gone:
            emit(RemoveField(name, field_name))
        for field_name in new:
            field = target_fields[field_name]
            if isinstance(field, ManyToManyField):
                emit(AddField(name, field_name, field))
            elif not field.null and not field.auto and not field.has_default():
                try:
                    fill = self.questioner.fill(
                        app, name, field_name, field, "is added as NOT NULL without a default"
                    )
                except QuestionNeeded as exc:
                    hints = [n for n in self.notes if f" {field_name} added" in n]
                    raise QuestionNeeded("; ".join([str(exc), *hints])) from None
                emit(AddField(name, field_name, field, fill=fill))
            else:
                emit(AddField(name, field_name, field))
        current_fields = dict(working.get(app, name).items())
        for field_name, field in target_fields.items():
            old = current_fields.get(field_name)
            if old is None or field_key(old) == field_key(field):
                continue
            if isinstance(field, ManyToManyField) or isinstance(old, ManyToManyField):
                _refuse_join_table_switch(app, name, field_name, old, field)
                emit(AlterField(name, field_name, field))
            elif old.null and not field.null and not field.has_default() and not field.auto:
                fill = self.questioner.fill(
                    app, name, field_name, field, "becomes NOT NULL without a default"
                )
                emit(AlterField(name, field_name, field, fill=fill))
            else:
                emit(AlterField(name, field_name, field))
        # 3. what comes in
        current = working.get(app, name)
        if list(current.unique_together) != list(target.unique_together):
            emit(AlterUniqueTogether(name, target.unique_together))
        have = {index_key(i) for i in current.indexes}
        for i in target.indexes:
            if index_key(i) not in have:
                emit(AddIndex(name, i))
        have = {constraint_key(c) for c in current.constraints}
        for c in target.constraints:
            if constraint_key(c) not in have:
                emit(AddConstraint(name, c))


def _options(model: ModelState, fields: set[str]) -> dict[str, Any]:
    """CreateModel options of ``model``, leaving out what names a field not in ``fields`` (a
    foreign key deferred to break a cycle: it comes back once the field exists)."""
    complete = fields == set(model.fields)
    options: dict[str, Any] = {"table_name": model.table_name}
    indexes = [i for i in model.indexes if {n.lstrip("-") for n in i.fields} <= fields]
    together = [u for u in model.unique_together if set(u) <= fields]
    constraints = [
        c
        for c in model.constraints
        if (set(c.fields) <= fields if hasattr(c, "fields") else complete)
    ]
    if indexes:
        options["indexes"] = indexes
    if together:
        options["unique_together"] = together
    if constraints:
        options["constraints"] = constraints
    return options


def field_dependencies(field: Any, app: str, tables: Mapping[str, Key]) -> set[Key]:
    """The models a state field needs to exist first: a relation's target (and ``through``
    model); for another field that is a foreign key, the model owning the table it names."""
    label = target_label(field)
    if label is not None:
        deps = set() if label == "self" else {model_key(label, app)}
        through = getattr(field, "through_ref", None)
        if isinstance(through, str):
            deps.add(model_key(through, app))
        return deps
    if isinstance(field, ForeignKey | ManyToManyField):
        return set()
    ref = references(field)
    return {tables[ref.table]} if ref is not None and ref.table in tables else set()


def _creation_order(app: str, models: list[ModelState], tables: Mapping[str, Key]) -> list[str]:
    """Model names, each after the models of the list it references (definition order
    otherwise; a cycle is broken at the first model left)."""
    keys = {(m.app, m.name) for m in models}
    remaining = list(models)
    done: set[Key] = set()
    order: list[str] = []
    while remaining:
        for model in remaining:
            refs = set().union(*(field_dependencies(f, app, tables) for _, f in model.items()))
            if (refs & keys) - {(model.app, model.name)} <= done:
                break
        else:
            model = remaining[0]
        remaining.remove(model)
        order.append(model.name)
        done.add((model.app, model.name))
    return order


def _same_fields(a: ModelState, b: ModelState) -> bool:
    return [(n, field_key(f)) for n, f in a.items()] == [(n, field_key(f)) for n, f in b.items()]


def _refuse_join_table_switch(app: str, model: str, name: str, old: Any, new: Any) -> None:
    """A many-to-many relation whose rows would have to move to another table (its join table
    made by covet <-> a ``through`` model, or a relation <-> a column) is not a change
    covet-migrate can write safely: it would drop one table and start the other empty."""
    old_m2m, new_m2m = isinstance(old, ManyToManyField), isinstance(new, ManyToManyField)
    if old_m2m and new_m2m and (old.through_ref is None) == (new.through_ref is None):
        return
    if old_m2m and new_m2m:
        what = "switches between the join table covet makes and a through= model"
    else:
        what = "changes between a many-to-many relation and another kind of field"
    raise MigrationError(
        f"{app}.{model}.{name} {what}; covet-migrate will not write that change (its rows "
        f"would not move). Write the migration by hand: create the new table, copy the rows "
        f"with ops.RunPython, then remove the old field (or keep the old field and add a new one)"
    )

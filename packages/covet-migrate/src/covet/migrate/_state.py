"""Project state: the schema the migrations describe, built without a database.

``ProjectState`` maps ``(app, ModelName)`` to a ``ModelState`` (fields and table options). It is
built either from the models (``from_models``) or by replaying migration operations; the
autodetector diffs the two. A state renders *historical models*: real ``Model`` classes with the
fields as they were at that point in history, used for DDL and by ``RunPython``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from covet.migrate._exceptions import MigrationError
from covet.orm import (
    CheckConstraint,
    Field,
    ForeignKey,
    Index,
    ManyToManyField,
    Model,
    UniqueConstraint,
)
from covet.orm._related import separate_registry

if TYPE_CHECKING:
    from covet.orm import Database

HISTORICAL_MODULE = "covet.migrate.historical"

#: attributes that decide whether two fields are the same (plus every constructor argument)
FIELD_ATTRS = (
    "null", "default", "unique", "index", "primary_key", "choices", "db_column", "max_length",
    "max_digits", "decimal_places", "auto_now", "auto_now_add", "enum_type", "validators",
)  # fmt: skip


#: a field of a model state: a column, or a many-to-many relation (a join table)
StateField = Field[Any] | ManyToManyField
#: how the state names a model: ``"app.Name"`` (a label) -> ``(app, Name)``
Key = tuple[str, str]
_render_lock = threading.RLock()


def declared(field: Field[Any]) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    """``field.deconstruct()`` without the ``db_column`` a foreign key reports for its derived
    column (``author_id``): the state derives it from the relation's name."""
    path, args, kwargs = field.deconstruct()
    if isinstance(field, ForeignKey):
        relation = field.relation_name or field.name
        if relation and kwargs.get("db_column") == f"{relation}_id":
            del kwargs["db_column"]
    return path, args, kwargs


def rebuild_field(field: StateField) -> Any:
    """A fresh, unbound copy of ``field`` made from its constructor arguments."""
    if isinstance(field, ManyToManyField):
        return ManyToManyField(
            field.to,
            through=field.through_ref,
            related_name=field.related_name,
            related_query_name=field.related_query_name,
            db_table=field.db_table,
        )
    _, args, kwargs = declared(field)
    new = type(field)(*args, **kwargs)
    new.name = field.name
    new.column = field.column
    return new


def _bind(field: Any, name: str) -> None:
    """Name a state field: a foreign key ``author`` has the column ``author_id``."""
    field.name = name
    if isinstance(field, ForeignKey):
        field.relation_name = name
        field.column = field.db_column or f"{name}_id"
    elif not isinstance(field, ManyToManyField):
        field.column = field.db_column or name


def state_name(field: Field[Any]) -> str:
    """The name a (rendered) field has in the state: a foreign key's relation name."""
    relation = getattr(field, "relation_name", "")
    return relation if isinstance(field, ForeignKey) and relation else field.name


def model_key(label: str, app: str) -> Key:
    """``"blog.Author"`` -> ``("blog", "Author")``; a bare name is in ``app``."""
    owner, _, name = label.rpartition(".")
    return (owner or app, name)


def target_label(field: Any) -> str | None:
    """The label of the model a state relation field points to (None: not a relation)."""
    if isinstance(field, ForeignKey | ManyToManyField) and isinstance(field.to, str):
        return field.to
    return None


def state_field(field: StateField, label_of: Callable[[type[Model]], str]) -> StateField:
    """``field`` as the state keeps it: relations point to labels (``"blog.Author"``), never
    to classes, so a migration file names them stably."""
    if isinstance(field, ManyToManyField):
        if field.remote_model is None or field.through is None:
            raise MigrationError(f"{field!r} points to {field.to!r}, which is not defined")
        through = None if field.auto_created else label_of(field.through)
        return ManyToManyField(
            label_of(field.remote_model),
            through=through,
            related_name=field.related_name,
            related_query_name=field.related_query_name,
            db_table=field.db_table,
        )
    if not isinstance(field, ForeignKey):
        return field
    owner = field.model.__name__ if field.model is not None else "?"
    if field.remote_model is None:
        raise MigrationError(
            f"{owner}.{field.relation_name} refers to {field.to!r}, which is not defined: define "
            "that model (in a migrated app), or fix the name"
        )
    _, args, kwargs = declared(field)
    kwargs.pop("to", None)
    return type(field)(label_of(field.remote_model), *args[1:], **kwargs)


def retarget(field: StateField, old: str, new: str, app: str) -> StateField:
    """``field`` (of a model of ``app``) pointing to (or through) the model labelled ``new``
    where it pointed to ``old``; the field itself when it did not."""

    def moved(label: Any) -> Any:
        return new if isinstance(label, str) and ".".join(model_key(label, app)) == old else label

    if isinstance(field, ManyToManyField):
        to, through = moved(field.to), moved(field.through_ref)
        if (to, through) == (field.to, field.through_ref):
            return field
        return ManyToManyField(
            to, through=through, related_name=field.related_name,
            related_query_name=field.related_query_name, db_table=field.db_table,
        )  # fmt: skip
    if not isinstance(field, ForeignKey) or moved(field.to) == field.to:
        return field
    _, args, kwargs = declared(field)
    kwargs.pop("to", None)
    return type(field)(moved(field.to), *args[1:], **kwargs)


def field_key(field: StateField) -> tuple[Any, ...]:
    """What makes two fields equal for migrations: the class and every argument that matters."""
    if isinstance(field, ManyToManyField):
        return (
            ManyToManyField, field.to, field.through_ref, field.related_name,
            field.related_query_name, field.db_table,
        )  # fmt: skip
    _, args, kwargs = declared(field)
    names = sorted(set(FIELD_ATTRS) | set(kwargs))
    values = tuple((n, _comparable(getattr(field, n, kwargs.get(n)))) for n in names)
    return (type(field), tuple(_comparable(a) for a in args), values)


def _comparable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(_comparable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _comparable(v)) for k, v in value.items()))
    return value


def q_key(q: Any) -> Any:
    """A canonical, comparable form of a ``Q`` (nested same-connector nodes flattened)."""
    from covet.orm import F, Q

    if isinstance(q, tuple):
        lookup, value = q
        return ("lookup", lookup, q_key(value) if isinstance(value, F | Q) else _comparable(value))
    if isinstance(q, F):
        return ("F", q.name)
    if not isinstance(q, Q):
        return _comparable(q)
    children: list[Any] = []
    for child in q.children:
        key = q_key(child)
        if isinstance(key, tuple) and key[:2] == ("Q", q.connector) and not key[2]:
            children.extend(key[3])
        else:
            children.append(key)
    if len(children) == 1:
        return ("Q", "AND", True, tuple(children)) if q.negated else children[0]
    return ("Q", q.connector, q.negated, tuple(children))


def index_key(index: Index) -> tuple[Any, ...]:
    return (tuple(index.fields), index.name, index.unique)


def constraint_key(constraint: Any) -> tuple[Any, ...]:
    if isinstance(constraint, UniqueConstraint):
        return ("unique", constraint.name, tuple(constraint.fields))
    if isinstance(constraint, CheckConstraint):
        return ("check", constraint.name, q_key(constraint.check))
    raise TypeError(f"unsupported constraint {constraint!r}")


class ModelState:
    """One model at one point in history: its fields (in order), its many-to-many relations
    (join tables) and table options. A foreign key is named by its relation (``author``, the
    column ``author_id``) and points to a model label (``"blog.Author"``)."""

    def __init__(
        self,
        app: str,
        name: str,
        fields: Iterable[tuple[str, StateField]],
        *,
        table_name: str | None = None,
        indexes: Iterable[Index] = (),
        unique_together: Iterable[Iterable[str]] = (),
        constraints: Iterable[Any] = (),
    ) -> None:
        from covet.orm._model import _snake

        self.app = app
        self.name = name
        self.fields: dict[str, Field[Any]] = {}
        self.many_to_many: dict[str, ManyToManyField] = {}
        for fname, field in fields:
            field = rebuild_field(field)
            _bind(field, fname)
            if isinstance(field, ManyToManyField):
                self.many_to_many[fname] = field
            else:
                self.fields[fname] = field
        self.table_name = table_name or _snake(name)
        self.indexes = list(indexes)
        self.unique_together = [tuple(u) for u in unique_together]
        self.constraints = list(constraints)
        self._rendered: list[tuple[Database | None, type[Model]]] = []

    @classmethod
    def from_model(
        cls, app: str, model: type[Model], label_of: Callable[[type[Model]], str] | None = None
    ) -> ModelState:
        meta = model._meta
        label = label_of or (lambda m: m._meta.label)
        # names in options are state names: a foreign key's relation name, not its column
        names = {f.name: state_name(f) for f in meta.fields}

        def rename(seq: Iterable[str]) -> list[str]:
            return [("-" if n.startswith("-") else "") + names.get(n.lstrip("-"), n.lstrip("-"))
                    for n in seq]  # fmt: skip

        indexes = [type(i)(fields=rename(i.fields), name=i.name, unique=i.unique)
                   for i in meta.indexes]  # fmt: skip
        constraints = [
            type(c)(fields=rename(c.fields), name=c.name)
            if isinstance(c, UniqueConstraint)
            else copy.copy(c)
            for c in meta.constraints
        ]
        fields: list[tuple[str, StateField]] = [
            (state_name(f), state_field(f, label)) for f in meta.fields
        ]
        fields += [(m.name, state_field(m, label)) for m in meta.many_to_many]
        return cls(
            app,
            model.__name__,
            fields,
            table_name=meta.table_name,
            indexes=indexes,
            unique_together=[tuple(rename(u)) for u in meta.unique_together],
            constraints=constraints,
        )

    def items(self) -> list[tuple[str, StateField]]:
        """Every field, many-to-many relations last."""
        return [*self.fields.items(), *self.many_to_many.items()]

    def clone(self, **changes: Any) -> ModelState:
        values: dict[str, Any] = {
            "fields": self.items(),
            "table_name": self.table_name,
            "indexes": list(self.indexes),
            "unique_together": list(self.unique_together),
            "constraints": list(self.constraints),
        }
        values.update(changes)
        name = values.pop("name", self.name)
        return ModelState(self.app, name, **values)

    @property
    def label(self) -> str:
        return f"{self.app}.{self.name}"

    def get_field(self, name: str) -> StateField:
        if name in self.fields:
            return self.fields[name]
        if name in self.many_to_many:
            return self.many_to_many[name]
        raise KeyError(f"{self.label} has no field {name!r} at this point in history")

    def dependencies(self) -> set[Key]:
        """The models this one's relations point to (itself included when it does)."""
        out = set()
        for field in self.items():
            label = target_label(field[1])
            if label is not None and label != "self":
                out.add(model_key(label, self.app))
            through = getattr(field[1], "through_ref", None)
            if isinstance(through, str):
                out.add(model_key(through, self.app))
        return out

    def options_key(self) -> tuple[Any, ...]:
        return (
            self.table_name,
            tuple(sorted(index_key(i) for i in self.indexes)),
            tuple(sorted(self.unique_together)),
            tuple(sorted(constraint_key(c) for c in self.constraints)),
        )

    def model_class(self, db: Database | None) -> type[Model]:
        """A new ``Model`` class for this state; relations resolve through whatever registry is
        in place (see ``ProjectState.render``)."""
        meta: dict[str, Any] = {
            "table_name": self.table_name,
            "indexes": list(self.indexes),
            "unique_together": list(self.unique_together),
            "constraints": list(self.constraints),
            "db": db,
        }
        body: dict[str, Any] = {name: rebuild_field(f) for name, f in self.items()}
        for f in body.values():
            if (
                isinstance(f, ForeignKey | ManyToManyField)
                and isinstance(f.to, str)
                and f.to != "self"
            ):
                f.to = ".".join(model_key(f.to, self.app))
            if isinstance(f, ManyToManyField) and isinstance(f.through_ref, str):
                f.through_ref = ".".join(model_key(f.through_ref, self.app))
        body["Meta"] = type("Meta", (), meta)
        body["__module__"] = f"{HISTORICAL_MODULE}.{self.app}"
        body["__qualname__"] = self.name
        return type(self.name, (Model,), body)

    def render(self, db: Database | None = None) -> type[Model]:
        """A historical ``Model`` class for this state alone (cached per database); one with
        relations is rendered by its ``ProjectState``."""
        for rendered_for, model in self._rendered:
            if rendered_for is db:
                return model
        with _render_lock, separate_registry({}, {}):
            model = self.model_class(db)
        self._rendered.append((db, model))
        return model


class _Rendered:
    """The historical models of one state for one database, and their registry."""

    def __init__(self, db: Database | None) -> None:
        self.db = db
        self.classes: dict[Key, type[Model]] = {}
        self.models: dict[str, list[type[Model]]] = {}
        self.pending: dict[str, list[Any]] = {}


class ProjectState:
    """Every model of every app at one point in the migration history."""

    def __init__(self, models: dict[tuple[str, str], ModelState] | None = None) -> None:
        self.models: dict[tuple[str, str], ModelState] = dict(models or {})
        self._rendered: list[_Rendered] = []

    @classmethod
    def from_models(cls, apps: dict[str, list[type[Model]]]) -> ProjectState:
        labels = {m: f"{app}.{m.__name__}" for app, models in apps.items() for m in models}

        def label_of(model: type[Model]) -> str:
            try:
                return labels[model]
            except KeyError:
                raise MigrationError(
                    f"a relation points to {model.__module__}.{model.__name__}, which is in no "
                    "migrated app: add its module to the apps"
                ) from None

        state = cls()
        for app, models in apps.items():
            for model in models:
                if not model._meta.auto_created:
                    state.add(ModelState.from_model(app, model, label_of))
        return state

    def clone(self) -> ProjectState:
        return ProjectState(self.models)

    def add(self, model: ModelState) -> None:
        self.models[(model.app, model.name)] = model
        self._rendered.clear()

    def remove(self, app: str, name: str) -> ModelState:
        self._rendered.clear()
        return self.models.pop((app, self.resolve(app, name)))

    def resolve(self, app: str, name: str) -> str:
        """The model's name as stored (names are matched without regard to case)."""
        if (app, name) in self.models:
            return name
        for a, n in self.models:
            if a == app and n.lower() == name.lower():
                return n
        raise KeyError(f"no model {app}.{name} at this point in the migration history")

    def get(self, app: str, name: str) -> ModelState:
        return self.models[(app, self.resolve(app, name))]

    def app_models(self, app: str) -> Iterator[ModelState]:
        return (m for (a, _), m in self.models.items() if a == app)

    def tables(self) -> dict[str, ModelState]:
        return {m.table_name: m for m in self.models.values()}

    # -- historical models --------------------------------------------------------------------
    def render(self, app: str, name: str, db: Database | None = None) -> type[Model]:
        """The historical model ``app.name``, its relations resolved to the historical models
        of this state (rendered as needed, cached per database)."""
        key = (app, self.resolve(app, name))
        rendered = next((r for r in self._rendered if r.db is db), None)
        if rendered is None:
            rendered = _Rendered(db)
            self._rendered.append(rendered)
        with _render_lock, separate_registry(rendered.models, rendered.pending):
            return self._render(rendered, key, key)

    def _render(self, rendered: _Rendered, key: Key, origin: Key) -> type[Model]:
        if key in rendered.classes:
            return rendered.classes[key]
        model_state = self.models.get(key)
        if model_state is None:
            raise MigrationError(
                f"{origin[0]}.{origin[1]} has a relation to {key[0]}.{key[1]}, which is not in "
                "the migration state at this point: the migration that creates it must come "
                "first (add it to the dependencies)"
            )
        model = model_state.model_class(rendered.db)
        rendered.classes[key] = model
        for dependency in sorted(model_state.dependencies()):
            self._render(rendered, dependency, key)
        return model

    def bound(self, app: str, name: str) -> ModelState:
        """``app.name``'s state with the fields of its rendered model (relations resolved): what
        schema editors read."""
        model_state = self.get(app, name)
        model = self.render(app, name)
        view = copy.copy(model_state)
        by_column = {f.column: f for f in model._meta.fields}
        view.fields = {n: by_column[f.column] for n, f in model_state.fields.items()}
        view._rendered = [(None, model)]
        return view

    def referencing(self, key: Key) -> list[ModelState]:
        """Models other than ``key`` with a relation to it."""
        return [m for k, m in self.models.items() if k != key and key in m.dependencies()]


class HistoricalModels:
    """The models of a migration state, for ``RunPython``: ``models["blog.Author"]`` or
    ``models.get("blog", "Author")``; they query the migrated database."""

    def __init__(self, state: ProjectState, db: Database, app: str) -> None:
        self._state = state
        self._db = db
        self._app = app

    def get(self, app: str, name: str) -> type[Model]:
        return self._state.render(app, name, self._db)

    def __getitem__(self, label: str) -> type[Model]:
        app, _, name = label.rpartition(".")
        return self.get(app or self._app, name)

    def __contains__(self, label: str) -> bool:
        try:
            self[label]
        except KeyError:
            return False
        return True

    def all(self) -> list[type[Model]]:
        return [self._state.render(a, n, self._db) for a, n in self._state.models]

"""Project state: the schema the migrations describe, built without a database.

``ProjectState`` maps ``(app, ModelName)`` to a ``ModelState`` (fields and table options). It is
built either from the models (``from_models``) or by replaying migration operations; the
autodetector diffs the two. A state renders *historical models*: real ``Model`` classes with the
fields as they were at that point in history, used for DDL and by ``RunPython``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from covet.orm import CheckConstraint, Field, Index, Model, UniqueConstraint

if TYPE_CHECKING:
    from covet.orm import Database

HISTORICAL_MODULE = "covet.migrate.historical"

#: attributes that decide whether two fields are the same (plus every constructor argument)
FIELD_ATTRS = (
    "null", "default", "unique", "index", "primary_key", "choices", "db_column", "max_length",
    "max_digits", "decimal_places", "auto_now", "auto_now_add", "enum_type", "validators",
)  # fmt: skip


def rebuild_field(field: Field[Any]) -> Field[Any]:
    """A fresh, unbound copy of ``field`` made from its constructor arguments."""
    _, args, kwargs = field.deconstruct()
    new = type(field)(*args, **kwargs)
    new.name = field.name
    new.column = field.column
    return new


def field_key(field: Field[Any]) -> tuple[Any, ...]:
    """What makes two fields equal for migrations: the class and every argument that matters."""
    _, args, kwargs = field.deconstruct()
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
    """One model at one point in history: its fields (in order) and table options."""

    def __init__(
        self,
        app: str,
        name: str,
        fields: Iterable[tuple[str, Field[Any]]],
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
        for fname, field in fields:
            field = rebuild_field(field)
            field.name = fname
            field.column = field.db_column or fname
            self.fields[fname] = field
        self.table_name = table_name or _snake(name)
        self.indexes = list(indexes)
        self.unique_together = [tuple(u) for u in unique_together]
        self.constraints = list(constraints)
        self._rendered: list[tuple[Database | None, type[Model]]] = []

    @classmethod
    def from_model(cls, app: str, model: type[Model]) -> ModelState:
        meta = model._meta
        return cls(
            app,
            model.__name__,
            [(f.name, f) for f in meta.fields],
            table_name=meta.table_name,
            indexes=[copy.copy(i) for i in meta.indexes],
            unique_together=meta.unique_together,
            constraints=[copy.copy(c) for c in meta.constraints],
        )

    def clone(self, **changes: Any) -> ModelState:
        values: dict[str, Any] = {
            "fields": list(self.fields.items()),
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

    def get_field(self, name: str) -> Field[Any]:
        try:
            return self.fields[name]
        except KeyError:
            raise KeyError(f"{self.label} has no field {name!r} at this point in history") from None

    def options_key(self) -> tuple[Any, ...]:
        return (
            self.table_name,
            tuple(sorted(index_key(i) for i in self.indexes)),
            tuple(sorted(self.unique_together)),
            tuple(sorted(constraint_key(c) for c in self.constraints)),
        )

    def render(self, db: Database | None = None) -> type[Model]:
        """A historical ``Model`` class for this state (cached per database)."""
        for rendered_for, model in self._rendered:
            if rendered_for is db:
                return model
        meta: dict[str, Any] = {
            "table_name": self.table_name,
            "indexes": list(self.indexes),
            "unique_together": list(self.unique_together),
            "constraints": list(self.constraints),
            "db": db,
        }
        body: dict[str, Any] = {name: rebuild_field(f) for name, f in self.fields.items()}
        body["Meta"] = type("Meta", (), meta)
        body["__module__"] = f"{HISTORICAL_MODULE}.{self.app}"
        body["__qualname__"] = self.name
        model = type(self.name, (Model,), body)
        self._rendered.append((db, model))
        return model


class ProjectState:
    """Every model of every app at one point in the migration history."""

    def __init__(self, models: dict[tuple[str, str], ModelState] | None = None) -> None:
        self.models: dict[tuple[str, str], ModelState] = dict(models or {})

    @classmethod
    def from_models(cls, apps: dict[str, list[type[Model]]]) -> ProjectState:
        state = cls()
        for app, models in apps.items():
            for model in models:
                state.add(ModelState.from_model(app, model))
        return state

    def clone(self) -> ProjectState:
        return ProjectState(self.models)

    def add(self, model: ModelState) -> None:
        self.models[(model.app, model.name)] = model

    def remove(self, app: str, name: str) -> ModelState:
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


class HistoricalModels:
    """The models of a migration state, for ``RunPython``: ``models["blog.Author"]`` or
    ``models.get("blog", "Author")``; they query the migrated database."""

    def __init__(self, state: ProjectState, db: Database, app: str) -> None:
        self._state = state
        self._db = db
        self._app = app

    def get(self, app: str, name: str) -> type[Model]:
        return self._state.get(app, name).render(self._db)

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
        return [m.render(self._db) for m in self._state.models.values()]

"""Relation fields (``ForeignKey``, ``OneToOneField``, ``ManyToManyField``), their lazy
resolution and the ``Relation`` hops queries join through.

A ``ForeignKey`` declared as ``author`` is stored as the concrete field ``author_id`` (its column
and the raw value in ``__dict__``); ``author`` on the class is a ``ForwardDescriptor`` that gives
the related instance. A reference by name (``"Author"``, ``"app.Author"``, ``"self"``) is
resolved when both models exist, in whatever order and module they are declared; the reverse
side (``author.books``, ``Author.objects.filter(books__title=...)``) appears then.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from covet.orm._exceptions import FieldError, ImproperlyConfigured
from covet.orm._fields import NOT_PROVIDED, Field

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm.sql.ddl import ForeignKeySpec
    from covet.orm.sql.dialect import Dialect


class OnDelete(enum.Enum):
    """What deleting a referenced row does to the rows that reference it (``on_delete=``);
    ``sql`` is the ``ON DELETE`` action the foreign key constraint carries. Use the module
    constants: ``CASCADE``, ``PROTECT``, ``RESTRICT``, ``SET_NULL``, ``SET_DEFAULT``,
    ``DO_NOTHING``."""

    #: delete the referencing rows too (and theirs, level by level)
    CASCADE = "CASCADE"
    #: refuse: ``ProtectedError`` lists the referencing rows
    PROTECT = "PROTECT"
    #: refuse unless the referencing rows are deleted by a CASCADE of the same delete
    RESTRICT = "RESTRICT"
    #: set the foreign key to NULL (the field must be ``null=True``)
    SET_NULL = "SET_NULL"
    #: set the foreign key to its ``default``
    SET_DEFAULT = "SET_DEFAULT"
    #: nothing here: the database's constraint decides (an IntegrityError unless it cascades)
    DO_NOTHING = "DO_NOTHING"

    def __repr__(self) -> str:
        return self.name

    @property
    def sql(self) -> str:
        return _ON_DELETE_SQL.get(self.name, "NO ACTION")


_ON_DELETE_SQL = {"CASCADE": "CASCADE", "SET_NULL": "SET NULL"}
CASCADE = OnDelete.CASCADE
PROTECT = OnDelete.PROTECT
RESTRICT = OnDelete.RESTRICT
SET_NULL = OnDelete.SET_NULL
SET_DEFAULT = OnDelete.SET_DEFAULT
DO_NOTHING = OnDelete.DO_NOTHING

_AUTO_KINDS = {"autoincrement": "integer", "bigautoincrement": "bigint"}


# -- the registry: references by name, resolved when both models exist --------------------------
_models: dict[str, list[type[Model]]] = {}
_pending: dict[str, list[tuple[type[Model], Callable[[type[Model]], None]]]] = {}


def register(model: type[Model]) -> None:
    """Record a concrete model and resolve the references that waited for it."""
    label = model._meta.label
    _models.setdefault(label, []).append(model)
    for _source, callback in _pending.pop(label, []):
        callback(model)


def app_of(model: type[Model]) -> str:
    return model._meta.label.rsplit(".", 1)[0]


def full_label(source: type[Model], name: str) -> str:
    """``"Author"`` in app ``blog`` is ``"blog.Author"`` (as Django: a bare name is a model of
    the same app; another app's model is named ``"app.Model"``)."""
    return name if "." in name else f"{app_of(source)}.{name}"


def lazy(source: type[Model], to: Any, callback: Callable[[type[Model]], None]) -> None:
    """Call ``callback(target)`` as soon as the model ``to`` names exists."""
    from covet.orm._model import Model

    if isinstance(to, type) and issubclass(to, Model):
        callback(to)
        return
    if not isinstance(to, str):
        raise ImproperlyConfigured(
            f"{source.__name__}: a relation points to a model class, its name or 'self', not {to!r}"
        )
    if to == "self":
        callback(source)
        return
    label = full_label(source, to)
    found = _models.get(label)
    if found:
        callback(found[-1])
        return
    _pending.setdefault(label, []).append((source, callback))


@contextlib.contextmanager
def separate_registry(
    models: dict[str, list[type[Model]]],
    pending: dict[str, list[tuple[type[Model], Callable[[type[Model]], None]]]],
) -> Iterator[None]:
    """Models made inside register and resolve their references in ``models`` / ``pending``
    instead of the application's registry (covet.migrate's historical models). Not for use
    while another thread defines models."""
    global _models, _pending
    saved = _models, _pending
    _models, _pending = models, pending
    try:
        yield
    finally:
        _models, _pending = saved


def _default_related_name(source: type[Model], one: bool) -> str:
    name = source.__name__.lower()
    return name if one else f"{name}_set"


# -- the fields ------------------------------------------------------------------------------
class ForeignKey(Field[Any]):
    """A many-to-one relation: ``author = ForeignKey(Author, on_delete=CASCADE)``.

    The column is ``author_id``; ``book.author`` is the instance, ``book.author_id`` the raw
    value. ``to`` is a model class, its name (``"Author"``, ``"app.Author"``) or ``"self"``."""

    one_to_one = False

    def __init__(
        self,
        to: Any,
        *,
        on_delete: OnDelete,
        related_name: str | None = None,
        related_query_name: str | None = None,
        null: bool = False,
        db_index: bool = True,
        db_constraint: bool = True,
        to_field: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(on_delete, OnDelete):
            raise ImproperlyConfigured(
                f"on_delete must be one of CASCADE, PROTECT, RESTRICT, SET_NULL, SET_DEFAULT, "
                f"DO_NOTHING (from covet.orm), not {on_delete!r}"
            )
        if on_delete is SET_NULL and not null:
            raise ImproperlyConfigured("on_delete=SET_NULL needs null=True")
        if on_delete is SET_DEFAULT and kwargs.get("default", NOT_PROVIDED) is NOT_PROVIDED:
            raise ImproperlyConfigured("on_delete=SET_DEFAULT needs a default")
        super().__init__(null=null, index=db_index and not self.one_to_one, **kwargs)
        self.to = to
        self.on_delete = on_delete
        self.related_name = related_name
        self.related_query_name = related_query_name
        self.db_constraint = db_constraint
        self.to_field = to_field
        #: the relation's name (``author``); ``name`` and ``column`` are ``author_id``
        self.relation_name = ""
        self.remote_model: type[Model] | None = None
        self._target: Field[Any] | None = None

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """As declared, with a model class written as its label (``"app.Author"``), which
        resolves like any name (migration files then import no models)."""
        path, args, kwargs = super().deconstruct()
        if args:
            args = (self._label(args[0]), *args[1:])
        if "to" in kwargs:
            kwargs["to"] = self._label(kwargs["to"])
        if self.column and "db_column" not in kwargs:
            # a field rebuilt from this call is named after its column (``author_id``), not
            # after the relation: the column must stay ``author_id``, not become ``author_id_id``
            kwargs["db_column"] = self.column
        return path, args, kwargs

    def clone(self) -> ForeignKey:
        new = super().clone()
        new.remote_model, new._target = None, None
        return new

    # the type is the target column's, known once the target model exists
    @property
    def target_field(self) -> Field[Any]:
        target = self._target
        if target is None:
            target = self._lookup_target()
        if target is None:
            owner = self.model.__name__ if self.model is not None else "?"
            raise ImproperlyConfigured(
                f"{owner}.{self.relation_name} refers to {self.to!r}, which is not defined "
                "(yet): define that model, or fix the name"
            )
        return target

    def _label(self, to: Any) -> Any:
        meta = getattr(to, "_meta", None)
        if isinstance(to, type) and meta is not None:
            return meta.label
        if isinstance(to, str) and to != "self" and self.model is not None:
            return full_label(self.model, to)
        return to

    def _lookup_target(self) -> Field[Any] | None:
        """The target column of a field that belongs to no model class (a migration's
        historical field): the model of that name in the registry, if there is one."""
        to = self.to
        if isinstance(to, str):
            if to == "self":
                found = [self.model] if self.model else None
            else:
                found = _models.get(full_label(self.model, to) if self.model else to)
            if not found:
                return None
            to = found[-1]
        meta = getattr(to, "_meta", None)
        if meta is None:
            return None
        self.remote_model = to
        target: Field[Any] = meta.get_field(self.to_field) if self.to_field else meta.pk
        return target

    @property
    def remote(self) -> type[Model]:
        self.target_field  # noqa: B018 (raises if unresolved)
        assert self.remote_model is not None
        return self.remote_model

    @property
    def kind(self) -> str:  # type: ignore[override]
        kind: str = self.target_field.kind
        return _AUTO_KINDS.get(kind, kind)

    def db_type(self, dialect: Dialect) -> str:
        target = self.target_field
        if target.auto:
            return dialect.column_type(self.kind)
        text: str = target.db_type(dialect)
        return text

    def references(self) -> ForeignKeySpec | None:
        from covet.orm.sql.ddl import ForeignKeySpec

        if not self.db_constraint:
            return None
        target = self.target_field
        return ForeignKeySpec(self.remote._meta.table_name, target.column, self.on_delete.sql)

    def adapter(self, dialect: Dialect) -> Callable[[Any], Any]:
        inner = self.target_field.adapter(dialect)
        return lambda v: inner(_key_of(self, v))

    def db_adapter(self, dialect: Dialect) -> Callable[[Any], Any]:
        fn: Callable[[Any], Any] = self.target_field.db_adapter(dialect)
        return fn

    def converter(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        fn: Callable[[Any], Any] | None = self.target_field.converter(dialect)
        return fn

    def to_python(self, value: Any) -> Any:
        return self.target_field.to_python(_key_of(self, value))

    def get_prep_value(self, value: Any) -> Any:
        return self.target_field.get_prep_value(_key_of(self, value))

    def check(self, value: Any) -> list[str]:
        errors: list[str] = self.target_field.check(value)
        return errors

    def resolve(self, source: type[Model], target: type[Model]) -> None:
        """Both models exist: fix the target column and add the reverse side to ``target``."""
        self.remote_model = target
        meta = target._meta
        self._target = meta.get_field(self.to_field) if self.to_field else meta.pk
        self._adapters.clear()
        self._converters.clear()
        forward = Relation(self.relation_name, source, target, self, reverse=False)
        source._meta.relations[self.relation_name] = forward
        if self.related_name and self.related_name.endswith("+"):
            accessor = None
        else:
            accessor = self.related_name or _default_related_name(source, self.one_to_one)
        query_name = self.related_query_name or self.related_name or source.__name__.lower()
        if query_name.endswith("+"):
            query_name = ""
        _check_clash(target, query_name, accessor, source, self.relation_name)
        reverse = Relation(query_name or "", target, source, self, reverse=True)
        reverse.accessor = accessor
        forward.accessor = self.relation_name
        forward.other, reverse.other = reverse, forward
        if query_name:
            meta.relations[query_name] = reverse
        meta.related_objects.append(reverse)
        if accessor is not None:
            from covet.orm._descriptors import ReverseManyDescriptor, ReverseOneDescriptor

            descriptor: Any = (
                ReverseOneDescriptor(reverse) if self.one_to_one else ReverseManyDescriptor(reverse)
            )
            setattr(target, accessor, descriptor)


class OneToOneField(ForeignKey):
    """A one-to-one relation: a unique ``ForeignKey``; the reverse side is one instance
    (``user.profile``), or ``RelatedObjectDoesNotExist``."""

    one_to_one = True

    def __init__(self, to: Any, *, on_delete: OnDelete, **kwargs: Any) -> None:
        kwargs.setdefault("unique", True)
        super().__init__(to, on_delete=on_delete, **kwargs)


class ManyToManyField:
    """A many-to-many relation through a join table: made for you (``{table}_{field}``, one
    row per unique pair, both columns indexed) or your ``through`` model (extra columns)."""

    def __init__(
        self,
        to: Any,
        *,
        through: Any = None,
        related_name: str | None = None,
        related_query_name: str | None = None,
        db_table: str | None = None,
    ) -> None:
        self.to, self.through_ref = to, through
        self.related_name, self.related_query_name = related_name, related_query_name
        self.db_table = db_table
        self.name = ""
        self.model: type[Model] | None = None
        self.remote_model: type[Model] | None = None
        self.through: type[Model] | None = None
        #: the through model's foreign keys to this side and to the other
        self.source_fk: ForeignKey | None = None
        self.target_fk: ForeignKey | None = None
        self.auto_created = through is None

    def __repr__(self) -> str:
        owner = self.model.__name__ + "." if self.model else ""
        return f"<ManyToManyField: {owner}{self.name}>"

    def contribute(self, model: type[Model], name: str) -> None:
        self.model, self.name = model, name

        def with_target(target: type[Model]) -> None:
            self.remote_model = target
            if self.through_ref is None:
                self._set_through(_auto_through(self, model, target))
            else:
                lazy(model, self.through_ref, self._set_through)

        lazy(model, self.to, with_target)

    def _set_through(self, through: type[Model]) -> None:
        assert self.model is not None and self.remote_model is not None
        source, target = self.model, self.remote_model

        def resolved() -> bool:
            fks = [f for f in through._meta.fields if isinstance(f, ForeignKey)]
            return all(f.remote_model is not None for f in fks)

        def finish(_: Any = None) -> None:
            fks = [f for f in through._meta.fields if isinstance(f, ForeignKey)]
            to_source = [f for f in fks if f.remote_model is source]
            to_target = [f for f in fks if f.remote_model is target]
            if source is target:
                if len(to_source) < 2:
                    raise ImproperlyConfigured(
                        f"{through.__name__} needs two foreign keys to {source.__name__}"
                    )
                to_source, to_target = to_source[:1], to_source[1:2]
            if len(to_source) != 1 or len(to_target) != 1:
                raise ImproperlyConfigured(
                    f"{through.__name__} must have exactly one foreign key to "
                    f"{source.__name__} and one to {target.__name__}"
                )
            self.through, self.source_fk, self.target_fk = through, to_source[0], to_target[0]
            self._install()

        if resolved():
            finish()
        else:  # the through model's own references are not resolved yet: wait for them
            pending = [f for f in through._meta.fields if isinstance(f, ForeignKey)]
            for f in pending:
                if f.remote_model is None:
                    lazy(through, f.to, lambda _m: finish() if resolved() else None)

    def _install(self) -> None:
        from covet.orm._descriptors import ManyToManyDescriptor

        assert self.model is not None and self.remote_model is not None
        source, target = self.model, self.remote_model
        forward = Relation(self.name, source, target, self, reverse=False)
        forward.accessor = self.name
        source._meta.relations[self.name] = forward
        setattr(source, self.name, ManyToManyDescriptor(forward))
        if self.related_name and self.related_name.endswith("+"):
            return
        accessor = self.related_name or _default_related_name(source, False)
        query_name = self.related_query_name or self.related_name or source.__name__.lower()
        _check_clash(target, query_name, accessor, source, self.name)
        reverse = Relation(query_name, target, source, self, reverse=True)
        reverse.accessor = accessor
        forward.other, reverse.other = reverse, forward
        target._meta.relations[query_name] = reverse
        setattr(target, accessor, ManyToManyDescriptor(reverse))


def _check_clash(
    target: type[Model], query_name: str, accessor: str | None, source: type[Model], name: str
) -> None:
    """Two relations may not give ``target`` the same reverse name (a model of the same label
    replacing an older one, as migrations rebuild them, may)."""
    meta = target._meta
    taken = meta.relations.get(query_name) if query_name else None
    clash = taken is not None and taken.related._meta.label != source._meta.label
    names = [n for n in (query_name, accessor) if n]
    if clash or any(n in meta.fields_map for n in names):
        raise ImproperlyConfigured(
            f"{source.__name__}.{name}: the reverse name {query_name!r} (or accessor "
            f"{accessor!r}) clashes on {target.__name__} with a field or another relation; "
            "give the relation a related_name= (and related_query_name=)"
        )


def _auto_through(field: ManyToManyField, source: type[Model], target: type[Model]) -> type[Model]:
    from covet.orm._model import Model

    meta = source._meta
    src = source.__name__.lower()
    dst = target.__name__.lower()
    if source is target:
        src, dst = f"from_{src}", f"to_{dst}"
    attrs: dict[str, Any] = {
        "__module__": source.__module__,
        "__qualname__": f"{source.__name__}_{field.name}",
        src: ForeignKey(source, on_delete=CASCADE, related_name="+"),
        dst: ForeignKey(target, on_delete=CASCADE, related_name="+"),
        "Meta": type(
            "Meta",
            (),
            {
                "table_name": field.db_table or f"{meta.table_name}_{field.name}",
                "unique_together": [(src, dst)],
                "db": meta.db,
            },
        ),
    }
    through: type[Model] = type(f"{source.__name__}_{field.name}", (Model,), attrs)
    through._meta.auto_created = True
    meta.auto_through.append(through)
    return through


def _key_of(field: ForeignKey, value: Any) -> Any:
    """An instance as the value of its key column (an unsaved one is an error)."""
    from covet.orm._model import Model

    if isinstance(value, Model):
        attr = field.target_field.name
        key = value.__dict__.get(attr)
        if key is None:
            raise ValueError(
                f"{type(value).__name__} instance is unsaved (its {attr} is None): save it "
                f"before using it as {field.model.__name__ if field.model else ''}."
                f"{field.relation_name}"
            )
        return key
    return value


# -- hops: how a query walks a relation --------------------------------------------------------
class Step(NamedTuple):
    """One JOIN: ``left_field`` (on the table joined from) = ``right_field`` of ``model``."""

    left_field: Field[Any]
    model: type[Model]
    right_field: Field[Any]


class Relation:
    """One direction of a relation as queries use it: ``name`` on ``model`` leads to
    ``related``. ``multiple``: many related rows per row (a reverse FK, a many-to-many)."""

    def __init__(
        self,
        name: str,
        model: type[Model],
        related: type[Model],
        field: ForeignKey | ManyToManyField,
        *,
        reverse: bool,
    ) -> None:
        self.name, self.model, self.related, self.field = name, model, related, field
        self.reverse = reverse
        self.m2m = isinstance(field, ManyToManyField)
        one_to_one = isinstance(field, ForeignKey) and field.one_to_one
        self.multiple = self.m2m or (reverse and not one_to_one)
        self.single_reverse = reverse and one_to_one
        self.accessor: str | None = None
        self.other: Relation | None = None

    def __repr__(self) -> str:
        return f"<Relation {self.model.__name__}.{self.name} -> {self.related.__name__}>"

    @property
    def nullable(self) -> bool:
        """Whether a row may have no related row (the join must then be a LEFT JOIN)."""
        field = self.field
        return self.reverse or self.m2m or (isinstance(field, ForeignKey) and field.null)

    def steps(self) -> list[Step]:
        field = self.field
        if isinstance(field, ForeignKey):
            if not self.reverse:
                return [Step(field, self.related, field.target_field)]
            return [Step(field.target_field, self.related, field)]
        assert field.through is not None and field.source_fk is not None
        assert field.target_fk is not None
        near, far = field.source_fk, field.target_fk
        if self.reverse:
            near, far = far, near
        return [
            Step(near.target_field, field.through, near),
            Step(far, self.related, far.target_field),
        ]

    def back(self) -> str:
        """The query name on ``related`` that leads back here (for prefetching)."""
        if self.other is None or not self.other.name:
            raise FieldError(f"{self!r} has no reverse query name (related_name ends with '+')")
        return self.other.name


def relation_of(model: type[Model], name: str) -> Relation:
    rel = model._meta.relations.get(name)
    if rel is None:
        pending = model._meta.pending_relation(name)
        if pending is not None:
            pending.target_field  # noqa: B018 (raises: the target is not defined)
        raise FieldError(
            f"{model.__name__} has no relation {name!r}; relations: "
            f"{', '.join(model._meta.relations) or 'none'}"
        )
    return rel

"""``Model``: the metaclass that turns a class body into table metadata, and the instance API."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

from covet.orm import _exceptions as exc
from covet.orm._database import Database, Op, Stmt, get_default_database, new_stmt
from covet.orm._deletion import delete_op, needs_collector
from covet.orm._fetching import fetch_relation_op
from covet.orm._fields import NOT_PROVIDED, BigAutoField, CharField, Field
from covet.orm._manager import BaseManager, Manager
from covet.orm._query import QuerySet
from covet.orm._related import ForeignKey, ManyToManyField, Relation, lazy, register
from covet.orm._schema import ADAPTER, spec_of, spec_of_class
from covet.orm.expressions import Q
from covet.orm.sql import compiler

if TYPE_CHECKING:
    from covet.orm.sql.dialect import Dialect

_META_OPTIONS = {
    "db", "table_name", "ordering", "indexes", "unique_together", "constraints", "abstract",
    "get_latest_by", "fetch_mode",
}  # fmt: skip


class Index:
    """``Meta.indexes = [Index(fields=["a", "b"], unique=False, name=None)]``."""

    def __init__(
        self, *, fields: Sequence[str], name: str | None = None, unique: bool = False
    ) -> None:
        self.fields, self.name, self.unique = list(fields), name, unique


class UniqueConstraint:
    def __init__(self, *, fields: Sequence[str], name: str) -> None:
        self.fields, self.name = list(fields), name


class CheckConstraint:
    """``CheckConstraint(check=Q(price__gte=0), name="price_positive")``."""

    def __init__(self, *, check: Q, name: str) -> None:
        self.check, self.name = check, name


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class Options:
    """``Model._meta``: the table, its fields and the caches derived from them."""

    def __init__(self, model: type[Model], meta: dict[str, Any], fields: list[Field[Any]]) -> None:
        self.model = model
        self.abstract = bool(meta.get("abstract", False))
        self.table_name: str = meta.get("table_name") or _snake(model.__name__)
        self.db: Database | None = meta.get("db")
        self.ordering: list[str] = list(meta.get("ordering", ()))
        latest = meta.get("get_latest_by", ())
        self.get_latest_by: list[str] = [latest] if isinstance(latest, str) else list(latest)
        #: "app.Model" as Django writes it (delete() counts by it): the package holding the
        #: model's module ("blog" for blog/models.py), else the module itself
        parts = model.__module__.split(".")
        app = parts[-2] if parts[-1] == "models" and len(parts) > 1 else parts[-1]
        self.label = f"{app}.{model.__name__}"
        self.managers: list[BaseManager[Any]] = []
        self.indexes: list[Index] = list(meta.get("indexes", ()))
        together = list(meta.get("unique_together", ()))
        if together and all(isinstance(x, str) for x in together):
            together = [tuple(together)]
        self.unique_together: list[tuple[str, ...]] = [tuple(u) for u in together]
        self.constraints: list[Any] = list(meta.get("constraints", ()))
        self.raw = meta
        self.fields = fields
        self.fields_map = {f.name: f for f in fields}
        #: foreign keys by relation name (``author``: the field ``author_id``)
        self.forward = {f.relation_name: f for f in fields if isinstance(f, ForeignKey)}
        #: every relation a query can follow from here, by query name (filled as they resolve)
        self.relations: dict[str, Relation] = {}
        #: the reverse sides of foreign keys pointing here (deletion follows them)
        self.related_objects: list[Relation] = []
        self.many_to_many: list[ManyToManyField] = []
        #: join tables made for this model's many-to-many fields (create_tables makes them too)
        self.auto_through: list[type[Model]] = []
        self.auto_created = False
        mode = meta.get("fetch_mode")
        if mode is not None:
            from covet.orm._fetching import check_mode

            check_mode(mode)
        self.fetch_mode: str | None = mode
        self.columns_map = {f.column: f for f in fields}
        pks = [f for f in fields if f.primary_key]
        if len(pks) > 1:
            raise exc.ImproperlyConfigured(f"{model.__name__} has more than one primary key")
        self.pk: Field[Any] = pks[0] if pks else fields[0]
        self.char_limits = [(f.name, f.max_length) for f in fields if isinstance(f, CharField)]
        self.generated = [f.name for f in fields if f.generated]
        self.char_limits_map = dict(self.char_limits)
        self.cache: dict[Any, Any] = {}
        #: dialect name -> the cached plan of ``get(pk=...)`` (``pk_plan``), apart from
        #: ``cache`` so the hottest lookup builds no key
        self.get_plans: dict[str, Any] = {}
        if self.forward:  # Meta may name a relation ("author"): its field is "author_id"
            self._relation_names_to_fields()
        if not self.abstract:  # an abstract model's Meta may name its subclasses' fields
            self._check_names()

    def _relation_names_to_fields(self) -> None:
        def field(name: str) -> str:
            bare = name.lstrip("-")
            return name[: len(name) - len(bare)] + (
                self.forward[bare].name if bare in self.forward else bare
            )

        self.unique_together = [tuple(map(field, u)) for u in self.unique_together]
        for index in self.indexes:
            index.fields = [field(n) for n in index.fields]
        for constraint in self.constraints:
            if isinstance(constraint, UniqueConstraint):
                constraint.fields = [field(n) for n in constraint.fields]

    def _check_names(self) -> None:
        """Names in Meta must be fields: say so when the class is made, not at the first query."""
        named = [
            *(("ordering", n.lstrip("-+")) for n in self.ordering),
            *(("unique_together", n) for names in self.unique_together for n in names),
            *(("indexes", n.lstrip("-")) for index in self.indexes for n in index.fields),
            *(
                ("constraints", n)
                for c in self.constraints
                if isinstance(c, UniqueConstraint)
                for n in c.fields
            ),
        ]
        for option, name in named:
            if name != "pk" and name not in self.fields_map and name not in self.forward:
                raise exc.ImproperlyConfigured(
                    f"{self.model.__name__}.Meta.{option} names {name!r}, which is not a field; "
                    f"fields: {', '.join(self.fields_map)}"
                )

    @property
    def database(self) -> Database:
        return self.db if self.db is not None else get_default_database()

    def pending_relation(self, name: str) -> ForeignKey | None:
        """The foreign key named ``name`` whose target is not resolved (yet)."""
        field = self.forward.get(name)
        return field if field is not None and field.remote_model is None else None

    def get_field(self, name: str) -> Field[Any]:
        if name == "pk":
            return self.pk
        try:
            return self.fields_map[name]
        except KeyError:
            if name in self.forward:
                return self.forward[name]
            raise exc.FieldError(
                f"{self.model.__name__} has no field {name!r}; fields: {', '.join(self.fields_map)}"
            ) from None


class ModelBase(type):
    def __new__(
        mcs, name: str, bases: tuple[type, ...], ns: dict[str, Any], **kw: Any
    ) -> ModelBase:
        parents = [b for b in bases if isinstance(b, ModelBase)]
        if not parents:
            return super().__new__(mcs, name, bases, ns, **kw)
        meta_cls = ns.pop("Meta", None)
        meta: dict[str, Any] = {}
        inherited: dict[str, Field[Any]] = {}
        for parent in reversed([c for b in parents for c in b.__mro__ if isinstance(c, ModelBase)]):
            popts = parent.__dict__.get("_meta")
            if popts is None:
                continue
            if not popts.abstract:
                raise exc.ImproperlyConfigured(
                    f"{name} subclasses the concrete model {parent.__name__}; "
                    "only Meta.abstract = True models can be subclassed"
                )
            meta.update({k: v for k, v in popts.raw.items() if k != "abstract"})
            for field in popts.fields:
                if not (field.auto and field.name == "id" and getattr(field, "_implicit", False)):
                    inherited[field.name] = field
        own = (
            {k: v for k, v in vars(meta_cls).items() if not k.startswith("__")} if meta_cls else {}
        )
        unknown = set(own) - _META_OPTIONS
        if unknown:
            raise exc.ImproperlyConfigured(
                f"{name}.Meta has unknown option(s) {', '.join(sorted(unknown))}; "
                f"valid: {', '.join(sorted(_META_OPTIONS))}"
            )
        if "table_name" in meta and "table_name" not in own:
            del meta["table_name"]
        meta.update(own)
        if "db" in meta and meta["db"] is not None and not isinstance(meta["db"], Database):
            raise exc.ImproperlyConfigured(
                f"{name}.Meta.db is {meta['db']!r}, not a covet.orm.Database. Note that "
                "`class Meta: db = db` reads the MODULE-level name `db` (a class body cannot see "
                "the enclosing function's locals): bind the Database to a module-level name, or "
                "give it another name (`db = app_db`)"
            )
        for fname, field in inherited.items():
            if fname not in ns:
                ns[fname] = field.clone()
        # inherited fields first, in their order, then the class's own
        ordered = {k: ns[k] for k in inherited if isinstance(ns.get(k), Field)}
        ordered.update({k: v for k, v in ns.items() if isinstance(v, Field) and k not in ordered})
        relations: list[tuple[str, ForeignKey]] = []
        many: list[tuple[str, ManyToManyField]] = []
        renamed: dict[str, Field[Any]] = {}
        for key, value in ordered.items():
            if isinstance(value, ForeignKey):  # `author` is the relation, `author_id` the field
                rel_name = value.relation_name or key
                value.relation_name = rel_name
                key = f"{rel_name}_id"
                ns.pop(rel_name, None)
                ns[key] = value
                relations.append((rel_name, value))
            renamed[key] = value
        ordered = renamed
        for key, value in list(ns.items()):
            if isinstance(value, ManyToManyField):
                many.append((key, ns.pop(key)))
        if not meta.get("abstract") and not any(f.primary_key for f in ordered.values()):
            if "id" in ordered:
                raise exc.ImproperlyConfigured(f"{name}.id must be the primary key")
            auto = BigAutoField()
            auto._implicit = True  # type: ignore[attr-defined]
            ns["id"] = auto
            ordered = {"id": auto, **ordered}
        cls = super().__new__(mcs, name, bases, ns, **kw)
        from covet.orm._descriptors import ForwardDescriptor

        for rel_name, fk in relations:
            setattr(cls, rel_name, ForwardDescriptor(fk))
        managers = _managers(cls)
        if not managers:
            default: Any = Manager()
            default.__set_name__(cls, "objects")
            managers = [default]
        if not meta.get("abstract"):  # each concrete model gets its own copies
            managers = [m.bind(cls) for m in managers]
        for manager in managers:
            setattr(cls, manager.name, manager)
        fields = list(ordered.values())
        for fname, field in ordered.items():
            field.name = fname
            field.column = field.db_column or fname
            field.model = cls
        if not fields:
            fields = []
        opts = Options.__new__(Options)
        if fields:
            opts.__init__(cls, meta, fields)  # type: ignore[misc]
        else:
            opts.model, opts.abstract, opts.raw, opts.fields = cls, True, meta, []  # type: ignore[assignment]
        model: Any = cls
        model._meta = opts
        opts.managers = managers
        if managers:  # the first declared; related managers will build on it
            model._default_manager = managers[0]
        model.DoesNotExist = type(
            "DoesNotExist",
            (exc.DoesNotExist,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.DoesNotExist"},
        )
        model.MultipleObjectsReturned = type(
            "MultipleObjectsReturned",
            (exc.MultipleObjectsReturned,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.MultipleObjectsReturned"},
        )
        if opts.abstract:
            if many:  # each concrete subclass gets its own copy
                model._abstract_m2m = many
            return cls
        for _, fk in relations:
            lazy(model, fk.to, functools.partial(_resolve, fk, model))
        for rel_name, m2m in [*getattr(model, "_abstract_m2m", []), *many]:
            if m2m.model is not None:
                m2m = ManyToManyField(
                    m2m.to, through=m2m.through_ref, related_name=m2m.related_name,
                    related_query_name=m2m.related_query_name, db_table=m2m.db_table,
                )  # fmt: skip
            opts.many_to_many.append(m2m)
            m2m.contribute(model, rel_name)
        register(model)
        return cls


def _resolve(fk: ForeignKey, source: type[Model], target: type[Model]) -> None:
    fk.resolve(source, target)


def _managers(cls: type) -> list[BaseManager[Any]]:
    """The managers a model class declares or inherits, in declaration order."""
    found: dict[str, BaseManager[Any]] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, BaseManager) and attr != "_default_manager":
                found[attr] = value
    return sorted(found.values(), key=lambda m: m._order)


class Model(metaclass=ModelBase):
    """Base class of every model. Subclass it, declare fields, optionally a ``Meta``."""

    _meta: ClassVar[Options]
    DoesNotExist: ClassVar[type[exc.DoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[exc.MultipleObjectsReturned]]
    objects: ClassVar[Manager[Self]]
    _default_manager: ClassVar[Manager[Self]]
    _adding = False
    #: covet.http's model protocol: ``data: User`` bodies, ``response_model=User``, OpenAPI
    __covet_model_adapter__: ClassVar[Any] = ADAPTER

    def __init__(self, **kwargs: Any) -> None:
        meta = self._meta
        if meta.abstract:
            raise TypeError(f"{type(self).__name__} is abstract and cannot be instantiated")
        d = self.__dict__
        if "pk" in kwargs:
            kwargs[meta.pk.name] = kwargs.pop("pk")
        for field in meta.fields:
            value = kwargs.pop(field.name, NOT_PROVIDED)
            d[field.name] = field.get_default() if value is NOT_PROVIDED else value
        if kwargs and meta.forward:  # Book(author=an_author)
            for name in [n for n in kwargs if n in meta.forward]:
                setattr(self, name, kwargs.pop(name))
        if kwargs:
            raise exc.UnknownFieldsError(type(self).__name__, sorted(kwargs), list(meta.fields_map))
        d["_adding"] = True

    @property
    def pk(self) -> Any:
        return self.__dict__.get(self._meta.pk.name)

    @pk.setter
    def pk(self, value: Any) -> None:
        self.__dict__[self._meta.pk.name] = value

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: pk={self.pk!r}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or type(other) is not type(self):
            return NotImplemented
        return self.pk is not None and self.pk == other.pk

    def __hash__(self) -> int:
        if self.pk is None:
            raise TypeError("a model instance without a primary key is unhashable")
        return hash((type(self), self.pk))

    def __getstate__(self) -> dict[str, Any]:
        """Pickling and copying leave out the link to the result set (its peers)."""
        state = dict(self.__dict__)
        state.pop("_state", None)
        return state

    def to_dict(self, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """Loaded field values by name (deferred fields are left out)."""
        names = list(fields) if fields is not None else [f.name for f in self._meta.fields]
        d = self.__dict__
        return {n: d[n] for n in names if n in d}

    @classmethod
    def schema(
        cls,
        *,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        name: str | None = None,
        partial: bool = False,
    ) -> type[Any]:
        """A selection of this model's fields for request bodies and ``response_model=``:
        ``User.schema(exclude=["password_hash"])``. ``name`` names its OpenAPI component;
        ``partial=True`` makes it a ``Partial`` (every field optional). See docs/fullstack.md."""
        inc = None if include is None else list(include)
        exc_ = list(exclude)
        if name is None:
            title = "".join(part.title() for n in (inc or exc_) for part in n.split("_"))
            name = cls.__name__ + ("" if inc is not None or not exc_ else "Without") + title
        return spec_of_class(cls, name, inc, exc_, partial)

    def __covet_json__(self) -> dict[str, Any]:
        """``to_dict()`` written as JSON (covet.http renders a returned model with it):
        datetimes in ISO 8601, Decimal and UUID as strings, durations in seconds, bytes in
        base64."""
        return spec_of(type(self)).dump(self, loaded=True)

    def full_clean(self, exclude: Iterable[str] = ()) -> None:
        """Validate every field; raise ``ValidationError`` with all messages per field."""
        skip = set(exclude)
        errors: dict[str, list[str]] = {}
        for field in self._meta.fields:
            if field.name in skip or field.name not in self.__dict__:
                continue
            messages = field.validate(self.__dict__[field.name])
            if messages:
                errors[field.name] = messages
        if errors:
            raise exc.ValidationError(errors)

    # -- persistence -------------------------------------------------------------------------
    def save(
        self, *, update_fields: Iterable[str] | None = None, force_insert: bool = False
    ) -> None:
        """INSERT a new object or UPDATE a loaded one (only ``update_fields`` if given)."""
        db = self._meta.database
        db.run(self._save_op(db.dialect, update_fields, force_insert), "save")

    async def asave(
        self, *, update_fields: Iterable[str] | None = None, force_insert: bool = False
    ) -> None:
        db = self._meta.database
        await db.arun(self._save_op(db.dialect, update_fields, force_insert))

    def delete(self) -> tuple[int, dict[str, int]]:
        """DELETE this object's row (and apply the ``on_delete`` of every foreign key pointing
        at it); ``(count, {model label: count})`` as Django."""
        meta = self._meta
        db = meta.database
        if meta.related_objects and needs_collector(type(self)):
            return db.run(self._collect_op(db.dialect), "delete", atomic=True)
        count = db.run(self._delete_op(db.dialect), "delete")
        return count, ({meta.label: count} if count else {})

    async def adelete(self) -> tuple[int, dict[str, int]]:
        db = self._meta.database
        if needs_collector(type(self)):
            return await db.arun(self._collect_op(db.dialect), atomic=True)
        count = await db.arun(self._delete_op(db.dialect))
        return count, ({self._meta.label: count} if count else {})

    def _collect_op(self, dialect: Dialect) -> Op[tuple[int, dict[str, int]]]:
        if self.pk is None:
            raise ValueError(f"cannot delete a {type(self).__name__} without a primary key")
        result = yield from delete_op(type(self), [self.pk], dialect)
        self.__dict__[self._meta.pk.name] = None
        self.__dict__["_adding"] = True
        return result

    def fetch(self, *names: str) -> None:
        """Load these relations now (for this object and the unloaded objects of its result
        set, one query each): ``book.fetch("author")``."""
        db = self._meta.database
        for name in names:
            db.run(fetch_relation_op(self, name), "fetch")

    async def afetch(self, *names: str) -> None:
        """The async way to load relations: ``await book.afetch("author")``, then
        ``book.author`` is there (for its whole result set, in one query)."""
        db = self._meta.database
        for name in names:
            await db.arun(fetch_relation_op(self, name))

    def refresh_from_db(self, fields: Iterable[str] | None = None) -> None:
        db = self._meta.database
        db.run(self._refresh_op(db.dialect, fields), "refresh_from_db")

    async def arefresh_from_db(self, fields: Iterable[str] | None = None) -> None:
        db = self._meta.database
        await db.arun(self._refresh_op(db.dialect, fields))

    def _save_op(
        self, dialect: Dialect, update_fields: Iterable[str] | None, force_insert: bool
    ) -> Op[None]:
        meta = self._meta
        d = self.__dict__
        pk = meta.pk
        if meta.forward:
            self._take_related_keys()
        if not (self._adding or force_insert or d.get(pk.name) is None):
            names = None if update_fields is None else tuple(update_fields)
            plan = meta.cache.get(("update", dialect.name, names))
            if plan is None:
                plan = _update_plan(meta, dialect, names)
            if not plan.names:
                return
            params = plan.params(self, False)
            params.append(plan.pk_adapter(d[pk.name]))
            result = yield new_stmt(Stmt, ("execute", plan.sql, params))
            if result.rowcount or update_fields is not None:
                for name in meta.generated:
                    d.pop(name, None)
                return
        elif update_fields is not None:
            raise ValueError("update_fields needs an object loaded from or saved to the database")
        needs_pk = d.get(pk.name) is None
        use_returning = needs_pk and not dialect.insert_returns_last_id
        plan = meta.cache.get(("insert", dialect.name, needs_pk, use_returning))
        if plan is None:
            plan = _insert_plan(meta, dialect, needs_pk, use_returning)
        params = plan.params(self, True)
        if use_returning:
            rows = yield new_stmt(Stmt, ("fetch_all", plan.sql, params))
            d[pk.name] = rows[0][0]
        else:
            result = yield new_stmt(Stmt, ("execute", plan.sql, params))
            if needs_pk:
                d[pk.name] = result.last_id
        d["_adding"] = False
        for name in meta.generated:  # computed by the database: read back on first access
            d.pop(name, None)

    def _take_related_keys(self) -> None:
        """A related instance assigned before it was saved: take its key now, or refuse."""
        d = self.__dict__
        for name, fk in self._meta.forward.items():
            obj = d.get(name)
            if obj is None:
                continue
            key = obj.__dict__.get(fk.target_field.name)
            if key is None:
                raise ValueError(
                    f"save() prohibited to prevent data loss due to unsaved related object "
                    f"{name!r} ({type(obj).__name__}): save it first"
                )
            if d.get(fk.name) is None:
                d[fk.name] = key

    def _delete_op(self, dialect: Dialect) -> Op[int]:
        meta = self._meta
        pk = self.pk
        if pk is None:
            raise ValueError(f"cannot delete a {type(self).__name__} without a primary key")
        plan = meta.cache.get(("delete", dialect.name))
        if plan is None:
            q = dialect.quote
            where = f"{q(meta.pk.column)} = {dialect.param(1)}"
            sql = f"DELETE FROM {q(meta.table_name)} WHERE {where}"  # noqa: S608 (quoted names)
            plan = meta.cache[("delete", dialect.name)] = (sql, meta.pk.adapter(dialect))
        sql, adapt = plan
        result = yield new_stmt(Stmt, ("execute", sql, [adapt(pk)]))
        self.__dict__[meta.pk.name] = None
        self.__dict__["_adding"] = True
        count: int = result.rowcount
        return count

    def _refresh_op(self, dialect: Dialect, names: Iterable[str] | None) -> Op[None]:
        meta = self._meta
        qs = QuerySet(type(self)).filter(pk=self.pk)  # every row, whatever the managers narrow
        if names is not None:
            qs = qs.only(*names)
        rows = yield from qs._fetch_op(dialect)
        if not rows:
            raise self.DoesNotExist(f"{type(self).__name__} with pk={self.pk!r} no longer exists")
        fresh = rows[0]
        self.__dict__.update({k: v for k, v in fresh.__dict__.items() if k in meta.fields_map})


class _RowPlan:
    """One cached INSERT or UPDATE of a model's row: the SQL and how to build its parameters."""

    __slots__ = ("adapters", "checks", "fields", "hooks", "names", "pk_adapter", "sql")

    def __init__(self, meta: Options, dialect: Dialect, fields: list[Field[Any]], sql: str) -> None:
        self.fields = fields
        self.names = [f.name for f in fields]
        self.adapters = [f.adapter(dialect) for f in fields]
        # fields whose value is computed at save time (auto_now, ...)
        self.hooks = [(i, f) for i, f in enumerate(fields) if f.computes_on_save]
        self.checks = [(i, f.max_length) for i, f in enumerate(fields) if isinstance(f, CharField)]
        self.pk_adapter = meta.pk.adapter(dialect)
        self.sql = sql

    def params(self, obj: Model, add: bool) -> list[Any]:
        get = obj.__dict__.get
        values = [get(n) for n in self.names]
        for i, field in self.hooks:
            values[i] = field.pre_save(obj, add)
        for i, limit in self.checks:
            value = values[i]
            if type(value) is str and len(value) > limit:
                _check_lengths(obj._meta, self.fields, values)
        return [a(v) for a, v in zip(self.adapters, values)]  # noqa: B905


def _update_plan(meta: Options, dialect: Dialect, names: tuple[str, ...] | None) -> _RowPlan:
    if names is None:
        fields = [f for f in meta.fields if not f.primary_key and not f.generated]
    else:
        wanted = {meta.get_field(n).name for n in names}
        for name in wanted:
            if meta.fields_map[name].generated:
                raise ValueError(f"{name!r} is a GeneratedField: the database computes it")
        fields = [f for f in meta.fields if f.name in wanted and not f.primary_key]
    q = dialect.quote
    sets = ", ".join(f"{q(f.column)} = {dialect.param(i + 1)}" for i, f in enumerate(fields))
    where = f"{q(meta.pk.column)} = {dialect.param(len(fields) + 1)}"
    sql = f"UPDATE {q(meta.table_name)} SET {sets} WHERE {where}"  # noqa: S608 (quoted names)
    plan = _RowPlan(meta, dialect, fields, sql)
    meta.cache[("update", dialect.name, names)] = plan
    return plan


def _insert_plan(meta: Options, dialect: Dialect, needs_pk: bool, returning: bool) -> _RowPlan:
    fields = [f for f in meta.fields if not (needs_pk and f.primary_key) and not f.generated]
    columns = [f.column for f in fields]
    placeholders = [[None] * len(fields)]
    sql, _ = compiler.insert(
        meta.table_name, columns, placeholders, dialect,
        returning=[meta.pk.column] if returning else (),
    )  # fmt: skip
    plan = _RowPlan(meta, dialect, fields, sql)
    meta.cache[("insert", dialect.name, needs_pk, returning)] = plan
    return plan


def _check_lengths(meta: Options, fields: list[Field[Any]], values: list[Any]) -> None:
    if not meta.char_limits:
        return
    limits = meta.char_limits_map
    errors = {}
    for field, value in zip(fields, values, strict=True):
        limit = limits.get(field.name)
        if limit is not None and isinstance(value, str) and len(value) > limit:
            errors[field.name] = [f"at most {limit} characters (it has {len(value)})"]
    if errors:
        raise exc.ValidationError(errors)

"""What ``book.author``, ``user.profile``, ``author.books`` and ``post.tags`` are.

* ``ForwardDescriptor``: the related instance of a foreign key (cached in ``__dict__`` under the
  relation's name; the raw value is ``author_id``).
* ``ReverseOneDescriptor``: the instance on the other side of a one-to-one, or
  ``RelatedObjectDoesNotExist``.
* ``ReverseManyDescriptor`` / ``ManyToManyDescriptor``: a related manager, a ``Manager`` whose
  QuerySet is narrowed to the instance, with ``create``, ``get_or_create``, ``add``, ``remove``,
  ``set``, ``clear`` and their ``a``-prefixed twins.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from covet.orm._fetching import lazy_load
from covet.orm._manager import BaseManager
from covet.orm._query import QuerySet
from covet.orm._related import ForeignKey, ManyToManyField, Relation

if TYPE_CHECKING:
    from covet.orm._database import Op
    from covet.orm._model import Model
    from covet.orm.sql.compiler import Query


class _Prefetched(QuerySet[Any]):
    """The QuerySet of a prefetched related manager: its rows are known; its query (for
    ``filter()`` and the like) is written on first use."""

    __slots__ = ("_manager",)

    def __init__(self, model: type[Model], rows: list[Any], manager: RelatedManager) -> None:
        # QuerySet.__init__'s slots, set here: one of these is made per access (`a.books.all()`)
        self.model, self._qry, self._kind, self._selected = model, None, "model", None
        self._result_cache = rows  # shared with the instance's cache: QuerySets never mutate it
        self._manager = manager

    def __iter__(self) -> Iterator[Any]:
        rows = self._result_cache  # None only after update()/delete() through this QuerySet
        return iter(rows if rows is not None else self._fetch_all())

    @property
    def _query(self) -> Query:
        q = self._qry
        if q is None:
            manager = self._manager
            model = manager.model
            assert model is not None
            q = self._qry = manager._narrow(model._default_manager.get_queryset())._query
        return q

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self._query  # noqa: B018 (narrowed to the instance before get's shortcuts)
        return super().get(*args, **kwargs)

    async def aget(self, *args: Any, **kwargs: Any) -> Any:
        self._query  # noqa: B018
        return await super().aget(*args, **kwargs)


class ForwardDescriptor:
    """``book.author``: the instance ``book.author_id`` points to."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field

    def __repr__(self) -> str:
        return f"<ForwardDescriptor {self.field.relation_name}>"

    @property
    def relation(self) -> Relation:
        model = self.field.model
        assert model is not None
        self.field.target_field  # noqa: B018 (raises when the target is not defined)
        return model._meta.relations[self.field.relation_name]

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        field = self.field
        d = instance.__dict__
        cached = d.get(field.relation_name)
        target = field._target
        if cached is not None and target is not None:  # loaded (select_related, prefetch)
            key = d.get(field.name)  # None: a NULL key, or a deferred one (the slow path)
            if key is not None and cached.__dict__.get(target.name) == key:
                return cached
        return self._load(instance, owner)

    def _load(self, instance: Model, owner: type[Model]) -> Any:
        field = self.field
        d = instance.__dict__
        name = field.relation_name
        key = d[field.name] if field.name in d else getattr(instance, field.name)
        if name in d:
            cached = d[name]
            if cached is None:
                if key is None:
                    return None
            elif key is None or cached.__dict__.get(field.target_field.name) == key:
                return cached
        if key is None:
            return None
        lazy_load(instance, self.relation)
        if name in d:
            return d[name]
        remote = field.remote
        raise remote.DoesNotExist(
            f"{owner.__name__}.{name}: no {remote.__name__} with {field.target_field.name}={key!r}"
        )

    def __set__(self, instance: Model, value: Any) -> None:
        field = self.field
        d = instance.__dict__
        name = field.relation_name
        if value is None:
            d[field.name] = None
            d[name] = None
            return
        remote = field.remote
        if not isinstance(value, remote):
            raise ValueError(
                f"cannot assign {value!r}: {type(instance).__name__}.{name} must be a "
                f"{remote.__name__} instance (or set {field.name} to its key)"
            )
        d[field.name] = value.__dict__.get(field.target_field.name)
        d[name] = value
        other = self.relation.other
        if field.one_to_one and other is not None and other.accessor:
            value.__dict__[other.accessor] = instance


class ReverseOneDescriptor:
    """``user.profile``: the instance whose one-to-one field points here."""

    def __init__(self, relation: Relation) -> None:
        self.relation = relation
        related = relation.related
        self.RelatedObjectDoesNotExist = type(
            "RelatedObjectDoesNotExist",
            (related.DoesNotExist, AttributeError),
            {"__module__": related.__module__},
        )

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        rel = self.relation
        accessor = rel.accessor
        assert accessor is not None
        d = instance.__dict__
        if accessor not in d and instance.pk is not None:
            lazy_load(instance, rel)
        obj = d.get(accessor)
        if obj is None:
            raise self.RelatedObjectDoesNotExist(
                f"{owner.__name__} has no {accessor} ({rel.related.__name__} pointing to it)"
            )
        return obj

    def __set__(self, instance: Model, value: Any) -> None:
        rel = self.relation
        assert rel.accessor is not None
        field = rel.field
        assert isinstance(field, ForeignKey)
        if value is not None:
            if not isinstance(value, rel.related):
                raise ValueError(
                    f"cannot assign {value!r}: {type(instance).__name__}.{rel.accessor} must "
                    f"be a {rel.related.__name__} instance"
                )
            setattr(value, field.relation_name, instance)
        instance.__dict__[rel.accessor] = value


class ReverseManyDescriptor:
    """``author.books``: a manager of the rows whose foreign key points here."""

    def __init__(self, relation: Relation) -> None:
        self.relation = relation

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        return RelatedManager(instance, self.relation)

    def __set__(self, instance: Model, value: Any) -> None:
        raise TypeError(
            f"direct assignment to the reverse side of a relation is not allowed; use "
            f"{self.relation.accessor}.set(...)"
        )


class ManyToManyDescriptor(ReverseManyDescriptor):
    """``post.tags`` / ``tag.post_set``: a manager of the related rows, through the join table."""

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        return ManyRelatedManager(instance, self.relation)


class RelatedManager(BaseManager[Any]):
    """The manager of a reverse foreign key (``author.books``)."""

    _plain = False  # get() narrows through get_queryset()

    def __init__(self, instance: Model, relation: Relation) -> None:
        # not BaseManager.__init__: no declaration order to count (one is made per access)
        self.instance, self.relation = instance, relation
        self.model = relation.related
        self.name = relation.accessor or relation.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {type(self.instance).__name__}.{self.name}>"

    def _check_saved(self) -> None:
        if self.instance.pk is None:
            raise ValueError(
                f"{type(self.instance).__name__} instance needs a primary key before "
                f"{self.name} can be used: save it first"
            )

    @property
    def _fk(self) -> ForeignKey:
        field = self.relation.field
        assert isinstance(field, ForeignKey)
        return field

    def _narrow(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        fk = self._fk
        return qs.filter(**{fk.name: self.instance.__dict__.get(fk.target_field.name)})

    def get_queryset(self) -> QuerySet[Any]:
        model = self.model
        assert model is not None
        cache = self.instance.__dict__.get("_prefetched")
        if cache is not None:
            rows = cache.get(self.name)
            if rows is not None:  # the rows are here: build the query only if it is used
                return _Prefetched(model, rows, self)
        self._check_saved()
        return self._narrow(model._default_manager.get_queryset())

    # get_queryset() itself, without BaseManager.all()'s indirection: `author.books.all()` runs
    # once per prefetched instance
    all = get_queryset

    def _link(self) -> dict[str, Any]:
        return {self._fk.relation_name: self.instance}

    def create(self, **values: Any) -> Any:
        self._check_saved()
        self._forget_prefetched()
        return self.get_queryset().create(**values, **self._link())

    async def acreate(self, **values: Any) -> Any:
        self._check_saved()
        self._forget_prefetched()
        return await self.get_queryset().acreate(**values, **self._link())

    def get_or_create(self, defaults: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        self._forget_prefetched()
        return self.get_queryset().get_or_create(defaults, **kwargs, **self._link())

    async def aget_or_create(self, defaults: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        self._forget_prefetched()
        return await self.get_queryset().aget_or_create(defaults, **kwargs, **self._link())

    def update_or_create(self, defaults: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        self._forget_prefetched()
        return self.get_queryset().update_or_create(defaults, **kwargs, **self._link())

    async def aupdate_or_create(self, defaults: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        self._forget_prefetched()
        return await self.get_queryset().aupdate_or_create(defaults, **kwargs, **self._link())

    # add/remove/set/clear: UPDATE the foreign key of the given rows
    def _keys(self, objs: Iterable[Any]) -> list[Any]:
        model = self.model
        assert model is not None
        keys = []
        for obj in objs:
            if not isinstance(obj, model):
                raise TypeError(f"{self.name} takes {model.__name__} instances, not {obj!r}")
            if obj.pk is None:
                raise ValueError(f"{obj!r} is unsaved: save it before adding it to {self.name}")
            keys.append(obj.pk)
        return keys

    def _update_op(self, keys: list[Any] | None, value: Any, narrow: bool) -> Op[None]:
        from covet.orm._query import QuerySet, _rowcount_op
        from covet.orm.sql import compiler

        model = self.model
        assert model is not None
        qs: QuerySet[Any] = QuerySet(model)
        if narrow:
            qs = self._narrow(qs)
        if keys is not None:
            qs = qs.filter(pk__in=keys)
        db = model._meta.database
        sql, params = compiler.update(qs._query, db.dialect, {self._fk.name: value})
        yield from _rowcount_op(sql, params)

    def _nullable(self, method: str) -> None:
        if not self._fk.null:
            raise TypeError(
                f"{self.name}.{method}() sets {self._fk.name} to NULL, and that field is not "
                "null=True; delete the rows instead"
            )

    def add(self, *objs: Any) -> None:
        self._change(self._add_op(objs), "add")

    async def aadd(self, *objs: Any) -> None:
        await self._achange(self._add_op(objs))

    def _add_op(self, objs: Iterable[Any]) -> Op[None]:
        self._check_saved()
        objs = list(objs)
        keys = self._keys(objs)
        for obj in objs:
            setattr(obj, self._fk.relation_name, self.instance)
        if keys:
            yield from self._update_op(
                keys, self.instance.__dict__.get(self._fk.target_field.name), False
            )

    def remove(self, *objs: Any) -> None:
        self._change(self._remove_op(objs), "remove")

    async def aremove(self, *objs: Any) -> None:
        await self._achange(self._remove_op(objs))

    def _remove_op(self, objs: Iterable[Any] | None) -> Op[None]:
        self._nullable("remove" if objs is not None else "clear")
        self._check_saved()
        keys = None
        if objs is not None:
            objs = list(objs)
            keys = self._keys(objs)
            for obj in objs:
                setattr(obj, self._fk.relation_name, None)
        yield from self._update_op(keys, None, True)

    def clear(self) -> None:
        self._change(self._remove_op(None), "clear")

    async def aclear(self) -> None:
        await self._achange(self._remove_op(None))

    def set(self, objs: Iterable[Any]) -> None:
        self._change(self._set_op(objs), "set")

    async def aset(self, objs: Iterable[Any]) -> None:
        await self._achange(self._set_op(objs))

    def _set_op(self, objs: Iterable[Any]) -> Op[None]:
        self._nullable("set")
        objs = list(objs)
        keys = self._keys(objs)
        model = self.model
        assert model is not None
        from covet.orm._query import QuerySet

        current = self._narrow(QuerySet(model)).values_list("pk", flat=True)
        have = yield from current._fetch_op(model._meta.database.dialect)
        stale = [k for k in have if k not in set(keys)]
        if stale:
            yield from self._update_op(stale, None, True)
        yield from self._add_op([o for o in objs if o.pk not in set(have)])

    def _change(self, op: Op[None], method: str) -> None:
        model = self.model
        assert model is not None
        self._forget_prefetched()
        model._meta.database.run(op, f"{self.name}.{method}", atomic=True)

    async def _achange(self, op: Op[None]) -> None:
        model = self.model
        assert model is not None
        self._forget_prefetched()
        await model._meta.database.arun(op, atomic=True)

    def _forget_prefetched(self) -> None:
        """A change made through this manager leaves the rows prefetched for it stale: drop them,
        so the next ``all()`` reads the table again (as Django)."""
        cache = self.instance.__dict__.get("_prefetched")
        if cache:
            cache.pop(self.name, None)


class ManyRelatedManager(RelatedManager):
    """The manager of a many-to-many relation, either side (``post.tags``, ``tag.post_set``)."""

    @property
    def _field(self) -> ManyToManyField:
        field = self.relation.field
        assert isinstance(field, ManyToManyField)
        return field

    def _ends(self) -> tuple[ForeignKey, ForeignKey]:
        """The through model's foreign keys: to this instance's side, to the other side."""
        field = self._field
        assert field.source_fk is not None and field.target_fk is not None
        if self.relation.reverse:
            return field.target_fk, field.source_fk
        return field.source_fk, field.target_fk

    def _narrow(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.filter(**{self.relation.back(): self.instance.pk})

    def _through_qs(self) -> QuerySet[Any]:
        from covet.orm._query import QuerySet

        through = self._field.through
        assert through is not None
        near, _ = self._ends()
        return QuerySet(through).filter(**{near.name: self.instance.pk})

    def create(self, *, through_defaults: dict[str, Any] | None = None, **values: Any) -> Any:
        model = self.model
        assert model is not None
        self._check_saved()
        obj = model._default_manager.create(**values)
        self.add(obj, through_defaults=through_defaults)
        return obj

    async def acreate(
        self, *, through_defaults: dict[str, Any] | None = None, **values: Any
    ) -> Any:
        model = self.model
        assert model is not None
        self._check_saved()
        obj = await model._default_manager.acreate(**values)
        await self.aadd(obj, through_defaults=through_defaults)
        return obj

    def get_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        *,
        through_defaults: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        model = self.model
        assert model is not None
        obj, created = model._default_manager.get_or_create(defaults, **kwargs)
        self.add(obj, through_defaults=through_defaults)
        return obj, created

    async def aget_or_create(
        self,
        defaults: dict[str, Any] | None = None,
        *,
        through_defaults: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        model = self.model
        assert model is not None
        obj, created = await model._default_manager.aget_or_create(defaults, **kwargs)
        await self.aadd(obj, through_defaults=through_defaults)
        return obj, created

    def _pairs_keys(self, objs: Iterable[Any]) -> list[Any]:
        model = self.model
        assert model is not None
        keys = []
        for obj in objs:
            if isinstance(obj, model):
                if obj.pk is None:
                    raise ValueError(f"{obj!r} is unsaved: save it before adding it")
                keys.append(obj.pk)
            elif hasattr(obj, "_meta"):
                raise TypeError(
                    f"{self.name} takes {model.__name__} instances or keys, not {obj!r}"
                )
            else:
                keys.append(obj)
        return list(dict.fromkeys(keys))

    def add(self, *objs: Any, through_defaults: dict[str, Any] | None = None) -> None:
        self._change(self._m2m_add_op(objs, through_defaults), "add")

    async def aadd(self, *objs: Any, through_defaults: dict[str, Any] | None = None) -> None:
        await self._achange(self._m2m_add_op(objs, through_defaults))

    def _m2m_add_op(self, objs: Iterable[Any], through_defaults: dict[str, Any] | None) -> Op[None]:
        from covet.orm._bulk import bulk_create_op

        self._check_saved()
        keys = self._pairs_keys(objs)
        if not keys:
            return
        through = self._field.through
        assert through is not None
        near, far = self._ends()
        dialect = through._meta.database.dialect
        present = self._through_qs().filter(**{f"{far.name}__in": keys})
        have = yield from present.values_list(far.name, flat=True)._fetch_op(dialect)
        seen = set(have)
        extra = dict(through_defaults or {})
        rows = [
            through(**{near.name: self.instance.pk, far.name: key, **extra})
            for key in keys
            if key not in seen
        ]
        if rows:
            yield from bulk_create_op(through, rows, dialect, None, False, False, None, None)

    def remove(self, *objs: Any) -> None:
        self._change(self._m2m_remove_op(self._pairs_keys(objs)), "remove")

    async def aremove(self, *objs: Any) -> None:
        await self._achange(self._m2m_remove_op(self._pairs_keys(objs)))

    def _m2m_remove_op(self, keys: list[Any] | None) -> Op[None]:
        from covet.orm._query import _rowcount_op
        from covet.orm.sql import compiler

        self._check_saved()
        if keys is not None and not keys:
            return
        qs = self._through_qs()
        if keys is not None:
            _, far = self._ends()
            qs = qs.filter(**{f"{far.name}__in": keys})
        sql, params = compiler.delete(qs._query, qs.db.dialect)
        yield from _rowcount_op(sql, params)

    def clear(self) -> None:
        self._change(self._m2m_remove_op(None), "clear")

    async def aclear(self) -> None:
        await self._achange(self._m2m_remove_op(None))

    def set(
        self, objs: Iterable[Any], *, clear: bool = False,
        through_defaults: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self._change(self._m2m_set_op(objs, clear, through_defaults), "set")

    async def aset(
        self, objs: Iterable[Any], *, clear: bool = False,
        through_defaults: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        await self._achange(self._m2m_set_op(objs, clear, through_defaults))

    def _m2m_set_op(
        self, objs: Iterable[Any], clear: bool, through_defaults: dict[str, Any] | None
    ) -> Op[None]:
        keys = self._pairs_keys(objs)
        if clear:
            yield from self._m2m_remove_op(None)
        else:
            _, far = self._ends()
            dialect = self._through_qs().db.dialect
            have = yield from self._through_qs().values_list(far.name, flat=True)._fetch_op(dialect)
            wanted = set(keys)
            stale = [k for k in have if k not in wanted]
            if stale:
                yield from self._m2m_remove_op(stale)
        yield from self._m2m_add_op(keys, through_defaults)

"""``Manager``: the entry point of a model's queries (``Model.objects``).

A manager is declared on a model class (``objects = Manager()``, ``published =
PublishedManager()``) and reached through it; each concrete model (also each subclass of an
abstract model) gets its own copy bound to it when the class is made. Every QuerySet method
called on a manager runs on ``get_queryset()``, which subclasses override::

    class PublishedManager(Manager["Article"]):
        def get_queryset(self) -> QuerySet[Article]:
            return super().get_queryset().filter(status="published")

A model without managers gets ``objects``; ``Model._default_manager`` is the first one declared
(relations build their related managers on it).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from covet.orm._query import QuerySet, one, pk_plan

if TYPE_CHECKING:
    from covet.orm._model import Model

M = TypeVar("M", bound="Model")

#: QuerySet methods a manager does not offer (as Django: deleting every row must be asked of a
#: QuerySet, ``Model.objects.all().delete()``)
QUERYSET_ONLY = frozenset({"delete", "adelete"})


class BaseManager(Generic[M]):
    """The runtime class behind ``Manager`` (type checkers see a QuerySet's methods)."""

    creation_counter = 0

    def __init__(self) -> None:
        self.model: type[M] | None = None
        self.name = ""
        BaseManager.creation_counter += 1
        self._order = BaseManager.creation_counter  # declaration order: the first is default
        self._plain = False  # bound, with the default get_queryset()

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def bind(self, model: type[M]) -> Self:
        """A copy of this manager for ``model`` (the model class stores it under its name:
        reaching it then costs an attribute lookup, nothing more)."""
        bound = copy.copy(self)
        bound.model = model
        bound._plain = type(self).get_queryset is BaseManager.get_queryset
        return bound

    # get() by primary key is the hottest call there is: straight to its cached statement
    def get(self, *args: Any, **kwargs: Any) -> M:
        if self._plain and not args and len(kwargs) == 1:
            model = self.model
            assert model is not None
            plan = pk_plan(model, kwargs)
            if plan is not None:
                db, sql, params, build = plan
                return one(model, build(db.fetch_rows(sql, params, "QuerySet.get")))
        return self.get_queryset().get(*args, **kwargs)

    async def aget(self, *args: Any, **kwargs: Any) -> M:
        if self._plain and not args and len(kwargs) == 1:
            model = self.model
            assert model is not None
            plan = pk_plan(model, kwargs)
            if plan is not None:
                db, sql, params, build = plan
                return one(model, build(await db.afetch_rows(sql, params)))
        return await self.get_queryset().aget(*args, **kwargs)

    def __repr__(self) -> str:
        model = self.model.__name__ if self.model is not None else "unbound"
        return f"<{type(self).__name__} {model}.{self.name}>"

    def get_queryset(self) -> QuerySet[M]:
        """The QuerySet every method of this manager starts from (override to narrow it)."""
        model = self.model
        if model is None:
            raise AttributeError(
                "this manager belongs to an abstract model (no table to query); use it through "
                "a concrete subclass"
            )
        return QuerySet(model)

    def all(self) -> QuerySet[M]:
        return self.get_queryset()

    def __iter__(self) -> Iterator[M]:
        return iter(self.get_queryset())

    async def __aiter__(self) -> AsyncIterator[M]:
        async for obj in self.get_queryset():
            yield obj


def _proxy(name: str) -> Any:
    call = getattr(QuerySet, name)

    def method(self: BaseManager[Any], *args: Any, **kwargs: Any) -> Any:
        return call(self.get_queryset(), *args, **kwargs)

    method.__name__ = name
    method.__doc__ = getattr(QuerySet, name).__doc__
    return method


#: every public QuerySet method but QUERYSET_ONLY, called on ``get_queryset()``
PROXIED = tuple(
    name
    for name, value in vars(QuerySet).items()
    if not name.startswith("_") and callable(value) and name not in QUERYSET_ONLY
    and name not in vars(BaseManager)
)  # fmt: skip
for _name in PROXIED:
    setattr(BaseManager, _name, _proxy(_name))


if TYPE_CHECKING:

    class Manager(QuerySet[M]):
        """``Model.objects``: QuerySet methods on ``get_queryset()`` (see the module)."""

        model: type[M]
        name: str

        def __init__(self) -> None: ...
        def bind(self, model: type[M]) -> Self: ...
        def get_queryset(self) -> QuerySet[M]: ...

else:

    class Manager(BaseManager[M]):
        """``Model.objects``: QuerySet methods on ``get_queryset()`` (see the module)."""

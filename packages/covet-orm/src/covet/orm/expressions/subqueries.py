"""Correlated subqueries: ``Subquery``, ``Exists`` and ``OuterRef``.

``OuterRef("pk")`` inside the inner QuerySet names a column of the query the subquery is used
in; it is written when the outer statement is (the outer scope is on ``Ctx.outer``), so the
inner QuerySet can be built before, and apart from, the outer one::

    latest = Book.objects.filter(author=OuterRef("pk")).order_by("-published")
    Author.objects.annotate(latest=Subquery(latest.values("title")[:1]))
    Author.objects.filter(Exists(Book.objects.filter(author=OuterRef("pk"), pages__gt=500)))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm._exceptions import FieldError
from covet.orm._fields import BooleanField, Field
from covet.orm.expressions.base import Expr, F

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Query, Scope


class OuterRef(F):
    """A field of the outer query, inside a ``Subquery`` / ``Exists`` QuerySet."""

    def __repr__(self) -> str:
        return f"OuterRef({self.name!r})"

    def resolve(self, scope: Scope) -> Expr:
        return _OuterCol(self.name)


class _OuterCol(Expr):
    def __init__(self, name: str) -> None:
        self.name = name

    def as_sql(self, ctx: Ctx) -> str:
        from covet.orm.expressions.lookups import resolve_path

        if not ctx.outer:
            raise FieldError(f"OuterRef({self.name!r}) is only valid inside Subquery or Exists")
        scope, labels = outer = ctx.outer.pop()
        inner, ctx.labels = ctx.labels, labels  # written with the outer query's table names
        try:
            return resolve_path(scope, self.name).as_sql(ctx)
        finally:
            ctx.labels = inner
            ctx.outer.append(outer)


class Subquery(Expr):
    """The one column of a QuerySet's first row as a value (``values("title")[:1]``); a model
    QuerySet gives its primary key."""

    def __init__(self, queryset: Any, output_field: Field[Any] | None = None) -> None:
        query = getattr(queryset, "_query", None)
        if query is None:
            raise TypeError(f"{type(self).__name__}() takes a QuerySet, not {queryset!r}")
        self.query: Query = query.clone()
        self.output_field = output_field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.query.model.__name__})"

    def resolve(self, scope: Scope) -> Expr:
        from covet.orm.expressions.lookups import resolve_path

        q = self.query.clone()
        if q.values is None:
            q.values = (q.model._meta.pk.name,)
            q.only, q.defer = None, ()
        elif len(q.values) != 1:
            raise FieldError(
                f"a Subquery selects one column, not {', '.join(q.values) or 'every field'}: "
                "use values('<field>')"
            )
        output = self.output_field or resolve_path(q.scope(private=True), q.values[0]).output_field
        return _Correlated(q, scope, output, exists=False)


class Exists(Subquery):
    """``EXISTS (SELECT ...)``: whether the QuerySet has a row; ``~Exists(...)`` negates."""

    def __init__(self, queryset: Any, negated: bool = False) -> None:
        super().__init__(queryset, BooleanField())
        self.negated = negated

    def __invert__(self) -> Exists:
        new = Exists.__new__(Exists)
        new.__dict__.update(self.__dict__)
        new.negated = not self.negated
        return new

    def resolve(self, scope: Scope) -> Expr:
        q = self.query.clone()
        q.values = (q.model._meta.pk.name,)
        q.only, q.defer = None, ()
        if not q.sliced:
            q.order_by = ()
        return _Correlated(q, scope, self.output_field, exists=True, negated=self.negated)


class _Correlated(Expr):
    def __init__(
        self, query: Query, outer: Scope, output: Field[Any] | None, *, exists: bool,
        negated: bool = False,
    ) -> None:  # fmt: skip
        self.query, self.outer, self.output_field = query, outer, output
        self.exists, self.negated = exists, negated

    def as_sql(self, ctx: Ctx) -> str:
        from covet.orm.sql.compiler import _select_in

        ctx.outer.append((self.outer, ctx.labels))
        ctx.depth += 1
        try:
            sql = _select_in(self.query, ctx, correlated=True).sql
        finally:
            ctx.depth -= 1
            ctx.outer.pop()
        if not self.exists:
            return f"({sql})"
        return f"{'NOT ' if self.negated else ''}EXISTS ({sql})"

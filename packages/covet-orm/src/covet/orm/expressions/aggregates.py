"""Aggregates: ``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from covet.orm._fields import Field, FloatField, IntegerField
from covet.orm.expressions.base import Expr, F

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


class Aggregate(Expr):
    """``Count("id")``, ``Sum("price")``, ...: the argument is a field name or an expression."""

    function = ""
    contains_aggregate = True

    def __init__(self, expression: str | Expr, *, distinct: bool = False) -> None:
        self.expression = F(expression) if isinstance(expression, str) else expression
        self.distinct = distinct

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expression!r})"

    def resolve(self, scope: Scope) -> Expr:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.expression = self.expression.resolve(scope)
        new.output_field = self._output(new.expression)
        return new

    def _output(self, arg: Expr) -> Field[Any] | None:
        return arg.output_field

    def as_sql(self, ctx: Ctx) -> str:
        inner = self.expression.as_sql(ctx)
        return f"{self.function}({'DISTINCT ' if self.distinct else ''}{inner})"


class _Star(Expr):
    def as_sql(self, ctx: Ctx) -> str:
        return "*"


class Count(Aggregate):
    function = "COUNT"

    def __init__(self, expression: str | Expr = "*", *, distinct: bool = False) -> None:
        if expression == "*":
            super().__init__(_Star(), distinct=distinct)
        else:
            super().__init__(expression, distinct=distinct)

    def _output(self, arg: Expr) -> Field[Any] | None:
        return IntegerField()


class _WholeNumber(IntegerField):
    """A SUM of integers: PostgreSQL and MySQL answer NUMERIC/DECIMAL, Python wants an int."""

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        return int


class Sum(Aggregate):
    function = "SUM"

    def _output(self, arg: Expr) -> Field[Any] | None:
        if isinstance(arg.output_field, IntegerField):
            return _WholeNumber()
        return arg.output_field


class Avg(Aggregate):
    function = "AVG"

    def _output(self, arg: Expr) -> Field[Any] | None:
        return FloatField()


class Min(Aggregate):
    function = "MIN"


class Max(Aggregate):
    function = "MAX"

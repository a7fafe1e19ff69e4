"""Aggregates: ``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``, ``StdDev``, ``Variance``.

Each takes ``distinct=``, ``filter=`` (a ``Q``: only the rows it matches count) and ``default=``
(the answer instead of NULL when no row does), as Django's. Output types as Django resolves them:
``Sum`` of integers is an int, of booleans the number of true values; ``Avg`` of integers a
float, of decimals a Decimal, of durations a timedelta.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from covet.orm._exceptions import FieldError
from covet.orm._fields import (
    BooleanField,
    DecimalField,
    DurationField,
    Field,
    FloatField,
    IntegerField,
)
from covet.orm.expressions.base import AnyDecimal, Expr, Value, WholeNumber, as_expr

if TYPE_CHECKING:
    from covet.orm.expressions.where import Q
    from covet.orm.sql.compiler import Ctx, Scope


class Aggregate(Expr):
    """``Count("id")``, ``Sum("price")``, ...: the argument is a field name or an expression."""

    function: ClassVar[str] = ""
    contains_aggregate = True
    window_compatible = True
    allow_distinct: ClassVar[bool] = True
    #: what the aggregate gives over no rows when it is not NULL (COUNT: 0)
    empty: ClassVar[Any] = None

    def __init__(
        self,
        expression: Any,
        *,
        distinct: bool = False,
        filter: Q | None = None,
        default: Any = None,
        output_field: Field[Any] | None = None,
    ) -> None:
        if distinct and not self.allow_distinct:
            raise TypeError(f"{type(self).__name__} does not allow distinct")
        if default is not None and self.empty is not None:
            raise TypeError(f"{type(self).__name__} does not allow default")
        self.expression = as_expr(expression)
        self.distinct = distinct
        self.filter: Any = filter
        self.default = default
        self.output_field = output_field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expression!r})"

    @property
    def name(self) -> str:
        return type(self).__name__

    def resolve(self, scope: Scope) -> Expr:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.expression = self.expression.resolve(scope)
        if new.expression.contains_aggregate:
            raise FieldError(
                f"cannot compute {self.name}({self.expression!r}): it is an aggregate already"
            )
        if self.filter is not None:
            new.filter = self.filter.resolve(scope)
        if self.output_field is None:
            new.output_field = self._output(new.expression.output_field)
        if self.default is None:
            return new
        from covet.orm.expressions.functions import Coalesce

        new.default = None
        default = self.default
        if isinstance(default, Expr):
            default = default.resolve(scope)
        else:
            default = Value(default, new.output_field)
        return Coalesce(new, default, output_field=new.output_field).resolve(scope)

    def _output(self, source: Field[Any] | None) -> Field[Any] | None:
        return source

    def _argument(self, ctx: Ctx) -> str:
        return self.expression.as_sql(ctx)

    def as_sql(self, ctx: Ctx) -> str:
        d = ctx.dialect
        distinct = "DISTINCT " if self.distinct else ""
        if self.filter is None:
            return d.aggregate(self.function, distinct + self._argument(ctx))
        if d.supports_aggregate_filter:
            argument = self._argument(ctx)
            condition = self.filter.as_sql(ctx) or d.bool_literal(True)
            return f"{d.aggregate(self.function, distinct + argument)} FILTER (WHERE {condition})"
        condition = self.filter.as_sql(ctx) or d.bool_literal(True)
        inner = "1" if isinstance(self.expression, Star) else self._argument(ctx)
        return d.aggregate(self.function, f"{distinct}CASE WHEN {condition} THEN {inner} END")


class Star(Expr):
    def as_sql(self, ctx: Ctx) -> str:
        return "*"


class Count(Aggregate):
    function = "COUNT"
    empty = 0

    def __init__(self, expression: Any = "*", **options: Any) -> None:
        super().__init__(Star() if expression == "*" else expression, **options)

    def _output(self, source: Field[Any] | None) -> Field[Any] | None:
        return IntegerField()


class Sum(Aggregate):
    function = "SUM"

    def _argument(self, ctx: Ctx) -> str:
        argument = self.expression.as_sql(ctx)
        if isinstance(self.expression.output_field, BooleanField):
            return ctx.dialect.bool_to_int(argument)  # the number of true values
        return argument

    def _output(self, source: Field[Any] | None) -> Field[Any] | None:
        if isinstance(source, IntegerField | BooleanField):
            return WholeNumber()
        return source


def _numeric(name: str, source: Field[Any] | None) -> Field[Any]:
    """Django's numeric output: Decimal for decimals, float for integers and floats."""
    if isinstance(source, DecimalField):
        return AnyDecimal()
    if source is None or isinstance(source, IntegerField | FloatField | BooleanField):
        return FloatField()
    label = f" {source.name!r}" if source.name else ""
    raise FieldError(f"{name} needs numbers, not {type(source).__name__}{label}")


class _Numeric(Aggregate):
    """An aggregate whose answer is a float unless its argument is a decimal."""

    def _argument(self, ctx: Ctx) -> str:
        argument = self.expression.as_sql(ctx)
        if isinstance(self.output_field, FloatField):
            return ctx.dialect.to_float(argument)
        return argument


class Avg(_Numeric):
    function = "AVG"

    def _output(self, source: Field[Any] | None) -> Field[Any] | None:
        if isinstance(source, DurationField):
            return source
        return _numeric("Avg", source)


class Min(Aggregate):
    function = "MIN"
    allow_distinct = False


class Max(Aggregate):
    function = "MAX"
    allow_distinct = False


class StdDev(_Numeric):
    """The standard deviation: of the population, or of a sample with ``sample=True``."""

    allow_distinct = False

    def __init__(self, expression: Any, *, sample: bool = False, **options: Any) -> None:
        super().__init__(expression, **options)
        self.sample = sample

    @property
    def function(self) -> str:  # type: ignore[override]
        return "STDDEV_SAMP" if self.sample else "STDDEV_POP"

    def _output(self, source: Field[Any] | None) -> Field[Any] | None:
        return _numeric(type(self).__name__, source)


class Variance(StdDev):
    @property
    def function(self) -> str:  # type: ignore[override]
        return "VAR_SAMP" if self.sample else "VAR_POP"

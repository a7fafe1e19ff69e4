"""Window functions: ``Window(RowNumber(), partition_by=["group"], order_by="-score")``.

A ``Window`` may be annotated and ordered by; it cannot be filtered on (its value exists only
once the rows are selected) or used inside an aggregate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm._exceptions import FieldError, NotSupportedError
from covet.orm._fields import Field, IntegerField
from covet.orm.expressions.base import Expr, OrderBy, as_expr
from covet.orm.expressions.functions import Func

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


def order_term(item: Any) -> Expr:
    """An ORDER BY item: ``"-name"``, ``F("name")``, ``F("name").desc(nulls_last=True)``."""
    if isinstance(item, str):
        if item.startswith("-"):
            return OrderBy(as_expr(item[1:]), descending=True)
        return OrderBy(as_expr(item.lstrip("+")))
    if isinstance(item, OrderBy):
        return item
    if isinstance(item, Expr):
        return OrderBy(item)
    raise TypeError(f"cannot order by {type(item).__name__}")


class Window(Expr):
    contains_over = True

    def __init__(
        self,
        expression: Expr,
        partition_by: Any = None,
        order_by: Any = None,
        output_field: Field[Any] | None = None,
    ) -> None:
        if not getattr(expression, "window_compatible", False):
            raise TypeError(
                f"{type(expression).__name__} cannot be used in a Window: use an aggregate or "
                "a window function (RowNumber, Rank, DenseRank, Lag, Lead, FirstValue, ...)"
            )
        self.expression = expression
        if partition_by is not None and not isinstance(partition_by, list | tuple):
            partition_by = [partition_by]
        self.partition_by = [as_expr(p) for p in partition_by or ()]
        if order_by is not None and not isinstance(order_by, list | tuple):
            order_by = [order_by]
        self.order_by = [order_term(o) for o in order_by or ()]
        self.output_field = output_field

    def __repr__(self) -> str:
        return f"Window({self.expression!r})"

    def resolve(self, scope: Scope) -> Expr:
        new = object.__new__(Window)
        new.__dict__.update(self.__dict__)
        # an aggregate here is computed over the window, not over a GROUP BY
        new.expression = self.expression.resolve(scope)
        new.partition_by = [p.resolve(scope) for p in self.partition_by]
        new.order_by = [o.resolve(scope) for o in self.order_by]
        for part in (*new.partition_by, *new.order_by):
            if part.contains_over:
                raise FieldError("a window cannot be partitioned or ordered by another window")
        new.output_field = self.output_field or new.expression.output_field
        return new

    def as_sql(self, ctx: Ctx) -> str:
        expression = self.expression.as_sql(ctx)
        clauses = []
        if self.partition_by:
            clauses.append("PARTITION BY " + ", ".join(p.as_sql(ctx) for p in self.partition_by))
        if self.order_by:
            clauses.append("ORDER BY " + ", ".join(o.as_sql(ctx) for o in self.order_by))
        return f"{expression} OVER ({' '.join(clauses)})"


class WindowFunction(Func):
    """A function that only exists over a window."""

    window_compatible = True


class _Numbering(WindowFunction):
    arity = 0

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return IntegerField()


class RowNumber(_Numbering):
    """1, 2, 3, ... in the window's order."""

    function = "ROW_NUMBER"


class Rank(_Numbering):
    """Rank with gaps after ties (1, 1, 3)."""

    function = "RANK"


class DenseRank(_Numbering):
    """Rank without gaps after ties (1, 1, 2)."""

    function = "DENSE_RANK"


class Lag(WindowFunction):
    """The value ``offset`` rows before this one in the window (``default`` where none)."""

    function = "LAG"

    def __init__(self, expression: Any, offset: int = 1, default: Any = None, **kw: Any) -> None:
        if offset < 1:
            raise ValueError("the offset of Lag/Lead must be a positive integer")
        args: list[Any] = [expression]
        self.offset = offset
        self.has_default = default is not None
        if default is not None:
            from covet.orm.expressions.base import Value

            args.append(default if isinstance(default, Expr) else Value(default))
        super().__init__(*args, **kw)

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return fields[0]

    def render(self, ctx: Ctx, args: list[str]) -> str:
        if self.has_default and not ctx.dialect.supports_lag_default:
            raise NotSupportedError(
                f"{ctx.dialect.name} has no default for {self.function}; wrap it: "
                f"Coalesce(Window({type(self).__name__}(...)), default)"
            )
        # the offset is SQL text (an integer): databases want a constant there
        parts = [args[0], str(int(self.offset)), *args[1:]]
        return f"{self.function}({', '.join(parts)})"


class Lead(Lag):
    """The value ``offset`` rows after this one in the window."""

    function = "LEAD"


class FirstValue(WindowFunction):
    """The value at the first row of the window frame."""

    function = "FIRST_VALUE"
    arity = 1

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return fields[0]


class LastValue(FirstValue):
    """The value at the last row of the window frame (by default, the current row's peers)."""

    function = "LAST_VALUE"

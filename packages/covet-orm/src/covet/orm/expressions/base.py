"""The expression nodes every query is made of: columns, values, arithmetic and ``F``.

Each node has one method, ``as_sql(ctx)``: it returns its SQL text and appends its parameters to
``ctx`` in text order (Peewee's idea). Nothing else describes a node's SQL, so nothing can drift
from it: the statement cache is keyed on the rendered text (see ``compiler.select``).
User-facing ``F``/``Q``/aggregates are *unresolved*; ``resolve(scope)`` turns names into ``Col``
nodes through the query's scope, which is where joins will plug in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm._exceptions import FieldError
from covet.orm._fields import Field

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


class Expr:
    """Base of every SQL expression."""

    output_field: Field[Any] | None = None
    contains_aggregate = False

    def as_sql(self, ctx: Ctx) -> str:
        raise NotImplementedError

    def resolve(self, scope: Scope) -> Expr:
        return self

    def _combine(self, op: str, other: Any, reverse: bool = False) -> Combined:
        other_expr = other if isinstance(other, Expr) else Value(other)
        return Combined(other_expr, op, self) if reverse else Combined(self, op, other_expr)

    def __add__(self, other: Any) -> Combined:
        return self._combine("+", other)

    def __sub__(self, other: Any) -> Combined:
        return self._combine("-", other)

    def __mul__(self, other: Any) -> Combined:
        return self._combine("*", other)

    def __truediv__(self, other: Any) -> Combined:
        return self._combine("/", other)

    def __radd__(self, other: Any) -> Combined:
        return self._combine("+", other, reverse=True)

    def __rsub__(self, other: Any) -> Combined:
        return self._combine("-", other, reverse=True)

    def __rmul__(self, other: Any) -> Combined:
        return self._combine("*", other, reverse=True)


class Col(Expr):
    __slots__ = ("field", "table")

    def __init__(self, table: str, field: Field[Any]) -> None:
        self.table = table
        self.field = field

    @property
    def output_field(self) -> Field[Any]:  # type: ignore[override]
        return self.field

    def as_sql(self, ctx: Ctx) -> str:
        return self.field.qualified(self.table, ctx.dialect)


class Ref(Expr):
    """A reference to an annotation by its alias (ORDER BY / HAVING)."""

    def __init__(self, name: str, expr: Expr) -> None:
        self.name = name
        self.expr = expr
        self.output_field = expr.output_field
        self.contains_aggregate = expr.contains_aggregate

    def as_sql(self, ctx: Ctx) -> str:
        return self.expr.as_sql(ctx)


class Value(Expr):
    def __init__(self, value: Any, field: Field[Any] | None = None) -> None:
        self.value = value
        self.output_field = field

    def as_sql(self, ctx: Ctx) -> str:
        value = self.value
        if self.output_field is not None:
            value = self.output_field.adapter(ctx.dialect)(value)
        return ctx.param(value)


class Combined(Expr):
    def __init__(self, lhs: Expr, op: str, rhs: Expr) -> None:
        self.lhs, self.op, self.rhs = lhs, op, rhs
        self.output_field = lhs.output_field or rhs.output_field
        self.contains_aggregate = lhs.contains_aggregate or rhs.contains_aggregate

    def resolve(self, scope: Scope) -> Expr:
        return Combined(self.lhs.resolve(scope), self.op, self.rhs.resolve(scope))

    def as_sql(self, ctx: Ctx) -> str:
        return f"({self.lhs.as_sql(ctx)} {self.op} {self.rhs.as_sql(ctx)})"


class F(Expr):
    """A reference to a field (or annotation) of the queried model: ``F("views") + 1``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"F({self.name!r})"

    def resolve(self, scope: Scope) -> Expr:
        return scope.ref(self.name)

    def as_sql(self, ctx: Ctx) -> str:
        raise FieldError(f"F({self.name!r}) used outside a query")

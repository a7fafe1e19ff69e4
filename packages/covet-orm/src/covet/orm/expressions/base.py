"""The expression nodes every query is made of: columns, values, arithmetic, ``F`` and ordering.

Each node has one method, ``as_sql(ctx)``: it returns its SQL text and appends its parameters to
``ctx`` in text order (Peewee's idea). Nothing else describes a node's SQL, so nothing can drift
from it: the statement cache is keyed on the rendered text (see ``compiler.select``).
User-facing ``F``/``Q``/aggregates are *unresolved*; ``resolve(scope)`` turns names into ``Col``
nodes through the query's scope, which is where joins will plug in, and fixes each node's
``output_field`` (the type its values come back as), as Django resolves it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from covet.orm._exceptions import FieldError
from covet.orm._fields import (
    BinaryField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DurationField,
    Field,
    FloatField,
    IntegerField,
    JSONField,
    TextField,
    TimeField,
    UUIDField,
)

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


class AnyDecimal(DecimalField):
    """The type of decimal arithmetic and averages: Decimal values of any precision (a column's
    ``DecimalField`` rounds to its ``decimal_places``; a computed value is kept as computed)."""

    def __init__(self) -> None:
        super().__init__(max_digits=65, decimal_places=30)

    def prep(self, value: Any) -> Any:
        return self.to_python(value)  # as given: no rounding to decimal_places

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        return _to_decimal


#: SQLite computes decimals as 64-bit floats: 15 significant digits are the ones that hold
_FLOAT_DIGITS = decimal.Context(prec=15)


def _to_decimal(value: Any) -> decimal.Decimal:
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, float):
        return _FLOAT_DIGITS.create_decimal_from_float(value)
    return decimal.Decimal(str(value))


class WholeNumber(IntegerField):
    """An integer result the database may answer as NUMERIC or a float (SUM of integers on
    PostgreSQL and MySQL, POWER): Python gets an int, as Django converts it."""

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        return int


class Expr:
    """Base of every SQL expression."""

    output_field: Field[Any] | None = None
    contains_aggregate = False
    #: holds a window function (``Window``): allowed in SELECT and ORDER BY only
    contains_over = False

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

    def __mod__(self, other: Any) -> Combined:
        return self._combine("%", other)

    def __pow__(self, other: Any) -> Combined:
        return self._combine("**", other)

    def __neg__(self) -> Combined:
        return Combined(self, "*", Value(-1))

    def __radd__(self, other: Any) -> Combined:
        return self._combine("+", other, reverse=True)

    def __rsub__(self, other: Any) -> Combined:
        return self._combine("-", other, reverse=True)

    def __rmul__(self, other: Any) -> Combined:
        return self._combine("*", other, reverse=True)

    def __rtruediv__(self, other: Any) -> Combined:
        return self._combine("/", other, reverse=True)

    def __rmod__(self, other: Any) -> Combined:
        return self._combine("%", other, reverse=True)

    def __rpow__(self, other: Any) -> Combined:
        return self._combine("**", other, reverse=True)

    def asc(self, *, nulls_first: bool | None = None, nulls_last: bool | None = None) -> OrderBy:
        return OrderBy(self, descending=False, nulls_first=nulls_first, nulls_last=nulls_last)

    def desc(self, *, nulls_first: bool | None = None, nulls_last: bool | None = None) -> OrderBy:
        return OrderBy(self, descending=True, nulls_first=nulls_first, nulls_last=nulls_last)


def resolve_all(exprs: list[Expr], scope: Scope) -> list[Expr]:
    return [e.resolve(scope) for e in exprs]


def as_expr(value: Any) -> Expr:
    """A function argument: an expression as is, a string as a field name (``F``)."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, str):
        return F(value)
    return Value(value)


class Col(Expr):
    __slots__ = ("field", "nullable", "table")

    def __init__(self, table: str, field: Field[Any], nullable: bool = False) -> None:
        self.table = table
        self.field = field
        #: NULL although the field is not (a column of a LEFT JOINed table)
        self.nullable = nullable or field.null

    @property
    def output_field(self) -> Field[Any]:  # type: ignore[override]
        return self.field

    def as_sql(self, ctx: Ctx) -> str:
        labels = ctx.labels
        table = self.table if labels is None else labels.get(self.table)
        return self.field.qualified(table, ctx.dialect)


class Alias(Expr):
    """A column of a subquery in FROM, by its alias (aggregating over an aggregate)."""

    def __init__(self, table: str, name: str, output_field: Field[Any] | None) -> None:
        self.table, self.name, self.output_field = table, name, output_field

    def as_sql(self, ctx: Ctx) -> str:
        q = ctx.dialect.quote
        return f"{q(self.table)}.{q(self.name)}"


class Ref(Expr):
    """A reference to an annotation by its alias (ORDER BY / HAVING)."""

    def __init__(self, name: str, expr: Expr) -> None:
        self.name = name
        self.expr = expr
        self.output_field = expr.output_field
        self.contains_aggregate = expr.contains_aggregate
        self.contains_over = expr.contains_over

    def as_sql(self, ctx: Ctx) -> str:
        return self.expr.as_sql(ctx)


def value_field(value: Any) -> Field[Any] | None:
    """The field type of a Python value (``Value(1.5)`` is a float), as Django infers it."""
    if isinstance(value, bool):
        return BooleanField()
    if isinstance(value, int):
        return IntegerField()
    if isinstance(value, float):
        return FloatField()
    if isinstance(value, decimal.Decimal):
        return AnyDecimal()
    if isinstance(value, str):
        return TextField()
    if isinstance(value, dt.datetime):
        return DateTimeField()
    if isinstance(value, dt.date):
        return DateField()
    if isinstance(value, dt.time):
        return TimeField()
    if isinstance(value, dt.timedelta):
        return DurationField()
    if isinstance(value, uuid.UUID):
        return UUIDField()
    if isinstance(value, bytes | bytearray | memoryview):
        return BinaryField()
    if isinstance(value, dict | list):
        return JSONField()
    return None


class Value(Expr):
    """A constant, bound as a parameter: ``Value(1.5)``, ``Value("x")``,
    ``Value(None, JSONField())`` (JSON null)."""

    def __init__(self, value: Any, output_field: Field[Any] | None = None) -> None:
        self.value = value
        self.output_field = output_field if output_field is not None else value_field(value)

    def __repr__(self) -> str:
        return f"Value({self.value!r})"

    def as_sql(self, ctx: Ctx) -> str:
        field = self.output_field
        if field is None:
            return "NULL" if self.value is None else ctx.param(self.value)
        if self.value is None:
            if isinstance(field, JSONField):
                return ctx.dialect.json_null()
            return ctx.dialect.cast_param("NULL", field.kind)
        # a typed placeholder where the database would guess (PostgreSQL: `n * $1` with 1.5
        # would be read as an integer)
        return ctx.dialect.cast_param(ctx.param(field.adapter(ctx.dialect)(self.value)), field.kind)


_NUMERIC = {"int": 0, "float": 1, "decimal": 2}


def _family(field: Field[Any] | None) -> str | None:
    if field is None:
        return None
    if isinstance(field, BooleanField):
        return "bool"
    if isinstance(field, IntegerField):
        return "int"
    if isinstance(field, FloatField):
        return "float"
    if isinstance(field, DecimalField):
        return "decimal"
    if isinstance(field, DateTimeField):
        return "datetime"
    if isinstance(field, DateField):
        return "date"
    if isinstance(field, DurationField):
        return "duration"
    if isinstance(field, CharField | TextField):
        return "text"
    return type(field).__name__


def combined_field(op: str, lhs: Field[Any] | None, rhs: Field[Any] | None) -> Field[Any] | None:
    """The type of ``lhs <op> rhs`` (Django's rules): int with int stays int (``/`` divides
    whole numbers), int with float is float, int with decimal is decimal; float with decimal
    must be told (``ExpressionWrapper(..., output_field=...)``)."""
    a, b = _family(lhs), _family(rhs)
    if a is None or b is None:  # a NULL operand
        return lhs if b is None else rhs
    if a in _NUMERIC and b in _NUMERIC and {a, b} != {"float", "decimal"}:
        if op == "**" and "decimal" not in (a, b):  # POWER() answers a float; as Django,
            return WholeNumber() if a == b == "int" else FloatField()  # int ** int is an int
        if a == b == "int":
            return IntegerField()
        return AnyDecimal() if "decimal" in (a, b) else FloatField()
    if op in "+-" and b == "duration" and a in ("datetime", "date", "duration"):
        return DateTimeField() if a == "datetime" else (DateField() if a == "date" else rhs)
    if op == "+" and a == "duration" and b in ("datetime", "date"):
        return rhs
    if op == "-" and a == b and a in ("datetime", "date"):
        return DurationField()
    names = (type(lhs).__name__, type(rhs).__name__)
    raise FieldError(
        f"cannot infer the type of {names[0]} {op} {names[1]}; wrap the expression in "
        f"ExpressionWrapper(..., output_field=...)"
    )


class Combined(Expr):
    """``lhs <op> rhs``: + - * / % ** (written per database by ``Dialect.combine``)."""

    def __init__(
        self, lhs: Expr, op: str, rhs: Expr, output_field: Field[Any] | None = None
    ) -> None:
        self.lhs, self.op, self.rhs = lhs, op, rhs
        self.output_field = output_field
        self.contains_aggregate = lhs.contains_aggregate or rhs.contains_aggregate
        self.contains_over = lhs.contains_over or rhs.contains_over

    def __repr__(self) -> str:
        return f"{self.lhs!r} {self.op} {self.rhs!r}"

    def resolve(self, scope: Scope) -> Expr:
        lhs, rhs = self.lhs.resolve(scope), self.rhs.resolve(scope)
        output = self.output_field or combined_field(self.op, lhs.output_field, rhs.output_field)
        return Combined(lhs, self.op, rhs, output)

    def as_sql(self, ctx: Ctx) -> str:
        return ctx.dialect.combine(
            self.op,
            self.lhs.as_sql(ctx),
            self.rhs.as_sql(ctx),
            _family(self.lhs.output_field),
            _family(self.rhs.output_field),
        )


class ExpressionWrapper(Expr):
    """An expression with the type you give it: ``ExpressionWrapper(F("a") * F("b"),
    output_field=DecimalField(max_digits=12, decimal_places=2))``."""

    def __init__(self, expression: Expr, output_field: Field[Any]) -> None:
        self.expression = expression
        self.output_field = output_field
        self.contains_aggregate = expression.contains_aggregate
        self.contains_over = expression.contains_over

    def resolve(self, scope: Scope) -> Expr:
        inner, output = self.expression, self.output_field
        assert output is not None
        if isinstance(inner, Combined):  # the type is given: no need to infer the operands'
            resolved: Expr = Combined(
                inner.lhs.resolve(scope), inner.op, inner.rhs.resolve(scope), output
            )
        else:
            resolved = inner.resolve(scope)
        return ExpressionWrapper(resolved, output)

    def as_sql(self, ctx: Ctx) -> str:
        return self.expression.as_sql(ctx)


class F(Expr):
    """A reference to a field (or annotation) of the queried model: ``F("views") + 1``;
    transforms too (``F("published__year")``, ``F("data__key")``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"F({self.name!r})"

    def resolve(self, scope: Scope) -> Expr:
        if "__" in self.name:
            from covet.orm.expressions.lookups import resolve_path

            resolved: Expr = resolve_path(scope, self.name)
            return resolved
        return scope.ref(self.name)

    def as_sql(self, ctx: Ctx) -> str:
        raise FieldError(f"F({self.name!r}) used outside a query")


class OrderBy(Expr):
    """``F("name").desc(nulls_last=True)``: one ORDER BY term."""

    def __init__(
        self,
        expression: Expr,
        *,
        descending: bool = False,
        nulls_first: bool | None = None,
        nulls_last: bool | None = None,
    ) -> None:
        if nulls_first and nulls_last:
            raise ValueError("nulls_first and nulls_last are mutually exclusive")
        self.expression = expression
        self.descending = descending
        self.nulls_first, self.nulls_last = nulls_first, nulls_last
        self.contains_aggregate = expression.contains_aggregate
        self.contains_over = expression.contains_over

    def __repr__(self) -> str:
        return f"OrderBy({self.expression!r}, descending={self.descending})"

    def resolve(self, scope: Scope) -> Expr:
        return OrderBy(
            self.expression.resolve(scope),
            descending=self.descending,
            nulls_first=self.nulls_first,
            nulls_last=self.nulls_last,
        )

    def reversed(self) -> OrderBy:
        return OrderBy(
            self.expression,
            descending=not self.descending,
            nulls_first=self.nulls_last,
            nulls_last=self.nulls_first,
        )

    def as_sql(self, ctx: Ctx) -> str:
        nulls = "first" if self.nulls_first else ("last" if self.nulls_last else None)
        return ctx.dialect.order_term(lambda: self.expression.as_sql(ctx), self.descending, nulls)

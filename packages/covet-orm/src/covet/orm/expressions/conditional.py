"""Conditional expressions: ``Case(When(condition, then=value), ..., default=value)``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm._fields import Field
from covet.orm.expressions.base import Expr, as_expr
from covet.orm.expressions.functions import common_field
from covet.orm.expressions.where import Q

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


class When(Expr):
    """``When(Q(...), then=...)`` or ``When(field__lookup=value, then=...)``. As in Django,
    a string ``then`` names a field: use ``Value("text")`` for text."""

    def __init__(self, condition: Q | Expr | None = None, *, then: Any, **lookups: Any) -> None:
        if lookups:
            condition = Q(**lookups) if condition is None else Q(condition, **lookups)
        if condition is None:
            raise TypeError("When() needs a condition (a Q object or field__lookup=value)")
        if isinstance(condition, Q) and not condition:
            raise ValueError("an empty Q() cannot be used as a When() condition")
        self.condition: Any = condition
        self.result = as_expr(then)
        self.contains_aggregate = self.result.contains_aggregate

    def resolve(self, scope: Scope) -> Expr:
        new = object.__new__(When)
        new.condition = self.condition.resolve(scope)
        new.result = self.result.resolve(scope)
        new.output_field = new.result.output_field
        new.contains_aggregate = new.result.contains_aggregate or new.condition.contains_aggregate
        return new

    def as_sql(self, ctx: Ctx) -> str:
        condition = self.condition.as_sql(ctx) or ctx.dialect.bool_literal(True)
        return f"WHEN {condition} THEN {self.result.as_sql(ctx)}"


class Case(Expr):
    """The result of the first ``When`` whose condition holds, else ``default`` (NULL)."""

    def __init__(
        self, *cases: When, default: Any = None, output_field: Field[Any] | None = None
    ) -> None:
        if not all(isinstance(c, When) for c in cases):
            raise TypeError("Case() takes When() objects")
        self.cases = list(cases)
        self.default = as_expr(default) if default is not None else None
        self.output_field = output_field

    def resolve(self, scope: Scope) -> Expr:
        new = object.__new__(Case)
        new.cases = [c.resolve(scope) for c in self.cases]  # type: ignore[misc]
        new.default = self.default.resolve(scope) if self.default is not None else None
        parts: list[Expr] = [*new.cases, *([new.default] if new.default is not None else [])]
        new.contains_aggregate = any(p.contains_aggregate for p in parts)
        new.output_field = self.output_field or common_field(
            [p.output_field for p in parts], "Case"
        )
        return new

    def as_sql(self, ctx: Ctx) -> str:
        if not self.cases:
            return self.default.as_sql(ctx) if self.default is not None else "NULL"
        whens = " ".join(c.as_sql(ctx) for c in self.cases)
        default = f" ELSE {self.default.as_sql(ctx)}" if self.default is not None else ""
        return f"CASE {whens}{default} END"

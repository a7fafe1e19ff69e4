"""``Q`` (conditions as the user combines them) and ``Where`` (the resolved boolean tree)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm.expressions.base import Expr
from covet.orm.expressions.lookups import build_lookup

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


class Q:
    """Filter conditions combined with ``&``, ``|`` and ``~``."""

    def __init__(self, *args: Q | Expr, **kwargs: Any) -> None:
        self.children: list[Q | Expr | tuple[str, Any]] = [*args, *sorted(kwargs.items())]
        self.connector = "AND"
        self.negated = False

    def _new(self, connector: str, children: list[Q | Expr | tuple[str, Any]], negated: bool) -> Q:
        q = Q()
        q.connector, q.children, q.negated = connector, children, negated
        return q

    def __bool__(self) -> bool:
        return bool(self.children)

    def _combine(self, other: Q, connector: str) -> Q:
        if not isinstance(other, Q):
            raise TypeError(f"a Q combines with another Q, not {type(other).__name__}")
        # an empty Q() is no condition: `q = Q(); q |= Q(...)` builds up from nothing
        if not other:
            return self._new(self.connector, list(self.children), self.negated)
        if not self:
            return other._new(other.connector, list(other.children), other.negated)
        return self._new(connector, [self, other], False)

    def __and__(self, other: Q) -> Q:
        return self._combine(other, "AND")

    def __or__(self, other: Q) -> Q:
        return self._combine(other, "OR")

    def __xor__(self, other: Q) -> Q:
        return self._combine(other, "XOR")

    def __invert__(self) -> Q:
        return self._new(self.connector, list(self.children), not self.negated)

    def __repr__(self) -> str:
        return f"<Q {'NOT ' if self.negated else ''}{self.connector}: {self.children!r}>"

    def resolve(self, scope: Scope) -> Where:
        nodes: list[Expr] = []
        if self.negated:  # build_lookup writes many-valued conditions under NOT as subqueries
            scope.negations += 1
        try:
            for child in self.children:
                if isinstance(child, Q | Expr):
                    nodes.append(child.resolve(scope))
                else:
                    nodes.append(build_lookup(scope, child[0], child[1]))
        finally:
            if self.negated:
                scope.negations -= 1
        return Where(nodes, self.connector, self.negated)


class Where(Expr):
    """Conditions joined by AND or OR, possibly negated. Renders as ``""`` when it holds no
    condition at all (``Q()``, negated or not, as in Django): parents and WHERE leave it out."""

    def __init__(self, children: list[Expr], connector: str = "AND", negated: bool = False) -> None:
        self.children, self.connector, self.negated = children, connector, negated
        self.contains_aggregate = any(c.contains_aggregate for c in children)
        self.contains_over = any(c.contains_over for c in children)

    def as_sql(self, ctx: Ctx) -> str:
        if self.negated:
            ctx.negated = not ctx.negated
        parts = [sql for sql in (c.as_sql(ctx) for c in self.children) if sql]
        if self.negated:
            ctx.negated = not ctx.negated
        if not parts:
            return ""
        if len(parts) == 1:
            sql = parts[0]
        elif self.connector == "XOR":
            sql = ctx.dialect.xor(parts)
        else:
            sql = f" {self.connector} ".join(f"({p})" for p in parts)
        return f"NOT ({sql})" if self.negated else sql

"""``Q`` (conditions as the user combines them) and ``Where`` (the resolved boolean tree)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm.expressions.base import Expr
from covet.orm.expressions.lookups import build_lookup

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


class Q:
    """Filter conditions combined with ``&``, ``|`` and ``~``."""

    def __init__(self, *args: Q, **kwargs: Any) -> None:
        self.children: list[Q | tuple[str, Any]] = [*args, *sorted(kwargs.items())]
        self.connector = "AND"
        self.negated = False

    def _new(self, connector: str, children: list[Q | tuple[str, Any]], negated: bool) -> Q:
        q = Q()
        q.connector, q.children, q.negated = connector, children, negated
        return q

    def __and__(self, other: Q) -> Q:
        return self._new("AND", [self, other], False)

    def __or__(self, other: Q) -> Q:
        return self._new("OR", [self, other], False)

    def __invert__(self) -> Q:
        return self._new(self.connector, list(self.children), not self.negated)

    def __repr__(self) -> str:
        return f"<Q {'NOT ' if self.negated else ''}{self.connector}: {self.children!r}>"

    def resolve(self, scope: Scope) -> Where:
        nodes: list[Expr] = []
        for child in self.children:
            if isinstance(child, Q):
                nodes.append(child.resolve(scope))
            else:
                nodes.append(build_lookup(scope, child[0], child[1]))
        return Where(nodes, self.connector, self.negated)


class Where(Expr):
    def __init__(self, children: list[Expr], connector: str = "AND", negated: bool = False) -> None:
        self.children, self.connector, self.negated = children, connector, negated
        self.contains_aggregate = any(c.contains_aggregate for c in children)

    def as_sql(self, ctx: Ctx) -> str:
        if self.negated:
            ctx.negated = not ctx.negated
        if not self.children:
            sql = "1 = 1"
        elif len(self.children) == 1:
            sql = self.children[0].as_sql(ctx)
        else:
            sql = f" {self.connector} ".join(f"({c.as_sql(ctx)})" for c in self.children)
        if self.negated:
            ctx.negated = not ctx.negated
            return f"NOT ({sql})"
        return sql

"""Lookups (``name__lookup=value``) and the transforms before them (date parts, JSON keys)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from covet.orm._exceptions import FieldError
from covet.orm._fields import DateField, DateTimeField, IntegerField, JSONField
from covet.orm.expressions.base import Col, Expr
from covet.orm.sql.dialect import DATE_PARTS

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope

LOOKUPS = frozenset(
    {
        "exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith",
        "iendswith", "in", "gt", "gte", "lt", "lte", "range", "isnull", "regex", "iregex",
    }
)  # fmt: skip
_COMPARE = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_LIKE = {
    "contains": ("%{}%", False), "icontains": ("%{}%", True),
    "startswith": ("{}%", False), "istartswith": ("{}%", True),
    "endswith": ("%{}", False), "iendswith": ("%{}", True),
}  # fmt: skip


class DatePart(Expr):
    def __init__(self, lhs: Expr, part: str) -> None:
        self.lhs, self.part = lhs, part
        self.output_field = IntegerField()

    def as_sql(self, ctx: Ctx) -> str:
        return ctx.dialect.date_part(self.part, self.lhs.as_sql(ctx))


class JsonKey(Expr):
    def __init__(self, lhs: Expr, keys: list[str]) -> None:
        self.lhs, self.keys = lhs, keys

    def as_sql(self, ctx: Ctx) -> str:
        lhs = self.lhs.as_sql(ctx)
        return ctx.dialect.json_key(lhs, ctx.param(ctx.dialect.json_path(self.keys)))


class Lookup(Expr):
    """``lhs <lookup> rhs``: one keyword argument of ``filter()``."""

    def __init__(self, lhs: Expr, lookup: str, rhs: Any) -> None:
        self.lhs, self.lookup, self.rhs = lhs, lookup, rhs
        self.contains_aggregate = lhs.contains_aggregate

    def _json_compare(self) -> bool:
        return (
            isinstance(self.lhs, JsonKey) and self.lookup in _COMPARE
            and not isinstance(self.rhs, Expr)
        )  # fmt: skip

    def _in_values(self, ctx: Ctx) -> tuple[list[Any], Any | None]:
        """An ``in`` list's adapted values, and the one parameter the dialect packs them into
        (None: a placeholder each)."""
        adapt = self._adapt(ctx)
        values = [adapt(v) for v in self.rhs]
        if not values or ctx.inline:
            return values, None
        return values, ctx.dialect.pack_in(values, self._kind())

    def _kind(self) -> str | None:
        """The column kind of the left-hand side (``pack_in`` decides by it, never by values)."""
        field = self.lhs.output_field
        return None if field is None else field.kind

    def _adapt(self, ctx: Ctx) -> Callable[[Any], Any]:
        if isinstance(self.lhs, JsonKey):
            if self.lookup in _COMPARE:
                return ctx.dialect.json_compare_value
            return ctx.dialect.json_scalar
        field = self.lhs.output_field
        return field.adapter(ctx.dialect) if field is not None else _same

    def as_sql(self, ctx: Ctx) -> str:
        sql = self._sql(ctx)
        lhs = self.lhs
        lookup, rhs = self.lookup, self.rhs
        if not ctx.negated or lookup == "isnull" or (lookup == "exact" and rhs is None):
            return sql
        if isinstance(lhs, Col) and not lhs.field.null and not isinstance(rhs, Expr):
            return sql
        # a comparison with NULL is unknown, and NOT unknown is unknown: inside NOT, treat it as
        # false so exclude() keeps exactly the rows filter() drops (NULL columns, missing JSON
        # keys, NULL operands of F expressions)
        return f"COALESCE({sql}, {ctx.dialect.bool_literal(False)})"

    def _sql(self, ctx: Ctx) -> str:
        lookup, rhs, d = self.lookup, self.rhs, ctx.dialect
        if self._json_compare():  # ordering JSON values: numbers as numbers, per dialect
            key = self.lhs
            assert isinstance(key, JsonKey)
            column = key.lhs.as_sql(ctx)
            path = ctx.param(d.json_path(key.keys))
            value = ctx.param(d.json_compare_value(rhs))
            return d.json_compare(column, path, _COMPARE[lookup], value, rhs)
        lhs = self.lhs.as_sql(ctx)
        if lookup == "isnull" or (lookup == "exact" and rhs is None):
            return f"{lhs} IS NULL" if lookup == "exact" or rhs else f"{lhs} IS NOT NULL"
        if lookup == "in":
            if isinstance(rhs, Expr):  # a subquery
                return f"{lhs} IN {rhs.as_sql(ctx)}"
            values, packed = self._in_values(ctx)
            if not values:
                return "1 = 0"
            if packed is not None:  # one parameter, whatever the length (see Dialect.pack_in)
                return d.packed_in(lhs, ctx.param(packed))
            return f"{lhs} IN ({', '.join(ctx.param(v) for v in values)})"
        if lookup == "range":
            adapt = self._adapt(ctx)
            low, high = rhs
            return f"{lhs} BETWEEN {ctx.param(adapt(low))} AND {ctx.param(adapt(high))}"
        if lookup in _LIKE:
            if not isinstance(rhs, str):
                raise FieldError(f"{lookup} needs a string, got {type(rhs).__name__}")
            pattern, ci = _LIKE[lookup]
            return d.like(lhs, ctx.param(pattern.format(d.escape_like(rhs))), case_insensitive=ci)
        value = rhs.as_sql(ctx) if isinstance(rhs, Expr) else ctx.param(self._adapt(ctx)(rhs))
        if lookup == "exact":
            return f"{lhs} = {value}"
        if lookup == "iexact":
            return d.iexact(lhs, value)
        if lookup in _COMPARE:
            return f"{lhs} {_COMPARE[lookup]} {value}"
        if lookup in ("regex", "iregex"):
            return d.regex(lhs, value, case_insensitive=lookup == "iregex")
        raise FieldError(f"unsupported lookup {lookup!r}")


def _same(value: Any) -> Any:
    return value


def build_lookup(scope: Scope, key: str, value: Any) -> Lookup:
    """Turn ``filter(name__lookup=value)`` into a resolved ``Lookup``."""
    parts = key.split("__")
    lhs = scope.ref(parts[0])
    rest = parts[1:]
    field = lhs.output_field
    lookup = "exact"
    if rest and rest[-1] in LOOKUPS:
        lookup = rest.pop()
    if isinstance(field, JSONField) and rest:
        lhs = JsonKey(lhs, rest)
        rest = []
    elif rest and rest[0] in DATE_PARTS and isinstance(field, DateField | DateTimeField):
        lhs = DatePart(lhs, rest.pop(0))
    if rest:
        raise FieldError(
            f"cannot resolve {key!r}: {'__'.join(rest)!r} is not a lookup; "
            f"use one of {', '.join(sorted(LOOKUPS))}"
        )
    query = getattr(value, "_query", None)
    if query is not None and lookup == "in" and hasattr(value, "_clone"):
        from covet.orm.sql.compiler import Query, Subquery

        if isinstance(query, Query):  # a QuerySet: one statement, evaluated by the database
            value = Subquery(query)
    if isinstance(value, Expr):
        value = value.resolve(scope)
    elif value is None and lookup not in ("exact", "iexact"):
        raise FieldError(
            f"{key}: None is not a value to compare with {lookup!r} (a comparison with NULL is "
            f"never true); use {parts[0]}=None or {parts[0]}__isnull=True"
        )
    elif value is None:
        lookup = "exact"
    elif lookup == "isnull" and not isinstance(value, bool):
        raise FieldError(f"{key} needs True or False, got {value!r}")
    elif lookup in ("in", "range"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise FieldError(f"{key}: '{lookup}' needs a list of values")
        value = list(value)
        if lookup == "range" and len(value) != 2:
            raise FieldError(f"{key}: range needs two values (low, high), got {len(value)}")
    elif lookup in _LIKE and not isinstance(value, str):
        raise FieldError(f"{key}: {lookup} needs a string, got {type(value).__name__}")
    return Lookup(lhs, lookup, value)

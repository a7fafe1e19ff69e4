"""Lookups (``name__lookup=value``) and the transforms before them (date parts, JSON keys).

``build_lookup`` resolves ``"published__year__gte"`` into a transform chain and a lookup, and
converts the value to the type of the field it is compared with (``"5"`` -> ``5`` for an integer,
as Django does): a value that is not one is a ``ValidationError`` naming the field and lookup,
before any SQL is written. Conversion happens once, when ``filter()`` is called.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from covet.orm._exceptions import FieldError, InvalidFilterValue, ValidationError
from covet.orm._fields import (
    DateField,
    DateTimeField,
    Field,
    IntegerField,
    JSONField,
    TimeField,
)
from covet.orm.expressions.base import Col, Expr
from covet.orm.sql.dialect import DATE_PARTS, DATETIME_PARTS

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope

_COMPARE = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_LIKE = {
    "contains": ("%{}%", False), "icontains": ("%{}%", True),
    "startswith": ("{}%", False), "istartswith": ("{}%", True),
    "endswith": ("%{}", False), "iendswith": ("%{}", True),
}  # fmt: skip
#: lookups whose value is text matched against the column's text (no conversion to its type)
_TEXT = frozenset({*_LIKE, "iexact", "regex", "iregex"})
LOOKUPS = frozenset({"exact", "in", "range", "isnull", *_COMPARE, *_TEXT})
JSON_LOOKUPS = frozenset({"has_key", "has_keys", "has_any_keys", "contained_by"})


class NoMatch(Expr):
    """A condition no row meets (an ``in`` list left empty, a value the column cannot hold)."""

    def as_sql(self, ctx: Ctx) -> str:
        return "1 = 0"


class DatePart(Expr):
    """``published__year``: one part of a date or datetime, as an integer (in UTC)."""

    def __init__(self, lhs: Expr, part: str) -> None:
        self.lhs, self.part = lhs, part
        self.output_field = IntegerField()
        self.contains_aggregate = lhs.contains_aggregate

    def as_sql(self, ctx: Ctx) -> str:
        field = self.lhs.output_field
        kind = field.kind if field is not None else "datetime"
        return ctx.dialect.date_part(self.part, self.lhs.as_sql(ctx), kind)


class DateOf(Expr):
    """``published__date`` / ``published__time``: the date or time of a datetime (in UTC)."""

    def __init__(self, lhs: Expr, part: str) -> None:
        self.lhs, self.part = lhs, part
        self.output_field = DateField() if part == "date" else TimeField()
        self.contains_aggregate = lhs.contains_aggregate

    def as_sql(self, ctx: Ctx) -> str:
        lhs = self.lhs.as_sql(ctx)
        if self.part == "date":
            return ctx.dialect.datetime_date(lhs)
        return ctx.dialect.datetime_time(lhs)


class KeyTransform(Expr):
    """``data__a__0``: the JSON value at a path of keys (str) and array indexes (int)."""

    def __init__(self, column: Expr, keys: list[str | int]) -> None:
        self.column, self.keys = column, keys
        self.output_field = JSONField()
        self.contains_aggregate = column.contains_aggregate

    def as_sql(self, ctx: Ctx) -> str:
        return ctx.dialect.json_value(self.column.as_sql(ctx), self.keys, ctx.param)


def _json_parts(lhs: Expr) -> tuple[Expr, list[str | int]]:
    if isinstance(lhs, KeyTransform):
        return lhs.column, lhs.keys
    return lhs, []


class Lookup(Expr):
    """``lhs <lookup> rhs``: one keyword argument of ``filter()``, its value already converted
    (see ``prepare``)."""

    def __init__(self, lhs: Expr, lookup: str, rhs: Any) -> None:
        self.lhs, self.lookup, self.rhs = lhs, lookup, rhs
        self.contains_aggregate = lhs.contains_aggregate or (
            isinstance(rhs, Expr) and rhs.contains_aggregate
        )
        self.contains_over = lhs.contains_over or (isinstance(rhs, Expr) and rhs.contains_over)

    def as_sql(self, ctx: Ctx) -> str:
        sql = self._sql(ctx)
        if not ctx.negated or self.lookup == "isnull":
            return sql
        lhs, rhs = self.lhs, self.rhs
        if rhs is None and self.lookup == "exact" and not isinstance(lhs.output_field, JSONField):
            return sql  # IS NULL (on JSON, None is JSON null: a comparison like any other)
        json = isinstance(lhs.output_field, JSONField)
        if isinstance(lhs, Col) and not lhs.nullable and not _has_expr(rhs) and not json:
            return sql  # (a condition on a JSON value can be unknown in a NOT NULL column)
        # a comparison with NULL is unknown, and NOT unknown is unknown: inside NOT, treat it as
        # false so exclude() keeps exactly the rows filter() drops (NULL columns, missing JSON
        # keys, NULL operands of F expressions)
        return f"COALESCE({sql}, {ctx.dialect.bool_literal(False)})"

    def _adapt(self, ctx: Ctx) -> Any:
        field = self.lhs.output_field
        return field.db_adapter(ctx.dialect) if field is not None else _same

    def _value(self, value: Any, ctx: Ctx, adapt: Any) -> str:
        return value.as_sql(ctx) if isinstance(value, Expr) else ctx.param(adapt(value))

    def _sql(self, ctx: Ctx) -> str:
        lookup, rhs, d = self.lookup, self.rhs, ctx.dialect
        if isinstance(self.lhs, KeyTransform) or isinstance(self.lhs.output_field, JSONField):
            return self._json_sql(ctx)
        lhs = self.lhs.as_sql(ctx)
        if lookup == "isnull" or (lookup == "exact" and rhs is None):
            return f"{lhs} IS NULL" if lookup == "exact" or rhs else f"{lhs} IS NOT NULL"
        if lookup in _TEXT:
            return self._text_sql(lhs, ctx)
        adapt = self._adapt(ctx)
        kind = self._kind()
        if lookup == "in":
            if isinstance(rhs, Expr):  # a subquery
                return f"{lhs} IN {rhs.as_sql(ctx)}"
            values = [v for v in rhs if isinstance(v, Expr) or d.holds(kind, v)]
            if not values:
                return "1 = 0"
            if not any(isinstance(v, Expr) for v in values) and not ctx.inline:
                adapted = [adapt(v) for v in values]
                packed = d.pack_in(adapted, kind)
                if packed is not None:  # one parameter, whatever the length (Dialect.pack_in)
                    return d.packed_in(lhs, ctx.param(packed))
                return f"{lhs} IN ({', '.join(ctx.param(v) for v in adapted)})"
            return f"{lhs} IN ({', '.join(self._value(v, ctx, adapt) for v in values)})"
        if lookup == "range":
            low, high = rhs
            return (
                f"{lhs} BETWEEN {self._value(low, ctx, adapt)} AND {self._value(high, ctx, adapt)}"
            )
        if not isinstance(rhs, Expr) and not d.holds(kind, rhs):
            return _out_of_range(lookup, lhs, rhs, kind, ctx)
        value = self._value(rhs, ctx, adapt)
        if lookup == "exact":
            return f"{lhs} = {value}"
        return f"{lhs} {_COMPARE[lookup]} {value}"

    def _kind(self) -> str | None:
        """The column kind of the left-hand side (``pack_in`` decides by it, never by values)."""
        field = self.lhs.output_field
        return None if field is None else field.kind

    def _text_sql(self, lhs: str, ctx: Ctx) -> str:
        lookup, rhs, d = self.lookup, self.rhs, ctx.dialect
        if lookup in _LIKE:
            pattern, ci = _LIKE[lookup]
            if isinstance(rhs, Expr):
                return d.like_expr(lhs, rhs.as_sql(ctx), pattern, case_insensitive=ci)
            return d.like(lhs, ctx.param(pattern.format(d.escape_like(rhs))), case_insensitive=ci)
        value = rhs.as_sql(ctx) if isinstance(rhs, Expr) else ctx.param(rhs)
        if lookup == "iexact":
            return d.iexact(lhs, value)
        return d.regex(lhs, value, case_insensitive=lookup == "iregex")

    def _json_sql(self, ctx: Ctx) -> str:
        lookup, rhs, d = self.lookup, self.rhs, ctx.dialect
        column, keys = _json_parts(self.lhs)
        col = column.as_sql(ctx)
        param = ctx.param
        if lookup == "isnull":  # a key: missing (or the column NULL); the column: SQL NULL
            if not keys:
                return f"{col} IS NULL" if rhs else f"{col} IS NOT NULL"
            return d.json_missing(col, keys, param) if rhs else d.json_has_path(col, keys, param)
        if lookup == "exact":  # None is JSON null, at a key or at the top (SQL NULL: isnull)
            if isinstance(rhs, Expr):
                return f"{d.json_value(col, keys, param)} = {rhs.as_sql(ctx)}"
            return d.json_equals(col, keys, rhs, param)  # rhs None: JSON null at the key
        if lookup == "in":
            if not rhs:
                return "1 = 0"
            parts = [d.json_equals(col, keys, v, param) for v in rhs]
            return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
        if lookup in ("has_key", "has_keys", "has_any_keys"):
            names = [rhs] if lookup == "has_key" else list(rhs)
            parts = [d.json_has_path(col, [*keys, name], param) for name in names]
            joiner = " OR " if lookup == "has_any_keys" else " AND "
            return parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"
        if lookup == "contains":
            return d.json_contains(col, keys, rhs, param)
        if lookup == "contained_by":
            return d.json_contained_by(col, keys, rhs, param)
        if lookup in _COMPARE:
            return self._json_compare(col, keys, _COMPARE[lookup], rhs, ctx)
        if lookup == "range":
            low = self._json_compare(col, keys, ">=", rhs[0], ctx)
            return f"({low} AND {self._json_compare(col, keys, '<=', rhs[1], ctx)})"
        # text lookups: on the key's value as text (a JSON string without its quotes)
        return self._text_sql(d.json_key(col, param(d.json_path(keys))) if keys else col, ctx)

    def _json_compare(self, col: str, keys: list[str | int], op: str, value: Any, ctx: Ctx) -> str:
        return ctx.dialect.json_compare(col, keys, op, value, ctx.param)


def _has_expr(rhs: Any) -> bool:
    if isinstance(rhs, Expr):
        return True
    return isinstance(rhs, list | tuple) and any(isinstance(v, Expr) for v in rhs)


def _out_of_range(lookup: str, lhs: str, rhs: Any, kind: str | None, ctx: Ctx) -> str:
    """An integer beyond what the column can hold: ``exact`` matches nothing; a comparison
    either matches nothing or every non-NULL value (as Django's overflow handling)."""
    lo = ctx.dialect.integer_range(kind)[0]
    below = rhs < lo
    if lookup == "exact" or (lookup in ("gt", "gte") and not below):
        return "1 = 0"
    if lookup in ("lt", "lte") and below:
        return "1 = 0"
    return f"{lhs} IS NOT NULL"


class KeysIn(Lookup):
    """``lhs IN (keys)`` for keys read from loaded rows (a prefetch's): values of the column
    already, so no conversion, range check or expression to look for, whatever their number."""

    def __init__(self, lhs: Expr, keys: list[Any]) -> None:
        super().__init__(lhs, "in", keys)

    def _sql(self, ctx: Ctx) -> str:
        d = ctx.dialect
        lhs = self.lhs.as_sql(ctx)
        adapted = list(map(self._adapt(ctx), self.rhs))
        packed = d.pack_in(adapted, self._kind())
        if packed is not None:
            return d.packed_in(lhs, ctx.param(packed))
        return f"{lhs} IN ({', '.join(map(ctx.param, adapted))})"


def _same(value: Any) -> Any:
    return value


# -- building a lookup from ``name__transform__lookup=value`` -----------------------------------


def _transform(lhs: Expr, name: str) -> Expr | None:
    field = lhs.output_field
    if isinstance(field, JSONField):
        key: str | int = int(name) if name.isdigit() else name
        if isinstance(lhs, KeyTransform):
            return KeyTransform(lhs.column, [*lhs.keys, key])
        return KeyTransform(lhs, [key])
    if isinstance(field, DateTimeField):
        if name in ("date", "time"):
            return DateOf(lhs, name)
        if name in DATETIME_PARTS:
            return DatePart(lhs, name)
    elif (isinstance(field, DateField) and name in DATE_PARTS) or (
        isinstance(field, TimeField) and name in ("hour", "minute", "second")
    ):
        return DatePart(lhs, name)
    return None


def resolve_path(scope: Scope, path: str) -> Expr:
    """``"published__year"``, ``"data__key__0"``, ``"author__name"``: a field (or annotation),
    through relations, and its transforms."""
    expr, rest = scope.walk(path.split("__"))
    for name in rest:
        transformed = _transform(expr, name)
        if transformed is None:
            raise FieldError(
                f"cannot resolve {path!r}: {name!r} is not a transform of {_describe(expr)}"
            )
        expr = transformed
    return expr


def _is_lookup(lhs: Expr, name: str) -> bool:
    if name in LOOKUPS:
        return True
    return name in JSON_LOOKUPS and isinstance(lhs.output_field, JSONField)


_PLAIN = frozenset({int, str})
_STOP = LOOKUPS | JSON_LOOKUPS


def build_lookup(scope: Scope, key: str, value: Any) -> Expr:
    """Turn ``filter(name__transform__lookup=value)`` into a resolved condition."""
    if scope.negations % 2:
        index = _many_valued_at(scope, key)
        if index is not None:
            return _through_subquery(scope, key, value, index)
    if type(value) in _PLAIN and "__" not in key:  # `level=3`: the common case, kept short
        lhs = scope.ref(key)
        field = lhs.output_field
        if field is not None and field.kind != "json":
            try:
                return Lookup(lhs, "exact", field.get_prep_value(value))
            except (TypeError, ValueError) as error:
                if _no_text_holds(value, "exact", field, False):
                    return NoMatch()
                raise InvalidFilterValue({key: [f"{key}={_short(value)}: {error}"]}) from None
    parts = key.split("__")
    lhs, rest = scope.walk(parts, stop=_STOP)
    lookup = "exact"
    while rest:
        name = rest[0]
        if len(rest) == 1 and _is_lookup(lhs, name):
            lookup = name
            break
        transformed = _transform(lhs, name)
        if transformed is None:
            raise FieldError(
                f"cannot resolve {key!r}: {name!r} is not a lookup or transform of "
                f"{_describe(lhs)}; lookups: {', '.join(sorted(LOOKUPS))}"
            )
        lhs = transformed
        rest.pop(0)
    query = getattr(value, "_query", None)
    if query is not None and lookup == "in" and hasattr(value, "_clone"):
        from covet.orm.sql.compiler import Query, Subquery

        if isinstance(query, Query):  # a QuerySet: one statement, evaluated by the database
            value = Subquery(query)
    try:
        return prepare(scope, lhs, lookup, value, key)
    except (TypeError, ValueError, ArithmeticError) as error:
        if isinstance(error, ValidationError):
            raise
        raise InvalidFilterValue({parts[0]: [f"{key}={_short(value)}: {error}"]}) from None


def _many_valued_at(scope: Scope, key: str) -> int | None:
    """The index of the first many-valued relation in a lookup path (None: there is none)."""
    model = scope.model
    if model is None:  # a subquery's columns: no relations
        return None
    for i, name in enumerate(key.split("__")):
        if i == 0 and name in scope.annotations:
            return None
        meta = model._meta
        if name in meta.fields_map:
            return None
        rel = meta.relations.get(name)
        if rel is None:
            return None
        if rel.multiple:
            return i
        model = rel.related
    return None


def _through_subquery(scope: Scope, key: str, value: Any, index: int) -> Expr:
    """``books__title=x`` under NOT, as Django: ``id IN (SELECT author_id FROM book WHERE
    title = x AND author_id IS NOT NULL)``, so the negation keeps the rows that have no
    matching related row (a join would keep those with some other related row)."""
    from covet.orm._query import QuerySet

    parts = key.split("__")
    model = scope.model
    for name in parts[:index]:
        model = model._meta.relations[name].related
    rel = model._meta.relations[parts[index]]
    rest = "__".join(parts[index + 1 :]) or "pk"
    back = rel.back()
    inner = QuerySet(rel.related).filter(**{rest: value, f"{back}__isnull": False})
    column = rel.steps()[0].left_field.name
    saved, scope.negations = scope.negations, 0
    try:
        path = "__".join([*parts[:index], column])
        return build_lookup(scope, f"{path}__in", inner.values_list(back, flat=True))
    finally:
        scope.negations = saved


def _describe(lhs: Expr) -> str:
    field = lhs.output_field
    if field is None:
        return "this expression"
    return f"{type(field).__name__} {field.name!r}" if field.name else type(field).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def prepare(scope: Scope, lhs: Expr, lookup: str, value: Any, key: str) -> Expr:
    """The ``Lookup`` for a resolved ``lhs``, its value checked and converted."""
    field = lhs.output_field
    is_json = isinstance(field, JSONField)
    if isinstance(value, Expr):
        value = value.resolve(scope)
        if lookup in ("isnull", "has_key", "has_keys", "has_any_keys"):
            raise FieldError(f"{key} takes a value, not an expression")
        return Lookup(lhs, lookup, value)
    if value is None:
        if lookup in ("exact", "iexact"):  # Django: =None is IS NULL (a JSON key: JSON null)
            return Lookup(lhs, "exact", None)
        raise FieldError(
            f"{key}: None is not a value to compare with {lookup!r} (a comparison with NULL is "
            f"never true); use {key.split('__')[0]}=None or {key.split('__')[0]}__isnull=True"
        )
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise FieldError(f"{key} needs True or False, got {value!r}")
        return Lookup(lhs, lookup, value)
    if lookup in ("in", "range"):
        if isinstance(value, str | bytes | dict) or not isinstance(value, Iterable):
            raise FieldError(f"{key}: '{lookup}' needs a list of values")
        values = list(value)
        if lookup == "range":
            if len(values) != 2:
                raise FieldError(f"{key}: range needs two values (low, high), got {len(values)}")
            if None in values:
                raise FieldError(f"{key}: a range needs two values, not None")
            low, high = (_prep_one(scope, field, lookup, v, is_json, end) for v, end in
                         zip(values, ("low", "high"), strict=True))  # fmt: skip
            if low is _NOTHING or high is _NOTHING:
                return NoMatch()
            return Lookup(lhs, lookup, [low, high])
        # NULL never equals anything: Django drops None from an `in` list
        prepped = [_prep_one(scope, field, lookup, v, is_json) for v in values if v is not None]
        return Lookup(lhs, lookup, [v for v in prepped if v is not _NOTHING])
    if lookup in ("has_keys", "has_any_keys"):
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise FieldError(f"{key}: '{lookup}' needs a list of keys")
        return Lookup(lhs, lookup, [str(k) for k in value])
    if lookup == "has_key":
        return Lookup(lhs, lookup, str(value))
    if is_json and lookup in ("exact", "contains", "contained_by"):
        return Lookup(lhs, lookup, _json_value(value))
    prepped = _prep_one(scope, field, lookup, value, is_json)
    if prepped is _NOTHING:
        return NoMatch()
    return Lookup(lhs, lookup, prepped)


_NOTHING: Any = object()
#: lookups a value holding NUL cannot satisfy on a text column (ordering and regexes still
#: refuse it: they are not equality)
_NUL_MATCHES_NOTHING = frozenset({*_LIKE, "exact", "iexact", "in"})


def _no_text_holds(value: Any, lookup: str, field: Field[Any] | None, is_json: bool) -> bool:
    """``value`` is text holding NUL in an equality or LIKE lookup on text, which no stored value
    can satisfy (no text column holds NUL: PostgreSQL cannot, and full_clean refuses it)."""
    return (
        type(value) is str
        and "\x00" in value
        and lookup in _NUL_MATCHES_NOTHING
        and not is_json
        and (lookup in _TEXT or (field is not None and field.kind in ("varchar", "text")))
    )


def _prep_one(
    scope: Scope, field: Field[Any] | None, lookup: str, value: Any, is_json: bool, end: str = ""
) -> Any:
    """One value of a lookup as the column's type; ``_NOTHING`` if no stored value can match."""
    if isinstance(value, Expr):
        return value.resolve(scope)
    if hasattr(value, "_meta") and hasattr(value, "pk") and not hasattr(field, "relation_name"):
        value = value.pk  # a model instance compared with a key column
    if _no_text_holds(value, lookup, field, is_json):
        return _NOTHING
    if lookup in _TEXT:
        from covet.orm._fields import _prep_text

        return _prep_text(value)
    if is_json:
        if lookup in _COMPARE or lookup == "range":
            # ordering is only defined within a JSON type: numbers, or strings
            if isinstance(value, Decimal):
                value = float(value)
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise TypeError("a JSON value is ordered against a number or a string")
            return value
        return _json_value(value)
    if field is None:
        return value
    if isinstance(field, IntegerField) and isinstance(value, float | Decimal):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a number an integer column can hold")
        if value != int(value):  # 1.5 in an integer column: round towards what can match
            if lookup in ("gt", "lte") or end == "high":
                return math.floor(value)
            if lookup in ("gte", "lt") or end == "low":
                return math.ceil(value)
            return _NOTHING  # exact / in: no integer equals 1.5
    return field.get_prep_value(value)


def _json_value(value: Any) -> Any:
    """A Python value compared as JSON: it must be one JSON can carry."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a JSON number")
        return value
    if isinstance(value, Decimal):
        return _json_value(float(value)) if value != int(value) else int(value)
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    raise TypeError(f"{type(value).__name__} is not a JSON value")

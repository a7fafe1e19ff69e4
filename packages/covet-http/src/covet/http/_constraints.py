"""Value constraints on parameters and body fields: ranges, lengths and patterns.

They come from the markers (``Query(ge=1, le=100)``, ``Header(pattern=...)``) or from the
``Annotated`` metadata the field's ecosystem already uses: ``annotated_types`` (``Ge(1)``,
``MaxLen(20)``, ``Interval(...)``), ``msgspec.Meta(...)`` and pydantic's ``Field(...)``. The same
:class:`Constraints` is checked on each request and written into the OpenAPI schema, so the
document never promises a rule the server does not enforce.
"""

from __future__ import annotations

import dataclasses
import decimal
import enum
import math
import re
import types
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from covet.http._exceptions import ConfigurationError
from covet.http._validation import QUALIFIERS, Invalid, error, sequence_item

NUMERIC = ("gt", "ge", "lt", "le", "multiple_of")
LENGTH = ("min_length", "max_length")
NAMES = (*NUMERIC, *LENGTH, "pattern")
#: where Annotated metadata may carry constraints (an unrelated object with a ``ge`` attribute
#: must not turn into a rule)
_ECOSYSTEMS = ("annotated_types", "msgspec", "pydantic")

Check = Callable[[Any], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Constraints:
    """Rules for a value, usable as ``Annotated`` metadata anywhere covet-http reads types:
    ``title: Annotated[str, Constraints(max_length=200, pattern=r"\\S")]`` in a dataclass or
    TypedDict body, or on a parameter. ``pattern`` is searched (``re.search``), with ``\\d``,
    ``\\w`` and ``\\s`` meaning ASCII digits, word characters and spaces (``re.ASCII``), as
    JSON Schema's regular expressions mostly read them."""

    gt: Any = None
    ge: Any = None
    lt: Any = None
    le: Any = None
    multiple_of: Any = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None

    def __post_init__(self) -> None:
        for name in NUMERIC:
            value = getattr(self, name)
            if value is not None and not _is_number(value):
                raise ConfigurationError(f"{name}= takes a finite number, not {value!r}")
        if self.multiple_of is not None and not self.multiple_of > 0:
            raise ConfigurationError(f"multiple_of= must be above 0, not {self.multiple_of!r}")
        for name in LENGTH:
            value = getattr(self, name)
            if value is not None and (type(value) is not int or value < 0):
                raise ConfigurationError(f"{name}= takes a whole number >= 0, not {value!r}")
        if self.pattern is not None:
            python_pattern(self.pattern)  # a broken pattern fails where it is written

    def items(self) -> Iterable[tuple[str, Any]]:
        for name in NAMES:
            value = getattr(self, name)
            if value is not None:
                yield name, value

    def merged(self, other: Constraints) -> Constraints:
        """``other``'s rules where it has them, ours elsewhere."""
        return dataclasses.replace(self, **dict(other.items()))

    def json_schema(self, *, array: bool = False) -> dict[str, Any]:
        """The JSON Schema keywords for these rules (lengths count items when ``array``)."""
        keywords = {
            "gt": "exclusiveMinimum",
            "ge": "minimum",
            "lt": "exclusiveMaximum",
            "le": "maximum",
            "multiple_of": "multipleOf",
            "min_length": "minItems" if array else "minLength",
            "max_length": "maxItems" if array else "maxLength",
            "pattern": "pattern",
        }
        return {keywords[name]: _json_number(value) for name, value in self.items()}

    def refuse_misfits(self, tp: Any, *, per_item: bool = False) -> None:
        """Raise ``TypeError`` when a rule can never apply to a value of ``tp`` (``ge`` on a
        string, ``pattern`` on a number): refused at registration, not silently unchecked.

        ``per_item``: on a list (query, header, form), the number and pattern rules apply to
        each item and the lengths count the items, as the extractors check them.
        """
        kinds = _kinds(tp)
        item_kinds = kinds
        if per_item and "sequence" in kinds:
            item = sequence_item(_strip(tp))
            item_kinds = _kinds(item) if item is not None else set()
        numeric = [name for name in NUMERIC if getattr(self, name) is not None]
        if numeric and "number" not in item_kinds:
            raise TypeError(f"{'/'.join(numeric)} bound numbers, not {_type_name(tp)}")
        if self.pattern is not None and "text" not in item_kinds:
            raise TypeError(f"pattern matches strings, not {_type_name(tp)}")
        if (self.min_length is not None or self.max_length is not None) and not kinds & {
            "text",
            "sequence",
        }:
            raise TypeError(
                f"min_length/max_length measure strings and lists, not {_type_name(tp)}"
            )


def _is_number(value: Any) -> bool:
    """A finite int, float or Decimal (a NaN bound would refuse every value; JSON has none)."""
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return False
    if isinstance(value, decimal.Decimal):
        return value.is_finite()
    return isinstance(value, int) or math.isfinite(value)


def _json_number(value: Any) -> Any:
    """A Decimal bound as a JSON number (the document's JSON writer turns Decimals to strings)."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _strip(tp: Any) -> Any:
    """``tp`` without ``Annotated``, TypedDict qualifiers and ``None`` in a union."""
    while get_origin(tp) is Annotated or get_origin(tp) in QUALIFIERS:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, types.UnionType):
        args = [arg for arg in get_args(tp) if arg is not type(None)]
        if len(args) == 1:
            return _strip(args[0])
    return tp


def _kinds(tp: Any) -> set[str]:
    """What rules a value of ``tp`` can obey: "number", "text", "sequence" (one per member of
    a union: as in JSON Schema, a rule only concerns the values it can measure)."""
    tp = _strip(tp)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(arg) for arg in get_args(tp)))
    if origin is Literal:
        return set().union(*(_kinds(type(value)) for value in get_args(tp)))
    if sequence_item(tp) is not None:
        return {"sequence"}
    if not isinstance(tp, type) or issubclass(tp, bool):
        return set()
    if issubclass(tp, int | float | decimal.Decimal):
        return {"number"}
    if issubclass(tp, str):
        return {"text"}
    if issubclass(tp, bytes | bytearray) and not issubclass(tp, enum.Enum):
        return {"sequence"}
    return set()


def _type_name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else repr(tp)


def python_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled to mean what JSON Schema (ECMA-262) says it means: ``$`` matches only
    at the very end (Python's also matches before a final newline), and ``\\d``, ``\\w``,
    ``\\s`` are ASCII classes."""
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            out.append(r"\Z")
            continue
        out.append(char)
    return re.compile("".join(out), re.ASCII)


def collect(metadata: Iterable[Any]) -> Constraints | None:
    """The constraints carried by a marker and ``Annotated`` metadata (later ones win)."""
    from covet.http._params import Param

    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, Param):
            source: Any = item.constraints
        elif isinstance(item, Constraints):
            source = item
        elif type(item).__module__.partition(".")[0] in _ECOSYSTEMS:
            source = item
            nested = getattr(item, "metadata", None)  # pydantic's FieldInfo holds its rules here
            if isinstance(nested, list):
                sub = collect(nested)
                if sub is not None:
                    found.update(sub.items())
        else:
            continue
        if source is None:
            continue
        for name in NAMES:
            value = getattr(source, name, None)
            if value is not None and not callable(value):
                found[name] = value.pattern if isinstance(value, re.Pattern) else value
    return Constraints(**found) if found else None


def check_value(constraints: Constraints | None, *, skip_length: bool = False) -> Check | None:
    """A function raising :class:`Invalid` when a converted value breaks a rule, else None.

    ``skip_length``: the lengths apply to a list around the value (see :func:`check_length`).
    """
    if constraints is None:
        return None
    tests: list[Callable[[Any], None]] = []
    c = constraints
    if c.gt is not None:
        tests.append(_compare(lambda v: v > c.gt, f"greater than {c.gt}", "greater_than"))
    if c.ge is not None:
        tests.append(
            _compare(lambda v: v >= c.ge, f"greater than or equal to {c.ge}", "greater_than_equal")
        )
    if c.lt is not None:
        tests.append(_compare(lambda v: v < c.lt, f"less than {c.lt}", "less_than"))
    if c.le is not None:
        tests.append(
            _compare(lambda v: v <= c.le, f"less than or equal to {c.le}", "less_than_equal")
        )
    if c.multiple_of is not None:
        tests.append(
            _compare(
                lambda v: v % c.multiple_of == 0, f"a multiple of {c.multiple_of}", "multiple_of"
            )
        )
    if not skip_length:
        text_length, list_length = check_length(c, "String"), check_length(c)
        if text_length is not None and list_length is not None:

            def length(value: Any) -> None:
                if isinstance(value, str | bytes):
                    text_length(value)
                elif isinstance(value, list | tuple | set | frozenset):
                    list_length(value)

            tests.append(length)
    if c.pattern is not None:
        search = python_pattern(c.pattern).search
        pattern = c.pattern

        def match(value: Any) -> None:
            if isinstance(value, str) and search(value) is None:
                raise error(
                    (), f"String should match pattern '{pattern}'", "string_pattern_mismatch"
                )

        tests.append(match)
    if not tests:
        return None

    def run(value: Any) -> Any:
        for test in tests:
            test(value)
        return value

    return run


def _compare(ok: Callable[[Any], bool], what: str, type_: str) -> Callable[[Any], None]:
    def compare(value: Any) -> None:
        try:
            passed = ok(value)
        except TypeError:  # a value of another kind (a string under ge=): nothing to compare
            return
        if not passed:
            raise error((), f"Input should be {what}", type_)

    return compare


def check_length(
    constraints: Constraints | None, kind: str = "List"
) -> Callable[[Any], None] | None:
    """A function checking ``min_length``/``max_length`` on a string or a list, else None."""
    if constraints is None or (constraints.min_length is None and constraints.max_length is None):
        return None
    low, high = constraints.min_length, constraints.max_length
    unit, prefix = ("character", "string") if kind == "String" else ("item", "")

    def length(value: Any) -> None:
        if kind == "String" and not isinstance(value, str | bytes):
            return
        size = len(value)
        if low is not None and size < low:
            plural = "" if low == 1 else "s"
            raise error(
                (),
                f"{kind} should have at least {low} {unit}{plural}",
                f"{prefix}_too_short".strip("_"),
            )
        if high is not None and size > high:
            plural = "" if high == 1 else "s"
            raise error(
                (),
                f"{kind} should have at most {high} {unit}{plural}",
                f"{prefix}_too_long".strip("_"),
            )

    return length


def located(check: Check, loc: tuple[Any, ...]) -> Check:
    """``check`` with its errors placed at ``loc``."""

    def run(value: Any) -> Any:
        try:
            return check(value)
        except Invalid as exc:
            raise Invalid([{**e, "loc": [*loc, *e["loc"]]} for e in exc.errors]) from None

    return run

"""Compiled validators: built once per annotation at registration, run per request.

``text_validator(tp)`` turns a query/path/header/cookie string into ``tp``;
``value_validator(tp)`` checks and converts a decoded JSON value into ``tp`` (dicts, lists,
dataclasses, TypedDicts, and pydantic models or msgspec Structs when those are installed).
Both raise :class:`Invalid` carrying ``{"loc", "msg", "type"}`` error dicts.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import types
import typing
import uuid
from collections.abc import Callable, Sequence
from typing import (
    Annotated,
    Any,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

Loc = tuple[str | int, ...]
TextValidator = Callable[[str], Any]
ValueValidator = Callable[[Any, Loc], Any]

_NONE_TYPE = type(None)
_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_FALSE = frozenset({"false", "0", "no", "off", "f", "n"})
_SEQUENCE_ORIGINS = (list, set, frozenset, tuple, Sequence)
#: TypedDict key qualifiers, which type hints keep with include_extras=True
QUALIFIERS = tuple(
    qualifier
    for qualifier in (
        getattr(typing, name, None) for name in ("Required", "NotRequired", "ReadOnly")
    )
    if qualifier is not None
)


class Invalid(Exception):
    """One or more field errors; ``loc`` entries are relative until the caller prefixes them."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(errors)


def error(loc: Loc, msg: str, type_: str) -> Invalid:
    return Invalid([{"loc": list(loc), "msg": msg, "type": type_}])


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` -> ``(X, True)``; anything else -> ``(tp, False)``."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [arg for arg in get_args(tp) if arg is not _NONE_TYPE]
        if len(args) < len(get_args(tp)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return tp, False


def sequence_item(tp: Any) -> Any | None:
    """The item type of ``list[int]``-like annotations, ``str`` for bare ``list``; else None."""
    if tp in (list, set, frozenset, tuple):
        return str
    origin = get_origin(tp)
    if origin in _SEQUENCE_ORIGINS:
        args = [arg for arg in get_args(tp) if arg is not Ellipsis]
        return args[0] if args else str
    return None


def typeddict_required(tp: Any, hints: dict[str, Any]) -> set[str]:
    """The required keys of TypedDict ``tp`` from its resolved ``hints`` (with extras).

    ``__required_keys__`` misses ``Required[...]`` written as a string (postponed annotations)
    before Python 3.12; the resolved hints show it."""
    required = set(tp.__required_keys__)
    for name, hint in hints.items():
        origin = get_origin(hint)
        if origin is typing.Required:
            required.add(name)
        elif origin is typing.NotRequired:
            required.discard(name)
    return required


def sequence_builder(tp: Any) -> Callable[[list[Any]], Any]:
    origin = get_origin(tp) or tp
    if origin in (set, frozenset, tuple):
        return typing.cast(Callable[[list[Any]], Any], origin)
    return list


# -- strings (query, path, headers, cookies) -------------------------------------------------


#: what int()/float() accept beyond these (Unicode digits, "1_000", " 1 ", "nan") is refused:
#: another component reading the same text must not see a different number
INT_TEXT = re.compile(r"[+-]?[0-9]+\Z")
FLOAT_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def _to_int(value: str) -> int:
    if (value.isdigit() and value.isascii()) or INT_TEXT.match(value):
        try:
            return int(value)
        except ValueError:  # past sys.get_int_max_str_digits()
            pass
    raise error((), "Input should be a valid integer", "int_parsing")


def _to_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise error((), "Input should be a valid number", "float_parsing") from None
    if number - number != 0.0:  # nan, inf, 1e999
        raise error((), "Input should be a finite number", "finite_number")
    # float() also takes Unicode digits, "1_0" and surrounding whitespace: FLOAT_TEXT's grammar
    if not value.isascii() or "_" in value or value[0] <= " " or value[-1] <= " ":
        raise error((), "Input should be a valid number", "float_parsing")
    return number


def _to_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise error((), "Input should be a valid boolean", "bool_parsing")


def _parser(func: Callable[[str], Any], msg: str, type_: str) -> TextValidator:
    def parse(value: str) -> Any:
        try:
            return func(value)
        except (ValueError, TypeError, decimal.InvalidOperation):
            raise error((), msg, type_) from None

    return parse


_TEXT: dict[Any, TextValidator] = {
    str: str,
    int: _to_int,
    float: _to_float,
    bool: _to_bool,
    bytes: str.encode,
    uuid.UUID: _parser(uuid.UUID, "Input should be a valid UUID", "uuid_parsing"),
    decimal.Decimal: _parser(decimal.Decimal, "Input should be a valid decimal", "decimal_parsing"),
    datetime.datetime: _parser(
        datetime.datetime.fromisoformat, "Input should be a valid datetime", "datetime_parsing"
    ),
    datetime.date: _parser(
        datetime.date.fromisoformat, "Input should be a valid date", "date_parsing"
    ),
    datetime.time: _parser(
        datetime.time.fromisoformat, "Input should be a valid time", "time_parsing"
    ),
}


def text_validator(tp: Any) -> TextValidator:
    """A function converting one string to ``tp`` (``Any``/unannotated stays a string)."""
    tp, _ = unwrap_optional(tp)
    if tp is Any or tp is object or tp is typing.Annotated:
        return str
    if tp in _TEXT:
        return _TEXT[tp]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_text(tp)
    if get_origin(tp) is Literal:
        return _literal_text(get_args(tp))
    if isinstance(tp, type) and tp.__init__ is not object.__init__:  # type: ignore[misc]
        return _parser(tp, f"Input should be a valid {tp.__name__}", "value_error")
    raise TypeError(f"cannot read {tp!r} from a string")


def _enum_text(cls: type[enum.Enum]) -> TextValidator:
    members = {str(member.value): member for member in cls}
    expected = ", ".join(repr(key) for key in members)

    def parse(value: str) -> enum.Enum:
        try:
            return members[value]
        except KeyError:
            raise error((), f"Input should be {expected}", "enum") from None

    return parse


def _literal_text(choices: tuple[Any, ...]) -> TextValidator:
    members = {
        str(choice).lower() if isinstance(choice, bool) else str(choice): choice
        for choice in choices
    }
    expected = ", ".join(repr(key) for key in members)

    def parse(value: str) -> Any:
        try:
            return members[value]
        except KeyError:
            raise error((), f"Input should be {expected}", "literal_error") from None

    return parse


# -- JSON values (bodies) ----------------------------------------------------------------------


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def value_validator(tp: Any) -> ValueValidator:
    """A function ``(value, loc) -> converted`` checking a decoded JSON value against ``tp``."""
    tp, optional = unwrap_optional(tp)
    inner = _value_validator(tp)
    if not optional:
        return inner

    def maybe(value: Any, loc: Loc) -> Any:
        return None if value is None else inner(value, loc)

    return maybe


def _value_validator(tp: Any) -> ValueValidator:
    if tp is Any or tp is object:
        return lambda value, loc: value
    origin = get_origin(tp)
    if origin in QUALIFIERS:  # a TypedDict's NotRequired[int]
        return value_validator(get_args(tp)[0])
    if origin is Annotated:  # a field's constraints: Annotated[int, Ge(0)]
        return _annotated_validator(tp)
    if origin in (Union, types.UnionType):
        return _union_validator([_value_validator(arg) for arg in get_args(tp)])
    if origin is Literal:
        choices = get_args(tp)
        return _check(
            lambda v: v in choices, f"Input should be one of {list(choices)!r}", "literal_error"
        )
    if tp is dict or origin is dict:
        args = get_args(tp)
        has_items = len(args) == 2 and args[1] not in (Any, object)
        return _dict_validator(_value_validator(args[1]) if has_items else None)
    item = sequence_item(tp) if tp not in (list, set, frozenset, tuple) else Any
    if item is not None:
        build = sequence_builder(tp)
        if item in (Any, object) and build is list:
            return _check(lambda v: type(v) is list, "Input should be a valid list", "list_type")
        return _list_validator(_value_validator(item), build)
    if tp is bool:
        return _check(
            lambda v: v is True or v is False, "Input should be a valid boolean", "bool_type"
        )
    if tp is int:
        return _int_value
    if tp is float:
        return _float_value
    if tp is str:
        return _check(lambda v: type(v) is str, "Input should be a valid string", "string_type")
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = get_type_hints(tp, include_extras=True)
        return _object_validator(tp, hints, _dataclass_required(tp), tp)
    if is_typeddict(tp):
        hints = get_type_hints(tp, include_extras=True)
        return _object_validator(tp, hints, typeddict_required(tp, hints), dict)
    from covet.http._models import find_adapter

    adapter = find_adapter(tp)  # pydantic, msgspec, or a library's own ModelAdapter
    if adapter is not None:
        return _foreign_errors(adapter.validator(tp))
    if isinstance(tp, type) and (tp in _TEXT or issubclass(tp, enum.Enum)):
        return _from_text(tp)
    raise TypeError(f"cannot validate a JSON value as {tp!r}")


def _foreign_errors(validate: ValueValidator) -> ValueValidator:
    """``validate``, with a library's own error turned into :class:`Invalid`: a library that
    cannot import covet.http raises any exception with a ``__covet_errors__()`` method returning
    the ``{"loc", "msg", "type"}`` dicts (covet-orm's model bodies do)."""

    def check(value: Any, loc: Loc) -> Any:
        try:
            return validate(value, loc)
        except Invalid:
            raise
        except Exception as exc:
            errors = getattr(exc, "__covet_errors__", None)
            if errors is None:
                raise
            raise Invalid(list(errors())) from None

    return check


def _annotated_validator(tp: Any) -> ValueValidator:
    from covet.http._constraints import check_value, collect

    base, *metadata = get_args(tp)
    validate = value_validator(base)
    rules = collect(metadata)
    if rules is not None:
        rules.refuse_misfits(base)  # TypeError: the body parameter's analysis names it
    check = check_value(rules)
    if check is None:
        return validate

    def checked(value: Any, loc: Loc) -> Any:
        result = validate(value, loc)
        if result is None:
            return result
        try:
            return check(result)
        except Invalid as exc:
            raise Invalid([{**e, "loc": [*loc, *e["loc"]]} for e in exc.errors]) from None

    return checked


def _check(test: Callable[[Any], bool], msg: str, type_: str) -> ValueValidator:
    def check(value: Any, loc: Loc) -> Any:
        if test(value):
            return value
        raise error(loc, msg, type_)

    return check


def _int_value(value: Any, loc: Loc) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise error(loc, "Input should be a valid integer", "int_type")


def _float_value(value: Any, loc: Loc) -> float:
    if type(value) in (int, float):
        return float(value)
    raise error(loc, "Input should be a valid number", "float_type")


def _from_text(tp: Any) -> ValueValidator:
    parse = text_validator(tp)

    def convert(value: Any, loc: Loc) -> Any:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise error(loc, f"Input should be a valid {_type_name(tp)}", "type_error")
        try:
            return parse(str(value))
        except Invalid as exc:
            raise Invalid([{**e, "loc": list(loc)} for e in exc.errors]) from None

    return convert


def _union_validator(options: list[ValueValidator]) -> ValueValidator:
    def check(value: Any, loc: Loc) -> Any:
        first: Invalid | None = None
        for option in options:
            try:
                return option(value, loc)
            except Invalid as exc:
                first = first or exc
        assert first is not None
        raise first

    return check


def _dict_validator(item: ValueValidator | None) -> ValueValidator:
    def check(value: Any, loc: Loc) -> Any:
        if type(value) is not dict:
            raise error(loc, "Input should be a valid dictionary", "dict_type")
        if item is None:
            return value
        errors: list[dict[str, Any]] = []
        out: dict[str, Any] = {}
        for key, element in value.items():
            try:
                out[key] = item(element, (*loc, key))
            except Invalid as exc:
                errors.extend(exc.errors)
        if errors:
            raise Invalid(errors)
        return out

    return check


def _list_validator(item: ValueValidator, build: Callable[[list[Any]], Any]) -> ValueValidator:
    def check(value: Any, loc: Loc) -> Any:
        if type(value) is not list:
            raise error(loc, "Input should be a valid list", "list_type")
        errors: list[dict[str, Any]] = []
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element, (*loc, index)))
            except Invalid as exc:
                errors.extend(exc.errors)
        if errors:
            raise Invalid(errors)
        return build(out)

    return check


def _dataclass_required(cls: type) -> set[str]:
    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


def _object_validator(
    tp: Any, hints: dict[str, Any], required: set[str], build: Callable[..., Any]
) -> ValueValidator:
    if dataclasses.is_dataclass(tp):
        hints = {f.name: hints[f.name] for f in dataclasses.fields(tp) if f.init}
    fields: dict[str, ValueValidator] = {}
    for name, hint in hints.items():
        fields[name] = value_validator(hint)

    def check(value: Any, loc: Loc) -> Any:
        if type(value) is not dict:
            raise error(loc, f"Input should be a valid {_type_name(tp)} object", "model_type")
        errors: list[dict[str, Any]] = []
        out: dict[str, Any] = {}
        for name, validate in fields.items():
            if name in value:
                try:
                    out[name] = validate(value[name], (*loc, name))
                except Invalid as exc:
                    errors.extend(exc.errors)
            elif name in required:
                errors.append({"loc": [*loc, name], "msg": "Field required", "type": "missing"})
        if errors:
            raise Invalid(errors)
        return build(**out)

    return check

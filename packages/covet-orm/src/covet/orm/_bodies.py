"""Fields as JSON: how each field reads a value from a request body, writes one into a response,
and describes both in JSON Schema. Used by the model bodies of :mod:`covet.orm._schema`.

A JSON value is first held to the JSON type its field expects (a string for a ``CharField``, a
number for an ``IntegerField``, never ``"5"`` for 5 nor ``true`` for 1), then checked by the
field's own ``validate()`` (max_length, choices, validators, null) and converted with
``to_python()``. On the way out, values become what ``to_dict()`` holds written as JSON:
datetimes, dates and times in ISO 8601, ``Decimal`` and ``UUID`` as strings, enums as their
value, durations as seconds, bytes as base64, JSON fields as they are.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from covet.orm import _fields as f

Decode = Callable[[Any], Any]
Encode = Callable[[Any], Any]


class BadValue(ValueError):
    """A JSON value of the wrong kind for its field: the client's message, and the error type
    covet.http's own body checks use for it (``int_type``, ``string_type``, ...)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _integer(value: Any) -> Any:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise BadValue("Input should be a valid integer", "int_type")


def _float(value: Any) -> Any:
    if _is_number(value):
        return float(value)
    raise BadValue("Input should be a valid number", "float_type")


def _boolean(value: Any) -> Any:
    if value is True or value is False:
        return value
    raise BadValue("Input should be a valid boolean", "bool_type")


def _decimal(value: Any) -> Any:
    if type(value) is str:
        try:
            return decimal.Decimal(value.strip())
        except decimal.InvalidOperation:
            raise BadValue("Input should be a valid decimal", "decimal_parsing") from None
    if _is_number(value):
        return decimal.Decimal(repr(value) if type(value) is float else value)
    raise BadValue("Input should be a valid decimal", "decimal_type")


def _text(value: Any) -> Any:
    if type(value) is str:
        return value
    raise BadValue("Input should be a valid string", "string_type")


def _parsed(parse: Callable[[str], Any], what: str) -> Decode:
    def decode(value: Any) -> Any:
        if type(value) is str:
            try:
                return parse(value)
            except ValueError:
                pass
        raise BadValue(f"Input should be a valid {what}", f"{what.lower()}_parsing")

    return decode


def _duration(value: Any) -> Any:
    if _is_number(value):
        try:
            return dt.timedelta(seconds=value)
        except OverflowError:
            pass
    raise BadValue("Input should be a duration in seconds", "duration_type")


def _binary(value: Any) -> Any:
    if type(value) is str:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise BadValue("Input should be base64-encoded bytes", "bytes_type")


def _enum(field: f.EnumField[Any]) -> Decode:
    members = {member.value: member for member in field.enum_type}
    expected = ", ".join(repr(value) for value in members)

    def decode(value: Any) -> Any:
        if type(value) in (str, int) and value in members:
            return members[value]
        raise BadValue(f"Input should be one of {expected}", "enum")

    return decode


def _any(value: Any) -> Any:
    return value


def decoder(field: f.Field[Any]) -> Decode:
    """JSON value (never None) -> the Python value ``field.validate()`` then checks."""
    if isinstance(field, f.BooleanField):
        return _boolean
    if isinstance(field, f.IntegerField):
        return _integer
    if isinstance(field, f.FloatField):
        return _float
    if isinstance(field, f.DecimalField):
        return _decimal
    if isinstance(field, f.DateTimeField):
        return _parsed(dt.datetime.fromisoformat, "datetime")
    if isinstance(field, f.DateField):
        return _parsed(dt.date.fromisoformat, "date")
    if isinstance(field, f.TimeField):
        return _parsed(dt.time.fromisoformat, "time")
    if isinstance(field, f.UUIDField):
        return _parsed(uuid.UUID, "UUID")
    if isinstance(field, f.DurationField):
        return _duration
    if isinstance(field, f.BinaryField):
        return _binary
    if isinstance(field, f.EnumField):
        return _enum(field)
    if isinstance(field, f.CharField | f.TextField | f.GenericIPAddressField):
        return _text
    return _any  # JSONField, and fields of other libraries: their validate() decides


def _iso(value: Any) -> Any:
    return value.isoformat()


def _str(value: Any) -> Any:
    return str(value)


def _enum_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _seconds(value: Any) -> Any:
    return value.total_seconds()


def _b64(value: Any) -> Any:
    return base64.b64encode(bytes(value)).decode("ascii")


def encoder(field: f.Field[Any]) -> Encode | None:
    """Python value (never None) -> JSON value; None when the value already is one."""
    if isinstance(field, f.GeneratedField):
        return encoder(field.output_field)
    if isinstance(field, f.DateField | f.DateTimeField | f.TimeField):
        return _iso
    if isinstance(field, f.DecimalField | f.UUIDField):
        return _str
    if isinstance(field, f.EnumField):
        return _enum_value
    if isinstance(field, f.DurationField):
        return _seconds
    if isinstance(field, f.BinaryField):
        return _b64
    return None


V = TypeVar("V", bound=Callable[[Any], None])


def json_schema(**keywords: Any) -> Callable[[V], V]:
    """Declare the JSON Schema keywords a field validator enforces, so that the OpenAPI document
    promises what the server checks::

        @json_schema(pattern=r"\\S")
        def not_blank(value: str) -> None:
            if not re.search(r"\\S", value, re.ASCII):
                raise ValueError("must have a non-blank character")

    The function stays a plain module-level function (migration files refer to it by name)."""

    def mark(check: V) -> V:
        setattr(check, "__covet_json_schema__", dict(keywords))  # noqa: B010
        return check

    return mark


def field_schema(field: f.Field[Any], *, write: bool) -> dict[str, Any]:
    """The JSON Schema of ``field``'s value in a request body (``write``) or a response."""
    if isinstance(field, f.GeneratedField):
        schema = field_schema(field.output_field, write=write)
        return {"anyOf": [schema, {"type": "null"}]}
    schema = _base_schema(field, write=write)
    for check in field.validators:
        schema.update(getattr(check, "__covet_json_schema__", None) or {})
    if field.choices is not None:
        encode = encoder(field) or _any
        schema["enum"] = [encode(choice) for choice in field.choices]
    if field.has_default() and not callable(field.default) and field.default is not None:
        encode = encoder(field) or _any
        with contextlib.suppress(AttributeError, TypeError):
            schema["default"] = encode(field.default)
    if field.null:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


def _base_schema(field: f.Field[Any], *, write: bool) -> dict[str, Any]:
    if isinstance(field, f.BooleanField):
        return {"type": "boolean"}
    if isinstance(field, f.IntegerField):
        low, high = field.bounds
        return {"type": "integer", "minimum": low, "maximum": high}
    if isinstance(field, f.FloatField):
        return {"type": "number"}
    if isinstance(field, f.DecimalField):
        text = {"type": "string", "format": "decimal"}
        return {"anyOf": [{"type": "number"}, text]} if write else text
    if isinstance(field, f.DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, f.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, f.TimeField):
        return {"type": "string", "format": "time"}
    if isinstance(field, f.UUIDField):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, f.DurationField):
        return {"type": "number", "description": "seconds"}
    if isinstance(field, f.BinaryField):
        return {"type": "string", "contentEncoding": "base64"}
    if isinstance(field, f.EnumField):
        return {"enum": [member.value for member in field.enum_type]}
    # the fields' own patterns, not "format": "email"/"uri", which promise more than they check
    if isinstance(field, f.EmailField):
        return {"type": "string", "maxLength": field.max_length, "pattern": f._EMAIL.pattern}
    if isinstance(field, f.URLField):
        # _URL, case-insensitive "http(s)" spelled out (JSON Schema has no flags)
        pattern = f._URL.pattern.replace("https?", "[hH][tT][tT][pP][sS]?", 1)
        return {"type": "string", "maxLength": field.max_length, "pattern": pattern}
    if isinstance(field, f.SlugField):
        # "(?![\s\S])": the end of the text, in ECMA and Python regexes alike ("$" would
        # let a final newline through in Python)
        chars = r"[-\w]" if field.allow_unicode else r"[-a-zA-Z0-9_]"
        pattern = rf"^{chars}+(?![\s\S])"
        return {"type": "string", "maxLength": field.max_length, "pattern": pattern}
    if isinstance(field, f.CharField):
        return {"type": "string", "maxLength": field.max_length}
    if isinstance(field, f.GenericIPAddressField):
        formats = {"ipv4": "ipv4", "ipv6": "ipv6"}
        fmt = formats.get(field.protocol)
        return {"type": "string", "format": fmt} if fmt else {"type": "string"}
    if isinstance(field, f.TextField):
        return {"type": "string"}
    return {}  # JSONField: any JSON value

"""JSON encoding and decoding: orjson when installed, the standard library otherwise.

Both back-ends share one ``default`` hook, so a value encodes the same way with or without
orjson: datetime/date/time as ISO 8601, UUID and Decimal as strings, Enum as its value,
dataclasses as objects, sets as arrays, and any object with ``to_dict()`` (or pydantic's
``model_dump()``) through it; an object's ``__covet_json__()``, when it has one, comes first
(covet-orm's models write their fields as JSON with it).

Decoding has one set of rules, whichever back-end runs: strict UTF-8 without a byte order mark,
no lone surrogates (``"\\ud800"``), no NaN or Infinity, no number beyond a double's range, and
integers kept exact at any size within it (orjson reads integers past 64 bits as floats, so a
document holding one is read again by the standard library, held to the same rules).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import json
import math
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from covet.http._exceptions import CovetHTTPError

__all__ = ["DEFAULT_MAX_DEPTH", "InvalidJSON", "json_default", "json_dumps", "json_loads"]

DEFAULT_MAX_DEPTH = 64


class InvalidJSON(CovetHTTPError, ValueError):
    """The bytes are not valid JSON, or are nested deeper than allowed."""


def json_default(obj: Any) -> Any:
    """Turn a value the JSON back-ends do not know into one they do."""
    if isinstance(obj, datetime.date | datetime.time):
        return obj.isoformat()
    if isinstance(obj, uuid.UUID | Decimal):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {field.name: getattr(obj, field.name) for field in dataclasses.fields(obj)}
    if isinstance(obj, set | frozenset | tuple):  # a NamedTuple: an array, as the stdlib
        return list(obj)  # writes it (orjson refuses tuple subclasses)
    to_json = getattr(obj, "__covet_json__", None)  # a library's own JSON form of its objects
    if callable(to_json):
        return to_json()
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    model_dump = getattr(obj, "model_dump", None)
    if callable(model_dump):
        return model_dump(mode="json")
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _stdlib_dumps(obj: Any) -> bytes:
    return json.dumps(
        obj, default=json_default, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # the stdlib accepts NaN and Infinity; orjson does not


def _finite_float(text: str) -> float:
    number = float(text)
    if math.isinf(number):  # the stdlib reads 1e400 as inf; orjson refuses it
        raise ValueError("number is infinity when parsed as double")
    return number


def _finite_int(text: str) -> int:
    if math.isinf(float(text)):  # past a double's range; also past int()'s 4300-digit limit
        raise ValueError("number is infinity when parsed as double")
    return int(text)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


def _strict_loads(data: bytes) -> Any:
    """The standard library's parser held to orjson's rules (module docstring)."""
    text = data.decode("utf-8")  # refuses invalid UTF-8, encoded surrogates included
    value = json.loads(
        text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_finite_int
    )  # refuses a byte order mark too ("Unexpected UTF-8 BOM")
    if _SURROGATE_ESCAPE.search(data) and _has_lone_surrogate(value):
        raise ValueError("a \\u escape is a lone surrogate, which is not a character")
    return value


json_dumps: Callable[[Any], bytes]
_loads: Callable[[bytes], Any]
_decode_errors: tuple[type[Exception], ...]

# A run of 19 digits may be an integer past 64 bits. Strings are taken out before the second
# look (an ID inside a string is not a number); a float's digits stay out by the lookarounds.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_LONG_INTEGER = re.compile(rb"(?<![0-9.eE+])[0-9]{19,}(?![0-9.eE])")

try:
    import orjson
except ImportError:  # pragma: no cover - exercised by the no-orjson test run
    json_dumps = _stdlib_dumps
    _loads = _strict_loads
    _decode_errors = (ValueError,)
    BACKEND = "json"
else:
    _OPTIONS = orjson.OPT_NON_STR_KEYS

    def _orjson_dumps(obj: Any) -> bytes:
        try:
            return orjson.dumps(obj, default=json_default, option=_OPTIONS)
        except orjson.JSONEncodeError as exc:
            if "64-bit" in str(exc):  # an int orjson cannot hold: the stdlib can
                return _stdlib_dumps(obj)
            raise

    def _orjson_loads(data: bytes) -> Any:
        value = orjson.loads(data)  # orjson's rules decide what is JSON, for every document
        if _LONG_DIGITS.search(data) and _LONG_INTEGER.search(_STRING.sub(b'""', data)):
            return _strict_loads(data)  # the same document again, for exact integers
        return value

    json_dumps = _orjson_dumps
    _loads = _orjson_loads
    _decode_errors = (ValueError,)  # orjson's and json's JSONDecodeError
    BACKEND = "orjson"

# A string, or an unterminated one running to the end of the data: every match succeeds at its
# first try, so the scan is linear (failing at each quote of '"\\"\\"\\"...' was quadratic).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


@functools.lru_cache(maxsize=8)
def _opener_run(length: int) -> re.Pattern[bytes]:
    return re.compile(rb"\[{%d}" % length)


def _too_deep(data: bytes, max_depth: int) -> bool:
    # Fast path: a document with few brackets cannot be deep.
    if data.count(b"[") + data.count(b"{") <= max_depth:
        return False
    # Only nesting matters here (the parser checks that brackets match), so use one kind.
    brackets = _STRING.sub(b"", data).translate(_ONE_KIND, _NOT_BRACKETS)
    # Each pass strips the innermost level everywhere (C-speed replaces, no recursion); brackets
    # that survive max_depth passes sit deeper than max_depth.
    run = _opener_run(max_depth + 1)
    for _ in range(max_depth):
        if run.search(brackets):
            return True  # max_depth + 1 openers in a row
        shorter = brackets.replace(b"[]", b"")  # one level: replace() does not rescan
        if not shorter:
            return False
        if len(shorter) == len(brackets):
            return False  # unbalanced or mismatched: the parser reports it
        brackets = shorter
    return True


def json_loads(data: bytes | str, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Decode JSON, raising ``InvalidJSON`` on bad input or nesting deeper than ``max_depth``.

    The rules are the same with and without orjson (see the module docstring).
    """
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    except UnicodeEncodeError:
        raise InvalidJSON("Invalid JSON: the text holds a lone surrogate") from None
    if _too_deep(raw, max_depth):
        raise InvalidJSON(f"JSON nesting is deeper than the limit of {max_depth} levels")
    try:
        return _loads(raw)
    except RecursionError:
        raise InvalidJSON(f"JSON nesting is deeper than the limit of {max_depth} levels") from None
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"Invalid JSON: the body is not UTF-8 ({exc.reason})") from None
    except _decode_errors as exc:
        raise InvalidJSON(f"Invalid JSON: {exc}") from None

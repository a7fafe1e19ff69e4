"""Path converters: turn one decoded path segment into a Python value and back.

A converter's ``convert`` raises ``ValueError`` when a segment does not fit; the router then treats
the route as not matching (404), unlike a handler annotation, which answers 422.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, ClassVar

from covet.http._exceptions import ConfigurationError
from covet.http._validation import FLOAT_TEXT


class Convertor:
    """Base class for path converters; subclass and register with :func:`register_convertor`."""

    #: matches the rest of the path, slashes included (only one such converter per path, last)
    greedy: ClassVar[bool] = False
    #: lower is tried first among parameter children of the same node
    priority: ClassVar[int] = 50

    def convert(self, value: str) -> Any:
        return value

    def to_string(self, value: Any) -> str:
        return str(value)


class StringConvertor(Convertor):
    priority = 90

    def convert(self, value: str) -> str:
        if not value:
            raise ValueError("empty segment")
        return value

    def to_string(self, value: Any) -> str:
        text = str(value)
        if not text:
            raise ValueError("a path segment cannot be empty")
        return text


class PathConvertor(Convertor):
    greedy = True
    priority = 100

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: Any) -> str:
        return str(value)


class IntegerConvertor(Convertor):
    priority = 10

    def convert(self, value: str) -> int:
        if not value.isdigit() or not value.isascii():
            raise ValueError(f"{value!r} is not a non-negative integer")
        return int(value)

    def to_string(self, value: Any) -> str:
        number = int(value)
        if number < 0:
            raise ValueError("negative integers are not supported by the int converter")
        return str(number)


class FloatConvertor(Convertor):
    priority = 20

    def convert(self, value: str) -> float:
        if value.startswith(("-", "+")) or not FLOAT_TEXT.match(value):
            raise ValueError(f"{value!r} is not a non-negative decimal number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a finite number")
        return number

    def to_string(self, value: Any) -> str:
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ValueError("the float converter takes finite non-negative numbers")
        return repr(number)


class UUIDConvertor(Convertor):
    priority = 15

    def convert(self, value: str) -> uuid.UUID:
        if len(value) not in (32, 36):
            raise ValueError(f"{value!r} is not a UUID")
        return uuid.UUID(value)

    def to_string(self, value: Any) -> str:
        return str(value)


CONVERTOR_TYPES: dict[str, Convertor] = {
    "str": StringConvertor(),
    "path": PathConvertor(),
    "int": IntegerConvertor(),
    "float": FloatConvertor(),
    "uuid": UUIDConvertor(),
}


def register_convertor(name: str, convertor: Convertor) -> None:
    """Make ``{param:name}`` available in route paths registered after this call."""
    if not name.isidentifier():
        raise ConfigurationError(f"converter name {name!r} must be an identifier")
    CONVERTOR_TYPES[name] = convertor


def get_convertor(name: str, path: str) -> Convertor:
    try:
        return CONVERTOR_TYPES[name]
    except KeyError:
        known = ", ".join(sorted(CONVERTOR_TYPES))
        raise ConfigurationError(
            f"unknown path converter {name!r} in {path!r}; known converters: {known} "
            "(register others with covet.http.register_convertor)"
        ) from None

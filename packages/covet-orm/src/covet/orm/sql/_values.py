"""Value adapters and converters shared by the dialects (Python <-> stored representation)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from covet.orm._exceptions import DataError

UTC = dt.UTC


_combine = dt.datetime.combine  # combine(d.date(), d.time(), tz) is ~6x faster than replace()


def aware_utc(value: dt.datetime) -> dt.datetime:
    """Attach UTC to a naive datetime, convert an aware one to UTC."""
    tz = value.tzinfo
    if tz is UTC:
        return value
    if tz is None:
        return _combine(value.date(), value.time(), UTC)
    return value.astimezone(UTC)


def datetime_to_utc_naive(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return _combine(value.date(), value.time())
    return value


def datetime_to_text(value: Any) -> Any:
    """Fixed-width UTC text with an explicit offset: sorts as text, parses back in one call."""
    if isinstance(value, dt.datetime):
        tz = value.tzinfo
        if tz is not UTC:
            value = value.replace(tzinfo=UTC) if tz is None else value.astimezone(UTC)
        return value.isoformat(sep=" ", timespec="microseconds")
    return value


_fromisoformat = dt.datetime.fromisoformat


def text_to_datetime(value: Any) -> Any:
    if type(value) is str:
        parsed = _fromisoformat(value)
        return parsed if parsed.tzinfo is not None else _combine(parsed.date(), parsed.time(), UTC)
    if isinstance(value, dt.datetime):
        return aware_utc(value)
    return value


def naive_to_aware(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return aware_utc(value)
    return value


def date_to_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def text_to_date(value: Any) -> Any:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def time_to_text(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value.isoformat(timespec="microseconds")
    return value


def text_to_time(value: Any) -> Any:
    if isinstance(value, str):
        return dt.time.fromisoformat(value)
    if isinstance(value, dt.timedelta):  # MySQL TIME comes back as a timedelta
        us = value // dt.timedelta(microseconds=1)
        return (dt.datetime.min + dt.timedelta(microseconds=us)).time()
    return value


def duration_to_int(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        return value // dt.timedelta(microseconds=1)
    return value


def int_to_duration(value: Any) -> Any:
    """Microseconds (an aggregate's may be a float or, on MySQL, a Decimal) as a timedelta."""
    if isinstance(value, int):
        return dt.timedelta(microseconds=value)
    if isinstance(value, float | Decimal):
        return dt.timedelta(microseconds=round(value))
    return value


#: significant digits a 64-bit float keeps exactly through text -> REAL -> text
SQLITE_DECIMAL_DIGITS = 15
_INT64 = (-(2**63), 2**63 - 1)


def decimal_to_sqlite(value: Any) -> Any:
    """A Decimal as SQLite keeps it exactly (a DECIMAL column has NUMERIC affinity: text becomes a
    64-bit integer or float): whole numbers as integers, others as text when they have at most
    15 significant digits. Anything else would be silently rounded, so it is refused."""
    if not isinstance(value, Decimal):
        return value
    if value.is_finite():
        if value == value.to_integral_value():
            whole = int(value)
            if _INT64[0] <= whole <= _INT64[1]:
                return whole
        elif len(value.normalize().as_tuple().digits) <= SQLITE_DECIMAL_DIGITS:
            return str(value)
    raise DataError(
        f"SQLite cannot store {value} exactly: a DECIMAL keeps at most "
        f"{SQLITE_DECIMAL_DIGITS} significant digits (or a whole number within 64 bits) there; "
        "use PostgreSQL or MariaDB for wider decimals"
    )


def to_decimal(value: Any) -> Any:
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def uuid_to_text(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def text_to_uuid(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return uuid.UUID(value if isinstance(value, str) else value.decode())
    return value


def json_dumps(value: Any) -> Any:
    """A JSONField value as stored text; None is SQL NULL (JSON null is ``json_text(None)``)."""
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_text(value: Any) -> str:
    """Any JSON value (None is JSON null) as JSON text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def json_loads(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def to_bool(value: Any) -> Any:
    if value is None:
        return None
    return bool(value)


def bool_to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return value


def to_bytes(value: Any) -> Any:
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return value


#: converter -> (expression, names it uses): the hydrator writes the expression inline instead of
#: calling the converter (``{v}``: the column's value, never None; ``{f}``: the converter itself,
#: the slow path). Each must give exactly what the converter returns.
INLINE: dict[Callable[[Any], Any], tuple[str, dict[str, Any]]] = {
    # SQLite: our own UTC text parses to an aware datetime in one C call
    text_to_datetime: (
        "(_dt if type({v}) is str and (_dt := _fromiso({v})).tzinfo is not None else {f}({v}))",
        {"_fromiso": _fromisoformat},
    ),
    # asyncpg: timestamptz arrives aware in UTC already; asyncmy: DATETIME(6) arrives naive UTC
    naive_to_aware: (
        "(({v} if {v}.tzinfo is _UTC else _combine({v}.date(), {v}.time(), _UTC)"
        " if {v}.tzinfo is None else {f}({v})) if type({v}) is _datetime else {f}({v}))",
        {"_datetime": dt.datetime, "_UTC": UTC, "_combine": _combine},
    ),
    float: ("({v} if type({v}) is float else {f}({v}))", {}),
    bytes: ("({v} if type({v}) is bytes else {f}({v}))", {}),
}

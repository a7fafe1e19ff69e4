"""The rows both ORMs store: edge values of every column (see ``schema.COLUMNS``).

Ids are explicit (1..N), so answers compare row for row. Nullable columns (``*_n``) carry the
extremes and NULLs; their NOT NULL twins keep ordinary values, so one bug with an extreme value
(an unreadable year 9999, say) does not hide every other answer about the column.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from .schema import Color, Level

UTC = dt.UTC


def _ts(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


BASE: dict[str, Any] = {
    "name": "alpha", "grp": "a", "body": "plain", "n": 1, "small": 1, "big": 1, "f": 1.0,
    "dec": Decimal("1.0000"), "flag": True, "d": dt.date(2024, 1, 1),
    "ts": _ts(2024, 1, 1, 10, 0, 0), "t": dt.time(10, 0), "dur": dt.timedelta(hours=1),
    "uid": uuid.UUID(int=1), "doc": {}, "color": Color.RED,
}  # fmt: skip

_ROWS: list[dict[str, Any]] = [
    # 1: a typical row, every nullable column filled
    {"name_n": "alpha", "email": "a@example.com", "url": "https://example.com/a", "n_n": 1,
     "big_n": 10, "f_n": 1.5, "dec_n": Decimal("1.5000"), "flag_n": True,
     "d_n": dt.date(2024, 1, 1), "ts_n": _ts(2024, 1, 1, 10, 0, 59, 600000),
     "t_n": dt.time(10, 0, 59, 600000), "dur_n": dt.timedelta(minutes=90),
     "uid_n": uuid.UUID(int=1), "data": {"a": 1, "b": {"c": "deep"}}, "doc": {"a": 1},
     "blob": b"\x00\x01", "level": Level.LOW},
    # 2: case and accents
    {"name": "Alpha", "name_n": "ALPHA", "grp": "a", "n": 2, "n_n": 2, "small": -2,
     "big": -2, "f": -2.25, "dec": Decimal("-2.2500"), "flag": False, "body": "Plain TEXT",
     "data": {"a": 1.0}, "doc": {"a": 1.0}, "color": Color.GREEN, "level": Level.MID},
    # 3: LIKE wildcards and the escape character
    {"name": "a%b", "name_n": "a_b", "grp": "b", "n": 3, "body": "100% sure", "f": 0.1,
     "dec": Decimal("0.1000"), "data": {"a": True}, "doc": {"a": True}, "n_n": None},
    {"name": "a_b", "name_n": "a\\b", "grp": "b", "n": 4, "body": "under_score",
     "data": {"a": "1"}, "doc": {"a": "1"}, "dec_n": Decimal("-0.0001")},
    {"name": "a\\b", "name_n": "a!b", "grp": "b", "n": 5, "body": "back\\slash",
     "data": {"a": None}, "doc": {"a": None}, "f_n": -0.5},
    {"name": "a!b", "name_n": "it's", "grp": "c", "n": 6, "body": 'say "hi"', "data": {},
     "doc": {"b": 2}},
    # 7: quotes
    {"name": "it's", "name_n": 'say "hi"', "grp": "c", "n": 7, "body": "it's",
     "data": {"a": [1, 2]}, "doc": {"a": [1, 2]}, "flag_n": False},
    {"name": 'say "hi"', "grp": "c", "n": 8, "data": {"a": {"b": 1}}, "doc": {"a": {"b": 1}}},
    # 9-11: Unicode case pairs, final sigma, non-BMP
    {"name": "ünï", "name_n": "ÜNÏ", "grp": "d", "n": 9, "body": "ünïcödé",
     "data": [1, 2, 3], "doc": [1, 2, 3], "color": Color.BLUE},
    {"name": "ÜNÏ", "name_n": "ünï", "grp": "d", "n": 10, "body": "ΟΔΥΣΣΕΥΣ",
     "data": "string", "doc": "string"},
    {"name": "ὀδυσσεύς", "name_n": "ΣΟΦΟΣ", "grp": "d", "n": 11, "body": "σοφος 🙂",
     "data": 1, "doc": 1},
    # 12: empty strings and zeroes
    {"name": "", "name_n": "", "grp": "e", "n": 0, "n_n": 0, "small": 0, "big": 0, "f": 0.0,
     "f_n": 0.0, "dec": Decimal("0"), "dec_n": Decimal("0"), "body": "", "data": True,
     "doc": True, "blob": b"", "dur": dt.timedelta(0), "dur_n": dt.timedelta(0),
     "email": "", "url": ""},
    # 13: integer extremes, negative numbers
    {"name": "max", "grp": "f", "n": 2**31 - 1, "n_n": -(2**31), "small": 2**15 - 1,
     "big": 2**63 - 1, "big_n": -(2**63), "f": 1e300, "f_n": -1e-300,
     "dec": Decimal("99999999.9999"), "dec_n": Decimal("-99999999.9999"),
     "data": {"a": -1, "k\"d": 2, "k'd": 3, "has_key": 1, "a.b": 4, "": 0},
     "doc": {"k\"d": 2}, "level": Level.HIGH},
    # 14: date and time extremes (in the nullable columns)
    {"name": "early", "grp": "g", "n": 14, "d_n": dt.date(1, 1, 1),
     "ts_n": dt.datetime.min.replace(tzinfo=UTC), "t_n": dt.time(0, 0),
     "dur_n": dt.timedelta(days=-1, seconds=5), "uid_n": uuid.UUID(int=0),
     "d": dt.date(2000, 2, 29), "ts": _ts(2000, 2, 29, 23, 59, 59, 999999),
     "t": dt.time(23, 59, 59, 999999), "data": {"a": 2, "b": {"c": "x"}}},
    {"name": "late", "grp": "g", "n": 15, "d_n": dt.date(9999, 12, 31),
     "ts_n": dt.datetime.max.replace(tzinfo=UTC), "t_n": dt.time(23, 59, 59, 999999),
     "dur_n": dt.timedelta(days=999999), "uid_n": uuid.UUID(int=2**128 - 1),
     "d": dt.date(1970, 1, 1), "ts": _ts(1970, 1, 1), "t": dt.time(0, 0, 0, 1),
     "data": {"a": 3, "ünï": "x", "b": None}},
    # 16: microseconds, a second of 59.6
    {"name": "micro", "grp": "h", "n": 16, "n_n": 16, "f": 16.0, "f_n": 2.5,
     "dec": Decimal("1.5000"), "dec_n": Decimal("1.5"), "ts": _ts(2024, 6, 15, 10, 0, 59, 600000),
     "ts_n": _ts(2024, 6, 15, 10, 0, 0, 1), "t": dt.time(12, 30, 15, 500000),
     "dur": dt.timedelta(microseconds=1), "uid": uuid.UUID("0a0b0c0d-0000-4000-8000-000000000010"),
     "data": {"a": {"b": {"c": 1}}, "list": [{"x": 1}]}, "doc": {"a": {"b": {"c": 1}}}},
    # 17-20: repeated values for grouping, distinct, ties
    {"name": "beta", "name_n": "beta", "grp": "h", "n": 16, "n_n": 16, "f": 16.5,
     "dec": Decimal("16.5000"), "flag": False, "flag_n": True, "data": {"a": 16},
     "d": dt.date(2024, 12, 31), "ts": _ts(2024, 12, 31, 23, 59, 59)},
    {"name": "beta", "name_n": None, "grp": "h", "n": 17, "n_n": None, "f": 17.0,
     "dec": Decimal("17.0000"), "flag": True, "flag_n": None, "data": None, "doc": None,
     "d": dt.date(2024, 12, 31), "ts": _ts(2023, 3, 5, 8, 15, 30)},
    {"name": "gamma", "name_n": "Gamma", "grp": "i", "n": -5, "n_n": -5, "f": -5.5,
     "dec": Decimal("-5.5000"), "data": {"a": "x%y"}, "doc": {"a": "x_y"},
     "ts": _ts(2024, 2, 29, 0, 0, 0), "d": dt.date(2024, 2, 29), "color": Color.GREEN},
    {"name": "delta straße", "name_n": "STRASSE", "grp": "i", "n": 100, "n_n": 100,
     "f": 100.0, "dec": Decimal("100.0000"), "body": "İstanbul", "data": {"a": [1, {"b": 2}]},
     "doc": {"a": [], "b": {}}, "d": dt.date(1999, 12, 31), "ts": _ts(1999, 12, 31, 23, 59, 59)},
]  # fmt: skip


def rows() -> list[dict[str, Any]]:
    """Every row as keyword arguments of the model (a fresh copy: tests may mutate them)."""
    out = []
    for i, row in enumerate(_ROWS, start=1):
        values = {**BASE, **row, "id": i}
        if values["doc"] is None:
            values["doc"] = {"null": None}
        out.append(values)
    return out


ROW_COUNT = len(_ROWS)

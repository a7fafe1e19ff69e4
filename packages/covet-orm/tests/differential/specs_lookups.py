"""Every lookup on every field type, through filter() and exclude() alike.

``LOOKUPS`` lists ``(field, lookup, value)``; each becomes two specs, ``f:<field>__<lookup>=<v>``
(``filter``) and ``x:...`` (``exclude``), answering the matching ids. exclude() is where NULLs,
missing JSON keys and three-valued logic show, so every lookup is asked both ways.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from .spec import SpecList

SPECS = S = SpecList("lookups")

UTC = dt.UTC
_STRINGS = ["alpha", "ALPHA", "", "%", "_", "\\", "!", "'", '"', "a%b", "a_b", "ünï", "ÜNÏ",
            "σοφος", "ΣΟΦΟΣ", "ς", "STRASSE", "straße", "🙂", "i̇stanbul"]  # fmt: skip
_TEXT_LOOKUPS = ["exact", "iexact", "contains", "icontains", "startswith", "istartswith",
                 "endswith", "iendswith"]  # fmt: skip

LOOKUPS: list[tuple[str, str, Any]] = []


def add(field: str, lookup: str, *values: Any) -> None:
    LOOKUPS.extend((field, lookup, v) for v in values)


# ---- text ----------------------------------------------------------------------------------
for _lookup in _TEXT_LOOKUPS:
    add("name", _lookup, *_STRINGS)
    add("name_n", _lookup, "alpha", "a", "", "ÜNÏ", "σοφος", "%", "\\", "!")
add("body", "icontains", "TEXT", "ΟΔΥΣΣΕΥΣ", "οδυσσευς", "ΣΟΦΟΣ", "İSTANBUL", "%", "_")
add("body", "contains", "%", "_", "\\", '"', "'", "🙂")
add("email", "iexact", "A@EXAMPLE.COM", "")
add("url", "startswith", "https://")
for _lookup in ("gt", "gte", "lt", "lte"):
    add("name", _lookup, "alpha", "", "a_b", "ünï", "Z")
    add("name_n", _lookup, "beta", "")
add("name", "in", ["alpha", "ALPHA", ""], [], ["ünï"], ["missing"])
add("name_n", "in", ["alpha", "ünï"], [""])
add("name", "range", ("a", "b"), ("", "alpha"), ("z", "a"))
add("name_n", "isnull", True, False)
add("name_n", "exact", None)
add("name", "regex", "^a.b$", "^[A-Z]", "ß", "^$", r"\\", "^(alpha|beta)$")
add("name", "iregex", "^alpha$", "ÜNÏ", "^[a-c]")
add("name_n", "regex", "^a", "^$")
add("grp", "exact", "a", "A")

# ---- numbers -------------------------------------------------------------------------------
for _field in ("n", "n_n", "small", "big", "big_n"):
    add(_field, "exact", 1, 0, -5, 16)
    add(_field, "gt", 0, 15)
    add(_field, "gte", 16)
    add(_field, "lt", 0, 3)
    add(_field, "lte", -1)
    add(_field, "in", [1, 2, 16], [], [-5, 100])
    add(_field, "range", (0, 16), (16, 0), (-10, -1))
add("n", "exact", 2**31 - 1, -(2**31), "5", "16", 1.0, 16.0, Decimal("16"), 1.9)
add("n", "gt", 1.5, "3")
add("n", "in", ["1", "2"], [1, None], [None])
add("n_n", "in", [1, None], [None], [16, None])
add("n_n", "isnull", True, False)
add("n_n", "exact", None)
add("big", "exact", 2**63 - 1)
add("big_n", "exact", -(2**63))
add("small", "exact", 2**15 - 1)
for _field in ("f", "f_n"):
    add(_field, "exact", 1.5, 0.1, 16, 0.0, -2.25)
    add(_field, "gt", 0, 16.25, 1e299)
    add(_field, "lt", 0, -1e-301)
    add(_field, "in", [0.1, 16.5, 1e300], [])
    add(_field, "range", (-1, 1), (1.5, 100))
add("f_n", "isnull", True)
add("f", "exact", "1.5", Decimal("0.1"))
for _field in ("dec", "dec_n"):
    add(_field, "exact", Decimal("1.5"), Decimal("1.5000"), Decimal("0"), Decimal("-2.25"))
    add(_field, "gt", Decimal("1.5"), 1, 0.5)
    add(_field, "lt", Decimal("0"), Decimal("-0.00005"))
    add(_field, "in", [Decimal("1.5"), Decimal("17")], [])
    add(_field, "range", (Decimal("-1"), Decimal("1.5")))
add("dec", "exact", Decimal("1.5000001"), Decimal("1.49999"), 1.5, "1.5", 17, Decimal("1E+1"))
add("dec", "gte", Decimal("16.49999"), Decimal("99999999.9999"))
add("dec_n", "isnull", True)
add("dec_n", "exact", Decimal("-0.0001"), Decimal("-0.00005"))

# ---- booleans ------------------------------------------------------------------------------
for _field in ("flag", "flag_n"):
    add(_field, "exact", True, False)
    add(_field, "in", [True], [False, True])
add("flag_n", "isnull", True, False)
add("flag_n", "exact", None)
add("flag", "exact", 1, 0)

# ---- dates and times -------------------------------------------------------------------------
for _field in ("d", "d_n"):
    add(_field, "exact", dt.date(2024, 1, 1), dt.date(9999, 12, 31), dt.date(1, 1, 1))
    add(_field, "gt", dt.date(2024, 1, 1), dt.date(1, 1, 1))
    add(_field, "lt", dt.date(2000, 1, 1))
    add(_field, "range", (dt.date(2000, 1, 1), dt.date(2024, 12, 31)))
    add(_field, "in", [dt.date(2024, 1, 1), dt.date(9999, 12, 31)])
    add(_field, "year", 2024, 9999, 1)
    add(_field, "month", 12, 2)
    add(_field, "day", 31, 29)
    add(_field, "year__gt", 2000)
    add(_field, "year__in", [1970, 9999])
    add(_field, "month__lte", 2)
add("d", "exact", "2024-01-01", dt.datetime(2024, 1, 1, 5, 0, tzinfo=UTC))
add("d", "gt", "2024-06-01")
add("d_n", "isnull", True)
_NOON = dt.datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
for _field in ("ts", "ts_n"):
    add(_field, "exact", _NOON, dt.datetime(2024, 1, 1, 10, 0, 59, 600000, tzinfo=UTC))
    add(_field, "gt", _NOON, dt.datetime(1, 1, 1, tzinfo=UTC))
    add(_field, "lt", dt.datetime(2000, 1, 1, tzinfo=UTC))
    add(_field, "gte", dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    add(_field, "range", (dt.datetime(2000, 1, 1, tzinfo=UTC), _NOON))
    add(_field, "in", [_NOON, dt.datetime(1970, 1, 1, tzinfo=UTC)])
    add(_field, "year", 2024, 9999, 1, 1970)
    add(_field, "month", 12, 1)
    add(_field, "day", 31, 1, 29)
    add(_field, "hour", 10, 23, 0)
    add(_field, "minute", 0, 59)
    add(_field, "second", 59, 0, 30)
    add(_field, "year__gte", 2024)
    add(_field, "second__gt", 58)
add("ts", "exact", "2024-01-01 10:00:00+00:00", dt.datetime(2024, 1, 1, 11, 0))
add("ts", "exact", dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
add("ts", "gt", "2024-06-15T10:00:59.5+00:00")
add("ts_n", "isnull", True, False)
for _field in ("t", "t_n"):
    add(_field, "exact", dt.time(10, 0), dt.time(23, 59, 59, 999999), dt.time(0, 0))
    add(_field, "gt", dt.time(12, 0))
    add(_field, "lt", dt.time(0, 0, 0, 2))
    add(_field, "range", (dt.time(10, 0), dt.time(12, 30, 15, 500000)))
    add(_field, "in", [dt.time(10, 0), dt.time(0, 0)])
add("t", "exact", "10:00:00", "12:30:15.5")
add("t_n", "isnull", True)
for _field in ("dur", "dur_n"):
    add(_field, "exact", dt.timedelta(hours=1), dt.timedelta(0), dt.timedelta(microseconds=1))
    add(_field, "gt", dt.timedelta(minutes=59), dt.timedelta(days=-1))
    add(_field, "lt", dt.timedelta(0))
    add(_field, "in", [dt.timedelta(hours=1), dt.timedelta(days=999999)])
    add(_field, "range", (dt.timedelta(0), dt.timedelta(hours=2)))
add("dur_n", "isnull", True)

# ---- uuids, binary, enums ----------------------------------------------------------------------
_U1 = uuid.UUID(int=1)
for _field in ("uid", "uid_n"):
    add(_field, "exact", _U1, uuid.UUID(int=0), str(_U1), _U1.hex)
    add(_field, "in", [_U1, uuid.UUID(int=2**128 - 1)], [str(_U1)])
    add(_field, "gt", uuid.UUID(int=1))
add("uid_n", "isnull", True)
add("uid", "startswith", "0a0b")
add("uid", "icontains", "0A0B")
add("uid", "regex", "^0a")
add("blob", "exact", b"", b"\x00\x01")
add("blob", "isnull", True)
add("color", "exact", "red", "green")
add("color", "in", ["red", "blue"])
add("level", "exact", 1, 3)
add("level", "in", [1, 2])
add("level", "isnull", True)
add("level", "gt", 1)

# ---- JSON ---------------------------------------------------------------------------------------
for _field in ("data", "doc"):
    add(_field, "a", 1, 1.0, True, "1", None, -1, 16, "x%y", [1, 2], {"b": 1}, [])
    add(_field, "a__isnull", True, False)
    add(_field, "a__gt", 1, 0.5, "1")
    add(_field, "a__lte", 2)
    add(_field, "a__in", [1, 2], ["1", 16])
    add(_field, "a__b", 1, None)
    add(_field, "b__c", "deep", "x")
    add(_field, "a__b__c", 1)
    add(_field, "has_key", "a", "b", "zz", 'k"d')
    add(_field, "has_keys", ["a", "b"])
    add(_field, "has_any_keys", ["b", "zz"])
    add(_field, "contains", {"a": 1}, [1], {"a": {"b": 1}}, {})
    add(_field, "contained_by", {"a": 1, "b": 2}, [1, 2, 3])
    add(_field, "0", 1)
    add(_field, "a__0", 1)
    add(_field, "a__1__b", 2)
    add(_field, 'k"d', 2)
    add(_field, "k'd", 3)
    add(_field, "a__startswith", "x")
    add(_field, "a__icontains", "X%")
    add(_field, "exact", "string", 1, True, [1, 2, 3], {"a": 1}, {})
add("data", "isnull", True, False)
add("data", "exact", None)
add("data", "list__0__x", 1)
add("data", "ünï", "x")
add("data", "has_key", "ünï")


def _short(value: Any) -> str:
    """A value as it reads in a test id (short, and distinct for distinct values)."""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return f"td({value.days},{value.seconds},{value.microseconds})"
    if isinstance(value, Decimal):
        return f"D({value})"
    if isinstance(value, uuid.UUID):
        return f"U({value.int})" if value.int < 1000 else f"U({value.hex[:8]})"
    if isinstance(value, list | tuple):
        inner = ",".join(_short(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    return repr(value)


def _spec(field: str, lookup: str, value: Any, method: str) -> Any:
    key = field if lookup == "exact" and value is None else f"{field}__{lookup}"

    def build(o: Any) -> Any:
        qs = getattr(o.items, method)(**{key: value})
        return qs.values_list("id", flat=True)

    return build


for _field, _lookup, _value in LOOKUPS:
    for _method, _prefix in (("filter", "f"), ("exclude", "x")):
        _name = f"{_prefix}:{_field}__{_lookup}={_short(_value)}"
        S(_name, _spec(_field, _lookup, _value, _method), raises=None, tags=(_lookup, _field))

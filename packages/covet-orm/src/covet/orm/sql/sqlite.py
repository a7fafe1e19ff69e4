"""SQLite (3.35+) spelling: ``?`` placeholders, RETURNING, ON CONFLICT, a registered REGEXP.

Compiled queries number their placeholders (``?1``, ``?2``): a fragment holding one may then be
written twice (the JSON conditions below repeat their column) and still bind one value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from covet.orm._exceptions import FieldError
from covet.orm.sql import _values as v
from covet.orm.sql.dialect import DATETIME_PARTS, Dialect, Param

#: an IN list longer than this goes as one JSON parameter (SQLite binds at most 32,766; builds
#: before 3.32 only 999)
PACK_IN_PAST = 400
#: where each part sits in the fixed-width ISO text covet stores (datetime ``YYYY-MM-DD
#: HH:MM:SS.ffffff+00:00``, date ``YYYY-MM-DD``, time ``HH:MM:SS.ffffff``): read straight from the
#: text, so year 9999 works (strftime() gives NULL once microseconds round up to year 10000)
_OFFSETS = {"year": (1, 4), "month": (6, 2), "day": (9, 2), "hour": (12, 2), "minute": (15, 2),
            "second": (18, 2)}  # fmt: skip
_TIME_OFFSETS = {"hour": (1, 2), "minute": (4, 2), "second": (7, 2)}
_SPREAD = {"STDDEV_POP", "STDDEV_SAMP", "VAR_POP", "VAR_SAMP"}


def _casefold(value: object) -> object:
    """Unicode case folding for the i-lookups (SQLite's LOWER and LIKE fold ASCII only)."""
    return value.casefold() if isinstance(value, str) else value


class SqliteDialect(Dialect):
    name = "sqlite"
    insert_returns_last_id = True
    param_style = "qmark"
    supports_for_update = False  # writers are serialised by BEGIN IMMEDIATE instead
    explain_prefix = "EXPLAIN QUERY PLAN "
    begin_sql = "BEGIN IMMEDIATE"
    max_params = 32766
    type_names: ClassVar[dict[str, str]] = {
        "smallint": "SMALLINT",
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "float": "REAL",
        "decimal": "DECIMAL({max_digits}, {decimal_places})",
        "boolean": "BOOLEAN",
        "varchar": "VARCHAR({max_length})",
        "text": "TEXT",
        "date": "DATE",
        "datetime": "DATETIME",
        "time": "TIME",
        "duration": "BIGINT",
        "uuid": "CHAR(36)",
        "json": "TEXT",
        "binary": "BLOB",
    }
    auto_pk: ClassVar[dict[str, str]] = {
        "autoincrement": "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
        "bigautoincrement": "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
    }

    def __init__(self) -> None:
        super().__init__()
        self.adapters.update(
            decimal=v.decimal_to_sqlite,
            boolean=v.bool_to_int,
            date=v.date_to_text,
            datetime=v.datetime_to_text,
            time=v.time_to_text,
            duration=v.duration_to_int,
            uuid=v.uuid_to_text,
            json=v.json_dumps,
        )
        self.converters.update(
            decimal=v.to_decimal,
            boolean=v.to_bool,
            date=v.text_to_date,
            datetime=v.text_to_datetime,
            time=v.text_to_time,
            duration=v.int_to_duration,
            uuid=v.text_to_uuid,
            json=v.json_loads,
        )

    def pack_in(self, values: list[Any], kind: str | None) -> Any | None:
        # a long list travels as one JSON array read by json_each(): well below the ceiling, so
        # that several lists in one statement stay under it together
        if len(values) <= PACK_IN_PAST:
            return None
        try:
            return json.dumps(values, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise FieldError(
                f"an 'in' list of {len(values)} values is more than SQLite binds one per "
                f"parameter ({self.max_params}), and these values cannot travel as JSON "
                f"({error}); split the list"
            ) from error

    def packed_in(self, lhs: str, placeholder: str) -> str:
        return f"{lhs} IN (SELECT value FROM json_each({placeholder}))"  # noqa: S608 - SQL parts

    #: SQL functions every connection registers (name, number of arguments, function):
    #: ``covet_casefold`` makes iexact/icontains/... match "ÜNÏ" with "ünï", as on the
    #: servers (measured: 2.5x the ASCII LOWER on a 200,000-row scan, 0.3 us a row)
    functions: ClassVar[list[tuple[str, int, Any]]] = [("covet_casefold", 1, _casefold)]
    cast_types: ClassVar[dict[str, str]] = {
        "smallint": "INTEGER", "integer": "INTEGER", "bigint": "INTEGER", "float": "REAL",
        "decimal": "NUMERIC", "boolean": "INTEGER", "varchar": "TEXT", "text": "TEXT",
        "autoincrement": "INTEGER", "bigautoincrement": "INTEGER",
    }  # fmt: skip

    def placeholder(self, index: int) -> str:
        return f"?{index}"

    def integer_range(self, kind: str | None) -> tuple[int, int]:
        return (-(2**63), 2**63 - 1)  # SQLite keeps any 64-bit integer whatever the type says

    def like(self, lhs: str, rhs: str, *, case_insensitive: bool = False) -> str:
        if case_insensitive:
            return f"covet_casefold({lhs}) LIKE covet_casefold({rhs}) ESCAPE '!'"
        return f"{lhs} LIKE {rhs} ESCAPE '!'"

    def iexact(self, lhs: str, rhs: str) -> str:
        return f"covet_casefold({lhs}) = covet_casefold({rhs})"

    def combine(self, op: str, lhs: str, rhs: str, left: str | None, right: str | None) -> str:
        if op == "%":
            return f"({lhs} % {rhs})"
        return super().combine(op, lhs, rhs, left, right)

    def aggregate(self, function: str, argument: str) -> str:
        # no STDDEV/VARIANCE in SQLite: from the sums (numbered placeholders repeat safely)
        if function in _SPREAD:
            x = f"CAST({argument} AS REAL)"
            n = f"COUNT({argument})"
            square = f"(SUM({x} * {x}) - SUM({x}) * SUM({x}) / {n})"
            sample = function.endswith("_SAMP")
            variance = f"({square} / NULLIF({n} - 1, 0))" if sample else f"({square} / {n})"
            # rounding can leave -1e-17 for equal values: clamp before the square root
            variance = f"MAX({variance}, 0.0)"
            return f"SQRT({variance})" if function.startswith("STDDEV") else variance
        return f"{function}({argument})"

    def compound_part(self, sql: str) -> str:
        return f"SELECT * FROM ({sql})"  # noqa: S608 - no parentheses around compound members

    def greatest(self, args: Sequence[str], *, largest: bool) -> str:
        return f"{'MAX' if largest else 'MIN'}({', '.join(args)})"

    def cast(self, sql: str, field: Any, source_kind: str | None) -> str:
        if field.kind == "date":
            return f"substr({sql}, 1, 10)" if source_kind == "datetime" else sql
        if field.kind in ("datetime", "time", "uuid", "json", "duration"):
            return sql  # kept as covet's text (or microseconds) already
        return super().cast(sql, field, source_kind)

    def trunc(self, unit: str, sql: str, kind: str) -> str:
        # covet's fixed-width UTC text: keep the head, write the rest
        keep = {"year": 4, "month": 7, "day": 10, "hour": 13, "minute": 16, "second": 19}
        zero = "-01-01 00:00:00.000000+00:00"
        if kind == "date":
            zero = zero[:6]
        if unit == "week":
            monday = f"date(substr({sql}, 1, 10), '-6 days', 'weekday 1')"
            return monday if kind == "date" else f"({monday} || ' 00:00:00.000000+00:00')"
        if unit == "quarter":
            month = f"((CAST(substr({sql}, 6, 2) AS INTEGER) - 1) / 3 * 3 + 1)"
            head = f"(substr({sql}, 1, 5) || printf('%02d', {month}))"
            return f"({head} || '{zero[3:]}')"
        n = keep[unit]
        return f"(substr({sql}, 1, {n}) || '{zero[n - 4 :]}')"

    def bool_literal(self, value: bool) -> str:
        return "1" if value else "0"

    def limit_offset(self, limit: str | None, offset: str | None) -> str:
        if offset is not None and limit is None:
            return f" LIMIT -1 OFFSET {offset}"
        return super().limit_offset(limit, offset)

    def regex(self, lhs: str, rhs: str, *, case_insensitive: bool = False) -> str:
        if case_insensitive:
            return f"{lhs} REGEXP ('(?i)' || {rhs})"
        return f"{lhs} REGEXP {rhs}"

    def date_part(self, part: str, lhs: str, kind: str = "datetime") -> str:
        if part not in DATETIME_PARTS:
            raise ValueError(f"unknown date part {part!r}")
        if kind == "time":
            start, length = _TIME_OFFSETS[part]
            return f"CAST(substr({lhs}, {start}, {length}) AS INTEGER)"
        if part in _OFFSETS:
            start, length = _OFFSETS[part]
            return f"CAST(substr({lhs}, {start}, {length}) AS INTEGER)"
        day = f"substr({lhs}, 1, 10)"
        if part == "week_day":
            return f"(CAST(strftime('%w', {day}) AS INTEGER) + 1)"
        if part == "iso_week_day":
            return f"((CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7 + 1)"
        if part == "quarter":
            return f"((CAST(substr({lhs}, 6, 2) AS INTEGER) + 2) / 3)"
        # ISO 8601: a week belongs to the year of its Thursday, and is numbered from there
        thursday = f"date({day}, '-3 days', 'weekday 4')"
        if part == "iso_year":
            return f"CAST(strftime('%Y', {thursday}) AS INTEGER)"
        return f"((CAST(strftime('%j', {thursday}) AS INTEGER) + 6) / 7)"

    def datetime_date(self, lhs: str) -> str:
        return f"substr({lhs}, 1, 10)"

    def datetime_time(self, lhs: str) -> str:
        return f"substr({lhs}, 12, 15)"

    # -- JSON (the JSON1 functions; containment written out for the value at hand) -------------
    def json_path(self, keys: Sequence[str | int]) -> Any:
        # SQLite matches a path label against the key as stored (JSON-escaped, as covet writes
        # it): a key with a double quote goes unquoted (a quoted label ends at its first quote)
        parts = ["$"]
        for key in keys:
            if isinstance(key, int):
                parts.append(f"[{key}]")
                continue
            label = json.dumps(key, ensure_ascii=False)[1:-1]
            parts.append(f".{label}" if '"' in key else f'."{label}"')
        return "".join(parts)

    def json_key(self, lhs: str, path: str) -> str:
        # JSON true/false as text, as the other databases give them (json_extract says 1/0)
        kind = f"json_type({lhs}, {path})"
        return (
            f"(CASE {kind} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
            f"ELSE json_extract({lhs}, {path}) END)"
        )

    def json_value(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        if not keys:
            return column
        # json_quote() keeps JSON from json_extract() as it is and quotes a bare string
        return f"json_quote(json_extract({column}, {param(self.json_path(keys))}))"

    def json_missing(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        return f"json_type({column}, {param(self.json_path(keys))}) IS NULL"

    def json_has_path(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        return f"json_type({column}, {param(self.json_path(keys))}) IS NOT NULL"

    def json_equals(self, column: str, keys: Sequence[str | int], value: Any, param: Param) -> str:
        return _JsonSql(column, param).equals(param(self.json_path(keys)), value)

    def json_contains(
        self, column: str, keys: Sequence[str | int], value: Any, param: Param
    ) -> str:
        return _JsonSql(column, param).contains(param(self.json_path(keys)), value, top=True)

    def json_contained_by(
        self, column: str, keys: Sequence[str | int], value: Any, param: Param
    ) -> str:
        return _JsonSql(column, param).contained_by(param(self.json_path(keys)), value, top=True)

    def json_compare(
        self, column: str, keys: Sequence[str | int], op: str, value: Any, param: Param
    ) -> str:
        path = param(self.json_path(keys))  # numbered: written twice, bound once
        kinds = "'text'" if isinstance(value, str) else "'integer', 'real'"
        read = f"json_extract({column}, {path})"
        return f"(json_type({column}, {path}) IN ({kinds}) AND {read} {op} {param(value)})"


class _JsonSql:
    """Conditions on the JSON value at a path of one column, written out for a known Python
    value with PostgreSQL's jsonb semantics: equality is typed (1 equals 1.0, not true or "1";
    objects ignore key order), containment is ``@>``. A path is SQL: a placeholder, or the
    ``fullkey`` of a ``json_each`` row when the condition walks into an array or object."""

    def __init__(self, column: str, param: Param) -> None:
        self.column, self.param = column, param
        self.depth = 0

    def _type(self, path: str) -> str:
        return f"json_type({self.column}, {path})"

    def _each(self, path: str) -> tuple[str, str]:
        self.depth += 1
        alias = f"j{self.depth}"
        return f"json_each({self.column}, {path}) AS {alias}", alias

    def scalar(self, path: str, value: Any) -> str:
        kind = self._type(path)
        if value is None:
            return f"{kind} = 'null'"
        if isinstance(value, bool):
            return f"{kind} = '{'true' if value else 'false'}'"
        extract = f"json_extract({self.column}, {path})"
        if isinstance(value, int | float):
            return f"({kind} IN ('integer', 'real') AND {extract} = {self.param(value)})"
        return f"({kind} = 'text' AND {extract} = {self.param(value)})"

    def equals(self, path: str, value: Any) -> str:
        if isinstance(value, dict):
            each = self._each(path)[0]
            count = f"(SELECT COUNT(*) FROM {each})"  # noqa: S608
            parts = [f"{self._type(path)} = 'object'", f"{count} = {self.param(len(value))}"]
            parts += [self.equals(self._child(path, key), item) for key, item in value.items()]
            return "(" + " AND ".join(parts) + ")"
        if isinstance(value, list):
            length = f"json_array_length({self.column}, {path})"
            parts = [f"{self._type(path)} = 'array'", f"{length} = {self.param(len(value))}"]
            parts += [self.equals(self._child(path, i), item) for i, item in enumerate(value)]
            return "(" + " AND ".join(parts) + ")"
        return self.scalar(path, value)

    def _child(self, path: str, key: str | int) -> str:
        """The path of a member: appended in SQL, so it works below a json_each() fullkey."""
        if isinstance(key, int):
            step = f"[{key}]"
        else:
            label = json.dumps(key, ensure_ascii=False)[1:-1]
            step = f".{label}" if '"' in key else f'."{label}"'
        return f"({path} || {self.param(step)})"

    def contains(self, path: str, value: Any, *, top: bool = False) -> str:
        if isinstance(value, dict):
            parts = [f"{self._type(path)} = 'object'"]
            parts += [self.contains(self._child(path, k), item) for k, item in value.items()]
            return "(" + " AND ".join(parts) + ")"
        if isinstance(value, list):
            parts = [f"{self._type(path)} = 'array'"]
            for item in value:
                each, j = self._each(path)
                inner = self.contains(f"{j}.fullkey", item)
                parts.append(f"EXISTS (SELECT 1 FROM {each} WHERE {inner})")  # noqa: S608
            return "(" + " AND ".join(parts) + ")"
        if top:  # as in PostgreSQL, an array at the top contains a primitive it holds
            each, j = self._each(path)
            held = self.scalar(f"{j}.fullkey", value)
            member = f"EXISTS (SELECT 1 FROM {each} WHERE {held})"  # noqa: S608
            return f"({self.scalar(path, value)} OR ({self._type(path)} = 'array' AND {member}))"
        return self.scalar(path, value)

    def contained_by(self, path: str, value: Any, *, top: bool = False) -> str:
        if isinstance(value, dict):
            each, j = self._each(path)
            cases = " ".join(
                f"WHEN {self.param(k)} THEN {self.contained_by(f'{j}.fullkey', item)}"
                for k, item in value.items()
            )
            fits = f"(CASE {j}.key {cases} ELSE 0 END)" if value else "0"
            extra = f"NOT EXISTS (SELECT 1 FROM {each} WHERE NOT {fits})"  # noqa: S608
            return f"({self._type(path)} = 'object' AND {extra})"
        if isinstance(value, list):
            each, j = self._each(path)
            options = [self.contained_by(f"{j}.fullkey", item) for item in value]
            fits = "(" + " OR ".join(options) + ")" if options else "0"
            extra = f"NOT EXISTS (SELECT 1 FROM {each} WHERE NOT {fits})"  # noqa: S608
            inside = f"({self._type(path)} = 'array' AND {extra})"
            if top and value:  # a primitive at the top is contained by an array holding it
                scalars = [self.scalar(path, item) for item in value if not _nested(item)]
                if scalars:
                    return "(" + " OR ".join([inside, *scalars]) + ")"
            return inside
        return self.scalar(path, value)


def _nested(value: Any) -> bool:
    return isinstance(value, dict | list)

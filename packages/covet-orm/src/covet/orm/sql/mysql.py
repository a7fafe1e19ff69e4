"""MySQL/MariaDB spelling: backticks, ``%s`` placeholders (``%`` doubled), binary collation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from covet.orm.sql import _values as v
from covet.orm.sql.dialect import DATETIME_PARTS, Dialect, Param

_EXTRACT = {"year": "YEAR", "month": "MONTH", "day": "DAY", "hour": "HOUR", "minute": "MINUTE",
            "second": "SECOND"}  # fmt: skip
#: the other parts as MySQL functions (``WEEK(x, 3)``: ISO 8601 weeks)
_FUNCTIONS = {
    "week": "WEEK({}, 3)", "week_day": "DAYOFWEEK({})", "iso_week_day": "(WEEKDAY({}) + 1)",
    "quarter": "QUARTER({})", "iso_year": "(YEARWEEK({}, 3) DIV 100)",
}  # fmt: skip


class MySQLDialect(Dialect):
    """MariaDB 10.11 (MySQL 8 best effort).

    Tables are created with ``utf8mb4_bin`` so comparisons, LIKE and unique constraints are case
    sensitive as on SQLite and PostgreSQL; ``i``-lookups lower both sides.
    """

    name = "mysql"
    insert_returns_last_id = True
    supports_returning_upsert = False
    param_style = "format"
    quote_char = "`"
    supports_returning_update = False  # MariaDB: RETURNING on INSERT and DELETE only
    supports_ddl_transactions = False
    max_params = 65535
    begin_sql = "START TRANSACTION"
    create_table_suffix = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    type_names: ClassVar[dict[str, str]] = {
        "smallint": "SMALLINT",
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "float": "DOUBLE",
        "decimal": "DECIMAL({max_digits}, {decimal_places})",
        "boolean": "BOOL",
        "varchar": "VARCHAR({max_length})",
        "text": "LONGTEXT",
        "date": "DATE",
        "datetime": "DATETIME(6)",
        "time": "TIME(6)",
        "duration": "BIGINT",
        "uuid": "CHAR(36)",
        "json": "LONGTEXT",
        "binary": "LONGBLOB",
    }
    auto_pk: ClassVar[dict[str, str]] = {
        "autoincrement": "INTEGER NOT NULL AUTO_INCREMENT PRIMARY KEY",
        "bigautoincrement": "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY",
    }

    def __init__(self) -> None:
        super().__init__()
        self.adapters.update(
            boolean=v.bool_to_int,
            datetime=v.datetime_to_utc_naive,
            duration=v.duration_to_int,
            uuid=v.uuid_to_text,
            json=v.json_dumps,
        )
        self.converters.update(
            decimal=v.to_decimal,
            boolean=v.to_bool,
            # no datetime converter: the backend decodes DATETIME/TIMESTAMP to aware UTC itself
            time=v.text_to_time,
            duration=v.int_to_duration,
            uuid=v.text_to_uuid,
            json=v.json_loads,
            binary=v.to_bytes,
        )

    supports_aggregate_filter = False
    supports_limit_in_subquery = False
    supports_lag_default = False  # MariaDB: LAG(x, n) only
    #: a bound datetime read back in a SELECT would be text: typed like the columns
    param_types: ClassVar[dict[str, str]] = {
        "datetime": "DATETIME(6)", "date": "DATE", "time": "TIME(6)",
    }  # fmt: skip
    cast_types: ClassVar[dict[str, str]] = {
        "smallint": "SIGNED", "integer": "SIGNED", "bigint": "SIGNED", "float": "DOUBLE",
        "boolean": "SIGNED", "varchar": "CHAR", "text": "CHAR", "uuid": "CHAR",
        "autoincrement": "SIGNED", "bigautoincrement": "SIGNED", "json": "CHAR",
        "duration": "SIGNED",
    }  # fmt: skip

    def quote(self, name: str) -> str:
        # identifiers are SQL text too: a ``%`` in a table, column or alias name is doubled
        return super().quote(name).replace("%", "%%")

    def param(self, index: int) -> str:
        return "%s"

    def text(self, sql: str) -> str:
        return sql.replace("%", "%%")

    def bool_literal(self, value: bool) -> str:
        return "1" if value else "0"

    def limit_offset(self, limit: str | None, offset: str | None) -> str:
        if offset is not None and limit is None:
            return f" LIMIT 18446744073709551615 OFFSET {offset}"
        return super().limit_offset(limit, offset)

    def insert_default_values(self, table: str) -> str:
        return f"INSERT INTO {self.quote(table)} () VALUES ()"  # noqa: S608

    def upsert(self, conflict: Sequence[str], update: Sequence[str]) -> str:
        # MySQL picks the conflicting key itself; ``conflict`` must name a unique key.
        if not update:
            pk_noop = self.quote(conflict[0])
            return f" ON DUPLICATE KEY UPDATE {pk_noop} = {pk_noop}"
        sets = ", ".join(f"{self.quote(c)} = VALUES({self.quote(c)})" for c in update)
        return f" ON DUPLICATE KEY UPDATE {sets}"

    def insert_ignore(self) -> tuple[str, str]:
        return "INSERT IGNORE INTO", ""

    def regex(self, lhs: str, rhs: str, *, case_insensitive: bool = False) -> str:
        if case_insensitive:
            return f"{lhs} REGEXP CONCAT('(?i)', {rhs})"
        return f"{lhs} REGEXP {rhs}"

    def date_part(self, part: str, lhs: str, kind: str = "datetime") -> str:
        if part not in DATETIME_PARTS:
            raise ValueError(f"unknown date part {part!r}")
        if part in _EXTRACT:
            return f"CAST(EXTRACT({_EXTRACT[part]} FROM {lhs}) AS SIGNED)"
        return _FUNCTIONS[part].format(lhs)

    def datetime_date(self, lhs: str) -> str:
        return f"DATE({lhs})"

    def datetime_time(self, lhs: str) -> str:
        return f"TIME({lhs})"

    def concat(self, parts: Sequence[str]) -> str:
        return f"CONCAT({', '.join(parts)})"

    def concat_text(self, args: Sequence[str]) -> str:
        return f"CONCAT_WS('', {', '.join(args)})"  # skips NULLs

    def combine(self, op: str, lhs: str, rhs: str, left: str | None, right: str | None) -> str:
        if op == "/" and left == right == "int":  # `/` would answer a DECIMAL
            return f"({lhs} DIV {rhs})"
        return super().combine(op, lhs, rhs, left, right)

    def to_float(self, sql: str) -> str:
        return f"CAST({sql} AS DOUBLE)"  # AVG/VAR_POP of integers would be a 4-place DECIMAL

    def length(self, sql: str) -> str:
        return f"CHAR_LENGTH({sql})"  # LENGTH() counts bytes

    def random(self) -> str:
        return "RAND()"

    def xor(self, parts: Sequence[str]) -> str:
        return " XOR ".join(f"({p})" for p in parts)

    def order_term(self, render: Callable[[], str], descending: bool, nulls: str | None) -> str:
        # no NULLS FIRST/LAST: sort on IS NULL first (MySQL puts NULLs first when ascending)
        sql = render() + (" DESC" if descending else "")
        if nulls is None or (nulls == "first") != descending:
            return sql
        return f"({render()} IS NULL){' DESC' if nulls == 'first' else ''}, {sql}"

    def trunc(self, unit: str, sql: str, kind: str) -> str:
        if unit == "week":
            monday = f"DATE_SUB(DATE({sql}), INTERVAL WEEKDAY({sql}) DAY)"
            return monday if kind == "date" else f"CAST({monday} AS DATETIME(6))"
        if unit == "quarter":
            first = f"MAKEDATE(YEAR({sql}), 1) + INTERVAL (QUARTER({sql}) - 1) QUARTER"
            return first if kind == "date" else f"CAST({first} AS DATETIME(6))"
        formats = {
            "year": "%Y-01-01 00:00:00", "month": "%Y-%m-01 00:00:00",
            "day": "%Y-%m-%d 00:00:00", "hour": "%Y-%m-%d %H:00:00",
            "minute": "%Y-%m-%d %H:%i:00", "second": "%Y-%m-%d %H:%i:%s",
        }  # fmt: skip
        pattern = self.text(f"'{formats[unit]}'")
        target = "DATE" if kind == "date" else "DATETIME(6)"
        return f"CAST(DATE_FORMAT({sql}, {pattern}) AS {target})"

    # -- JSON (MariaDB keeps JSON as text; JSON_EQUALS compares it as JSON) --------------------
    # No fragment here repeats a piece of SQL it was given: ``%s`` placeholders bind in order.
    def json_key(self, lhs: str, path: str) -> str:
        return f"JSON_UNQUOTE(JSON_EXTRACT({lhs}, {path}))"

    def json_value(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        if not keys:
            return column
        return f"JSON_EXTRACT({column}, {param(self.json_path(keys))})"

    def json_equals(self, column: str, keys: Sequence[str | int], value: Any, param: Param) -> str:
        # MariaDB 10.11's JSON_EQUALS() answers 1 for a NULL read from a row: test it first
        present = f"{self.json_value(column, keys, param)} IS NOT NULL"
        document = self.json_value(column, keys, param)
        return f"({present} AND JSON_EQUALS({document}, {param(v.json_text(value))}))"

    def json_missing(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        return f"{self.json_value(column, keys, param)} IS NULL"

    def json_has_path(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        # JSON null at the path reads as the text 'null', never SQL NULL: true or false, as the
        # other databases' (JSON_CONTAINS_PATH would be NULL for a NULL column, inside NOT too)
        return f"{self.json_value(column, keys, param)} IS NOT NULL"

    def json_contains(
        self, column: str, keys: Sequence[str | int], value: Any, param: Param
    ) -> str:
        candidate = param(v.json_text(value))
        if not keys:
            return f"JSON_CONTAINS({column}, {candidate})"
        return f"JSON_CONTAINS({column}, {candidate}, {param(self.json_path(keys))})"

    def json_contained_by(
        self, column: str, keys: Sequence[str | int], value: Any, param: Param
    ) -> str:
        target = param(v.json_text(value))
        return f"JSON_CONTAINS({target}, {self.json_value(column, keys, param)})"

    def json_compare(
        self, column: str, keys: Sequence[str | int], op: str, value: Any, param: Param
    ) -> str:
        kind = f"JSON_TYPE({self.json_value(column, keys, param)})"
        read = self.json_value(column, keys, param)
        if isinstance(value, str):
            return f"({kind} = 'STRING' AND JSON_UNQUOTE({read}) {op} {param(value)})"
        numeric = "('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL')"
        return f"({kind} IN {numeric} AND CAST({read} AS DOUBLE) {op} {param(value)})"

    def create_index(
        self, name: str, table: str, columns: Sequence[str], *, unique: bool = False
    ) -> str:
        # MariaDB 10.1.4+ understands IF NOT EXISTS here; MySQL 8 does not (best effort).
        return super().create_index(name, table, columns, unique=unique)

"""SQLite (3.35+) spelling: ``?`` placeholders, RETURNING, ON CONFLICT, a registered REGEXP."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from covet.orm._exceptions import FieldError
from covet.orm.sql import _values as v
from covet.orm.sql.dialect import DATE_PARTS, Dialect

#: an IN list longer than this goes as one JSON parameter (SQLite binds at most 32,766; builds
#: before 3.32 only 999)
PACK_IN_PAST = 400
_STRFTIME = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S"}


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

    def date_part(self, part: str, lhs: str) -> str:
        if part not in DATE_PARTS:
            raise ValueError(f"unknown date part {part!r}")
        return f"CAST(strftime('{_STRFTIME[part]}', {lhs}) AS INTEGER)"

    def json_key(self, lhs: str, path: str) -> str:
        return f"json_extract({lhs}, {path})"

    def json_compare_value(self, value: object) -> object:
        return self.json_scalar(value)

    def json_scalar(self, value: object) -> object:
        if isinstance(value, bool):
            return int(value)
        return value

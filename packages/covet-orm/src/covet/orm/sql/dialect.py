"""The Dialect interface: every piece of SQL text that differs between databases lives here.

The compiler (``covet.orm.sql.compiler``) writes SQL through a ``Dialect``; it never spells out a
database-specific construct itself. Value storage also differs (SQLite keeps datetimes as ISO text,
MariaDB has no UUID type, asyncpg speaks native types), so a dialect also owns one *adapter*
(Python -> driver) and one *converter* (driver -> Python) per column kind; fields look them up once
and the hydrator applies precomputed converters per column.

Column kinds (``Field.kind``): ``autoincrement``, ``bigautoincrement``, ``smallint``, ``integer``,
``bigint``, ``float``, ``decimal``, ``boolean``, ``varchar``, ``text``, ``date``, ``datetime``,
``time``, ``duration``, ``uuid``, ``json``, ``binary``.

Placeholders: the compiler numbers parameters from 1 and asks ``param(n)``; ``?`` (SQLite),
``$n`` (PostgreSQL) or ``%s`` (MySQL). With the ``format`` style every literal ``%`` written in SQL
text is doubled by ``text()``, and executors ALWAYS pass a params tuple (possibly empty) so the
driver un-doubles it.

Sessions: PostgreSQL and MySQL connections are expected to run in UTC (``TimeZone=UTC`` /
``time_zone='+00:00'``) so date-part extraction is in UTC, and MySQL connections in autocommit mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from covet.orm._exceptions import NotSupportedError

Adapter = Callable[[Any], Any]
Param = Callable[[Any], str]

#: parts of a date (``published__year``, ``Extract("published", "quarter")``); a datetime also
#: has the time parts. ``week`` and ``iso_year`` are ISO 8601's, ``week_day`` counts 1 = Sunday
#: to 7 = Saturday and ``iso_week_day`` 1 = Monday to 7 = Sunday (as Django).
DATE_PARTS = ("year", "month", "day", "week", "week_day", "iso_week_day", "quarter", "iso_year")
TIME_PARTS = ("hour", "minute", "second")
DATETIME_PARTS = DATE_PARTS + TIME_PARTS
_INT_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "autoincrement": (-(2**31), 2**31 - 1),
}
_INT64 = (-(2**63), 2**63 - 1)
_TEMPORAL = {"datetime", "date", "duration"}


class Dialect:
    """Base class: the ANSI spelling; subclasses override what their database spells differently."""

    name: ClassVar[str] = "ansi"
    param_style: ClassVar[str] = "qmark"
    quote_char: ClassVar[str] = '"'
    #: INSERT ... RETURNING
    supports_returning_insert: ClassVar[bool] = True
    #: UPDATE/DELETE ... RETURNING
    supports_returning_update: ClassVar[bool] = True
    #: INSERT ... ON CONFLICT/DUPLICATE KEY ... RETURNING
    supports_returning_upsert: ClassVar[bool] = True
    #: a single-row INSERT reports the new auto key as the cursor's last id (no RETURNING needed)
    insert_returns_last_id: ClassVar[bool] = False
    supports_for_update: ClassVar[bool] = True
    #: COUNT(x) FILTER (WHERE ...)
    supports_aggregate_filter: ClassVar[bool] = True
    #: timestamp + interval and friends in SQL (F("when") + timedelta(...))
    supports_date_arithmetic: ClassVar[bool] = False
    #: INSERT ... SELECT FROM unnest(one array per column): see ``array_rows``
    supports_array_insert: ClassVar[bool] = False
    #: LAG(x, 1, default)
    supports_lag_default: ClassVar[bool] = True
    #: x IN (SELECT ... LIMIT n)
    supports_limit_in_subquery: ClassVar[bool] = True
    #: SELECT DISTINCT ON (...)
    supports_distinct_on: ClassVar[bool] = False
    supports_ddl_transactions: ClassVar[bool] = True
    #: most bound parameters one statement may carry
    max_params: ClassVar[int] = 32766
    explain_prefix: ClassVar[str] = "EXPLAIN "
    begin_sql: ClassVar[str] = "BEGIN"
    #: text appended after CREATE TABLE (...)
    create_table_suffix: ClassVar[str] = ""
    #: column kind -> SQL type template (``{max_length}``, ``{max_digits}``, ``{decimal_places}``)
    type_names: ClassVar[dict[str, str]] = {}
    #: column kind -> full column definition of an auto-incrementing primary key
    auto_pk: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self.adapters: dict[str, Adapter] = {}
        self.converters: dict[str, Adapter] = {}

    @staticmethod
    def codecs() -> list[dict[str, Any]]:
        """Type codecs a connection must register (asyncpg's ``set_type_codec`` arguments)."""
        return []

    # -- identifiers, parameters, literals -------------------------------------------------
    def quote(self, name: str) -> str:
        q = self.quote_char
        return f"{q}{name.replace(q, q + q)}{q}"

    def param(self, index: int) -> str:
        """The placeholder for the ``index``-th parameter (1-based)."""
        return "?"

    def placeholder(self, index: int) -> str:
        """The placeholder compiled queries use for the ``index``-th parameter: ``param`` unless
        the driver also has a numbered form a fragment may repeat (SQLite's ``?NNN``)."""
        return self.param(index)

    def text(self, sql: str) -> str:
        """Literal SQL text as it must be written for this driver (``%`` doubled for ``format``)."""
        return sql

    def bool_literal(self, value: bool) -> str:
        return "TRUE" if value else "FALSE"

    def literal(self, value: Any) -> str:
        """Render a constant inline (DDL only: CHECK constraints cannot take parameters)."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return self.bool_literal(value)
        if isinstance(value, int | float):
            return repr(value)
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, str):
            return self.text("'" + value.replace("'", "''") + "'")
        raise TypeError(f"cannot render {type(value).__name__} as an SQL literal")

    # -- types ---------------------------------------------------------------------------
    def column_type(self, kind: str, **args: Any) -> str:
        try:
            template = self.type_names[kind]
        except KeyError:
            raise ValueError(f"{self.name} has no column type for {kind!r}") from None
        return template.format(**args)

    def adapter(self, kind: str) -> Adapter | None:
        return self.adapters.get(kind)

    def converter(self, kind: str) -> Adapter | None:
        return self.converters.get(kind)

    def integer_range(self, kind: str | None) -> tuple[int, int]:
        """The integers a column of ``kind`` can hold here (64-bit for other kinds)."""
        return _INT_RANGES.get(kind or "", _INT64)

    def holds(self, kind: str | None, value: Any) -> bool:
        """Whether a column of ``kind`` could hold ``value`` (an integer out of its range
        cannot, and must not reach the driver, which would refuse it)."""
        if type(value) is not int:
            return True
        lo, hi = self.integer_range(kind)
        return lo <= value <= hi

    # -- clauses ----------------------------------------------------------------------------
    def pack_in(self, values: list[Any], kind: str | None) -> Any | None:
        """``values`` of ``IN (...)`` (adapted, never empty) as one parameter, or None to bind
        one placeholder each. Overridden where a list could exceed ``max_params``. The choice
        may depend on the list's length and the column ``kind``, never on the values: the
        compiled statement is cached by length."""
        return None

    def packed_in(self, lhs: str, placeholder: str) -> str:
        """The membership test against the one parameter ``pack_in`` made."""
        raise NotImplementedError(f"{self.name} binds IN lists one value per placeholder")

    def limit_offset(self, limit: str | None, offset: str | None) -> str:
        """LIMIT/OFFSET; ``limit`` and ``offset`` are SQL (placeholders: one statement text, so
        one cached and prepared statement, serves every page)."""
        sql = ""
        if limit is not None:
            sql += f" LIMIT {limit}"
        if offset is not None:
            sql += f" OFFSET {offset}"
        return sql

    def for_update(self, *, nowait: bool = False, skip_locked: bool = False) -> str:
        if nowait and skip_locked:
            raise ValueError("nowait and skip_locked cannot both be set")
        if not self.supports_for_update:
            return ""
        return (
            " FOR UPDATE" + (" NOWAIT" if nowait else "") + (" SKIP LOCKED" if skip_locked else "")
        )

    def returning(self, columns: Sequence[str]) -> str:
        return " RETURNING " + ", ".join(self.quote(c) for c in columns)

    def insert_default_values(self, table: str) -> str:
        return f"INSERT INTO {self.quote(table)} DEFAULT VALUES"

    def upsert(self, conflict: Sequence[str], update: Sequence[str]) -> str:
        """Suffix of an INSERT that updates ``update`` columns when ``conflict`` columns clash."""
        target = ", ".join(self.quote(c) for c in conflict)
        if not update:
            return f" ON CONFLICT ({target}) DO NOTHING"
        sets = ", ".join(f"{self.quote(c)} = EXCLUDED.{self.quote(c)}" for c in update)
        return f" ON CONFLICT ({target}) DO UPDATE SET {sets}"

    def array_rows(self, kinds: Sequence[str]) -> str:
        """The row source of a bulk INSERT taking one array parameter per column."""
        raise NotImplementedError

    def array_element(self, kind: str) -> Adapter | None:
        """How an (adapted) value of ``kind`` travels inside ``array_rows``' arrays."""
        return None

    def insert_ignore(self) -> tuple[str, str]:
        """(verb, suffix) of an INSERT that skips rows that violate a unique constraint."""
        return "INSERT INTO", " ON CONFLICT DO NOTHING"

    # -- operators --------------------------------------------------------------------------
    def like(self, lhs: str, rhs: str, *, case_insensitive: bool = False) -> str:
        """LIKE with ``!`` as the escape character (see ``escape_like``)."""
        if case_insensitive:  # UPPER, as Django: a final and a middle sigma have one capital
            return f"UPPER({lhs}) LIKE UPPER({rhs}) ESCAPE '!'"
        return f"{lhs} LIKE {rhs} ESCAPE '!'"

    @staticmethod
    def escape_like(value: str) -> str:
        return value.replace("!", "!!").replace("%", "!%").replace("_", "!_")

    def like_expr(self, lhs: str, rhs: str, pattern: str, *, case_insensitive: bool) -> str:
        """LIKE against an expression's text (``name__startswith=F("prefix")``): its ``%``,
        ``_`` and ``!`` are escaped in SQL, then wrapped in ``pattern``'s wildcards."""
        escaped = f"REPLACE(REPLACE(REPLACE({rhs}, '!', '!!'), '%', '!%'), '_', '!_')"
        before, _, after = pattern.partition("{}")
        parts = [self.text(f"'{w}'") for w in (before,) if w] + [escaped]
        parts += [self.text(f"'{w}'") for w in (after,) if w]
        return self.like(lhs, self.concat(parts), case_insensitive=case_insensitive)

    def concat(self, parts: Sequence[str]) -> str:
        return "(" + " || ".join(parts) + ")"

    # -- expressions ----------------------------------------------------------------------
    #: the SQL type a parameter is cast to where the database would otherwise guess its type
    param_types: ClassVar[dict[str, str]] = {}

    def cast_param(self, sql: str, kind: str) -> str:
        """A placeholder (or NULL) typed as ``kind`` where the database needs to be told."""
        target = self.param_types.get(kind)
        return sql if target is None else f"CAST({sql} AS {target})"

    def json_null(self) -> str:
        """A JSON null value (not SQL NULL)."""
        return self.text("'null'")

    def combine(self, op: str, lhs: str, rhs: str, left: str | None, right: str | None) -> str:
        """``lhs <op> rhs`` for + - * / % **; ``left``/``right`` name the operands' types
        (``int``, ``float``, ``decimal``, ...): integer division stays integer division."""
        if not self.supports_date_arithmetic and {left, right} & _TEMPORAL:
            raise NotSupportedError(
                f"date and duration arithmetic in SQL is not supported on {self.name} (covet "
                "stores them as text or microseconds there); compute it in Python"
            )
        if op == "**":
            return f"POWER({lhs}, {rhs})"
        if op == "%":
            return f"MOD({lhs}, {rhs})"
        return f"({lhs} {op} {rhs})"

    def aggregate(self, function: str, argument: str) -> str:
        return f"{function}({argument})"

    def bool_to_int(self, sql: str) -> str:
        return sql

    def to_float(self, sql: str) -> str:
        """A number as the database's double precision, where an aggregate would otherwise
        round (MySQL's AVG of integers)."""
        return sql

    def length(self, sql: str) -> str:
        return f"LENGTH({sql})"

    def concat_text(self, args: Sequence[str]) -> str:
        """Text joined end to end, a NULL counting as empty text."""
        empty = self.text("''")
        return "(" + " || ".join(f"COALESCE({a}, {empty})" for a in args) + ")"

    def greatest(self, args: Sequence[str], *, largest: bool) -> str:
        return f"{'GREATEST' if largest else 'LEAST'}({', '.join(args)})"

    #: SQL type per column kind for CAST (a kind missing here uses ``column_type``)
    cast_types: ClassVar[dict[str, str]] = {}

    def cast(self, sql: str, field: Any, source_kind: str | None) -> str:
        kind = field.kind
        target = self.cast_types.get(kind)
        if target is None:
            target = field.db_type(self)
        return f"CAST({sql} AS {target.format(**vars(field))})"

    def trunc(self, unit: str, sql: str, kind: str) -> str:
        """A date (``kind`` date) or datetime truncated to ``unit`` (year ... second)."""
        raise NotImplementedError

    def order_term(self, render: Callable[[], str], descending: bool, nulls: str | None) -> str:
        """One ORDER BY term; ``render()`` writes the expression (called again where a
        database needs it twice). ``nulls``: "first", "last" or None (the database's order)."""
        sql = render() + (" DESC" if descending else "")
        return sql + (f" NULLS {nulls.upper()}" if nulls else "")

    def compound_part(self, sql: str) -> str:
        """One SELECT of a UNION / INTERSECT / EXCEPT (it may have ORDER BY and LIMIT)."""
        return f"({sql})"

    def random(self) -> str:
        return "RANDOM()"

    def xor(self, parts: Sequence[str]) -> str:
        """True when an odd number of ``parts`` are true (a NULL part counts as false)."""
        ones = " + ".join(f"(CASE WHEN {p} THEN 1 ELSE 0 END)" for p in parts)
        return f"MOD({ones}, 2) = 1"

    def iexact(self, lhs: str, rhs: str) -> str:
        return f"UPPER({lhs}) = UPPER({rhs})"

    def regex(self, lhs: str, rhs: str, *, case_insensitive: bool = False) -> str:
        raise NotImplementedError

    def date_part(self, part: str, lhs: str, kind: str = "datetime") -> str:
        """One part of a date, time or datetime (``kind``) as an integer; see ``DATE_PARTS``."""
        raise NotImplementedError

    def datetime_date(self, lhs: str) -> str:
        """The date of a datetime (in UTC)."""
        raise NotImplementedError

    def datetime_time(self, lhs: str) -> str:
        """The time of day of a datetime (in UTC)."""
        raise NotImplementedError

    # -- JSON ---------------------------------------------------------------------------------
    # ``keys`` is a path below the column: str keys and int array indexes; ``param`` turns a
    # value into a placeholder (``Ctx.param``). JSON values compare as JSON: 1 equals 1.0 but not
    # true or "1"; None in a value is JSON null.
    def json_key(self, lhs: str, path: str) -> str:
        """SQL reading the JSON scalar at ``path`` (a placeholder for ``json_path(keys)``) as
        text (a string without its quotes)."""
        raise NotImplementedError

    def json_path(self, keys: Sequence[str | int]) -> Any:
        return "$" + "".join(
            f"[{k}]" if isinstance(k, int) else f".{json.dumps(k, ensure_ascii=False)}"
            for k in keys
        )

    def json_value(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        """The JSON value at ``keys`` (the column itself when empty), read back as JSON."""
        raise NotImplementedError

    def json_equals(self, column: str, keys: Sequence[str | int], value: Any, param: Param) -> str:
        raise NotImplementedError

    def json_missing(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        """True where the path does not exist (or the column is NULL)."""
        raise NotImplementedError

    def json_has_path(self, column: str, keys: Sequence[str | int], param: Param) -> str:
        """True where the path exists (its value may be JSON null)."""
        raise NotImplementedError

    def json_contains(
        self, column: str, keys: Sequence[str | int], value: Any, param: Param
    ) -> str:
        """The value at ``keys`` contains ``value`` (PostgreSQL's ``@>``)."""
        raise NotImplementedError

    def json_contained_by(
        self, column: str, keys: Sequence[str | int], value: Any, param: Param
    ) -> str:
        """The value at ``keys`` is contained by ``value`` (PostgreSQL's ``<@``)."""
        raise NotImplementedError

    def json_compare(
        self, column: str, keys: Sequence[str | int], op: str, value: Any, param: Param
    ) -> str:
        """The JSON value at ``keys`` ``op`` (<, >=, ...) ``value``, a number or a string: only
        values of that JSON type match (numbers compare as numbers, strings as text)."""
        raise NotImplementedError

    # -- DDL --------------------------------------------------------------------------------
    def create_index(
        self, name: str, table: str, columns: Sequence[str], *, unique: bool = False
    ) -> str:
        cols = ", ".join(self.quote(c) for c in columns)
        kind = "UNIQUE INDEX" if unique else "INDEX"
        return f"CREATE {kind} IF NOT EXISTS {self.quote(name)} ON {self.quote(table)} ({cols})"

    def drop_table(self, table: str) -> str:
        return f"DROP TABLE IF EXISTS {self.quote(table)}"

    # -- transactions -------------------------------------------------------------------------
    def savepoint(self, name: str) -> str:
        return f"SAVEPOINT {name}"

    def release_savepoint(self, name: str) -> str:
        return f"RELEASE SAVEPOINT {name}"

    def rollback_to_savepoint(self, name: str) -> str:
        return f"ROLLBACK TO SAVEPOINT {name}"


def get_dialect(name: str) -> Dialect:
    """The dialect instance for a backend name (``sqlite``, ``postgresql``, ``mysql``)."""
    if name == "sqlite":
        from covet.orm.sql.sqlite import SqliteDialect

        return SqliteDialect()
    if name == "postgresql":
        from covet.orm.sql.postgres import PostgresDialect

        return PostgresDialect()
    if name == "mysql":
        from covet.orm.sql.mysql import MySQLDialect

        return MySQLDialect()
    raise ValueError(f"unknown dialect {name!r}")

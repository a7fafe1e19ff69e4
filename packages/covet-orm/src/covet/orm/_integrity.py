"""What an ``IntegrityError`` violated: the kind of constraint and the fields it names.

Read from the driver's error, without importing any driver (attributes are looked up by name):

* PostgreSQL (asyncpg and psycopg): the SQLSTATE (23505 unique, 23502 not null, 23503 foreign
  key, 23514 check) and the error's structured fields: ``column_name`` for not null,
  ``constraint_name`` otherwise, mapped to fields through the models' own constraint names
  (``covet.orm.sql.ddl`` names every constraint it creates). A constraint covet-orm did not
  name falls back to the ``Key (a, b)=(...)`` of the error's detail (best effort: the server
  writes that text in its own language).
* MariaDB/MySQL: the error code (1062 duplicate key, 1048/1364 null, 1451/1452 foreign key,
  3819/4025 check) and the message, whose names are quoted identifiers (best effort: the message
  format is the server's; the key name of a duplicate is mapped like PostgreSQL's constraint).
* SQLite: the extended result code (``sqlite_errorname``: ``SQLITE_CONSTRAINT_UNIQUE``, ...) and
  the message's ``table.column`` list; a foreign key failure names no column on SQLite.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from covet.orm._model import Model

UNIQUE, NOT_NULL, FOREIGN_KEY, CHECK = "unique", "not_null", "foreign_key", "check"

_PG_KIND = {"23505": UNIQUE, "23502": NOT_NULL, "23503": FOREIGN_KEY, "23514": CHECK}
_MY_KIND = {
    1062: UNIQUE, 1022: UNIQUE, 1169: UNIQUE, 1586: UNIQUE,
    1048: NOT_NULL, 1364: NOT_NULL,
    1216: FOREIGN_KEY, 1217: FOREIGN_KEY, 1451: FOREIGN_KEY, 1452: FOREIGN_KEY,
    3819: CHECK, 4025: CHECK,
}  # fmt: skip
_SQLITE_KIND = {
    "SQLITE_CONSTRAINT_UNIQUE": UNIQUE,
    "SQLITE_CONSTRAINT_PRIMARYKEY": UNIQUE,
    "SQLITE_CONSTRAINT_NOTNULL": NOT_NULL,
    "SQLITE_CONSTRAINT_FOREIGNKEY": FOREIGN_KEY,
    "SQLITE_CONSTRAINT_CHECK": CHECK,
}
_PG_KEY = re.compile(r"\((.+?)\)=\(")
_MY_DUPLICATE = re.compile(r"for key '(?:[^'.]+\.)?([^']+)'")
_MY_NULL = re.compile(r"(?:Column|Field) '([^']+)'")
_MY_FOREIGN = re.compile(r"FOREIGN KEY \(`([^)]+)`\)")
_MY_CHECK = re.compile(r"[Cc]onstraint [`']([^`']+)[`']")


class Violation(NamedTuple):
    kind: str | None
    #: model field names (column names when no model maps them)
    fields: tuple[str, ...]
    table: str | None = None
    constraint: str | None = None


def violation(driver_error: BaseException | None) -> Violation:
    if driver_error is None:
        return Violation(None, ())
    args = getattr(driver_error, "args", ())
    if args and isinstance(args[0], int):  # MySQL drivers: (code, message)
        return _mysql(args[0], str(args[1]) if len(args) > 1 else "")
    state = getattr(driver_error, "sqlstate", None)
    if isinstance(state, str) and state.startswith("23"):
        return _postgres(driver_error, state)
    name = getattr(driver_error, "sqlite_errorname", None)
    if isinstance(name, str):
        return _sqlite(driver_error, name)
    return Violation(None, ())


def _postgres(error: BaseException, state: str) -> Violation:
    diag = getattr(error, "diag", None)  # psycopg keeps them on .diag, asyncpg on the error

    def get(name: str, psycopg_name: str | None = None) -> str | None:
        if diag is not None:
            value = getattr(diag, psycopg_name or name, None)
        else:
            value = getattr(error, name, None)
        return value if isinstance(value, str) and value else None

    kind = _PG_KIND.get(state)
    table, constraint = get("table_name"), get("constraint_name")
    if kind == NOT_NULL:
        column = get("column_name")
        return Violation(kind, _fields(table, [column] if column else []), table, constraint)
    columns = _constraint_columns(table, constraint)
    if columns is None:
        detail = get("detail", "message_detail") or ""
        found = _PG_KEY.search(detail)
        columns = [c.strip().strip('"') for c in found.group(1).split(",")] if found else []
    return Violation(kind, _fields(table, columns), table, constraint)


def _mysql(code: int, message: str) -> Violation:
    kind = _MY_KIND.get(code)
    columns: list[str] = []
    constraint = None
    if kind == UNIQUE and (found := _MY_DUPLICATE.search(message)):
        constraint = found.group(1)
        if constraint == "PRIMARY":
            return Violation(kind, ("pk",), None, constraint)
        by_name = _constraint_columns(None, constraint)
        columns = by_name if by_name is not None else [constraint]
    elif kind == NOT_NULL and (found := _MY_NULL.search(message)):
        columns = [found.group(1)]
    elif kind == FOREIGN_KEY and (found := _MY_FOREIGN.search(message)):
        columns = [c.strip(" `") for c in found.group(1).split(",")]
    elif kind == CHECK and (found := _MY_CHECK.search(message)):
        constraint = found.group(1)
        columns = _constraint_columns(None, constraint) or []
    return Violation(kind, _fields(None, columns), None, constraint)


def _sqlite(error: BaseException, name: str) -> Violation:
    kind = _SQLITE_KIND.get(name)
    message = str(error)
    _, _, listed = message.partition(": ")
    if kind in (UNIQUE, NOT_NULL) and listed:
        pairs = [item.strip().rpartition(".") for item in listed.split(",")]
        table = pairs[0][0] or None
        return Violation(kind, _fields(table, [column for _, _, column in pairs]), table)
    if kind == CHECK and listed:
        columns = _constraint_columns(None, listed.strip()) or []
        return Violation(kind, _fields(None, columns), None, listed.strip())
    return Violation(kind, ())


# -- the models' own names --------------------------------------------------------------------
def _models() -> list[type[Model]]:
    from covet.orm._model import Model

    out: list[type[Model]] = []
    stack = list(Model.__subclasses__())
    while stack:
        model = stack.pop()
        stack.extend(model.__subclasses__())
        meta = getattr(model, "_meta", None)
        if meta is not None and not meta.abstract:
            out.append(model)
    return out


def _constraint_columns(table: str | None, constraint: str | None) -> list[str] | None:
    """The columns of the constraint ``constraint`` as a covet-orm model declares it."""
    if not constraint:
        return None
    from covet.orm.sql.ddl import table_constraints
    from covet.orm.sql.dialect import get_dialect

    dialect = get_dialect("postgresql")  # constraint names do not depend on the dialect
    for model in _models():
        if table is not None and model._meta.table_name != table:
            continue
        try:
            constraints = table_constraints(model, dialect)
        except Exception:  # noqa: S112 - a model the DDL cannot describe names nothing here
            continue
        for found in constraints:
            if found.name == constraint:
                return list(found.columns)
    return None


def _fields(table: str | None, columns: list[Any]) -> tuple[str, ...]:
    """Field names for ``columns`` of ``table`` (the columns themselves when no model maps)."""
    names = [str(c) for c in columns if c]
    if table is None or not names:
        return tuple(names)
    for model in _models():
        if model._meta.table_name == table:
            by_column = {f.column: f.name for f in model._meta.fields}
            return tuple(by_column.get(c, c) for c in names)
    return tuple(names)

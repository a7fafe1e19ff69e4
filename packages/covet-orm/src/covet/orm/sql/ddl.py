"""DDL: the one writer of CREATE TABLE, constraints and indexes for a model, through the dialect.

``Database.create_tables`` uses ``create_table_sql``; migrations (``covet.migrate``) use the pieces
(``column_sql``, ``table_constraints``, ``table_indexes``, ``create_index_sql``, ...) so a table
made by either has the same columns, constraint names and index names.

Every constraint and index gets a deterministic name (``{table}_{columns}_{suffix}``, shortened
with a hash past ``MAX_NAME``) so a later migration can drop it without asking the database.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from covet.orm.sql.compiler import Ctx, Scope

if TYPE_CHECKING:
    from covet.orm._fields import Field
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect

#: PostgreSQL truncates identifiers past 63 bytes (MariaDB: 64)
MAX_NAME = 63


class ForeignKeySpec(NamedTuple):
    """What a column references. A field whose column is a foreign key (relation fields) returns
    one from ``references()``; everything else here (constraint, migrations, drift checks)
    follows from it."""

    table: str
    column: str
    #: ``CASCADE``, ``SET NULL``, ``RESTRICT``, ``NO ACTION`` or ``SET DEFAULT``
    on_delete: str = "NO ACTION"


class TableConstraint(NamedTuple):
    """A named table constraint: ``kind`` is ``unique``, ``check`` or ``foreign``; ``sql`` its
    definition."""

    name: str
    kind: str
    columns: tuple[str, ...]
    sql: str


class TableIndex(NamedTuple):
    """A named index; ``columns`` are column names, ``descending`` flags per column."""

    name: str
    columns: tuple[str, ...]
    descending: tuple[bool, ...]
    unique: bool


def object_name(table: str, columns: Sequence[str], suffix: str) -> str:
    """``{table}_{col1}_{col2}_{suffix}``, or a shortened form with a hash past ``MAX_NAME``."""
    name = f"{table}_{'_'.join(columns)}_{suffix}"
    if len(name.encode()) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    head = name.encode()[: MAX_NAME - len(suffix) - 10].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"


def column_sql(field: Field[Any], dialect: Dialect) -> str:
    """``"column" TYPE [NOT NULL] [PRIMARY KEY]`` (uniqueness is a named table constraint)."""
    q = dialect.quote
    if field.auto:
        return f"{q(field.column)} {field.db_type(dialect)}"
    line = f"{q(field.column)} {field.db_type(dialect)}"
    if field.generated:  # GeneratedField: computed from other columns and stored
        assert field.model is not None
        expression = check_sql(field.model, getattr(field, "expression"), dialect)  # noqa: B009
        line += f" GENERATED ALWAYS AS ({expression}) STORED"
    elif not field.null:
        line += " NOT NULL"
    check = field.db_check(dialect)
    if check is not None:
        line += f" CHECK ({check})"
    if field.primary_key:
        line += " PRIMARY KEY"
    return line


def table_constraints(model: type[Model], dialect: Dialect) -> list[TableConstraint]:
    """Unique and check constraints of a model: field ``unique``, ``unique_together``,
    ``UniqueConstraint`` and ``CheckConstraint``, each named."""
    from covet.orm._model import CheckConstraint, UniqueConstraint

    meta = model._meta
    table = meta.table_name
    q = dialect.quote
    out: list[TableConstraint] = []

    def unique(name: str, columns: tuple[str, ...]) -> None:
        cols = ", ".join(q(c) for c in columns)
        out.append(TableConstraint(name, "unique", columns, f"UNIQUE ({cols})"))

    for field in meta.fields:
        if field.unique and not field.primary_key:
            unique(object_name(table, [field.column], "uniq"), (field.column,))
    for names in meta.unique_together:
        columns = tuple(meta.get_field(n).column for n in names)
        unique(object_name(table, columns, "uniq"), columns)
    for field in meta.fields:
        target = references(field)
        if target is not None:
            sql = (
                f"FOREIGN KEY ({q(field.column)}) REFERENCES {q(target.table)} "
                f"({q(target.column)}) ON DELETE {target.on_delete}"
            )
            name = object_name(table, [field.column], "fk")
            out.append(TableConstraint(name, "foreign", (field.column,), sql))
    for constraint in meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = tuple(meta.get_field(n).column for n in constraint.fields)
            unique(constraint.name, columns)
        elif isinstance(constraint, CheckConstraint):
            out.append(
                TableConstraint(
                    constraint.name,
                    "check",
                    (),
                    f"CHECK ({check_sql(model, constraint.check, dialect)})",
                )
            )
    return out


class _InlineCtx(Ctx):
    """Renders parameters as literals, including the types ``Dialect.literal`` leaves out."""

    __slots__ = ()

    def param(self, value: Any) -> str:
        if isinstance(value, decimal.Decimal):
            return str(value)
        if isinstance(value, dt.date | dt.time | uuid.UUID):
            return self.dialect.literal(str(value))
        return self.dialect.literal(value)


def references(field: Field[Any]) -> ForeignKeySpec | None:
    """The foreign key a field's column is, if any (see ``ForeignKeySpec``)."""
    method = getattr(field, "references", None)
    return method() if method is not None else None


def check_sql(model: type[Model], check: Any, dialect: Dialect) -> str:
    """A ``Q`` rendered inline (constants as literals, columns unqualified) for CHECK (...)."""
    ctx = _InlineCtx(dialect, inline=True)
    sql: str = check.resolve(Scope(model)).as_sql(ctx)
    return sql.replace(f"{dialect.quote(model._meta.table_name)}.", "")


def table_indexes(model: type[Model]) -> list[TableIndex]:
    """Indexes of a model: fields with ``index=True`` (not unique) and ``Meta.indexes``."""
    meta = model._meta
    table = meta.table_name
    out: list[TableIndex] = []
    for field in meta.fields:
        if field.index and not field.unique:
            name = object_name(table, [field.column], "idx")
            out.append(TableIndex(name, (field.column,), (False,), False))
    for index in meta.indexes:
        columns = tuple(meta.get_field(n.lstrip("-")).column for n in index.fields)
        descending = tuple(n.startswith("-") for n in index.fields)
        name = index.name or object_name(table, columns, "idx")
        out.append(TableIndex(name, columns, descending, index.unique))
    return out


def create_table_statement(
    model: type[Model], dialect: Dialect, *, table: str | None = None, if_not_exists: bool = False
) -> str:
    """CREATE TABLE with columns and table constraints (``table`` overrides the name: the
    SQLite rebuild creates the new table under a temporary name)."""
    q = dialect.quote
    lines = [column_sql(f, dialect) for f in model._meta.fields]
    for c in table_constraints(model, dialect):
        if c.kind == "foreign" and dialect.name == "mysql":
            # InnoDB would make this index itself, or reuse another: name it, so it is known
            lines.append(f"INDEX {q(c.name)} ({', '.join(q(col) for col in c.columns)})")
        lines.append(f"CONSTRAINT {q(c.name)} {c.sql}")
    body = ",\n  ".join(lines)
    guard = "IF NOT EXISTS " if if_not_exists else ""
    name = q(table or model._meta.table_name)
    return f"CREATE TABLE {guard}{name} (\n  {body}\n){dialect.create_table_suffix}"


def create_index_sql(
    dialect: Dialect, table: str, index: TableIndex, *, if_not_exists: bool = False
) -> str:
    q = dialect.quote
    cols = ", ".join(
        q(c) + (" DESC" if desc else "")
        for c, desc in zip(index.columns, index.descending, strict=True)
    )
    kind = "UNIQUE INDEX" if index.unique else "INDEX"
    guard = "IF NOT EXISTS " if if_not_exists else ""
    return f"CREATE {kind} {guard}{q(index.name)} ON {q(table)} ({cols})"


def drop_index_sql(dialect: Dialect, table: str, name: str) -> str:
    if dialect.name == "mysql":
        return f"DROP INDEX {dialect.quote(name)} ON {dialect.quote(table)}"
    return f"DROP INDEX {dialect.quote(name)}"


def create_table_sql(model: type[Model], dialect: Dialect) -> list[str]:
    """CREATE TABLE and CREATE INDEX statements, all ``IF NOT EXISTS``."""
    table = model._meta.table_name
    stmts = [create_table_statement(model, dialect, if_not_exists=True)]
    stmts += [create_index_sql(dialect, table, i, if_not_exists=True) for i in table_indexes(model)]
    return stmts

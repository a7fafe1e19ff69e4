"""DDL: CREATE TABLE and CREATE INDEX for a model, written through the dialect.

Migrations (``covet.migrate``) build on these pieces; ``Database.create_tables`` uses them directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from covet.orm.sql.compiler import Ctx, Scope

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect


def create_table_sql(model: type[Model], dialect: Dialect) -> list[str]:
    """CREATE TABLE and CREATE INDEX statements, all ``IF NOT EXISTS``."""
    from covet.orm._model import CheckConstraint, UniqueConstraint

    meta = model._meta
    q = dialect.quote
    lines = []
    for field in meta.fields:
        if field.auto:
            lines.append(f"{q(field.column)} {field.db_type(dialect)}")
            continue
        line = f"{q(field.column)} {field.db_type(dialect)}"
        if field.generated:  # GeneratedField: computed and stored by the database
            computed = _inline(getattr(field, "expression"), model, dialect)  # noqa: B009
            line += f" GENERATED ALWAYS AS ({computed}) STORED"
        elif not field.null:
            line += " NOT NULL"
        check = field.db_check(dialect)
        if check is not None:
            line += f" CHECK ({check})"
        if field.primary_key:
            line += " PRIMARY KEY"
        elif field.unique:
            line += " UNIQUE"
        lines.append(line)
    for names in meta.unique_together:
        cols = ", ".join(q(meta.get_field(n).column) for n in names)
        lines.append(f"UNIQUE ({cols})")
    for constraint in meta.constraints:
        if isinstance(constraint, UniqueConstraint):
            cols = ", ".join(q(meta.get_field(n).column) for n in constraint.fields)
            lines.append(f"CONSTRAINT {q(constraint.name)} UNIQUE ({cols})")
        elif isinstance(constraint, CheckConstraint):
            check = _inline(constraint.check, model, dialect)
            lines.append(f"CONSTRAINT {q(constraint.name)} CHECK ({check})")
    body = ",\n  ".join(lines)
    suffix = dialect.create_table_suffix
    stmts = [f"CREATE TABLE IF NOT EXISTS {q(meta.table_name)} (\n  {body}\n){suffix}"]
    for field in meta.fields:
        if field.index and not field.unique:
            name = f"{meta.table_name}_{field.column}_idx"
            stmts.append(dialect.create_index(name, meta.table_name, [field.column]))
    for index in meta.indexes:
        columns = [meta.get_field(n.lstrip("-")).column for n in index.fields]
        name = index.name or f"{meta.table_name}_{'_'.join(columns)}_idx"
        stmts.append(dialect.create_index(name, meta.table_name, columns, unique=index.unique))
    return stmts


def _inline(expression: Any, model: type[Model], dialect: Dialect) -> str:
    """An expression over the model's own columns, constants written inline (DDL takes no
    parameters) and columns unqualified."""
    sql: str = expression.resolve(Scope(model)).as_sql(Ctx(dialect, inline=True))
    return _unqualify(sql, model._meta.table_name, dialect)


def _unqualify(sql: str, table: str, dialect: Dialect) -> str:
    return sql.replace(f"{dialect.quote(table)}.", "")

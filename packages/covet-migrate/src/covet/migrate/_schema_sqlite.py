"""SQLite: ALTER TABLE where SQLite can, the table rebuild where it cannot.

SQLite's ALTER TABLE renames tables and columns, adds a nullable column without constraints and
drops a column nothing else refers to. Everything else (a type, NOT NULL, a constraint, the
primary key) is SQLite's documented twelve-step rebuild: create ``new__table``, copy the rows,
drop the old table, rename the new one, recreate indexes and the triggers and indexes that were
not made by migrations (read from ``sqlite_master`` at run time, so they survive). The runner turns
``foreign_keys`` off for the session (other tables' foreign keys keep pointing at the table by
name) and runs ``PRAGMA foreign_key_check`` before committing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from covet.migrate._plan import Execute, Fetch, Plan, Step
from covet.migrate._schema import SchemaEditor, TableDiff
from covet.orm.sql import ddl

if TYPE_CHECKING:
    from covet.orm import Database


class RebuildStep(Step):
    """The table rebuild: static statements, plus the triggers and unmanaged indexes of the
    table, read before and recreated after."""

    def __init__(
        self, table: str, statements: list[tuple[str, tuple[Any, ...]]], managed: set[str]
    ):
        self.table = table
        self.statements = statements
        self.managed = managed

    def sql_lines(self) -> list[str]:
        lines = [
            f"-- rebuild {self.table}: its triggers and the indexes not made by migrations are "
            "read from sqlite_master here and recreated at the end"
        ]
        for sql, params in self.statements:
            lines.append(sql + ";")
            if params:
                lines.append(f"-- parameters: {list(params)!r}")
        return lines

    def run(self, db: Database) -> Plan[None]:
        rows = yield Fetch(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
            (self.table,),
        )
        keep = [r["sql"] for r in rows if r["type"] == "trigger" or r["name"] not in self.managed]
        for sql, params in self.statements:
            yield Execute(sql, params)
        for sql in keep:
            yield Execute(sql)


class SqliteSchemaEditor(SchemaEditor):
    def apply(self, diff: TableDiff, fills: dict[str, Any]) -> None:
        if self.needs_rebuild(diff, fills):
            self.rebuild(diff, fills)
            return
        table = diff.new.table_name
        for i in diff.drop_indexes:
            self.execute(ddl.drop_index_sql(self.dialect, table, i.name))
        for old_f, new_f in diff.renamed:
            self.execute(
                f"ALTER TABLE {self.q(table)} RENAME COLUMN {self.q(old_f.column)} "
                f"TO {self.q(new_f.column)}"
            )
        for f in diff.removed:
            self.execute(f"ALTER TABLE {self.q(table)} DROP COLUMN {self.q(f.column)}")
        for f in diff.added:
            self.execute(
                f"ALTER TABLE {self.q(table)} ADD COLUMN {ddl.column_sql(f, self.dialect)}"
            )
            has_fill, value = self.fill_value(f, fills)
            if has_fill:  # existing rows get the default (Django's semantics)
                self.fill(table, f, value, only_null=False)
        for i in diff.add_indexes:
            self.execute(ddl.create_index_sql(self.dialect, table, i))

    def needs_rebuild(self, diff: TableDiff, fills: Mapping[str, Any]) -> bool:
        if diff.altered or diff.drop_constraints or diff.add_constraints:
            return True
        for f in diff.added:
            if f.primary_key or f.unique or not f.null:
                return True
        old_indexed = {c for i in ddl.table_indexes(diff.old.render()) for c in i.columns}
        return any(f.primary_key or f.unique or f.column in old_indexed for f in diff.removed)

    def rebuild(self, diff: TableDiff, fills: Mapping[str, Any]) -> None:
        new_model = diff.new.render()
        table = diff.new.table_name
        temp = f"new__{table}"
        q = self.q
        statements: list[tuple[str, tuple[Any, ...]]] = [
            (ddl.create_table_statement(new_model, self.dialect, table=temp), ())
        ]
        columns: list[str] = []
        exprs: list[str] = []
        params: list[Any] = []
        for name, new_f in diff.new.fields.items():
            old_f = diff.sources.get(name)
            has_fill, value = self.fill_value(new_f, fills)
            if old_f is None:
                if not has_fill:
                    continue
                exprs.append("?")
                params.append(value)
            elif has_fill and (old_f.null or old_f.auto) and not new_f.null:
                exprs.append(f"COALESCE({q(old_f.column)}, ?)")
                params.append(value)
            else:
                exprs.append(q(old_f.column))
            columns.append(q(new_f.column))
        statements.append(
            (
                f"INSERT INTO {q(temp)} ({', '.join(columns)}) "  # noqa: S608 (quoted names)
                f"SELECT {', '.join(exprs)} FROM {q(table)}",
                tuple(params),
            )
        )
        if _autoincrement(diff.old) and _autoincrement(diff.new):
            # AUTOINCREMENT never reuses a key: carry the old table's counter over
            statements += [
                (
                    "UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence "
                    "WHERE name = ?) WHERE name = ? AND seq < (SELECT seq FROM sqlite_sequence "
                    "WHERE name = ?)",
                    (table, temp, table),
                ),
                (
                    "INSERT INTO sqlite_sequence (name, seq) SELECT ?, seq FROM sqlite_sequence "
                    "WHERE name = ? AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
                    (temp, table, temp),
                ),
            ]
        statements += [
            (f"DROP TABLE {q(table)}", ()),
            # other tables' triggers and views may name the table: do not re-check them now
            ("PRAGMA legacy_alter_table = ON", ()),
            (f"ALTER TABLE {q(temp)} RENAME TO {q(table)}", ()),
            ("PRAGMA legacy_alter_table = OFF", ()),
        ]
        for index in ddl.table_indexes(new_model):
            statements.append((ddl.create_index_sql(self.dialect, table, index), ()))
        managed = {i.name for i in ddl.table_indexes(diff.old.render())}
        managed |= {i.name for i in ddl.table_indexes(new_model)}
        self.steps.append(RebuildStep(table, statements, managed))


def _autoincrement(state: Any) -> bool:
    return any(f.auto for f in state.fields.values())

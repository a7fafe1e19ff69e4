"""Schema editors: the steps that take a table from one ``ModelState`` to another, per dialect.

Operations describe *what* changes (old state, new state, renamed fields, fill values for
existing rows); ``SchemaEditor.alter_table`` diffs the two tables (columns, constraints, indexes)
and writes the statements through ``covet.orm.sql.ddl``, the one writer of DDL. The SQL depends
only on the states and the dialect, so ``covet migrate sql`` prints it offline.

PostgreSQL and MariaDB alter in place; SQLite (``_schema_sqlite``) renames, adds and drops simple
columns with ALTER TABLE and rebuilds the table for everything else.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from covet.migrate._exceptions import MigrationError
from covet.migrate._plan import SqlStep, Step
from covet.migrate._state import ModelState, state_name
from covet.orm.sql import ddl

if TYPE_CHECKING:
    from covet.orm import Field, Model
    from covet.orm.sql.dialect import Dialect


def auto_type(f: Field[Any], dialect: Dialect) -> str:
    """The column type of an auto-increment field, without its identity / PRIMARY KEY words."""
    return dialect.auto_pk[f.kind].split()[0]


@dataclass
class TableDiff:
    """What differs between two states of one table."""

    old: ModelState
    new: ModelState
    #: new field name -> the old field it continues (kept or renamed)
    sources: dict[str, Field[Any]] = field(default_factory=dict)
    added: list[Field[Any]] = field(default_factory=list)
    removed: list[Field[Any]] = field(default_factory=list)
    renamed: list[tuple[Field[Any], Field[Any]]] = field(default_factory=list)
    altered: list[tuple[Field[Any], Field[Any]]] = field(default_factory=list)
    drop_constraints: list[ddl.TableConstraint] = field(default_factory=list)
    add_constraints: list[ddl.TableConstraint] = field(default_factory=list)
    drop_indexes: list[ddl.TableIndex] = field(default_factory=list)
    add_indexes: list[ddl.TableIndex] = field(default_factory=list)


class SchemaEditor:
    """Collects the steps of one operation (``steps``) for one dialect."""

    def __init__(self, dialect: Dialect, *, fill_empty: bool = False) -> None:
        self.dialect = dialect
        self.steps: list[Step] = []
        #: fill existing rows of a NOT NULL column without a default with the type's empty
        #: value (backwards of RemoveField / AlterField, as Django does)
        self.fill_empty = fill_empty

    def q(self, name: str) -> str:
        return self.dialect.quote(name)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.steps.append(SqlStep(sql, params))

    # -- whole tables -------------------------------------------------------------------------
    def create_model(self, state: ModelState) -> None:
        self.create_table(state.render())
        for through in join_tables(state.render()).values():
            self.create_table(through)

    def create_table(self, model: type[Model]) -> None:
        self.execute(ddl.create_table_statement(model, self.dialect))
        for index in ddl.table_indexes(model):
            self.execute(ddl.create_index_sql(self.dialect, model._meta.table_name, index))

    def delete_model(self, state: ModelState) -> None:
        for through in join_tables(state.render()).values():
            self.execute(f"DROP TABLE {self.q(through._meta.table_name)}")
        self.execute(f"DROP TABLE {self.q(state.table_name)}")

    def alter_many_to_many(
        self, old: ModelState, new: ModelState, renames: Mapping[str, str] | None = None
    ) -> None:
        """Create, drop or follow (a renamed model, table or field) the join tables made for
        the many-to-many relations of ``old`` / ``new`` (bound states)."""
        renames = renames or {}
        before, after = join_tables(old.render()), join_tables(new.render())
        kept = {renames.get(n, n) for n in after}
        for name, through in before.items():
            if name not in kept:
                self.execute(f"DROP TABLE {self.q(through._meta.table_name)}")
        for name, through in after.items():
            was = before.get(renames.get(name, name))
            if was is None:
                self.create_table(through)
                continue
            old_names = [state_name(f) for f in was._meta.fields]
            new_names = [state_name(f) for f in through._meta.fields]
            self.alter_table(
                through_state(was),
                through_state(through),
                renames=dict(zip(new_names, old_names, strict=True)),
            )

    def rename_table(self, old: str, new: str) -> None:
        self.execute(f"ALTER TABLE {self.q(old)} RENAME TO {self.q(new)}")

    # -- changes ------------------------------------------------------------------------------
    def alter_table(
        self,
        old: ModelState,
        new: ModelState,
        *,
        renames: Mapping[str, str] | None = None,
        fills: Mapping[str, Any] | None = None,
    ) -> None:
        """Take ``old``'s table to ``new``. ``renames`` maps new field names to old ones;
        ``fills`` gives values for existing rows of added or newly NOT NULL fields."""
        diff = self.diff(old, new, renames or {})
        if old.table_name != new.table_name:
            self.rename_table(old.table_name, new.table_name)
        self.apply(diff, dict(fills or {}))
        self.alter_many_to_many(old, new, renames)

    def diff(self, old: ModelState, new: ModelState, renames: Mapping[str, str]) -> TableDiff:
        diff = TableDiff(old, new)
        used: set[str] = set()
        for name, new_field in new.fields.items():
            source = renames.get(name, name)
            old_field = old.fields.get(source)
            if old_field is None or source in used:
                diff.added.append(new_field)
                continue
            used.add(source)
            diff.sources[name] = old_field
            if old_field.column != new_field.column:
                diff.renamed.append((old_field, new_field))
            if self.column_signature(old_field) != self.column_signature(new_field):
                diff.altered.append((old_field, new_field))
        diff.removed = [f for n, f in old.fields.items() if n not in used]
        old_model, new_model = old.render(), new.render()
        old_c = {c.name: c for c in ddl.table_constraints(old_model, self.dialect)}
        new_c = {c.name: c for c in ddl.table_constraints(new_model, self.dialect)}
        diff.drop_constraints = [c for n, c in old_c.items() if new_c.get(n) != c]
        diff.add_constraints = [c for n, c in new_c.items() if old_c.get(n) != c]
        old_i = {i.name: i for i in ddl.table_indexes(old_model)}
        new_i = {i.name: i for i in ddl.table_indexes(new_model)}
        diff.drop_indexes = [i for n, i in old_i.items() if new_i.get(n) != i]
        diff.add_indexes = [i for n, i in new_i.items() if old_i.get(n) != i]
        return diff

    def column_signature(self, f: Field[Any]) -> tuple[Any, ...]:
        return (f.db_type(self.dialect), f.null or f.auto, f.primary_key, f.auto)

    def base_type(self, f: Field[Any]) -> str:
        return auto_type(f, self.dialect) if f.auto else f.db_type(self.dialect)

    def fill_value(self, f: Field[Any], fills: Mapping[str, Any]) -> tuple[bool, Any]:
        """``(True, adapted value)`` to fill existing rows of ``f``, or ``(False, None)``."""
        if state_name(f) in fills:
            value = fills[state_name(f)]
        elif f.has_default() and f.default is not None:
            value = f.default
        elif self.fill_empty and not f.null and not f.auto:
            value = empty_value(f)
        else:
            return False, None
        if callable(value):
            value = value()
        return True, f.adapter(self.dialect)(value)

    def apply(self, diff: TableDiff, fills: dict[str, Any]) -> None:
        """In-place ALTER TABLE statements (PostgreSQL, MariaDB)."""
        table = diff.new.table_name
        for c in diff.drop_constraints:
            self.drop_constraint(table, c)
        for i in diff.drop_indexes:
            self.execute(ddl.drop_index_sql(self.dialect, table, i.name))
        for old_f, new_f in diff.renamed:
            self.execute(
                f"ALTER TABLE {self.q(table)} RENAME COLUMN {self.q(old_f.column)} "
                f"TO {self.q(new_f.column)}"
            )
        for f in diff.removed:
            self.execute(f"ALTER TABLE {self.q(table)} DROP COLUMN {self.q(f.column)}")
        for old_f, new_f in diff.altered:
            self.alter_column(table, old_f, new_f, fills)
        for f in diff.added:
            self.add_column(table, f, fills)
        for c in diff.add_constraints:
            self.add_constraint(table, c)
        for i in diff.add_indexes:
            self.execute(ddl.create_index_sql(self.dialect, table, i))

    def add_column(self, table: str, f: Field[Any], fills: Mapping[str, Any]) -> None:
        if f.auto or f.primary_key:
            raise MigrationError(
                f"adding the primary key {f.name!r} to an existing table is not supported; "
                "write it as RunSQL"
            )
        # existing rows get the fill value or the field's default, nullable or not (Django)
        has_fill, value = self.fill_value(f, fills)
        column = ddl.column_sql(f, self.dialect)
        if not has_fill:
            self.execute(f"ALTER TABLE {self.q(table)} ADD COLUMN {column}")
            return
        nullable = column.removesuffix(" NOT NULL")
        self.execute(f"ALTER TABLE {self.q(table)} ADD COLUMN {nullable}")
        self.fill(table, f, value, only_null=False)
        if not f.null:
            self.set_not_null(table, f)

    def fill(self, table: str, f: Field[Any], value: Any, *, only_null: bool) -> None:
        where = f" WHERE {self.q(f.column)} IS NULL" if only_null else ""
        self.execute(
            f"UPDATE {self.q(table)} SET {self.q(f.column)} = {self.dialect.param(1)}{where}",  # noqa: S608
            (value,),
        )

    def check_primary_key(self, table: str, old_f: Field[Any], new_f: Field[Any]) -> None:
        if old_f.primary_key != new_f.primary_key:
            raise MigrationError(
                f"changing whether {table}.{new_f.column} is the primary key is not supported "
                f"on {self.dialect.name}; write it as RunSQL"
            )

    # -- per dialect ----------------------------------------------------------------------------
    def add_constraint(self, table: str, c: ddl.TableConstraint) -> None:
        self.execute(f"ALTER TABLE {self.q(table)} ADD CONSTRAINT {self.q(c.name)} {c.sql}")

    def drop_constraint(self, table: str, c: ddl.TableConstraint) -> None:
        self.execute(f"ALTER TABLE {self.q(table)} DROP CONSTRAINT {self.q(c.name)}")

    def set_not_null(self, table: str, f: Field[Any]) -> None:
        raise NotImplementedError

    def alter_column(
        self, table: str, old_f: Field[Any], new_f: Field[Any], fills: Mapping[str, Any]
    ) -> None:
        raise NotImplementedError


class PostgresSchemaEditor(SchemaEditor):
    def set_not_null(self, table: str, f: Field[Any]) -> None:
        self.execute(f"ALTER TABLE {self.q(table)} ALTER COLUMN {self.q(f.column)} SET NOT NULL")

    def alter_column(
        self, table: str, old_f: Field[Any], new_f: Field[Any], fills: Mapping[str, Any]
    ) -> None:
        self.check_primary_key(table, old_f, new_f)
        alter = f"ALTER TABLE {self.q(table)} ALTER COLUMN {self.q(new_f.column)}"
        col = self.q(new_f.column)
        if old_f.auto and not new_f.auto:
            self.execute(f"{alter} DROP IDENTITY IF EXISTS")
        old_type, new_type = self.base_type(old_f), self.base_type(new_f)
        if old_type != new_type:
            self.execute(f"{alter} TYPE {new_type} USING {col}::{new_type}")
        if new_f.auto and not old_f.auto:
            self.execute(f"{alter} ADD GENERATED BY DEFAULT AS IDENTITY")
            self.execute(
                f"SELECT setval(pg_get_serial_sequence({self.dialect.literal(table)}, "  # noqa: S608
                f"{self.dialect.literal(new_f.column)}), COALESCE(MAX({col}), 0) + 1, false) "
                f"FROM {self.q(table)}"
            )
        old_null, new_null = old_f.null or old_f.auto, new_f.null or new_f.auto
        if old_null and not new_null:
            has_fill, value = self.fill_value(new_f, fills)
            if has_fill:
                self.fill(table, new_f, value, only_null=True)
            self.set_not_null(table, new_f)
        elif new_null and not old_null and not new_f.primary_key:
            self.execute(f"{alter} DROP NOT NULL")


class MySQLSchemaEditor(SchemaEditor):
    def rename_table(self, old: str, new: str) -> None:
        self.execute(f"RENAME TABLE {self.q(old)} TO {self.q(new)}")

    def drop_constraint(self, table: str, c: ddl.TableConstraint) -> None:
        if c.kind == "unique":  # a unique constraint is a unique index in MariaDB
            self.execute(f"ALTER TABLE {self.q(table)} DROP INDEX {self.q(c.name)}")
        elif c.kind == "foreign":  # with the index named after it (see ddl)
            name = self.q(c.name)
            self.execute(f"ALTER TABLE {self.q(table)} DROP FOREIGN KEY {name}, DROP INDEX {name}")
        else:
            super().drop_constraint(table, c)

    def add_constraint(self, table: str, c: ddl.TableConstraint) -> None:
        if c.kind == "foreign":
            cols = ", ".join(self.q(col) for col in c.columns)
            name = self.q(c.name)
            self.execute(
                f"ALTER TABLE {self.q(table)} ADD INDEX {name} ({cols}), "
                f"ADD CONSTRAINT {name} {c.sql}"
            )
        else:
            super().add_constraint(table, c)

    def modify(self, table: str, f: Field[Any]) -> None:
        column = ddl.column_sql(f, self.dialect).removesuffix(" PRIMARY KEY")
        self.execute(f"ALTER TABLE {self.q(table)} MODIFY COLUMN {column}")

    def set_not_null(self, table: str, f: Field[Any]) -> None:
        self.modify(table, f)

    def alter_column(
        self, table: str, old_f: Field[Any], new_f: Field[Any], fills: Mapping[str, Any]
    ) -> None:
        self.check_primary_key(table, old_f, new_f)
        if (old_f.null or old_f.auto) and not (new_f.null or new_f.auto):
            has_fill, value = self.fill_value(new_f, fills)
            if has_fill:
                self.fill(table, new_f, value, only_null=True)
        self.modify(table, new_f)


def join_tables(model: type[Model]) -> dict[str, type[Model]]:
    """The join tables made for ``model``'s many-to-many relations, by relation name."""
    return {
        m.name: m.through
        for m in model._meta.many_to_many
        if m.auto_created and m.through is not None
    }


def through_state(model: type[Model]) -> ModelState:
    """A bound state of a join table's model (for ``alter_table``)."""
    meta = model._meta
    view = ModelState.__new__(ModelState)
    view.app, view.name = "", model.__name__
    view.fields = {state_name(f): f for f in meta.fields}
    view.many_to_many = {}
    view.table_name = meta.table_name
    view.indexes, view.constraints = list(meta.indexes), list(meta.constraints)
    view.unique_together = list(meta.unique_together)
    view._rendered = [(None, model)]
    return view


def empty_value(f: Field[Any]) -> Any:
    """The value Django would put in existing rows of a NOT NULL column without a default."""
    enum_type = getattr(f, "enum_type", None)
    if enum_type is not None:
        return next(iter(enum_type))
    return EMPTY.get(f.kind, "")


EMPTY: dict[str, Any] = {
    "smallint": 0, "integer": 0, "bigint": 0, "float": 0.0, "decimal": decimal.Decimal(0),
    "boolean": False, "varchar": "", "text": "", "date": dt.date(1970, 1, 1),
    "datetime": dt.datetime(1970, 1, 1, tzinfo=dt.UTC), "time": dt.time(0),
    "duration": dt.timedelta(0), "uuid": uuid.UUID(int=0), "json": {}, "binary": b"",
}  # fmt: skip


def schema_editor(dialect: Dialect, *, fill_empty: bool = False) -> SchemaEditor:
    if dialect.name == "postgresql":
        return PostgresSchemaEditor(dialect, fill_empty=fill_empty)
    if dialect.name == "mysql":
        return MySQLSchemaEditor(dialect, fill_empty=fill_empty)
    if dialect.name == "sqlite":
        from covet.migrate._schema_sqlite import SqliteSchemaEditor

        return SqliteSchemaEditor(dialect, fill_empty=fill_empty)
    raise MigrationError(f"no schema editor for the {dialect.name!r} dialect")

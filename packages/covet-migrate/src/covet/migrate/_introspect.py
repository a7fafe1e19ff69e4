"""Schema introspection: the live catalog of a database, and the catalog a state expects.

``read_catalog`` (a plan) reads tables, columns (type, nullability, default, primary key,
auto-increment), unique sets, check constraints and indexes from SQLite's pragmas, PostgreSQL's
``pg_catalog`` and MariaDB's ``information_schema``; ``expected_catalog`` computes the same from a
``ProjectState`` through ``covet.orm.sql.ddl``. Both normalise types to one spelling per
dialect, so ``compare`` can list the drift (``covet migrate check --database``) and tests can
assert that up/down/up leaves an identical catalog.

Unique constraints and unique indexes are compared by their columns (SQLite does not keep the
names of table constraints; MariaDB makes every unique constraint an index); check constraints
by name (databases rewrite their expressions); other indexes by name, columns and order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from covet.migrate._history import TABLE as HISTORY_TABLE
from covet.migrate._plan import Fetch, Plan
from covet.migrate._schema import auto_type, join_tables
from covet.orm.sql import ddl

if TYPE_CHECKING:
    from covet.migrate._state import ProjectState
    from covet.orm.sql.dialect import Dialect


@dataclass(frozen=True)
class Column:
    type: str
    nullable: bool
    default: str | None
    primary_key: bool
    auto: bool


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    uniques: set[tuple[str, ...]] = field(default_factory=set)
    checks: set[str] = field(default_factory=set)
    indexes: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)
    #: (columns, referenced table, referenced columns, ON DELETE action)
    foreign_keys: set[ForeignKey] = field(default_factory=set)


ForeignKey = tuple[tuple[str, ...], str, tuple[str, ...], str]
_PG_ACTIONS = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}


Catalog = dict[str, Table]

_PG_TYPES = {
    "character varying": "varchar", "timestamp with time zone": "timestamptz",
    "time without time zone": "time", "double precision": "float8", "numeric": "numeric",
    "integer": "integer", "int": "integer", "int4": "integer", "bigint": "bigint",
    "smallint": "smallint", "boolean": "boolean",
}  # fmt: skip
_MYSQL_TYPES = {"integer": "int", "bool": "tinyint(1)", "boolean": "tinyint(1)"}


def normalize_type(dialect: str, text: str) -> str:
    t = re.sub(r"\s*,\s*", ",", text.strip().lower())
    t = re.sub(r"\s+", " ", t)
    base, paren, rest = t.partition("(")
    if dialect == "postgresql":
        base = _PG_TYPES.get(base.strip(), base.strip())
    elif dialect == "mysql":
        if t in _MYSQL_TYPES:
            return _MYSQL_TYPES[t]
        base = _MYSQL_TYPES.get(base.strip(), base.strip())
        if base in ("int", "bigint", "smallint", "mediumint") and paren:
            return base  # display widths mean nothing
        if base == "tinyint" and paren and rest.startswith("1)"):
            return "tinyint(1)"
    return base + paren + rest


def expected_catalog(state: ProjectState, dialect: Dialect) -> Catalog:
    catalog: Catalog = {}
    models = []
    for app, name in state.models:
        model = state.render(app, name)
        models += [model, *join_tables(model).values()]
    for model in models:
        table = Table()
        for f in model._meta.fields:
            sql_type = auto_type(f, dialect) if f.auto else f.db_type(dialect)
            table.columns[f.column] = Column(
                normalize_type(dialect.name, sql_type),
                bool(f.null) and not f.primary_key,
                None,
                f.primary_key,
                f.auto,
            )
        for c in ddl.table_constraints(model, dialect):
            if c.kind == "unique":
                table.uniques.add(c.columns)
            elif c.kind == "foreign":
                target = ddl.references(model._meta.get_field(_field_of(model, c.columns[0])))
                assert target is not None
                table.foreign_keys.add(
                    (c.columns, target.table, (target.column,), target.on_delete)
                )
            else:
                table.checks.add(c.name)
        for i in ddl.table_indexes(model):
            if i.unique:
                table.uniques.add(i.columns)
            else:
                cols = tuple(
                    c + (" DESC" if d else "") for c, d in zip(i.columns, i.descending, strict=True)
                )
                table.indexes.add((i.name, cols))
        catalog[model._meta.table_name] = table
    return catalog


def _field_of(model: Any, column: str) -> str:
    return str(model._meta.columns_map[column].name)


def compare(expected: Catalog, actual: Catalog) -> list[str]:
    """Human-readable differences; empty when the database matches."""
    out: list[str] = []
    for name in sorted(set(expected) - set(actual)):
        out.append(f"table {name} is missing")
    for name in sorted(set(actual) - set(expected)):
        out.append(f"table {name} exists but no applied migration creates it")
    for name in sorted(set(expected) & set(actual)):
        want, have = expected[name], actual[name]
        for col in sorted(set(want.columns) - set(have.columns)):
            out.append(f"{name}.{col}: column is missing")
        for col in sorted(set(have.columns) - set(want.columns)):
            out.append(f"{name}.{col}: column exists but no applied migration adds it")
        for col in sorted(set(want.columns) & set(have.columns)):
            a, b = want.columns[col], have.columns[col]
            if a != b:
                diffs = [
                    f"{attr} {getattr(a, attr)!r} expected, {getattr(b, attr)!r} found"
                    for attr in ("type", "nullable", "default", "primary_key", "auto")
                    if getattr(a, attr) != getattr(b, attr)
                ]
                out.append(f"{name}.{col}: {'; '.join(diffs)}")
        for label, a_set, b_set in (
            ("unique", want.uniques, have.uniques),
            ("check constraint", want.checks, have.checks),
            ("index", want.indexes, have.indexes),
            ("foreign key", want.foreign_keys, have.foreign_keys),
        ):
            for item in sorted(a_set - b_set, key=repr):
                out.append(f"{name}: {label} {item!r} is missing")
            for item in sorted(b_set - a_set, key=repr):
                out.append(f"{name}: {label} {item!r} exists but no applied migration makes it")
    return out


def read_catalog(dialect: Dialect) -> Plan[Catalog]:
    if dialect.name == "sqlite":
        catalog = yield from _sqlite()
    elif dialect.name == "postgresql":
        catalog = yield from _postgres()
    else:
        catalog = yield from _mysql()
    catalog.pop(HISTORY_TABLE, None)
    return catalog


def _sqlite() -> Plan[Catalog]:
    catalog: Catalog = {}
    tables = yield Fetch(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    for t in tables:
        name, sql = t["name"], t["sql"] or ""
        table = catalog.setdefault(name, Table())
        auto = "AUTOINCREMENT" in sql.upper()
        for col in (yield Fetch("SELECT * FROM pragma_table_info(?)", (name,))):
            pk = bool(col["pk"])
            table.columns[col["name"]] = Column(
                normalize_type("sqlite", col["type"]),
                not col["notnull"] and not pk,
                col["dflt_value"],
                pk,
                pk and auto,
            )
        fks = yield Fetch("SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq", (name,))
        table.foreign_keys = _foreign_keys(
            (fk["id"], fk["from"], fk["table"], fk["to"], fk["on_delete"]) for fk in fks
        )
        table.checks = set(re.findall(r'CONSTRAINT\s+"((?:[^"]|"")+)"\s+CHECK', sql, re.I))
        for index in (yield Fetch("SELECT * FROM pragma_index_list(?)", (name,))):
            if index["origin"] == "pk":
                continue
            info = yield Fetch(
                "SELECT name, desc FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
                (index["name"],),
            )
            if index["unique"]:
                table.uniques.add(tuple(r["name"] for r in info))
            else:
                cols = tuple(r["name"] + (" DESC" if r["desc"] else "") for r in info)
                table.indexes.add((index["name"], cols))
    return catalog


def _postgres() -> Plan[Catalog]:
    catalog: Catalog = {}
    columns = yield Fetch(
        "SELECT cl.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type, "
        "NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS dflt, "
        "a.attidentity <> '' AS auto, "
        "EXISTS (SELECT 1 FROM pg_constraint p WHERE p.conrelid = cl.oid AND p.contype = 'p' "
        "AND a.attnum = ANY(p.conkey)) AS pk "
        "FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = cl.relnamespace "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE n.nspname = current_schema() AND cl.relkind = 'r' AND a.attnum > 0 "
        "AND NOT a.attisdropped ORDER BY cl.relname, a.attnum"
    )
    for c in columns:
        table = catalog.setdefault(c["tbl"], Table())
        table.columns[c["col"]] = Column(
            normalize_type("postgresql", c["type"]),
            bool(c["nullable"]) and not c["pk"],
            c["dflt"],
            bool(c["pk"]),
            bool(c["auto"]),
        )
    constraints = yield Fetch(
        "SELECT cl.relname AS tbl, co.conname AS name, co.contype::text AS kind, "
        "array_to_string(ARRAY(SELECT att.attname FROM unnest(co.conkey) WITH ORDINALITY "
        "AS k(num, ord) JOIN pg_attribute att ON att.attrelid = co.conrelid "
        "AND att.attnum = k.num ORDER BY k.ord), ',') AS cols, "
        "ref.relname AS ref_table, co.confdeltype::text AS on_delete, "
        "array_to_string(ARRAY(SELECT att.attname FROM unnest(co.confkey) WITH ORDINALITY "
        "AS k(num, ord) JOIN pg_attribute att ON att.attrelid = co.confrelid "
        "AND att.attnum = k.num ORDER BY k.ord), ',') AS ref_cols "
        "FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid "
        "JOIN pg_namespace n ON n.oid = cl.relnamespace "
        "LEFT JOIN pg_class ref ON ref.oid = co.confrelid "
        "WHERE n.nspname = current_schema() AND co.contype IN ('u', 'c', 'f')"
    )
    for c in constraints:
        table = catalog.setdefault(c["tbl"], Table())
        if c["kind"] == "u":
            table.uniques.add(tuple(c["cols"].split(",")))
        elif c["kind"] == "f":
            action = _PG_ACTIONS.get(c["on_delete"], c["on_delete"])
            cols, ref_cols = tuple(c["cols"].split(",")), tuple(c["ref_cols"].split(","))
            table.foreign_keys.add((cols, c["ref_table"], ref_cols, action))
        else:
            table.checks.add(c["name"])
    indexes = yield Fetch(
        "SELECT t.relname AS tbl, i.relname AS name, ix.indisunique AS uniq, "
        "pg_get_indexdef(ix.indexrelid) AS def "
        "FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
        "JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = current_schema() AND NOT ix.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)"
    )
    for i in indexes:
        table = catalog.setdefault(i["tbl"], Table())
        inner = i["def"][i["def"].rindex("(") + 1 : i["def"].rindex(")")]
        cols = tuple(_unquote_pg(part.strip()) for part in inner.split(","))
        if i["uniq"]:
            table.uniques.add(tuple(c.removesuffix(" DESC") for c in cols))
        else:
            table.indexes.add((i["name"], cols))
    return catalog


def _unquote_pg(part: str) -> str:
    desc = part.upper().endswith(" DESC")
    name = part[: -len(" DESC")] if desc else part
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1].replace('""', '"')
    return name + (" DESC" if desc else "")


def _mysql() -> Plan[Catalog]:
    catalog: Catalog = {}
    tables = yield Fetch(
        "SELECT TABLE_NAME AS tbl FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
        "AND TABLE_TYPE = 'BASE TABLE'"
    )
    for t in tables:
        catalog.setdefault(t["tbl"], Table())
    columns = yield Fetch(
        "SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col, COLUMN_TYPE AS type, "
        "IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra, COLUMN_KEY AS ckey "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
        "ORDER BY TABLE_NAME, ORDINAL_POSITION"
    )
    for c in columns:
        if c["tbl"] not in catalog:
            continue
        default = c["dflt"]
        if default is not None and str(default).upper() == "NULL":
            default = None
        pk = c["ckey"] == "PRI"
        catalog[c["tbl"]].columns[c["col"]] = Column(
            normalize_type("mysql", _text(c["type"])),
            c["nullable"] == "YES" and not pk,
            None if default is None else _text(default),
            pk,
            "auto_increment" in _text(c["extra"]).lower(),
        )
    fks = yield Fetch(
        "SELECT k.TABLE_NAME AS tbl, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, "
        "k.REFERENCED_TABLE_NAME AS ref_table, k.REFERENCED_COLUMN_NAME AS ref_col, "
        "r.DELETE_RULE AS on_delete FROM information_schema.KEY_COLUMN_USAGE k "
        "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
        "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
        "AND r.TABLE_NAME = k.TABLE_NAME "
        "WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL "
        "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
    )
    for tbl in catalog:
        catalog[tbl].foreign_keys = _foreign_keys(
            (fk["name"], fk["col"], fk["ref_table"], fk["ref_col"], fk["on_delete"])
            for fk in fks
            if fk["tbl"] == tbl
        )
    stats = yield Fetch(
        "SELECT TABLE_NAME AS tbl, INDEX_NAME AS name, NON_UNIQUE AS non_unique, "
        "COLUMN_NAME AS col, COLLATION AS coll FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
    )
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for s in stats:
        if s["name"] != "PRIMARY" and s["tbl"] in catalog:
            grouped.setdefault((s["tbl"], s["name"]), []).append(s)
    # InnoDB indexes each foreign key's columns itself, naming the index after the constraint
    implicit = {(fk["tbl"], fk["name"]) for fk in fks}
    for (tbl, name), rows in grouped.items():
        if (tbl, name) in implicit:
            continue
        if int(rows[0]["non_unique"]) == 0:
            catalog[tbl].uniques.add(tuple(r["col"] for r in rows))
        else:
            cols = tuple(r["col"] + (" DESC" if r["coll"] == "D" else "") for r in rows)
            catalog[tbl].indexes.add((name, cols))
    checks = yield Fetch(
        "SELECT TABLE_NAME AS tbl, CONSTRAINT_NAME AS name "
        "FROM information_schema.TABLE_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'CHECK'"
    )
    for c in checks:
        if c["tbl"] in catalog:
            catalog[c["tbl"]].checks.add(c["name"])
    return catalog


def _foreign_keys(rows: Iterable[tuple[Any, str, str, str, str]]) -> set[ForeignKey]:
    """Rows of (constraint key, column, referenced table, referenced column, ON DELETE), one per
    column in order, grouped into foreign keys."""
    grouped: dict[Any, list[tuple[str, str, str, str]]] = {}
    for key, col, ref_table, ref_col, action in rows:
        grouped.setdefault(key, []).append((col, ref_table, ref_col, _text(action).upper()))
    return {
        (tuple(p[0] for p in parts), parts[0][1], tuple(p[2] for p in parts), parts[0][3])
        for parts in grouped.values()
    }


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)

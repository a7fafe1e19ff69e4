"""The migration writer: operations -> a plain Python module, with the imports it needs."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import re
import types
import uuid
from typing import Any

import covet.orm
from covet.migrate._exceptions import MigrationError
from covet.migrate._state import declared
from covet.migrate.operations.base import Operation
from covet.orm import (
    CheckConstraint,
    F,
    Field,
    ForeignKey,
    Index,
    ManyToManyField,
    Q,
    UniqueConstraint,
)
from covet.orm._fields import NOT_PROVIDED
from covet.orm._related import OnDelete


class SerializationError(MigrationError, ValueError):
    """A value cannot be written into a migration file."""


class Serializer:
    """Turns values into Python source and collects the imports that source needs."""

    def __init__(self) -> None:
        self.imports: set[str] = set()

    def __call__(self, value: Any) -> str:
        if isinstance(value, OnDelete):
            name = value.name
            if getattr(covet.orm, name, None) is value:
                self.imports.add("from covet import orm")
                return f"orm.{name}"
        if isinstance(value, enum.Enum):  # before int/str: IntEnum and StrEnum are both
            return f"{self.reference(type(value))}[{self(value.name)}]"
        if isinstance(value, str):
            return json.dumps(value, ensure_ascii=False)
        if value is None or isinstance(value, bool | int | float | bytes):
            if isinstance(value, float) and value != value:  # NaN
                return 'float("nan")'
            return repr(value)
        if isinstance(value, decimal.Decimal):
            self.imports.add("import decimal")
            return f"decimal.Decimal({str(value)!r})"
        if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
            self.imports.add("import datetime")
            text = repr(value)
            if isinstance(value, dt.datetime) and value.tzinfo is dt.UTC:
                text = text.replace("tzinfo=datetime.timezone.utc", "tzinfo=datetime.UTC")
            return text
        if isinstance(value, uuid.UUID):
            self.imports.add("import uuid")
            return f"uuid.UUID({str(value)!r})"
        if isinstance(value, list):
            return "[" + ", ".join(self(v) for v in value) + "]"
        if isinstance(value, tuple):
            items = [self(v) for v in value]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        if isinstance(value, set | frozenset):
            if not value:
                return "set()"
            return "{" + ", ".join(sorted(self(v) for v in value)) + "}"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self(k)}: {self(v)}" for k, v in value.items()) + "}"
        if isinstance(value, Field):
            return self.field(value)
        if isinstance(value, ManyToManyField):
            options = {
                "through": value.through_ref,
                "related_name": value.related_name,
                "related_query_name": value.related_query_name,
                "db_table": value.db_table,
            }
            options = {k: v for k, v in options.items() if v is not None}
            return self.call("orm.ManyToManyField", value.to, **options)
        if isinstance(value, Index):
            return self.call(
                "orm.Index", fields=list(value.fields), name=value.name, unique=value.unique
            )
        if isinstance(value, UniqueConstraint):
            return self.call("orm.UniqueConstraint", fields=list(value.fields), name=value.name)
        if isinstance(value, CheckConstraint):
            return self.call("orm.CheckConstraint", check=value.check, name=value.name)
        if isinstance(value, Q):
            return self.q(value)
        if isinstance(value, F):
            self.imports.add("from covet import orm")
            return f"orm.F({value.name!r})"
        if isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
            return self.reference(value)
        if isinstance(value, Operation):
            name, args, kwargs = value.deconstruct()
            self.imports.add("from covet.migrate import ops")
            return self.call(f"ops.{name}", *args, **kwargs)
        raise SerializationError(
            f"cannot write {value!r} ({type(value).__name__}) into a migration file: use values "
            "Python can write (numbers, strings, dates, enums, module-level functions)"
        )

    def call(self, callee: str, /, *args: Any, **kwargs: Any) -> str:
        if callee.startswith("orm."):
            self.imports.add("from covet import orm")
        parts = [self(a) for a in args]
        parts += [f"{k}={self(v)}" for k, v in kwargs.items() if v is not NOT_PROVIDED]
        return f"{callee}({', '.join(parts)})"

    def reference(self, obj: Any) -> str:
        module: str = obj.__module__
        qualname: str = obj.__qualname__
        if module.startswith("covet_migrations."):
            raise SerializationError(
                f"{qualname} is defined in the migration file {module}: move it to an importable "
                "module before squashing (migration files are not importable by name)"
            )
        if "<" in qualname or module == "__main__":
            raise SerializationError(
                f"{qualname} is not importable (define it at module level of an importable "
                "module to use it in a migration)"
            )
        if module == "builtins":
            return qualname
        if getattr(covet.orm, qualname, None) is obj:
            self.imports.add("from covet import orm")
            return f"orm.{qualname}"
        self.imports.add(f"import {module}")
        return f"{module}.{qualname}"

    def field(self, field: Field[Any]) -> str:
        _, args, kwargs = declared(field)
        if (
            not isinstance(field, ForeignKey)
            and getattr(field, "kind", None) == "varchar"
            and "max_length" not in kwargs
        ):
            kwargs["max_length"] = field.max_length  # type: ignore[attr-defined]
        return self.call(self.reference(type(field)), *args, **kwargs)

    def q(self, q: Q) -> str:
        self.imports.add("from covet import orm")
        parts: list[str] = []
        for child in q.children:
            if isinstance(child, Q):
                parts.append(self.q(child))
            elif not isinstance(child, tuple):
                raise SerializationError(
                    f"cannot write the expression {child!r} of a Q into a migration; "
                    "write the condition with field lookups"
                )
            else:
                lookup, value = child
                if not lookup.isidentifier():
                    raise SerializationError(f"cannot write the lookup {lookup!r}")
                parts.append(f"orm.Q({lookup}={self(value)})")
        if not parts:
            text = "orm.Q()"
        elif len(parts) == 1:
            text = parts[0]
        else:
            joiner = {"AND": " & ", "OR": " | ", "XOR": " ^ "}[q.connector]
            text = "(" + joiner.join(parts) + ")"
        return f"~{text}" if q.negated else text


def write_migration(
    operations: list[Operation],
    dependencies: list[tuple[str, str]],
    *,
    replaces: list[tuple[str, str]] | None = None,
    initial: bool = False,
    header: str = "",
) -> str:
    """The source of a migration module."""
    serialize = Serializer()
    serialize.imports.add("from covet.migrate import ops")
    body = []
    for op in operations:
        name, args, kwargs = op.deconstruct()
        if name == "CreateModel":
            body.append(
                f"    ops.CreateModel(\n        {serialize(args[0] if args else kwargs['name'])},"
            )
            fields = args[1] if len(args) > 1 else kwargs.get("fields", [])
            body.append("        fields=[")
            body += [f"            {serialize(tuple(f))}," for f in fields]
            body.append("        ],")
            options = args[2] if len(args) > 2 else kwargs.get("options")
            if options:
                body.append("        options={")
                body += [f"            {serialize(k)}: {serialize(v)}," for k, v in options.items()]
                body.append("        },")
            body.append("    ),")
        else:
            body.append("    " + serialize(op) + ",")
    lines = [f'"""{header}"""' if header else '"""A migration."""', ""]
    lines += sorted(serialize.imports, key=lambda s: (s.startswith("from"), s))
    lines += ["", f"dependencies = {serialize(dependencies)}"]
    if replaces:
        lines.append(f"replaces = {serialize(replaces)}")
    if initial:
        lines.append("initial = True")
    lines += ["", "operations = [", *body, "]", ""] if body else ["", "operations = []", ""]
    return "\n".join(lines)


def slug(text: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()[:60] or "auto"

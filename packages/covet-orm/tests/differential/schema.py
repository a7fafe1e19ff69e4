"""The models under test, declared once: every column names its covet-orm and its Django field.

``COLUMNS`` covers every covet field type, most in a NOT NULL and a nullable variant. Both ORMs
build their model classes from it, so the two can never drift apart. Each ORM creates and fills
its OWN tables (``cv_*`` for covet, ``dj_*`` for Django) with the same rows through its own API:
a query then tests covet end to end (its DDL, how it stores a value, and how it reads it) against
Django end to end, on the same database server. ``mirror`` models are Django models over covet's
tables, used to read back what covet stored (see test_storage.py).

Where the two ORMs have no common field, the nearest Django spelling stands in and the harness
compares by value (``harness.canon``): covet's ``EnumField`` is Django's ``CharField`` /
``IntegerField`` with ``choices``.
"""

from __future__ import annotations

import enum
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    MID = 2
    HIGH = 3


@dataclass(frozen=True)
class Column:
    """One field: ``kind`` is the name of the field class in both ORMs unless overridden."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    covet_kind: str | None = None
    django_options: dict[str, Any] | None = None

    def covet(self, orm: ModuleType) -> Any:
        if self.kind == "EnumField":
            enum_type = self.options["enum"]
            rest = {k: v for k, v in self.options.items() if k != "enum"}
            return orm.EnumField(enum_type, **rest)
        return getattr(orm, self.covet_kind or self.kind)(**self.options)

    def django(self, models: ModuleType) -> Any:
        if self.kind == "EnumField":
            enum_type = self.options["enum"]
            rest = {k: v for k, v in self.options.items() if k != "enum"}
            choices = [(m.value, m.name) for m in enum_type]
            if issubclass(enum_type, int):
                return models.IntegerField(choices=choices, **rest)
            return models.CharField(max_length=16, choices=choices, **rest)
        options = self.options if self.django_options is None else self.django_options
        return getattr(models, self.kind)(**options)


def _pair(name: str, kind: str, **options: Any) -> list[Column]:
    """The column and its nullable twin ``<name>_n``."""
    return [Column(name, kind, options), Column(f"{name}_n", kind, {**options, "null": True})]


COLUMNS: list[Column] = [
    *_pair("name", "CharField", max_length=60),
    Column("grp", "CharField", {"max_length": 8}),
    Column("body", "TextField"),
    Column("email", "EmailField", {"null": True}),
    Column("url", "URLField", {"null": True}),
    *_pair("n", "IntegerField"),
    Column("small", "SmallIntegerField"),
    *_pair("big", "BigIntegerField"),
    *_pair("f", "FloatField"),
    *_pair("dec", "DecimalField", max_digits=12, decimal_places=4),
    *_pair("flag", "BooleanField"),
    *_pair("d", "DateField"),
    *_pair("ts", "DateTimeField"),
    *_pair("t", "TimeField"),
    *_pair("dur", "DurationField"),
    *_pair("uid", "UUIDField"),
    Column("data", "JSONField", {"null": True}),
    Column("doc", "JSONField"),
    Column("blob", "BinaryField", {"null": True}),
    Column("color", "EnumField", {"enum": Color}),
    Column("level", "EnumField", {"enum": Level, "null": True}),
]
#: the columns of the write tests' table: the read table's, plus a decimal wider than SQLite keeps
SCRATCH_COLUMNS: list[Column] = [
    *COLUMNS,
    Column("wide", "DecimalField", {"max_digits": 30, "decimal_places": 10, "null": True}),
]
#: a small model with a default ordering (Meta.ordering)
RANKED_COLUMNS: list[Column] = [
    Column("name", "CharField", {"max_length": 20}),
    Column("n", "IntegerField", {"null": True}),
]

FIELD_NAMES = [c.name for c in COLUMNS]

# ---- Django ----------------------------------------------------------------------------------
#: the Django database alias queries go to (a router reads it): the backend under test
CURRENT_ALIAS: ContextVar[str] = ContextVar("differential_alias", default="default")
ALIASES = {"sqlite": "default", "postgres": "postgres", "mysql": "mysql"}


class Router:
    """Sends every Django query to the backend under test (``CURRENT_ALIAS``)."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return CURRENT_ALIAS.get()

    def db_for_write(self, model: type, **hints: Any) -> str:
        return CURRENT_ALIAS.get()


def configure_django() -> None:
    """Standalone Django (no project): three aliases, filled in by ``harness`` per session."""
    from django.conf import settings

    if settings.configured:
        return
    import django
    import pymysql

    # Django's MySQL backend speaks MySQLdb's API; PyMySQL provides it in pure Python, so a
    # fresh clone needs no MySQL client headers (mysqlclient has no Linux wheels)
    pymysql.install_as_MySQLdb()
    # the relation models' reverse accessors (author.books) resolve only among installed apps
    from django.apps import AppConfig

    package = __name__.rpartition(".")[0]
    globals()["DifferentialConfig"] = type(
        "DifferentialConfig",
        (AppConfig,),
        {"name": package, "label": "differential", "path": str(Path(__file__).parent)},
    )
    settings.configure(
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ""},
            "postgres": {"ENGINE": "django.db.backends.postgresql", "NAME": ""},
            "mysql": {"ENGINE": "django.db.backends.mysql", "NAME": "", "OPTIONS": {}},
        },
        DATABASE_ROUTERS=[Router()],
        INSTALLED_APPS=[f"{__name__}.DifferentialConfig"],
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()


def django_model(
    name: str, table: str, columns: list[Column], *, ordering: list[str] | None = None,
    managed: bool = True,
) -> Any:  # fmt: skip
    from django.db import models

    meta: dict[str, Any] = {"app_label": "differential", "db_table": table, "managed": managed}
    if ordering:
        meta["ordering"] = ordering
    attrs: dict[str, Any] = {"__module__": __name__, "Meta": type("Meta", (), meta)}
    attrs["id"] = models.BigAutoField(primary_key=True)
    attrs.update((c.name, c.django(models)) for c in columns)
    return type(name, (models.Model,), attrs)


def covet_model(
    name: str, table: str, columns: list[Column], db: Any, *, ordering: list[str] | None = None
) -> Any:
    from covet import orm

    meta = type("Meta", (), {"table_name": table, "db": db, "ordering": ordering or []})
    attrs: dict[str, Any] = {"__module__": __name__, "Meta": meta}
    attrs.update((c.name, c.covet(orm)) for c in columns)
    return type(name, (orm.Model,), attrs)


@dataclass
class ModelSet:
    """The models of one ORM on one backend: what a spec sees as ``o.Item`` and friends."""

    Item: Any
    Scratch: Any
    Ranked: Any
    #: relations (specs_relations.py): publisher <- author <- book (author, editor) <-> tag
    Publisher: Any = None
    Author: Any = None
    Tag: Any = None
    Book: Any = None


def _relation_models(
    orm: ModuleType, base: type, name: str, table: str, meta: dict[str, Any]
) -> dict[str, Any]:
    """The relation models in either ORM: ``orm`` is ``covet.orm`` or ``django.db.models``
    (their relation fields take the same arguments), ``name``/``table`` prefix the class names
    and the tables, ``meta`` is the rest of each ``Meta``."""

    def model(model_name: str, fields: dict[str, Any]) -> Any:
        options = {
            **meta,
            (
                "db_table" if orm.__name__.startswith("django") else "table_name"
            ): f"{table}_{model_name.lower()}",
        }
        attrs: dict[str, Any] = {
            "__module__": __name__,
            "Meta": type("Meta", (), options),
            **fields,
        }
        if orm.__name__.startswith("django"):
            attrs["id"] = orm.BigAutoField(primary_key=True)
        return type(f"{name}{model_name}", (base,), attrs)

    publisher = model("Publisher", {"name": orm.CharField(max_length=30)})
    author = model(
        "Author",
        {
            "name": orm.CharField(max_length=30),
            "age": orm.IntegerField(null=True),
            "publisher": orm.ForeignKey(
                publisher, on_delete=orm.SET_NULL, null=True, related_name="authors"
            ),
        },
    )
    tag = model("Tag", {"name": orm.CharField(max_length=30)})
    book = model(
        "Book",
        {
            "title": orm.CharField(max_length=30),
            "pages": orm.IntegerField(),
            "rating": orm.FloatField(null=True),
            "author": orm.ForeignKey(author, on_delete=orm.CASCADE, related_name="books"),
            "editor": orm.ForeignKey(
                author, on_delete=orm.SET_NULL, null=True, related_name="edited"
            ),
            "tags": orm.ManyToManyField(tag, related_name="books"),
        },
    )
    return {"Publisher": publisher, "Author": author, "Tag": tag, "Book": book}


TABLES = {"Item": "item", "Scratch": "scratch", "Ranked": "ranked"}
_COLUMNS_OF: dict[str, list[Column]] = {
    "Item": COLUMNS, "Scratch": SCRATCH_COLUMNS, "Ranked": RANKED_COLUMNS,
}  # fmt: skip
_ORDERING = {"Ranked": ["-n", "name"]}
_django_sets: dict[str, ModelSet] = {}


def django_models(prefix: str) -> ModelSet:
    """Django's models over the ``<prefix>_*`` tables (``dj``: its own; ``cv``: covet's)."""
    if prefix not in _django_sets:
        configure_django()
        made = {
            name: django_model(
                f"{prefix.title()}{name}",
                f"{prefix}_{table}",
                _COLUMNS_OF[name],
                ordering=_ORDERING.get(name),
                managed=prefix == "dj",
            )
            for name, table in TABLES.items()
        }
        if prefix == "dj":
            from django.db import models

            meta = {"app_label": "differential"}
            made.update(_relation_models(models, models.Model, "Dj", "dj", meta))
        _django_sets[prefix] = ModelSet(**made)
    return _django_sets[prefix]


def covet_models(db: Any) -> ModelSet:
    made = {
        name: covet_model(name, f"cv_{table}", _COLUMNS_OF[name], db, ordering=_ORDERING.get(name))
        for name, table in TABLES.items()
    }
    from covet import orm

    made.update(_relation_models(orm, orm.Model, "Cv", "cv", {"db": db}))
    return ModelSet(**made)

"""One ``World`` per backend and test session: tables created and seeded once, by each ORM.

``worlds(backend)`` builds it on first use: Django's alias pointed at the session's database
(the parent conftest's ``server_url``; SQLite: a file in a temporary folder), covet's
``Database`` on the same database, both ORMs' tables (``dj_*`` by Django's schema editor,
``cv_*`` by covet's ``create_tables``) filled with ``seed.rows()`` through each ORM's own
``bulk_create``. covet's async API runs on one event loop in a thread of its own
(``harness.LoopThread``), so every test here is a plain function and Django never sees a running
loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from covet import orm

from ..conftest import server_url
from .harness import LoopThread, Orm, django_on
from .schema import ALIASES, ModelSet, configure_django, covet_models, django_models
from .seed import rows


@dataclass
class World:
    backend: str
    db: orm.Database
    loop: LoopThread
    django: Orm  # Django's models over dj_* tables
    covet: Orm  # covet's models over cv_* tables
    mirror: ModelSet  # Django's models over covet's cv_* tables: what covet stored


def _django_settings(backend: str, url: str) -> dict[str, Any]:
    if backend == "sqlite":
        return {"NAME": url.removeprefix("sqlite:///")}
    parts = urlsplit(url)
    settings: dict[str, Any] = {
        "NAME": parts.path.lstrip("/"),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
    }
    if backend == "mysql":
        settings["OPTIONS"] = {"charset": "utf8mb4"}
    return settings


def _models(models: ModelSet) -> list[Any]:
    """Every model, a referenced one before those referring to it."""
    return [
        models.Item, models.Scratch, models.Ranked,
        models.Publisher, models.Author, models.Tag, models.Book,
    ]  # fmt: skip


def _django_tables(models: ModelSet) -> list[str]:
    """Django's tables in creation order, the many-to-many join table included."""
    tables = [m._meta.db_table for m in _models(models)]
    return [*tables, models.Book.tags.through._meta.db_table]


def _create_django_tables(backend: str, models: ModelSet) -> None:
    from django.db import connections

    connection = connections[ALIASES[backend]]
    with connection.cursor() as cursor:
        for table in reversed(_django_tables(models)):  # referring tables first
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")
    with connection.schema_editor() as editor:
        for model in _models(models):
            editor.create_model(model)
    if backend == "mysql":
        # covet creates MariaDB tables with utf8mb4_bin (case-sensitive, as on the other
        # databases); Django's get the database default. The same collation on both sides makes
        # = , LIKE and ORDER BY compare alike; what stays different is listed in known.py.
        with connection.cursor() as cursor:
            for name in _django_tables(models):
                table = connection.ops.quote_name(name)
                cursor.execute(
                    f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                )


RANKED = [("b", 2), ("a", 2), ("c", None), ("d", 5), ("e", -1)]


PUBLISHERS = [(1, "Penguin"), (2, "Orbit"), (3, "Nobody")]  # 3: no authors
#: id, name, age, publisher (Eve has no books, Dee no publisher, Bob no age)
AUTHORS = [(1, "Ann", 40, 1), (2, "Bob", None, 1), (3, "Cy", 25, 2), (4, "Dee", 60, None),
           (5, "Eve", 33, 2)]  # fmt: skip
TAGS = [(1, "python"), (2, "sql"), (3, "web"), (4, "unused")]
#: id, title, pages, rating, author, editor, tags
BOOKS = [
    (1, "Alpha", 120, 4.5, 1, 2, [1, 2]),
    (2, "Beta", 300, 3.0, 1, None, [1]),
    (3, "Gamma", 80, None, 2, 1, []),
    (4, "Delta", 450, 4.9, 3, 3, [2, 3]),
    (5, "Epsilon", 300, 2.5, 4, None, [3]),
    (6, "Zeta", 50, 4.0, 4, 1, [1, 2, 3]),
    (7, "Eta", 220, None, 3, None, [2]),
]


def seed(models: ModelSet) -> None:
    """The same rows through either ORM's own API (the sync one: the same names in both)."""
    models.Item.objects.bulk_create([models.Item(**row) for row in rows()])
    models.Ranked.objects.bulk_create(
        [models.Ranked(id=i, name=name, n=n) for i, (name, n) in enumerate(RANKED, 1)]
    )
    models.Publisher.objects.bulk_create([models.Publisher(id=i, name=n) for i, n in PUBLISHERS])
    models.Author.objects.bulk_create(
        [models.Author(id=i, name=n, age=a, publisher_id=p) for i, n, a, p in AUTHORS]
    )
    models.Tag.objects.bulk_create([models.Tag(id=i, name=n) for i, n in TAGS])
    for i, title, pages, rating, author, editor, tags in BOOKS:
        book = models.Book.objects.create(
            id=i, title=title, pages=pages, rating=rating, author_id=author, editor_id=editor
        )
        book.tags.add(*tags)


def _build(backend: str, loop: LoopThread, tmp: Path) -> World:
    configure_django()
    from django.db import connections

    url = f"sqlite:///{tmp / 'differential.db'}" if backend == "sqlite" else server_url(backend)
    connections[ALIASES[backend]].settings_dict.update(_django_settings(backend, url))
    db = orm.Database(url, default=False)
    dj, mirror, cv = django_models("dj"), django_models("cv"), covet_models(db)
    db.drop_tables(_models(cv))
    db.create_tables(_models(cv))
    with django_on(backend):
        _create_django_tables(backend, dj)
        seed(dj)
    seed(cv)
    return World(
        backend=backend,
        db=db,
        loop=loop,
        django=Orm("django", dj, _django_modules()),
        covet=Orm("covet", cv, [orm]),
        mirror=mirror,
    )


def _django_modules() -> list[Any]:
    from django.db import models
    from django.db.models import functions

    return [models, functions]


@pytest.fixture(scope="session")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], World]]:
    made: dict[str, World] = {}
    loop = LoopThread()
    tmp = tmp_path_factory.mktemp("differential")

    def get(backend: str) -> World:
        if backend not in made:
            made[backend] = _build(backend, loop, tmp)
        return made[backend]

    try:
        yield get
    finally:
        for world in made.values():
            loop.run(world.db.aclose())
        if made:
            from django.db import connections

            connections.close_all()
        loop.close()

"""Relation fields through covet-migrate: ``make`` writes ForeignKey / OneToOne / the
many-to-many join table with names, not model imports; ``upgrade`` creates the columns
(``author_id``) and constraints the ORM uses; ``check`` and ``check_database`` find no drift."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from covet.migrate import MigrationManager
from covet.orm import Database, IntegrityError

APP = """
from covet import orm


class Author(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        table_name = "rm_author"


class Book(orm.Model):
    title = orm.CharField(max_length=20)
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="books")
    editor = orm.ForeignKey("Author", on_delete=orm.SET_NULL, null=True, related_name="+")
    tags = orm.ManyToManyField("Tag", related_name="books")

    class Meta:
        table_name = "rm_book"
        unique_together = [("author", "title")]


class Tag(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        table_name = "rm_tag"
"""


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "relmigapp.py").write_text(textwrap.dedent(APP))
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("relmigapp", None)


def test_relations_migrate_without_drift(app: Path) -> None:
    db = Database(f"sqlite:///{app / 'm.db'}", default=True)
    try:
        manager = MigrationManager(db, apps=["relmigapp"], directory=app / "migrations")
        (written,) = manager.make()
        text = Path(written).read_text()
        assert 'orm.ForeignKey("relmigapp.Author", on_delete=orm.CASCADE' in text
        assert "import relmigapp" not in text
        manager.upgrade()
        assert manager.check() == [] and manager.check_database() == []
        import relmigapp  # type: ignore[import-not-found]

        ann = relmigapp.Author.objects.create(name="Ann")
        book = relmigapp.Book.objects.create(title="A", author=ann)
        tag = relmigapp.Tag.objects.create(name="t")
        book.tags.add(tag)
        with pytest.raises(IntegrityError):
            relmigapp.Book.objects.create(title="A", author=ann)  # unique_together
        total, per = ann.delete()
        assert total == 3
        assert per == {"relmigapp.Author": 1, "relmigapp.Book": 1, "relmigapp.Book_tags": 1}
    finally:
        db.close()

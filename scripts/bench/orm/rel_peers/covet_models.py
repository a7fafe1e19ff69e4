"""covet-orm models of the relation schema, written against the Django-style relation API of
issue 9 (``ForeignKey``, ``ManyToManyField``, ``select_related``, ``prefetch_related``,
``annotate(n=Count("books"))``). Until covet.orm has relations, ``define`` raises
``RelationsUnavailable`` and relations.py prints "covet: relations not available"."""

from __future__ import annotations

from typing import Any

from _relations_workload import Config


class RelationsUnavailable(RuntimeError):
    pass


def covet_url(cfg: Config) -> str:
    return f"sqlite:///{cfg.url}" if cfg.db == "sqlite" else cfg.url


def define(cfg: Config) -> tuple[Any, Any, Any, Any]:
    """(database, Author, Book, Post)"""
    import covet.orm as orm

    if not hasattr(orm, "ForeignKey"):
        raise RelationsUnavailable("covet: relations not available")
    from covet.orm import (
        CASCADE,  # type: ignore[attr-defined]
        CharField,
        Database,
        ForeignKey,  # type: ignore[attr-defined]
        IntegerField,
        ManyToManyField,  # type: ignore[attr-defined]
        Model,
    )

    database = Database(covet_url(cfg))

    class Author(Model):
        name = CharField(max_length=100)

        class Meta:
            table_name = "rel_author"
            db = database

    class Book(Model):
        title = CharField(max_length=200)
        pages = IntegerField()
        author = ForeignKey(Author, on_delete=CASCADE, related_name="books")

        class Meta:
            table_name = "rel_book"
            db = database

    class Tag(Model):
        name = CharField(max_length=50)

        class Meta:
            table_name = "rel_tag"
            db = database

    class Post(Model):
        title = CharField(max_length=200)
        tags = ManyToManyField(Tag, related_name="posts", through="PostTag")

        class Meta:
            table_name = "rel_post"
            db = database

    class PostTag(Model):
        post = ForeignKey(Post, on_delete=CASCADE)
        tag = ForeignKey(Tag, on_delete=CASCADE)

        class Meta:
            table_name = "rel_post_tags"
            db = database

    return database, Author, Book, Post

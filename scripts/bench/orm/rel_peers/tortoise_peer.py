"""Tortoise ORM (async): select_related, prefetch_related, annotate(Count); (e) awaits
``book.author`` per book, Tortoise's way to read an unloaded relation (one query each)."""

from __future__ import annotations

from typing import Any

from _relations_workload import (
    Checksum,
    Config,
    checksum_authors,
    checksum_books,
    checksum_counts,
    checksum_posts,
)
from peers.tortoise_peer import tortoise_url
from tortoise import Tortoise, fields
from tortoise.functions import Count
from tortoise.models import Model

IS_ASYNC = True


class Author(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "rel_author"


class Book(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=200)
    pages = fields.IntField()
    author: Any = fields.ForeignKeyField("models.Author", related_name="books")

    class Meta:
        table = "rel_book"


class Tag(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=50)

    class Meta:
        table = "rel_tag"


class Post(Model):
    id = fields.BigIntField(primary_key=True)
    title = fields.CharField(max_length=200)
    tags: Any = fields.ManyToManyField(
        "models.Tag",
        related_name="posts",
        through="rel_post_tags",
        forward_key="tag_id",
        backward_key="post_id",
    )

    class Meta:
        table = "rel_post"


class TortoiseRelations:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg

    async def start(self) -> TortoiseRelations:
        await Tortoise.init(db_url=tortoise_url(self.cfg), modules={"models": [__name__]})  # type: ignore[arg-type]
        return self

    async def books_with_author(self) -> Checksum:
        books = await Book.all().order_by("id").select_related("author")
        return checksum_books([(b.title, b.author.name) for b in books])

    async def authors_with_books(self) -> Checksum:
        authors = await Author.all().order_by("id").prefetch_related("books")
        return checksum_authors([(a.name, [b.pages for b in a.books]) for a in authors])

    async def posts_with_tags(self) -> Checksum:
        posts = await Post.all().order_by("id").prefetch_related("tags")
        return checksum_posts([(p.title, [t.name for t in p.tags]) for p in posts])

    async def authors_book_count(self) -> Checksum:
        authors: Any = await Author.annotate(n=Count("books")).order_by("id")
        return checksum_counts([(a.id, a.n) for a in authors])

    async def naive_book_author(self) -> Checksum:
        books = await Book.all().order_by("id")
        return checksum_books([(b.title, (await b.author).name) for b in books])

    async def close(self) -> None:
        await Tortoise.close_connections()


def make(cfg: Config) -> Any:
    return TortoiseRelations(cfg).start()

"""Peewee (sync): a JOIN selecting both models, prefetch(); (e) is Peewee's default lazy
loading, one query per book."""

from __future__ import annotations

from typing import Any

import peewee as pw
from _relations_workload import (
    Checksum,
    Config,
    checksum_authors,
    checksum_books,
    checksum_counts,
    checksum_posts,
)
from _workload import mysql_params

IS_ASYNC = False


class Author(pw.Model):
    name = pw.CharField(max_length=100)

    class Meta:
        table_name = "rel_author"


class Book(pw.Model):
    title = pw.CharField(max_length=200)
    pages = pw.IntegerField()
    author = pw.ForeignKeyField(Author, backref="books")

    class Meta:
        table_name = "rel_book"


class Tag(pw.Model):
    name = pw.CharField(max_length=50)

    class Meta:
        table_name = "rel_tag"


class Post(pw.Model):
    title = pw.CharField(max_length=200)

    class Meta:
        table_name = "rel_post"


class PostTag(pw.Model):
    post = pw.ForeignKeyField(Post, backref="tag_links")
    tag = pw.ForeignKeyField(Tag, backref="post_links")

    class Meta:
        table_name = "rel_post_tags"


class PeeweeRelations:
    def __init__(self, cfg: Config) -> None:
        if cfg.db == "sqlite":
            self.db: Any = pw.SqliteDatabase(cfg.url, pragmas={"journal_mode": "wal"})
        elif cfg.db == "postgres":
            self.db = pw.PostgresqlDatabase(cfg.url)
        else:
            params = mysql_params(cfg.url)
            self.db = pw.MySQLDatabase(params.pop("database"), charset="utf8mb4", **params)
        self.db.bind([Author, Book, Tag, Post, PostTag])
        self.db.connect()

    def books_with_author(self) -> Checksum:
        query = Book.select(Book, Author).join(Author).order_by(Book.id)
        return checksum_books([(b.title, b.author.name) for b in query])

    def authors_with_books(self) -> Checksum:
        authors = pw.prefetch(Author.select().order_by(Author.id), Book.select())
        return checksum_authors([(a.name, [b.pages for b in a.books]) for a in authors])

    def posts_with_tags(self) -> Checksum:
        links = PostTag.select(PostTag, Tag).join(Tag)
        posts = pw.prefetch(Post.select().order_by(Post.id), links)
        return checksum_posts([(p.title, [pt.tag.name for pt in p.tag_links]) for p in posts])

    def authors_book_count(self) -> Checksum:
        query = (
            Author.select(Author, pw.fn.COUNT(Book.id).alias("n"))
            .join(Book, pw.JOIN.LEFT_OUTER)
            .group_by(Author.id, Author.name)
            .order_by(Author.id)
        )
        return checksum_counts([(a.id, a.n) for a in query])

    def naive_book_author(self) -> Checksum:
        return checksum_books([(b.title, b.author.name) for b in Book.select().order_by(Book.id)])

    def close(self) -> None:
        self.db.close()


def make(cfg: Config) -> PeeweeRelations:
    return PeeweeRelations(cfg)

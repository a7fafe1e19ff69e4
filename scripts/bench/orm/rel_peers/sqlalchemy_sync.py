"""SQLAlchemy 2 ORM, sync (sqlite3, psycopg 3, PyMySQL): joinedload, selectinload; (e) is the
default lazy="select" loading (the identity map spares a query per author already loaded). A new
Session per scenario run, so nothing is served from an earlier run's identity map."""

from __future__ import annotations

from _relations_workload import (
    Checksum,
    Config,
    checksum_authors,
    checksum_books,
    checksum_counts,
    checksum_posts,
)
from peers.sqlalchemy_sync import engine_url
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from rel_peers.sqlalchemy_models import Author, Book, Post

IS_ASYNC = False


class SARelations:
    def __init__(self, cfg: Config) -> None:
        self.engine = create_engine(engine_url(cfg, False))  # type: ignore[arg-type]

    def books_with_author(self) -> Checksum:
        with Session(self.engine) as s:
            stmt = select(Book).options(joinedload(Book.author)).order_by(Book.id)
            return checksum_books([(b.title, b.author.name) for b in s.scalars(stmt)])

    def authors_with_books(self) -> Checksum:
        with Session(self.engine) as s:
            stmt = select(Author).options(selectinload(Author.books)).order_by(Author.id)
            return checksum_authors([(a.name, [b.pages for b in a.books]) for a in s.scalars(stmt)])

    def posts_with_tags(self) -> Checksum:
        with Session(self.engine) as s:
            stmt = select(Post).options(selectinload(Post.tags)).order_by(Post.id)
            return checksum_posts([(p.title, [t.name for t in p.tags]) for p in s.scalars(stmt)])

    def authors_book_count(self) -> Checksum:
        with Session(self.engine) as s:
            stmt = (
                select(Author, func.count(Book.id))
                .outerjoin(Author.books)
                .group_by(Author.id)
                .order_by(Author.id)
            )
            return checksum_counts([(a.id, n) for a, n in s.execute(stmt)])

    def naive_book_author(self) -> Checksum:
        with Session(self.engine) as s:
            books = s.scalars(select(Book).order_by(Book.id))
            return checksum_books([(b.title, b.author.name) for b in books])

    def close(self) -> None:
        self.engine.dispose()


def make(cfg: Config) -> SARelations:
    return SARelations(cfg)

"""SQLAlchemy 2 ORM, async (aiosqlite, asyncpg, asyncmy): joinedload, selectinload; (e) awaits
``book.awaitable_attrs.author`` per book (lazy loading cannot run implicitly under asyncio)."""

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
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import joinedload, selectinload

from rel_peers.sqlalchemy_models import Author, Book, Post

IS_ASYNC = True


class SAAsyncRelations:
    def __init__(self, cfg: Config) -> None:
        self.engine = create_async_engine(engine_url(cfg, True))  # type: ignore[arg-type]

    async def books_with_author(self) -> Checksum:
        async with AsyncSession(self.engine) as s:
            stmt = select(Book).options(joinedload(Book.author)).order_by(Book.id)
            books = (await s.scalars(stmt)).all()
            return checksum_books([(b.title, b.author.name) for b in books])

    async def authors_with_books(self) -> Checksum:
        async with AsyncSession(self.engine) as s:
            stmt = select(Author).options(selectinload(Author.books)).order_by(Author.id)
            authors = (await s.scalars(stmt)).all()
            return checksum_authors([(a.name, [b.pages for b in a.books]) for a in authors])

    async def posts_with_tags(self) -> Checksum:
        async with AsyncSession(self.engine) as s:
            stmt = select(Post).options(selectinload(Post.tags)).order_by(Post.id)
            posts = (await s.scalars(stmt)).all()
            return checksum_posts([(p.title, [t.name for t in p.tags]) for p in posts])

    async def authors_book_count(self) -> Checksum:
        async with AsyncSession(self.engine) as s:
            stmt = (
                select(Author, func.count(Book.id))
                .outerjoin(Author.books)
                .group_by(Author.id)
                .order_by(Author.id)
            )
            return checksum_counts([(a.id, n) for a, n in (await s.execute(stmt)).all()])

    async def naive_book_author(self) -> Checksum:
        async with AsyncSession(self.engine) as s:
            books = (await s.scalars(select(Book).order_by(Book.id))).all()
            pairs = [(b.title, (await b.awaitable_attrs.author).name) for b in books]
            return checksum_books(pairs)

    async def close(self) -> None:
        await self.engine.dispose()


def make(cfg: Config) -> SAAsyncRelations:
    return SAAsyncRelations(cfg)

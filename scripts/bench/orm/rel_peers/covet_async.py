"""covet-orm, async API: the same queries with ``async for``; (e) awaits ``afetch("author")`` on
one book, which loads the author of every book of that result in one query (async code does no
hidden I/O, so this is the explicit form of the sync API's default peer loading)."""

from __future__ import annotations

from _relations_workload import (
    Checksum,
    Config,
    checksum_authors,
    checksum_books,
    checksum_counts,
    checksum_posts,
)

from rel_peers.covet_models import define

IS_ASYNC = True


class CovetAsyncRelations:
    def __init__(self, cfg: Config) -> None:
        self.db, self.Author, self.Book, self.Post = define(cfg)

    async def books_with_author(self) -> Checksum:
        qs = self.Book.objects.select_related("author").order_by("id")
        return checksum_books([(b.title, b.author.name) async for b in qs])

    async def authors_with_books(self) -> Checksum:
        qs = self.Author.objects.prefetch_related("books").order_by("id")
        return checksum_authors([(a.name, [b.pages for b in a.books.all()]) async for a in qs])

    async def posts_with_tags(self) -> Checksum:
        qs = self.Post.objects.prefetch_related("tags").order_by("id")
        return checksum_posts([(p.title, [t.name for t in p.tags.all()]) async for p in qs])

    async def authors_book_count(self) -> Checksum:
        from covet.orm import Count

        qs = self.Author.objects.annotate(n=Count("books")).order_by("id")
        return checksum_counts([(a.id, a.n) async for a in qs])

    async def naive_book_author(self) -> Checksum:
        books = [b async for b in self.Book.objects.order_by("id")]
        if books:
            await books[0].afetch("author")
        return checksum_books([(b.title, b.author.name) for b in books])

    async def close(self) -> None:
        await self.db.aclose()


def make(cfg: Config) -> CovetAsyncRelations:
    return CovetAsyncRelations(cfg)

"""covet-orm, sync API: select_related, prefetch_related, annotate(Count); (e) is covet's default
fetch mode (reading ``book.author`` loads the authors of the whole result set in one query)."""

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

IS_ASYNC = False


class CovetRelations:
    def __init__(self, cfg: Config) -> None:
        self.db, self.Author, self.Book, self.Post = define(cfg)

    def books_with_author(self) -> Checksum:
        qs = self.Book.objects.select_related("author").order_by("id")
        return checksum_books([(b.title, b.author.name) for b in qs])

    def authors_with_books(self) -> Checksum:
        qs = self.Author.objects.prefetch_related("books").order_by("id")
        return checksum_authors([(a.name, [b.pages for b in a.books.all()]) for a in qs])

    def posts_with_tags(self) -> Checksum:
        qs = self.Post.objects.prefetch_related("tags").order_by("id")
        return checksum_posts([(p.title, [t.name for t in p.tags.all()]) for p in qs])

    def authors_book_count(self) -> Checksum:
        from covet.orm import Count

        qs = self.Author.objects.annotate(n=Count("books")).order_by("id")
        return checksum_counts([(a.id, a.n) for a in qs])

    def naive_book_author(self) -> Checksum:
        return checksum_books([(b.title, b.author.name) for b in self.Book.objects.order_by("id")])

    def close(self) -> None:
        self.db.close()


def make(cfg: Config) -> CovetRelations:
    return CovetRelations(cfg)

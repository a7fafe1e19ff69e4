"""Django ORM (sync): select_related, prefetch_related, annotate(Count); (e) is Django's default
lazy loading, one query per book."""

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
from peers.django_peer import _settings

IS_ASYNC = False


class DjangoRelations:
    def __init__(self, cfg: Config) -> None:
        import django
        from django.conf import settings

        settings.configure(
            DATABASES={"default": _settings(cfg)},  # type: ignore[arg-type]
            INSTALLED_APPS=["rel_peers.django_bench"],
            USE_TZ=True,
            TIME_ZONE="UTC",
            DEBUG=False,
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        )
        django.setup()
        from django.db import models

        class Author(models.Model):
            name = models.CharField(max_length=100)

            class Meta:
                app_label = "django_bench"
                db_table = "rel_author"

        class Book(models.Model):
            title = models.CharField(max_length=200)
            pages = models.IntegerField()
            author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

            class Meta:
                app_label = "django_bench"
                db_table = "rel_book"

        class Tag(models.Model):
            name = models.CharField(max_length=50)

            class Meta:
                app_label = "django_bench"
                db_table = "rel_tag"

        class Post(models.Model):
            title = models.CharField(max_length=200)
            tags = models.ManyToManyField(Tag, through="PostTag", related_name="posts")

            class Meta:
                app_label = "django_bench"
                db_table = "rel_post"

        class PostTag(models.Model):
            post = models.ForeignKey(Post, on_delete=models.CASCADE)
            tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

            class Meta:
                app_label = "django_bench"
                db_table = "rel_post_tags"

        self.Author, self.Book, self.Post = Author, Book, Post

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
        from django.db.models import Count

        qs: Any = self.Author.objects.annotate(n=Count("books")).order_by("id")
        return checksum_counts([(a.id, a.n) for a in qs])

    def naive_book_author(self) -> Checksum:
        return checksum_books([(b.title, b.author.name) for b in self.Book.objects.order_by("id")])

    def close(self) -> None:
        from django.db import connections

        connections.close_all()


def make(cfg: Config) -> DjangoRelations:
    return DjangoRelations(cfg)

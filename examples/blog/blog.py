"""A blog on covet-orm relations: authors, posts, tags (many-to-many), comments.

Run it: ``python examples/blog/blog.py`` (SQLite file ``blog.db`` in the working directory), or
point it at a server: ``COVET_BLOG_DB_URL=postgresql://postgres@127.0.0.1/test python ...``.
It prints what it finds, counts its queries, and drops its tables at the end.
"""

from __future__ import annotations

import asyncio
import os

from covet.orm import (
    CASCADE,
    SET_NULL,
    CharField,
    Count,
    Database,
    Exists,
    ForeignKey,
    IntegerField,
    ManyToManyField,
    Model,
    N1QueryError,
    OuterRef,
    Prefetch,
    Subquery,
    TextField,
)
from covet.orm.testing import capture_queries

db = Database(os.environ.get("COVET_BLOG_DB_URL", "sqlite:///blog.db"), default=True)


class Author(Model):
    name = CharField(max_length=100)

    class Meta:
        table_name = "blog_author"
        ordering = ["name"]


class Tag(Model):
    name = CharField(max_length=30, unique=True)

    class Meta:
        table_name = "blog_tag"
        ordering = ["name"]


class Post(Model):
    title = CharField(max_length=200)
    body = TextField(default="")
    views = IntegerField(default=0)
    author = ForeignKey(Author, on_delete=CASCADE, related_name="posts")
    tags = ManyToManyField(Tag, related_name="posts")

    class Meta:
        table_name = "blog_post"
        ordering = ["id"]


class Comment(Model):
    post = ForeignKey(Post, on_delete=CASCADE, related_name="comments")
    author = ForeignKey(Author, on_delete=SET_NULL, null=True, related_name="comments")
    text = CharField(max_length=500)

    class Meta:
        table_name = "blog_comment"
        ordering = ["id"]


MODELS = [Author, Tag, Post, Comment]


def seed() -> None:
    ada = Author.objects.create(name="Ada")
    linus = Author.objects.create(name="Linus")
    python, sql, async_ = (Tag.objects.create(name=n) for n in ("python", "sql", "async"))
    for i in range(12):
        post = (ada if i % 3 else linus).posts.create(title=f"Post {i}", views=i * 10)
        post.tags.add(python, sql if i % 2 else async_)
        post.comments.create(author=linus if i % 2 else ada, text=f"Nice {i}")


def report() -> None:
    with capture_queries() as queries:
        posts = list(
            Post.objects.select_related("author").prefetch_related(
                "tags", Prefetch("comments", queryset=Comment.objects.select_related("author"))
            )
        )
        lines = [
            f"{p.title} by {p.author.name} [{', '.join(t.name for t in p.tags.all())}] "
            f"{len(p.comments.all())} comment(s)"
            for p in posts
        ]
    print(f"posts: {len(posts)} in {len(queries)} queries")
    print(lines[0])

    busy = Author.objects.annotate(n=Count("posts")).filter(n__gt=4)
    print("busy authors:", [(a.name, a.n) for a in busy])
    popular = Tag.objects.annotate(n=Count("posts")).order_by("-n", "name")
    print("tags:", [(t.name, t.n) for t in popular])
    latest = Post.objects.filter(author=OuterRef("pk")).order_by("-id")
    newest = Author.objects.annotate(latest=Subquery(latest.values("title")[:1]))
    print("latest:", [(a.name, a.latest) for a in newest])
    commented = Post.objects.filter(
        Exists(Comment.objects.filter(post=OuterRef("pk"), author__name="Linus"))
    )
    print("posts Linus commented on:", commented.count())

    with capture_queries() as queries:  # the naive loop: peers are fetched together
        names = {c.post.author.name for c in Comment.objects.all()}
    print(f"comment -> post -> author: {sorted(names)} in {len(queries)} queries")

    linus = Author.objects.get(name="Linus")
    total, per_model = linus.delete()
    print("deleted:", total, sorted(per_model.items()))
    print("comments left without author:", Comment.objects.filter(author__isnull=True).count())


async def async_report() -> None:
    posts = await Post.objects.filter(tags__name="python").select_related("author").alist()
    print("async python posts:", len(posts), posts[0].author.name)
    plain = await Post.objects.alist()
    try:
        plain[0].author  # noqa: B018 (no hidden I/O in async code)
    except N1QueryError:
        await plain[0].afetch("author")
    ada = await Author.objects.aget(name="Ada")
    print("async ada posts:", await ada.posts.acount(), plain[-1].author.name)


def main() -> None:
    db.drop_tables(MODELS)
    db.create_tables(MODELS)
    try:
        seed()
        report()
        asyncio.run(async_report())
    finally:
        db.drop_tables(MODELS)
        db.close()


if __name__ == "__main__":
    main()

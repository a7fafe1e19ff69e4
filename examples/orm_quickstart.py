"""covet.orm quickstart: the seed example, then queries, transactions and the async API.

Run it with ``python examples/orm_quickstart.py``; it creates ``app.db`` in the current directory
and drops its tables again at the end.
"""

from __future__ import annotations

import asyncio

from covet.orm import CharField, Database, Model

db = Database("sqlite:///app.db")


class User(Model):
    name = CharField(max_length=100)

    class Meta:
        db = db


db.create_tables([User])
user = User(name="Alice")
user.save()

# ---- more than the seed -----------------------------------------------------------------------
from covet.orm import (  # noqa: E402
    Count,
    DateTimeField,
    F,
    IntegerField,
    IntegrityError,
    Q,
    Sum,
)


class Post(Model):
    title = CharField(max_length=200, unique=True)
    author = CharField(max_length=100)
    views = IntegerField(default=0)
    created = DateTimeField(auto_now_add=True)

    class Meta:
        db = db
        ordering = ["-views"]


def sync_part() -> None:
    db.create_tables([Post])
    Post.objects.bulk_create(
        [Post(title=f"Post {i}", author="Alice" if i % 2 else "Bob", views=i) for i in range(10)]
    )
    print("posts:", Post.objects.count())
    print("top 3:", Post.objects.values_list("title", flat=True)[:3].list())
    print(
        "by author:",
        Post.objects.values("author")
        .annotate(n=Count("id"), total=Sum("views"))
        .order_by("author")
        .list(),
    )
    print("alice or popular:", Post.objects.filter(Q(author="Alice") | Q(views__gte=8)).count())
    Post.objects.filter(author="Bob").update(views=F("views") + 100)
    print("Bob's best:", Post.objects.filter(author="Bob").first())
    with db.transaction():
        Post.objects.create(title="Draft", author="Alice")
        try:
            with db.transaction():
                Post.objects.create(title="Draft", author="Alice")  # unique clash
        except IntegrityError:
            print("savepoint rolled back, outer transaction kept")
    post, created = Post.objects.get_or_create(title="Draft", defaults={"author": "Zed"})
    print("get_or_create:", post.title, "created" if created else "found")
    # every statement passes one hook: count them, time them (docs/orm-observability.md)
    with db.capture_queries() as queries:
        Post.objects.filter(author="Alice").count()
        list(Post.objects.filter(views__gte=5)[:2])
    for query in queries:
        print(f"query: {query.sql.split()[0]} -> {query.rowcount} row(s)")
    print("queries:", len(queries))


async def async_part() -> None:
    alice = await User.objects.aget(name="Alice")
    print("async get:", alice, alice.name)
    async with db.transaction():
        await Post.objects.acreate(title="Async post", author=alice.name, views=42)
    async for post in Post.objects.filter(views__gte=42).order_by("views"):
        print("async for:", post.title, post.views)
    print("async count:", await Post.objects.acount())


if __name__ == "__main__":
    sync_part()
    asyncio.run(async_part())
    db.drop_tables([User, Post])
    db.close()

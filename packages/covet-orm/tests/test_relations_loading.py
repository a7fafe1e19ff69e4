"""Loading relations (issue 9): select_related, prefetch_related / Prefetch, the fetch modes
(peers by default, "one", "raise"), no hidden queries in async code, and query counts that do
not grow with the number of rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest

from covet.orm import (
    CASCADE,
    SET_NULL,
    CharField,
    FieldError,
    ForeignKey,
    IntegerField,
    ManyToManyField,
    Model,
    N1QueryError,
    NotSupportedError,
    OneToOneField,
    Prefetch,
    get_fetch_mode,
    set_fetch_mode,
)
from covet.orm.testing import capture_queries


class Country(Model):
    name = CharField(max_length=20)

    class Meta:
        table_name = "test_load_country"


class Writer(Model):
    name = CharField(max_length=20)
    country = ForeignKey(Country, on_delete=CASCADE, null=True, related_name="writers")

    class Meta:
        table_name = "test_load_writer"
        ordering = ["id"]


class Post(Model):
    title = CharField(max_length=20)
    rank = IntegerField(default=0)
    writer = ForeignKey(Writer, on_delete=CASCADE, related_name="posts")
    reviewer = ForeignKey(Writer, on_delete=SET_NULL, null=True, related_name="reviewed")
    tags = ManyToManyField("Label", related_name="posts")

    class Meta:
        table_name = "test_load_post"
        ordering = ["id"]


class Label(Model):
    name = CharField(max_length=20)

    class Meta:
        table_name = "test_load_label"
        ordering = ["id"]


class Bio(Model):
    writer = OneToOneField(Writer, on_delete=CASCADE)
    text = CharField(max_length=20, default="")

    class Meta:
        table_name = "test_load_bio"


class Strict(Model):
    writer = ForeignKey(Writer, on_delete=CASCADE, related_name="+")

    class Meta:
        table_name = "test_load_strict"
        fetch_mode = "raise"


class Comment(Model):
    post = ForeignKey(Post, on_delete=CASCADE)

    class Meta:
        table_name = "test_load_comment"


class Reply(Model):
    comment = ForeignKey(Comment, on_delete=CASCADE)

    class Meta:
        table_name = "test_load_reply"


MODELS = [Country, Writer, Label, Post, Bio, Strict, Comment, Reply]
pytestmark = pytest.mark.usefixtures("tables")


@pytest.fixture
def raise_mode() -> Iterator[None]:
    before = get_fetch_mode()
    set_fetch_mode("raise")
    try:
        yield
    finally:
        set_fetch_mode(before)


async def seed(api: Any, n: int) -> None:
    """``n`` writers (every other with a country), one post each (titles p0..), two labels on
    every post, a bio for writer 0."""
    france = await api(Country.objects, "create", name="France")
    writers = [Writer(name=f"w{i}", country=france if i % 2 == 0 else None) for i in range(n)]
    writers = await api(Writer.objects, "bulk_create", writers)
    if not writers[0].pk:  # a backend that does not return keys from a bulk insert
        writers = await api.list(Writer.objects.order_by("id"))
    posts = [
        Post(title=f"p{i}", rank=i, writer=w, reviewer=writers[0]) for i, w in enumerate(writers)
    ]
    await api(Post.objects, "bulk_create", posts)
    red = await api(Label.objects, "create", name="red")
    blue = await api(Label.objects, "create", name="blue")
    through = Post._meta.many_to_many[0].through
    assert through is not None
    ids = await api.list(Post.objects.values_list("pk", flat=True))
    rows = [through(post_id=i, label_id=t.pk) for i in ids for t in (red, blue)]
    await api(through.objects, "bulk_create", rows)
    await api(Bio.objects, "create", writer=writers[0], text="first")


async def count_queries(api: Any, fn: Any) -> tuple[int, Any]:
    """Queries run by ``fn`` (sync: in a worker thread; async: awaited)."""
    with capture_queries() as captured:
        result = await fn() if api.is_async else await anyio.to_thread.run_sync(fn)
    return len(captured), result


# -- select_related ------------------------------------------------------------------------
async def test_select_related_nested_and_nullable(api: Any) -> None:
    await seed(api, 4)
    qs = Post.objects.select_related("writer__country", "reviewer").order_by("id")
    n, rows = await count_queries(api, (lambda: qs.alist()) if api.is_async else (lambda: list(qs)))
    assert n == 1
    assert [(p.writer.name, p.writer.country and p.writer.country.name) for p in rows] == [
        ("w0", "France"), ("w1", None), ("w2", "France"), ("w3", None),
    ]  # fmt: skip
    assert all(p.reviewer.name == "w0" for p in rows)
    if api.is_async:  # loaded: no error, no query
        assert [p.writer.name async for p in Post.objects.select_related("writer")] == [
            "w0", "w1", "w2", "w3",
        ]  # fmt: skip
    bio = await api(Writer.objects.select_related("bio"), "get", name="w0")
    assert bio.bio.text == "first"
    with pytest.raises(FieldError, match="prefetch_related"):
        Writer.objects.select_related("posts")


async def test_select_related_reads_an_inner_joined_key_once(api: Any) -> None:
    """An instance reached by an INNER JOIN on its integer primary key takes that key from the
    foreign key's column instead of selecting it again; a LEFT JOIN still selects it (NULL
    there means no related row), and so does a UNION's part."""
    await seed(api, 3)
    qs = Post.objects.select_related("writer__country", "reviewer").order_by("id")
    with capture_queries() as captured:
        rows = await api.list(qs)
    selected = captured[0].sql.split(" FROM ")[0].replace("`", "").replace('"', "")
    assert "test_load_writer.id" not in selected  # writer: INNER JOIN on post.writer_id
    assert "test_load_country.id" in selected  # country: nullable, LEFT JOIN
    assert selected.count(".id") == 3  # post, country, reviewer (a nullable FK: LEFT JOIN)
    for p in rows:
        assert p.writer.pk == p.writer_id and list(p.writer.__dict__)[:2] == ["id", "name"]
        assert p.reviewer.pk == p.reviewer_id
    assert [(p.writer.pk, p.writer.name, p.writer.country_id) for p in rows] == [
        (w.pk, w.name, w.country_id) for w in await api.list(Writer.objects.order_by("id"))
    ]
    assert [p.writer.country and p.writer.country.name for p in rows] == ["France", None, "France"]
    rows[0].writer.name = "renamed"
    await api(rows[0].writer, "save")
    assert (await api(Writer.objects, "get", pk=rows[0].writer_id)).name == "renamed"
    comment = await api(Comment.objects, "create", post=rows[1])
    await api(Reply.objects, "create", comment=comment)
    deep = Reply.objects.select_related("comment__post__writer__country")
    with capture_queries() as captured:
        (reply,) = await api.list(deep)
    selected = captured[0].sql.split(" FROM ")[0].replace("`", "").replace('"', "")
    assert selected.count(".id") == 2  # the reply's own and the country's (LEFT JOIN)
    writer = reply.comment.post.writer
    assert (reply.comment.pk, reply.comment.post.pk, writer.pk) == (
        comment.pk, rows[1].pk, rows[1].writer_id,
    )  # fmt: skip
    assert (writer.name, writer.country) == ("w1", None)
    both = (
        Post.objects.select_related("writer")
        .filter(rank=0)
        .union(Post.objects.select_related("writer").filter(rank=2))
    )
    assert sorted(p.title for p in await api.list(both)) == ["p0", "p2"]


# -- prefetch_related ----------------------------------------------------------------------
async def test_prefetch_reverse_m2m_nested_and_prefetch_objects(api: Any) -> None:
    await seed(api, 5)
    qs = Writer.objects.prefetch_related(
        "posts__tags",
        Prefetch("posts", queryset=Post.objects.filter(rank__gte=3), to_attr="late"),
        "bio",
    )
    n, writers = await count_queries(
        api, (lambda: qs.alist()) if api.is_async else (lambda: list(qs))
    )
    assert n == 5, n  # writers, posts, tags, late posts, bios
    assert [len(w.posts.all()) for w in writers] == [1] * 5
    assert [t.name for t in writers[0].posts.all()[0].tags.all()] == ["red", "blue"]
    assert [[p.title for p in w.late] for w in writers] == [[], [], [], ["p3"], ["p4"]]
    assert writers[0].bio.text == "first"
    with pytest.raises(Writer.bio.RelatedObjectDoesNotExist):
        writers[1].bio  # noqa: B018 (prefetched: known to be missing, no query)
    with capture_queries() as none:
        assert writers[2].posts.count() == 1
    assert len(none) == 0
    other = await api(Post.objects, "get", title="p3")
    with pytest.raises(Post.DoesNotExist):  # a prefetched manager is still narrowed
        await api(writers[2].posts, "get", pk=other.pk)
    assert await api(writers[3].posts, "get", pk=other.pk) == other
    assert await api(writers[3].posts.filter(rank=0), "count") == 0
    with pytest.raises(FieldError, match="no relation 'nope'"):
        Writer.objects.prefetch_related("nope")


async def test_one_instance_per_related_row_of_a_result(api: Any) -> None:
    """select_related and a many-to-many prefetch make one instance per related row of the
    result (as a peer load or a foreign key prefetch does), not one per row that names it."""
    await seed(api, 4)
    posts = await api.list(Post.objects.select_related("reviewer", "writer__country"))
    assert len({id(p.reviewer) for p in posts}) == 1
    assert posts[0].writer.country is posts[2].writer.country  # nested: made once too
    assert posts[0].writer is not posts[0].reviewer  # another path, its own instance
    posts = await api.list(Post.objects.prefetch_related("tags"))
    assert [[t.name for t in p.tags.all()] for p in posts] == [["red", "blue"]] * 4
    assert len({id(t) for p in posts for t in p.tags.all()}) == 2
    assert all("_prefetch_key" not in t.__dict__ for t in posts[0].tags.all())
    labels = await api.list(
        Label.objects.prefetch_related(
            Prefetch("posts", queryset=Post.objects.select_related("writer"), to_attr="all")
        )
    )  # a prefetch QuerySet with select_related: the general path, the same groups
    assert [[p.writer.name for p in label.all] for label in labels] == [
        ["w0", "w1", "w2", "w3"]
    ] * 2
    assert all("_prefetch_key" not in p.__dict__ for p in labels[0].all)
    both = Post.objects.filter(rank=0).union(Post.objects.filter(rank=1))
    with pytest.raises(NotSupportedError, match="filter"):  # not every post, silently
        await api.list(Writer.objects.prefetch_related(Prefetch("posts", queryset=both)))


async def test_prefetch_in_async_iteration(api: Any) -> None:
    await seed(api, 3)
    if not api.is_async:
        return
    titles = [
        [p.title for p in w.posts.all()] async for w in Writer.objects.prefetch_related("posts")
    ]
    assert titles == [["p0"], ["p1"], ["p2"]]


# -- N+1: fetch modes ----------------------------------------------------------------------
@pytest.mark.parametrize("rows", [10, 1000])
async def test_query_count_does_not_grow_with_rows(api: Any, rows: int) -> None:
    await seed(api, rows)

    def sync_naive() -> list[str]:  # default mode: the first access loads every peer's
        return [p.writer.name for p in Post.objects.all()]

    n, names = await count_queries(api, sync_naive) if not api.is_async else (2, None)
    if not api.is_async:
        assert n == 2 and len(names) == rows

    async def eager() -> Any:
        posts = await Post.objects.select_related("writer").prefetch_related("tags").alist()
        writers = await Writer.objects.prefetch_related("posts__tags", "reviewed").alist()
        return posts, writers

    def eager_sync() -> Any:
        posts = list(Post.objects.select_related("writer").prefetch_related("tags"))
        writers = list(Writer.objects.prefetch_related("posts__tags", "reviewed"))
        return posts, writers

    n, (posts, writers) = await count_queries(api, eager if api.is_async else eager_sync)
    assert n == 6  # 2 + 4, whatever the number of rows
    assert len(posts) == rows and all(len(p.tags.all()) == 2 for p in posts)
    assert sum(len(w.reviewed.all()) for w in writers) == rows


async def test_fetch_peers_nested(api: Any) -> None:
    await seed(api, 6)
    if api.is_async:
        return

    def run() -> list[str | None]:
        posts = list(Post.objects.all())
        return [p.writer.country and p.writer.country.name for p in posts]

    n, names = await count_queries(api, run)
    assert n == 3 and names.count("France") == 3


@pytest.mark.usefixtures("raise_mode")
async def test_raise_mode_names_the_fix(api: Any) -> None:
    await seed(api, 2)
    posts = await api.list(Post.objects.all())
    with pytest.raises(N1QueryError, match=r"select_related\('writer'\)"):
        await api.run(lambda: posts[0].writer)
    loaded = await api.list(Post.objects.select_related("writer"))
    assert loaded[0].writer.name == "w0"
    await api(posts[0], "fetch", "writer")  # the explicit way, for the whole result set
    assert posts[1].writer.name == "w1"


async def test_raise_per_queryset_and_per_model(api: Any) -> None:
    await seed(api, 2)
    posts = await api.list(Post.objects.fetch_mode("raise"))
    with pytest.raises(N1QueryError):
        await api.run(lambda: posts[0].writer)
    w = await api(Writer.objects, "first")
    await api(Strict.objects, "create", writer=w)
    strict = await api.list(Strict.objects.all())
    with pytest.raises(N1QueryError, match="fetch mode is 'raise'"):
        await api.run(lambda: strict[0].writer)
    one = await api.list(Post.objects.fetch_mode("one"))
    n, _ = await count_queries(api, lambda: [p.writer for p in one]) if not api.is_async else (2, 0)
    assert n == 2  # one query per object in "one" mode


async def test_async_never_loads_lazily(api: Any) -> None:
    await seed(api, 3)
    if not api.is_async:
        return
    posts = await Post.objects.alist()
    with pytest.raises(N1QueryError, match=r"await obj.afetch\('writer'\)"):
        posts[0].writer  # noqa: B018
    with pytest.raises(N1QueryError, match="prefetch_related"):
        (await Writer.objects.aget(name="w0")).bio  # noqa: B018
    with capture_queries() as captured:
        await posts[0].afetch("writer")
    assert len(captured) == 1
    assert [p.writer.name for p in posts] == ["w0", "w1", "w2"]  # the peers came too
    writer = await Writer.objects.aget(name="w0")
    await writer.afetch("posts")
    assert [p.title for p in writer.posts.all()] == ["p0"]


async def test_changes_through_a_manager_drop_its_prefetched_rows(api: Any) -> None:
    """add/remove/clear/set/create through a related manager make the rows prefetched for it
    stale; the next all() reads the table again, as in Django (the other managers keep theirs)."""
    await seed(api, 3)
    writers = await api.list(Writer.objects.prefetch_related("posts", "reviewed"))
    w0, w1 = writers[0], writers[1]
    assert [p.title for p in w0.posts.all()] == ["p0"]
    await api(w0.posts, "create", title="new")
    assert sorted([p.title for p in await api.list(w0.posts.all())]) == ["new", "p0"]
    assert [p.title for p in w1.posts.all()] == ["p1"]  # another instance: still prefetched
    assert len(w0.reviewed.all()) == 3
    p1 = await api(Post.objects, "get", title="p1")
    await api(w0.reviewed, "remove", p1)
    assert sorted([p.title for p in await api.list(w0.reviewed.all())]) == ["p0", "p2"]
    await api(w1.reviewed, "add", p1)  # w1 had none prefetched
    assert [p.title for p in await api.list(w1.reviewed.all())] == ["p1"]

    posts = await api.list(Post.objects.prefetch_related("tags"))
    red, _blue = posts[0].tags.all()
    await api(posts[0].tags, "remove", red)
    assert [t.name for t in await api.list(posts[0].tags.all())] == ["blue"]
    await api(posts[1].tags, "clear")
    assert await api.list(posts[1].tags.all()) == []
    await api(posts[2].tags, "set", [red])
    assert [t.name for t in await api.list(posts[2].tags.all())] == ["red"]
    with capture_queries() as none:  # an untouched manager keeps its prefetched rows
        assert [p.title for p in posts] == ["p0", "p1", "p2", "new"]
        assert list(posts[3].tags.all()) == []
    assert len(none) == 0


async def test_a_prefetched_queryset_reads_the_table_after_its_own_update(api: Any) -> None:
    """Iterating ``author.books.all()`` reads the prefetched rows without a query; once that
    QuerySet ran ``update()`` its rows are gone and the next iteration reads the table."""
    await seed(api, 2)
    w0 = (await api.list(Writer.objects.prefetch_related("posts")))[0]
    qs = w0.posts.all()
    with capture_queries() as none:
        assert [p.rank for p in qs] == [0]
    assert len(none) == 0
    assert await api(qs, "update", rank=7) == 1
    assert [p.rank for p in await api.list(qs)] == [7]

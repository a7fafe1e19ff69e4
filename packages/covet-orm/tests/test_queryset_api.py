"""The QuerySet API Django users reach for (issue 8 §3, and §2 bugs 13 and 15): the result cache,
managers, and the methods earliest, latest, reverse, none, union/intersection/difference, dates,
datetimes, alias, contains, ``qs | qs``, ``qs & qs``, distinct(*fields), values_list(named=True),
values(x=expr), values("field__transform"), order_by("?"), order_by(F(...).desc(nulls_last=)),
update_or_create(create_defaults=) and delete()'s ``(count, {label: count})``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from covet.orm import (
    CharField,
    Count,
    Database,
    DateTimeField,
    F,
    FieldError,
    IntegerField,
    JSONField,
    Lower,
    Manager,
    Model,
    NotSupportedError,
    Q,
    QuerySet,
)

T0 = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


class Book(Model):
    title = CharField(max_length=40)
    genre = CharField(max_length=10, default="")
    pages = IntegerField(null=True)
    status = CharField(max_length=10, default="draft")
    published = DateTimeField(null=True)
    meta = JSONField(null=True)

    class Meta:
        table_name = "test_qsapi_book"
        ordering = ["id"]
        get_latest_by = "published"


class PublishedManager(Manager["Shelf"]):
    def get_queryset(self) -> QuerySet[Shelf]:
        return super().get_queryset().filter(status="published")

    def long(self) -> QuerySet[Shelf]:
        return self.filter(pages__gte=300)


class Shelf(Model):
    """Two managers: the first declared is the default one."""

    title = CharField(max_length=40)
    status = CharField(max_length=10, default="draft")
    pages = IntegerField(default=0)

    everything = Manager["Shelf"]()
    published = PublishedManager()

    class Meta:
        table_name = "test_qsapi_shelf"
        ordering = ["id"]


class Stamped(Model):
    created = DateTimeField(null=True)
    live = PublishedManager()
    status = CharField(max_length=10, default="draft")
    pages = IntegerField(default=0)
    title = CharField(max_length=40, default="")

    class Meta:
        abstract = True


class Note(Stamped):
    class Meta:
        table_name = "test_qsapi_note"


MODELS = [Book, Shelf, Note]
pytestmark = pytest.mark.usefixtures("tables")


class Counter:
    """Statements run through the database: each yielded by an operation, or a direct fetch."""

    def __init__(self) -> None:
        self.count = 0

    def wrap(self, gen: Any) -> Any:
        result = None
        try:
            stmt = gen.send(None)
            while True:
                self.count += 1
                try:
                    result = yield stmt
                except BaseException as error:  # handed back to the operation
                    stmt = gen.throw(error)
                    continue
                stmt = gen.send(result)
        except StopIteration as stop:
            return stop.value


@pytest.fixture
def queries(db: Database, monkeypatch: pytest.MonkeyPatch) -> Counter:
    counter = Counter()
    run, arun = db.run, db.arun
    fetch, afetch = db.fetch_rows, db.afetch_rows

    def counted_run(gen: Any, *args: Any, **kwargs: Any) -> Any:
        return run(counter.wrap(gen), *args, **kwargs)

    async def counted_arun(gen: Any, *args: Any, **kwargs: Any) -> Any:
        return await arun(counter.wrap(gen), *args, **kwargs)

    def counted_fetch(*args: Any) -> Any:
        counter.count += 1
        return fetch(*args)

    async def counted_afetch(*args: Any) -> Any:
        counter.count += 1
        return await afetch(*args)

    monkeypatch.setattr(db, "run", counted_run)
    monkeypatch.setattr(db, "arun", counted_arun)
    monkeypatch.setattr(db, "fetch_rows", counted_fetch)
    monkeypatch.setattr(db, "afetch_rows", counted_afetch)
    return counter


async def seed(api) -> list[Book]:
    return await api(Book.objects, "bulk_create", [
        Book(title="Dune", genre="sf", pages=412, status="published", published=T0,
             meta={"tags": ["classic"], "rating": 5}),
        Book(title="Emma", genre="novel", pages=None, status="draft",
             published=T0 + dt.timedelta(days=40), meta={"rating": 4}),
        Book(title="Ubik", genre="sf", pages=202, status="published",
             published=T0 - dt.timedelta(days=400), meta=None),
        Book(title="Kim", genre="novel", pages=368, status="published", published=None),
    ])  # fmt: skip


async def titles(api, qs) -> list[str]:
    return await api(qs.values_list("title", flat=True), "list")


# -- the result cache -------------------------------------------------------------------------


def test_an_evaluated_queryset_is_not_queried_again(db: Database, queries: Counter) -> None:
    Book.objects.create(title="A", pages=1)
    Book.objects.create(title="B", pages=2)
    queries.count = 0
    qs = Book.objects.order_by("pages")
    assert [b.title for b in qs] == ["A", "B"]
    assert [b.title for b in qs] == ["A", "B"]
    assert len(qs) == 2
    assert bool(qs)
    assert qs[1].title == "B"
    assert qs.count() == 2 and qs.exists()
    assert list(qs) == qs.list()
    assert queries.count == 1
    with pytest.raises(IndexError):
        qs[2]
    assert queries.count == 1


def test_indexing_past_the_end_raises_index_error(db: Database, queries: Counter) -> None:
    Book.objects.create(title="A")
    qs = Book.objects.all()
    assert qs[0].title == "A"
    with pytest.raises(IndexError):
        Book.objects.all()[5]
    assert Book.objects.filter(title="Z").first() is None
    assert not Book.objects.filter(title="Z")  # bool() evaluates, as in Django


async def test_async_evaluation_fills_the_cache(db: Database, queries: Counter) -> None:
    await Book.objects.acreate(title="A")
    queries.count = 0
    qs = Book.objects.all()
    assert [b.title async for b in qs] == ["A"]
    assert [b.title for b in await qs.alist()] == ["A"]
    assert await qs.acount() == 1 and await qs.aexists()
    assert queries.count == 1


# -- managers ---------------------------------------------------------------------------------


async def test_managers(api) -> None:
    await api(Shelf.everything, "create", title="a", status="published", pages=500)
    await api(Shelf.everything, "create", title="b", status="draft", pages=900)
    await api(Shelf.everything, "create", title="c", status="published", pages=10)
    assert await titles(api, Shelf.everything.all()) == ["a", "b", "c"]
    assert await titles(api, Shelf.published.all()) == ["a", "c"]
    assert await api(Shelf.published, "count") == 2
    assert await titles(api, Shelf.published.long()) == ["a"]
    assert (await api(Shelf.published, "get", title="c")).pages == 10
    with pytest.raises(Shelf.DoesNotExist):
        await api(Shelf.published, "get", title="b")
    assert Shelf._default_manager is Shelf.everything
    assert not hasattr(Shelf, "objects")  # declaring a manager replaces the implicit one
    assert Book._default_manager is Book.objects
    assert repr(Shelf.published) == "<PublishedManager Shelf.published>"
    # every QuerySet method but delete (as Django: a manager does not delete every row)
    assert await api(Shelf.published, "update", pages=1) == 2
    assert await api(Shelf.everything.filter(pages=1), "count") == 2
    assert not hasattr(Shelf.everything, "delete")


async def test_managers_of_abstract_models_are_inherited(api) -> None:
    await api(Note.live, "create", status="published")
    await api(Note._default_manager, "create", status="draft")
    assert await api(Note.live, "count") == 1
    assert Note._default_manager is Note.live
    with pytest.raises(AttributeError, match="abstract"):
        Stamped.live.all()


# -- bugs 13 and 15 ---------------------------------------------------------------------------


async def test_callable_defaults_are_called(api) -> None:
    """Bug 13: callables were stored as "<function ...>" (MariaDB) or crashed."""
    made = []

    def pages() -> int:
        made.append(1)
        return 99

    book, created = await api(Book.objects, "get_or_create", title="X", defaults={"pages": pages})
    assert created and book.pages == 99
    again, created = await api(Book.objects, "get_or_create", title="X", defaults={"pages": pages})
    assert not created and again.pages == 99 and made == [1]
    book, created = await api(
        Book.objects, "update_or_create", title="X", defaults={"pages": lambda: 7}
    )
    assert not created and book.pages == 7
    assert (await api(Book.objects, "get", title="X")).pages == 7


async def test_update_or_create_create_defaults(api) -> None:
    book, created = await api(
        Book.objects, "update_or_create", title="Y",
        defaults={"pages": 1}, create_defaults={"pages": 2, "genre": "new"},
    )  # fmt: skip
    assert created and (book.pages, book.genre) == (2, "new")
    book, created = await api(
        Book.objects, "update_or_create", title="Y",
        defaults={"pages": 1}, create_defaults={"pages": 2, "genre": "new"},
    )  # fmt: skip
    assert not created and (book.pages, book.genre) == (1, "new")


async def test_a_slice_cannot_be_reordered(api) -> None:
    """Bug 15: order_by('u')[:2].last() and [:2].order_by('-u') gave other rows."""
    await seed(api)
    sliced = Book.objects.order_by("title")[:2]
    with pytest.raises(TypeError, match="slice"):
        sliced.order_by("-title")
    with pytest.raises(TypeError, match="slice"):
        await api(sliced, "last")
    with pytest.raises(TypeError, match="slice"):
        sliced.reverse()
    assert (await api(sliced, "first")).title == "Dune"
    assert await titles(api, sliced) == ["Dune", "Emma"]


# -- methods ----------------------------------------------------------------------------------


async def test_earliest_latest_reverse_first_last(api) -> None:
    await seed(api)
    dated = Book.objects.filter(published__isnull=False)  # NULLs sort first or last by database
    assert (await api(dated, "latest")).title == "Emma"
    assert (await api(Book.objects.filter(published__isnull=False), "earliest")).title == "Ubik"
    assert (await api(Book.objects.filter(pages__gt=0), "earliest", "pages", "title")).title == (
        "Ubik")  # fmt: skip
    assert (await api(Book.objects.filter(pages__isnull=False), "latest", "pages")).title == "Dune"
    with pytest.raises(Book.DoesNotExist):
        await api(Book.objects.filter(title="none"), "latest")
    assert await titles(api, Book.objects.reverse()) == ["Kim", "Ubik", "Emma", "Dune"]
    assert await titles(api, Book.objects.order_by("title").reverse()) == [
        "Ubik", "Kim", "Emma", "Dune"]  # fmt: skip
    assert (await api(Book.objects.order_by("-pages"), "last")).title in ("Emma", "Ubik")
    with pytest.raises(TypeError, match="order_by"):
        await api(Book.objects.values("genre").annotate(n=Count("id")), "first")


async def test_none_alias_contains(api) -> None:
    books = await seed(api)
    assert await titles(api, Book.objects.none()) == []
    assert await api(Book.objects.none(), "count") == 0
    assert await titles(api, Book.objects.none() | Book.objects.filter(title="Kim")) == ["Kim"]
    qs = Book.objects.alias(p2=F("pages") * 2).filter(p2__gt=500).order_by("-p2")
    assert await titles(api, qs) == ["Dune", "Kim"]
    row = (await api(qs.values(), "list"))[0]
    assert "p2" not in row
    assert await api(Book.objects.filter(genre="sf"), "contains", books[0]) is True
    assert await api(Book.objects.filter(genre="sf"), "contains", books[1]) is False
    assert await api(Book.objects.order_by("title")[:1], "contains", books[0]) is True
    assert await api(Book.objects.order_by("title")[1:], "contains", books[0]) is False
    with pytest.raises(ValueError, match="saved"):
        await api(Book.objects, "contains", Book(title="unsaved"))


async def test_combining_querysets(api) -> None:
    await seed(api)
    sf = Book.objects.filter(genre="sf")
    long = Book.objects.filter(pages__gt=300)
    assert await titles(api, sf | long) == ["Dune", "Ubik", "Kim"]
    assert await titles(api, sf & long) == ["Dune"]
    assert await titles(api, sf | Book.objects.all()) == ["Dune", "Emma", "Ubik", "Kim"]
    assert await titles(api, sf.union(long).order_by("title")) == ["Dune", "Kim", "Ubik"]
    assert await api(sf.union(long, all=True), "count") == 4
    assert await titles(api, sf.intersection(long)) == ["Dune"]
    assert await titles(api, sf.difference(long)) == ["Ubik"]
    assert await titles(api, sf.union(long).order_by("-title")[:2]) == ["Ubik", "Kim"]
    pairs = sf.values_list("title", "pages").union(long.values_list("title", "pages"))
    assert sorted(await api(pairs, "list")) == [("Dune", 412), ("Kim", 368), ("Ubik", 202)]
    with pytest.raises(NotSupportedError):
        sf.union(long).filter(title="Dune")


async def test_dates_and_datetimes(api) -> None:
    await seed(api)
    assert await api(Book.objects.dates("published", "year"), "list") == [
        dt.date(2023, 1, 1), dt.date(2024, 1, 1)]  # fmt: skip
    assert await api(Book.objects.dates("published", "month", order="DESC"), "list") == [
        dt.date(2024, 4, 1), dt.date(2024, 3, 1), dt.date(2023, 1, 1)]  # fmt: skip
    assert await api(Book.objects.datetimes("published", "day"), "list") == [
        dt.datetime(2023, 1, 26, tzinfo=dt.UTC), dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 4, 10, tzinfo=dt.UTC)]  # fmt: skip
    with pytest.raises(ValueError, match="kind"):
        Book.objects.dates("published", "hour")


async def test_values_forms(api) -> None:
    await seed(api)
    named = await api(Book.objects.filter(title="Dune").values_list("title", "pages",
                                                                   named=True), "list")  # fmt: skip
    assert named[0].title == "Dune" and named[0].pages == 412 and tuple(named[0]) == ("Dune", 412)
    rows = await api(Book.objects.filter(genre="sf").values("title", low=Lower("title")), "list")
    assert rows == [{"title": "Dune", "low": "dune"}, {"title": "Ubik", "low": "ubik"}]
    years = await api(Book.objects.filter(published__isnull=False).values_list(
        "published__year", flat=True), "list")  # fmt: skip
    assert years == [2024, 2024, 2023]
    ratings = await api(Book.objects.values_list("meta__rating", flat=True), "list")
    assert ratings == [5, 4, None, None]
    grouped = Book.objects.values("published__year").annotate(n=Count("id")).order_by(
        "published__year")  # fmt: skip
    assert [r["n"] for r in await api(grouped, "list")] in ([1, 2, 1], [1, 1, 2])


async def test_ordering_forms(api) -> None:
    await seed(api)
    by_pages = Book.objects.order_by(F("pages").desc(nulls_last=True))
    assert await titles(api, by_pages) == ["Dune", "Kim", "Ubik", "Emma"]
    first_nulls = Book.objects.order_by(F("pages").asc(nulls_first=True))
    assert await titles(api, first_nulls) == ["Emma", "Ubik", "Kim", "Dune"]
    assert await titles(api, Book.objects.order_by(Lower("title").desc())) == [
        "Ubik", "Kim", "Emma", "Dune"]  # fmt: skip
    shuffled = await titles(api, Book.objects.order_by("?"))
    assert sorted(shuffled) == ["Dune", "Emma", "Kim", "Ubik"]
    assert await titles(api, Book.objects.order_by("meta__rating", "title")) in (
        ["Emma", "Dune", "Kim", "Ubik"], ["Kim", "Ubik", "Emma", "Dune"])  # fmt: skip


async def test_distinct_on_fields(api, backend) -> None:
    await seed(api)
    if backend != "postgres":
        with pytest.raises(NotSupportedError, match="DISTINCT ON"):
            Book.objects.distinct("genre")
        return
    qs = Book.objects.order_by("genre", "title").distinct("genre")
    assert await titles(api, qs) == ["Emma", "Dune"]


async def test_delete_returns_counts_by_model(api) -> None:
    books = await seed(api)
    assert await api(Book.objects.filter(genre="sf"), "delete") == (
        2,
        {"test_queryset_api.Book": 2},
    )
    assert await api(Book.objects.filter(genre="sf"), "delete") == (0, {})
    assert await api(books[1], "delete") == (1, {"test_queryset_api.Book": 1})


def test_in_bulk_needs_a_unique_field() -> None:
    with pytest.raises(ValueError, match="unique field but 'genre'"):
        Book.objects.in_bulk(["sf"], field_name="genre")


def test_misuse_is_refused() -> None:
    with pytest.raises(FieldError):
        Book.objects.order_by("nope")
    with pytest.raises(TypeError, match="flat"):
        Book.objects.values_list("title", flat=True, named=True)
    with pytest.raises(FieldError, match="clashes"):
        Book.objects.annotate(title=F("genre"))
    with pytest.raises(TypeError):
        Book.objects.filter(title="a") | Shelf.everything.all()  # type: ignore[operator]
    with pytest.raises(TypeError, match="Q objects"):
        Book.objects.filter(Q(title="a"), 5)  # type: ignore[arg-type]

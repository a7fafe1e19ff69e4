"""Relations (issue 9): ForeignKey / OneToOneField / ManyToManyField declared in any order,
queries across them in both directions with Django's semantics, related managers, and
on_delete applied by one collector, checked on every database through both APIs."""

from __future__ import annotations

from typing import Any

import pytest

from covet.orm import (
    CASCADE,
    DO_NOTHING,
    PROTECT,
    RESTRICT,
    SET_DEFAULT,
    SET_NULL,
    CharField,
    Count,
    Database,
    Exists,
    F,
    FieldError,
    ForeignKey,
    ImproperlyConfigured,
    IntegerField,
    IntegrityError,
    ManyToManyField,
    Max,
    Model,
    NotSupportedError,
    OneToOneField,
    OuterRef,
    ProtectedError,
    Q,
    RestrictedError,
    Subquery,
    Sum,
)
from covet.orm.sql.ddl import create_table_statement, references


class Book(Model):  # declared before the model it references, by name
    title = CharField(max_length=50)
    pages = IntegerField(default=100)
    author = ForeignKey("Author", on_delete=CASCADE, related_name="books")
    editor = ForeignKey("Author", on_delete=SET_NULL, null=True, related_name="edited")

    class Meta:
        table_name = "test_rel_book"
        ordering = ["id"]


class Publisher(Model):
    name = CharField(max_length=50)

    class Meta:
        table_name = "test_rel_publisher"
        ordering = ["-name"]


class Author(Model):
    name = CharField(max_length=50)
    age = IntegerField(default=30)
    publisher = ForeignKey(Publisher, on_delete=PROTECT, null=True)
    mentor = ForeignKey("self", on_delete=SET_NULL, null=True, related_name="mentees")

    class Meta:
        table_name = "test_rel_author"
        ordering = ["id"]


class Profile(Model):
    author = OneToOneField(Author, on_delete=CASCADE)
    bio = CharField(max_length=50, default="")

    class Meta:
        table_name = "test_rel_profile"


class Tag(Model):
    name = CharField(max_length=20)
    books = ManyToManyField(Book, related_name="tags")

    class Meta:
        table_name = "test_rel_tag"
        ordering = ["id"]


class Review(Model):
    book = ForeignKey(Book, on_delete=RESTRICT, related_name="reviews")
    stars = IntegerField(default=3)

    class Meta:
        table_name = "test_rel_review"


class Fallback(Model):
    name = CharField(max_length=10)

    class Meta:
        table_name = "test_rel_fallback"


class Loan(Model):
    book = ForeignKey(Book, on_delete=DO_NOTHING, db_constraint=False, related_name="+")
    holder = ForeignKey(Fallback, on_delete=SET_DEFAULT, default=1, related_name="loans")

    class Meta:
        table_name = "test_rel_loan"


class Club(Model):
    name = CharField(max_length=20)
    members = ManyToManyField(Author, through="Membership", related_name="clubs")

    class Meta:
        table_name = "test_rel_club"


class Membership(Model):
    club = ForeignKey(Club, on_delete=CASCADE)
    member = ForeignKey(Author, on_delete=CASCADE)
    role = CharField(max_length=10, default="member")

    class Meta:
        table_name = "test_rel_membership"


MODELS = [Publisher, Author, Book, Profile, Tag, Review, Fallback, Loan, Club, Membership]
pytestmark = pytest.mark.usefixtures("tables")


async def seed(api: Any) -> dict[str, Any]:
    pub = await api(Publisher.objects, "create", name="Pen")
    ann = await api(Author.objects, "create", name="Ann", age=40, publisher=pub)
    bob = await api(Author.objects, "create", name="Bob", age=25, mentor=ann)
    cid = await api(Author.objects, "create", name="Cid", age=50)
    b1 = await api(Book.objects, "create", title="Alpha", pages=100, author=ann)
    b2 = await api(Book.objects, "create", title="Beta", pages=300, author=ann, editor=bob)
    b3 = await api(Book.objects, "create", title="Gamma", pages=200, author=bob)
    return {"pub": pub, "ann": ann, "bob": bob, "cid": cid, "b1": b1, "b2": b2, "b3": b3}


# -- fields, DDL ---------------------------------------------------------------------------
def test_declared_in_any_order_and_resolved() -> None:
    field = Book._meta.get_field("author")
    assert field.name == "author_id" and field.column == "author_id"
    assert field.remote is Author
    assert Author._meta.relations["books"].related is Book
    assert Author._meta.relations["mentees"].related is Author  # "self"
    assert [f.name for f in Book._meta.fields] == ["id", "title", "pages", "author_id", "editor_id"]


def test_foreign_key_constraint_in_ddl(db: Database) -> None:
    spec = references(Book._meta.get_field("author"))
    assert spec is not None and spec.table == "test_rel_author" and spec.on_delete == "CASCADE"
    assert references(Loan._meta.get_field("book")) is None  # db_constraint=False
    sql = create_table_statement(Book, db.dialect)
    q = db.dialect.quote
    assert f"FOREIGN KEY ({q('author_id')}) REFERENCES {q('test_rel_author')}" in sql
    assert "ON DELETE SET NULL" in sql


def test_unresolved_reference_is_a_clear_error() -> None:
    class Orphan(Model):
        owner = ForeignKey("NoSuchModel", on_delete=CASCADE)

        class Meta:
            table_name = "test_rel_orphan"

    with pytest.raises(ImproperlyConfigured, match="NoSuchModel"):
        Orphan.objects.filter(owner__name="x")
    with pytest.raises(ImproperlyConfigured, match="SET_NULL needs null=True"):
        ForeignKey(Author, on_delete=SET_NULL)
    with pytest.raises(ImproperlyConfigured, match="clashes on Author"):

        class Twin(Model):
            writer = ForeignKey(Author, on_delete=CASCADE, related_name="books")

            class Meta:
                table_name = "test_rel_twin"


async def test_instance_and_raw_id(api: Any) -> None:
    s = await seed(api)
    b1 = await api(Book.objects, "get", pk=s["b1"].pk)
    assert b1.author_id == s["ann"].pk
    book = Book(title="Delta", author_id=s["bob"].pk)
    await api(book, "save")
    fresh = await api(Book.objects.select_related("author"), "get", pk=book.pk)
    assert fresh.author.name == "Bob"
    fresh.author = s["cid"]
    assert fresh.author_id == s["cid"].pk
    with pytest.raises(ValueError, match="must be a Author instance"):
        fresh.author = 3
    unsaved = Author(name="New")
    orphan = Book(title="Epsilon", author=unsaved)
    with pytest.raises(ValueError, match="unsaved related object 'author'"):
        await api(orphan, "save")
    await api(unsaved, "save")
    await api(orphan, "save")  # the key is taken from the now saved instance
    assert orphan.author_id == unsaved.pk


async def test_bulk_create_and_pickle(api: Any) -> None:
    import pickle

    s = await seed(api)
    with pytest.raises(ValueError, match="unsaved related object 'author'"):
        await api(Book.objects, "bulk_create", [Book(title="x", author=Author(name="n"))])
    books = await api.list(Book.objects.select_related("author"))
    copy = pickle.loads(pickle.dumps(books[0]))
    assert copy == books[0] and copy.author.name == s["ann"].name


# -- queries across relations -------------------------------------------------------------
async def test_lookups_in_both_directions(api: Any) -> None:
    s = await seed(api)
    titles = await api.list(
        Book.objects.filter(author__name__startswith="A").values_list("title", flat=True)
    )
    assert titles == ["Alpha", "Beta"]
    names = await api.list(
        Author.objects.filter(books__title="Gamma").values_list("name", flat=True)
    )
    assert names == ["Bob"]
    assert await api(Book.objects.filter(author=s["ann"]), "count") == 2
    assert await api(Book.objects.filter(author__in=[s["bob"]]), "count") == 1
    assert await api(Author.objects.filter(books=s["b3"]), "count") == 1
    by_pub = Book.objects.filter(author__publisher__name="Pen")
    assert await api(by_pub, "count") == 2
    # isnull across relations: LEFT JOIN
    no_books = Author.objects.filter(books__isnull=True).values_list("name", flat=True)
    assert await api.list(no_books) == ["Cid"]
    assert await api(Book.objects.filter(editor__isnull=True), "count") == 2
    assert await api(Book.objects.filter(editor__name="Bob"), "count") == 1
    # OR across a nullable relation keeps rows without a related row
    either = Book.objects.filter(Q(editor__name="Bob") | Q(title="Alpha")).order_by("title")
    assert await api.list(either.values_list("title", flat=True)) == ["Alpha", "Beta"]
    # exclude() keeps the rows a LEFT JOIN found nothing for (no editor), as Django
    kept = Book.objects.exclude(editor__name="Bob").values_list("title", flat=True)
    assert sorted(await api.list(kept)) == ["Alpha", "Gamma"]
    # reverse one-to-one and self references
    assert await api(Author.objects.filter(mentor__name="Ann"), "count") == 1
    assert await api(Author.objects.filter(mentees__name="Bob"), "count") == 1
    with pytest.raises(FieldError, match="has no field 'nope'"):
        Book.objects.filter(author__nope=1)


async def test_multi_valued_semantics(api: Any) -> None:
    s = await seed(api)
    # Ann: Alpha (100 pages), Beta (300 pages)
    one_call = Author.objects.filter(books__title="Alpha", books__pages=300)
    assert await api(one_call, "count") == 0  # the same book must match both
    two_calls = Author.objects.filter(books__title="Alpha").filter(books__pages=300)
    assert await api.list(two_calls.values_list("name", flat=True)) == ["Ann"]
    # exclude over a multi-valued relation: authors with no book titled Alpha
    names = await api.list(
        Author.objects.exclude(books__title="Alpha").values_list("name", flat=True)
    )
    assert names == ["Bob", "Cid"]
    assert s["ann"].pk not in await api.list(
        Author.objects.exclude(books__pages__gt=250).values_list("pk", flat=True)
    )
    # under ~Q too, and each condition of an exclude(Q | Q) separately (Django's results)
    negated = Author.objects.filter(~Q(books__title="Alpha")).values_list("name", flat=True)
    assert await api.list(negated) == ["Bob", "Cid"]
    either = Author.objects.exclude(Q(books__title="Gamma") | Q(books__pages__gt=250))
    assert await api.list(either.values_list("name", flat=True)) == ["Cid"]
    assert await api(Author.objects.filter(~~Q(books__title="Alpha")), "count") == 1


async def test_order_values_f_across_relations(api: Any) -> None:
    await seed(api)
    rows = await api.list(
        Book.objects.order_by("-author__name", "title").values("title", "author__name")
    )
    assert rows == [
        {"title": "Gamma", "author__name": "Bob"},
        {"title": "Alpha", "author__name": "Ann"},
        {"title": "Beta", "author__name": "Ann"},
    ]
    older = Book.objects.filter(pages__gt=F("author__age") * 4).values_list("title", flat=True)
    assert sorted(await api.list(older)) == ["Beta", "Gamma"]
    # by a relation: the related model's Meta.ordering (Publisher: -name), as Django
    zed = await api(Publisher.objects, "create", name="Zed")
    await api(Author.objects.filter(name="Bob"), "update", publisher=zed)
    by_pub = Author.objects.filter(publisher__isnull=False).order_by("publisher")
    assert await api.list(by_pub.values_list("name", flat=True)) == ["Bob", "Ann"]
    nullable = Book.objects.order_by("editor__name", "title").values_list("title", flat=True)
    assert len(await api.list(nullable)) == 3  # a LEFT JOIN keeps rows without an editor


async def test_aggregates_over_relations(api: Any) -> None:
    await seed(api)
    counted = Author.objects.annotate(n=Count("books")).order_by("name")
    assert await api.list(counted.values_list("name", "n")) == [("Ann", 2), ("Bob", 1), ("Cid", 0)]
    many = Author.objects.annotate(n=Count("books")).filter(n__gt=1)  # HAVING
    assert await api.list(many.values_list("name", flat=True)) == ["Ann"]
    pages = Author.objects.annotate(p=Sum("books__pages")).order_by("name")
    assert await api.list(pages.values_list("p", flat=True)) == [400, 200, None]
    # two multi-valued joins multiply rows; distinct=True counts each book once
    t = await api(Tag.objects, "create", name="x")
    u = await api(Tag.objects, "create", name="y")
    alpha = await api(Book.objects, "get", title="Alpha")
    await api(alpha.tags, "add", t, u)
    both = Author.objects.annotate(n=Count("books", distinct=True), t=Count("books__tags")).filter(
        name="Ann"
    )
    assert await api.list(both.values_list("n", "t")) == [(2, 2)]
    grouped = Book.objects.values("author__name").annotate(m=Max("pages")).order_by("author__name")
    assert await api.list(grouped) == [
        {"author__name": "Ann", "m": 300},
        {"author__name": "Bob", "m": 200},
    ]


async def test_correlated_subqueries(api: Any) -> None:
    await seed(api)
    longest = Book.objects.filter(author=OuterRef("pk")).order_by("-pages")
    rows = Author.objects.annotate(top=Subquery(longest.values("title")[:1])).order_by("name")
    assert await api.list(rows.values_list("name", "top")) == [
        ("Ann", "Beta"),
        ("Bob", "Gamma"),
        ("Cid", None),
    ]
    big = Book.objects.filter(author=OuterRef("pk"), pages__gt=250)
    assert await api.list(Author.objects.filter(Exists(big)).values_list("name", flat=True)) == [
        "Ann"
    ]
    assert await api.list(
        Author.objects.filter(~Exists(Book.objects.filter(author=OuterRef("pk")))).values_list(
            "name", flat=True
        )
    ) == ["Cid"]
    flagged = Author.objects.annotate(has=Exists(big)).order_by("name")
    assert await api.list(flagged.values_list("has", flat=True)) == [True, False, False]


async def test_outer_ref_over_the_same_table(api: Any) -> None:
    """The subquery's table is renamed, so OuterRef names the outer row, not the inner one."""
    await seed(api)
    longer = Book.objects.filter(author=OuterRef("author"), pages__gt=OuterRef("pages"))
    shorter = Book.objects.filter(Exists(longer)).values_list("title", flat=True)
    assert await api.list(shorter) == ["Alpha"]  # Ann's Beta (300) is longer; Bob has one book
    assert await api.list(Book.objects.filter(~Exists(longer)).values_list("title", flat=True)) == [
        "Beta",
        "Gamma",
    ]
    top = Book.objects.filter(author=OuterRef("author")).order_by("-pages").values("title")[:1]
    rows = Book.objects.annotate(top=Subquery(top)).values_list("title", "top")
    assert await api.list(rows) == [("Alpha", "Beta"), ("Beta", "Beta"), ("Gamma", "Gamma")]
    mentee = Author.objects.filter(mentor=OuterRef("pk"))
    has_mentee = Author.objects.filter(Exists(mentee)).values_list("name", flat=True)
    assert await api.list(has_mentee) == ["Ann"]
    # two levels: the inner OuterRef names the middle query's row (U0), not the book's
    nested = Book.objects.filter(
        Exists(Author.objects.filter(pk=OuterRef("author")).filter(Exists(mentee)))
    )
    assert await api.list(nested.values_list("title", flat=True)) == ["Alpha", "Beta"]


async def test_update_and_delete_through_joins(api: Any) -> None:
    await seed(api)
    changed = await api(Book.objects.filter(author__name="Ann"), "update", pages=1)
    assert changed == 2
    assert await api(Book.objects.filter(pages=1), "count") == 2


# -- related managers ----------------------------------------------------------------------
async def test_reverse_manager(api: Any) -> None:
    s = await seed(api)
    ann = s["ann"]
    assert await api(ann.books, "count") == 2
    assert await api.list(ann.books.filter(pages__gt=150).values_list("title", flat=True)) == [
        "Beta"
    ]
    assert [b.title async for b in ann.books.all()] if api.is_async else True
    made = await api(ann.books, "create", title="Zeta")
    assert made.author_id == ann.pk
    got, created = await api(ann.books, "get_or_create", title="Zeta")
    assert not created and got.pk == made.pk
    got, created = await api(ann.books, "get_or_create", title="Eta")
    assert created and got.author_id == ann.pk
    assert await api(ann.books, "count") == 4
    bob = s["bob"]
    await api(bob.edited, "add", s["b1"])
    assert await api(Book.objects.filter(editor=bob), "count") == 2
    await api(bob.edited, "remove", s["b1"])
    assert await api(Book.objects.filter(editor=bob), "count") == 1
    await api(bob.edited, "clear")
    assert await api(Book.objects.filter(editor__isnull=False), "count") == 0
    with pytest.raises(TypeError, match="not null=True"):
        await api(ann.books, "clear")
    with pytest.raises(ValueError, match="needs a primary key"):
        Author(name="x").books.all()


async def test_one_to_one(api: Any) -> None:
    s = await seed(api)
    ann = s["ann"]
    profile = await api(Profile.objects, "create", author=ann, bio="hi")
    fresh = await api(Author.objects.select_related("profile"), "get", pk=ann.pk)
    assert fresh.profile.bio == "hi"
    none = await api(Author.objects.select_related("profile"), "get", pk=s["bob"].pk)
    with pytest.raises(Author.profile.RelatedObjectDoesNotExist):
        none.profile  # noqa: B018
    with pytest.raises(Profile.DoesNotExist):
        none.profile  # noqa: B018
    assert not hasattr(none, "profile")
    with pytest.raises(IntegrityError):
        await api(Profile.objects, "create", author=ann)
    assert profile.author is ann
    assert await api(Author.objects.filter(profile__bio="hi"), "count") == 1


async def test_many_to_many(api: Any) -> None:
    s = await seed(api)
    b1, b2, b3 = s["b1"], s["b2"], s["b3"]
    red = await api(Tag.objects, "create", name="red")
    blue = await api(Tag.objects, "create", name="blue")
    await api(red.books, "add", b1, b2)
    await api(red.books, "add", b1)  # already there: no duplicate row
    await api(b3.tags, "add", red, blue)
    assert await api(red.books, "count") == 3
    assert await api.list(b3.tags.values_list("name", flat=True)) == ["red", "blue"]
    assert await api.list(
        Book.objects.filter(tags__name="blue").values_list("title", flat=True)
    ) == ["Gamma"]
    assert await api.list(
        Tag.objects.filter(books__author__name="Ann").distinct().values_list("name", flat=True)
    ) == ["red"]
    await api(red.books, "remove", b2)
    assert await api(red.books, "count") == 2
    await api(red.books, "set", [b2, b3])
    assert sorted(await api.list(red.books.values_list("title", flat=True))) == ["Beta", "Gamma"]
    green = await api(b1.tags, "create", name="green")
    assert await api.list(green.books.values_list("title", flat=True)) == ["Alpha"]
    await api(red.books, "clear")
    assert await api(red.books, "count") == 0
    assert await api(Book.objects.filter(tags__isnull=True), "count") == 1  # Beta
    through = Tag._meta.many_to_many[0].through
    assert through is not None and through._meta.unique_together == [("tag_id", "book_id")]


async def test_many_to_many_through_model(api: Any) -> None:
    s = await seed(api)
    club = await api(Club.objects, "create", name="Chess")
    await api(club.members, "add", s["ann"], through_defaults={"role": "chair"})
    await api(club.members, "add", s["bob"])
    roles = Membership.objects.order_by("member__name").values_list("member__name", "role")
    assert await api.list(roles) == [("Ann", "chair"), ("Bob", "member")]
    assert await api.list(s["ann"].clubs.values_list("name", flat=True)) == ["Chess"]
    chairs = Author.objects.filter(clubs__name="Chess", membership__role="chair")
    assert await api.list(chairs.values_list("name", flat=True)) == ["Ann"]
    await api(club.members, "set", [s["bob"], s["cid"]], through_defaults={"role": "new"})
    roles = Membership.objects.order_by("member__name").values_list("member__name", "role")
    assert await api.list(roles) == [("Bob", "member"), ("Cid", "new")]
    clubs = await api.list(Club.objects.prefetch_related("members"))
    assert sorted(a.name for a in clubs[0].members.all()) == ["Bob", "Cid"]


async def test_iterator_peers_and_limits(api: Any) -> None:
    await seed(api)
    if api.is_async:
        with pytest.raises(NotSupportedError, match="prefetch_related"):
            [b async for b in Book.objects.prefetch_related("tags").aiterator()]
        return
    from covet.orm.testing import capture_queries

    def run() -> list[str]:
        return [b.author.name for b in Book.objects.iterator(chunk_size=10)]

    with capture_queries() as captured:
        names = await api.run(run)
    assert names == ["Ann", "Ann", "Bob"] and len(captured) == 2
    with pytest.raises(FieldError, match="related models"):
        await api(Book.objects.all(), "update", pages=F("author__age"))


# -- on_delete -----------------------------------------------------------------------------
async def _second_connection_count(db_url: str, table: str) -> int:
    other = Database(db_url, default=False)
    try:
        row = await other.afetch_one(f"SELECT COUNT(*) AS n FROM {other.dialect.quote(table)}")
        assert row is not None
        return int(row["n"])
    finally:
        await other.aclose()


async def test_cascade_set_null_multi_level(api: Any, db_url: str) -> None:
    s = await seed(api)
    t = await api(Tag.objects, "create", name="t")
    await api(t.books, "add", s["b1"], s["b2"])
    await api(Profile.objects, "create", author=s["ann"])
    count, per = await api(s["ann"], "delete")
    # Ann's books (2) with their tag rows (2), her profile; Bob's mentor set to NULL
    assert per == {
        "test_relations.Author": 1,
        "test_relations.Book": 2,
        "test_relations.Profile": 1,
        "test_relations.Tag_books": 2,
    }
    assert count == 6
    assert await _second_connection_count(db_url, "test_rel_book") == 1
    assert await _second_connection_count(db_url, "test_rel_tag_books") == 0
    bob = await api(Author.objects, "get", name="Bob")
    assert bob.mentor_id is None


async def test_queryset_delete_cascades(api: Any, db_url: str) -> None:
    await seed(api)
    total, per = await api(Author.objects.filter(age__lt=45), "delete")  # Ann and Bob
    assert total == 5
    assert per["test_relations.Book"] == 3 and per["test_relations.Author"] == 2
    assert await _second_connection_count(db_url, "test_rel_author") == 1


async def test_protect_and_restrict(api: Any) -> None:
    s = await seed(api)
    with pytest.raises(ProtectedError) as caught:
        await api(s["pub"], "delete")
    assert [a.name for a in caught.value.protected_objects] == ["Ann"]
    assert "Author.publisher" in str(caught.value)
    await api(Review.objects, "create", book=s["b3"])
    with pytest.raises(RestrictedError) as held:
        await api(Book.objects.filter(title="Gamma"), "delete")
    assert len(held.value.restricted_objects) == 1
    assert await api(Book.objects, "count") == 3  # nothing was deleted
    # RESTRICT allows what a CASCADE of the same delete removes: Bob -> Gamma -> review
    with pytest.raises(RestrictedError):
        await api(s["bob"], "delete")  # Gamma is reached by CASCADE, its review holds it


async def test_set_default_and_do_nothing(api: Any) -> None:
    s = await seed(api)
    keep = await api(Fallback.objects, "create", name="default")
    other = await api(Fallback.objects, "create", name="other")
    assert keep.pk == 1
    loan = await api(Loan.objects, "create", book=s["b1"], holder=other)
    await api(other, "delete")
    fresh = await api(Loan.objects, "get", pk=loan.pk)
    assert fresh.holder_id == keep.pk
    await api(s["b1"], "delete")  # DO_NOTHING, no constraint: the loan stays
    assert await api(Loan.objects, "count") == 1

from __future__ import annotations

import datetime as dt

import pytest

from covet.orm import (
    Avg,
    CharField,
    Count,
    Database,
    DateTimeField,
    F,
    FieldError,
    FloatField,
    IntegerField,
    IntegrityError,
    JSONField,
    Max,
    Min,
    Model,
    Q,
    Sum,
    SynchronousOnlyError,
    TextField,
    TransactionManagementError,
)


class Article(Model):
    title = CharField(max_length=100, unique=True)
    body = TextField(default="")
    views = IntegerField(default=0)
    rating = FloatField(null=True)
    published = DateTimeField(null=True)
    data = JSONField(null=True)

    class Meta:
        table_name = "test_article"
        ordering = ["id"]


MODELS = [Article]
pytestmark = pytest.mark.usefixtures("tables")

T0 = dt.datetime(2024, 3, 15, 10, 30, tzinfo=dt.UTC)


async def seed(api) -> list[Article]:
    objs = [
        Article(title="Alpha", body="first post", views=10, rating=4.5, published=T0,
                data={"tag": "news", "n": 1}),
        Article(title="beta", body="Second_post 100%", views=20, rating=None,
                published=T0.replace(year=2023), data={"tag": "blog", "n": 2}),
        Article(title="Gamma", body="third", views=30, rating=3.0, published=None, data=None),
        Article(title="delta", body="", views=0, rating=1.0, published=T0.replace(month=7),
                data={"tag": "news", "flag": True}),
    ]  # fmt: skip
    return await api(Article.objects, "bulk_create", objs)


async def titles(api, qs) -> list[str]:
    return await api(qs.values_list("title", flat=True), "list")


async def test_create_get_save_delete(api) -> None:
    art = await api(Article.objects, "create", title="Hello", views=1)
    assert isinstance(art.pk, int)
    got = await api(Article.objects, "get", pk=art.pk)
    assert got == art
    assert got.title == "Hello"
    assert got.body == ""
    assert got.rating is None
    got.views = 5
    await api(got, "save")
    await api(art, "refresh_from_db")
    assert art.views == 5
    art.title = "Renamed"
    art.views = 99
    await api(art, "save", update_fields=["title"])
    fresh = await api(Article.objects, "get", id=art.pk)
    assert (fresh.title, fresh.views) == ("Renamed", 5)
    assert await api(fresh, "delete") == (1, {"test_query.Article": 1})
    with pytest.raises(Article.DoesNotExist):
        await api(Article.objects, "get", pk=art.pk)


async def test_saving_an_unchanged_object_updates_in_place(api) -> None:
    art = await api(Article.objects, "create", title="same", views=3)
    again = await api(Article.objects, "get", pk=art.pk)
    await api(again, "save")  # nothing changed: the UPDATE matches one row and changes none
    assert await api(Article.objects, "count") == 1
    assert await api(Article.objects.filter(views=3), "update", views=3) == 1  # rows matched


async def test_get_errors(api) -> None:
    await seed(api)
    with pytest.raises(Article.DoesNotExist, match="does not exist"):
        await api(Article.objects, "get", title="nope")
    with pytest.raises(Article.MultipleObjectsReturned, match="returned 2"):
        await api(Article.objects.filter(views__gte=20), "get")
    assert issubclass(Article.DoesNotExist, LookupError)


@pytest.mark.parametrize(
    ("lookups", "expected"),
    [
        ({"title": "Alpha"}, ["Alpha"]),
        ({"title__iexact": "ALPHA"}, ["Alpha"]),
        ({"title__exact": "alpha"}, []),
        ({"body__contains": "Second"}, ["beta"]),
        ({"body__contains": "second"}, []),
        ({"body__icontains": "SECOND"}, ["beta"]),
        ({"body__contains": "100%"}, ["beta"]),
        ({"body__contains": "_"}, ["beta"]),
        ({"title__startswith": "G"}, ["Gamma"]),
        ({"title__istartswith": "g"}, ["Gamma"]),
        ({"title__endswith": "ta"}, ["beta", "delta"]),
        ({"title__iendswith": "MA"}, ["Gamma"]),
        ({"views__in": [10, 30]}, ["Alpha", "Gamma"]),
        ({"views__in": []}, []),
        ({"views__gt": 10}, ["beta", "Gamma"]),
        ({"views__gte": 10, "views__lt": 30}, ["Alpha", "beta"]),
        ({"views__lte": 0}, ["delta"]),
        ({"views__range": (5, 25)}, ["Alpha", "beta"]),
        ({"rating__isnull": True}, ["beta"]),
        ({"rating": None}, ["beta"]),
        ({"published__isnull": False, "rating__gt": 2}, ["Alpha"]),
        ({"title__regex": "^[A-Z]"}, ["Alpha", "Gamma"]),
        ({"title__iregex": "^[a]"}, ["Alpha"]),
        ({"published__year": 2024}, ["Alpha", "delta"]),
        ({"published__month": 7}, ["delta"]),
        ({"published__day__gte": 15}, ["Alpha", "beta", "delta"]),
        ({"published__gt": T0}, ["delta"]),
        ({"data__tag": "news"}, ["Alpha", "delta"]),
        ({"data__n": 2}, ["beta"]),
        ({"data__n__gt": 1}, ["beta"]),
        ({"data__n__lte": 1.5}, ["Alpha"]),
        ({"data__tag__gt": "c"}, ["Alpha", "delta"]),
        ({"data__flag": True}, ["delta"]),
    ],
)
async def test_lookups(api, lookups, expected) -> None:
    await seed(api)
    assert await titles(api, Article.objects.filter(**lookups)) == expected


async def test_in_lists_longer_than_the_parameter_ceiling(api, db: Database) -> None:
    """PostgreSQL and SQLite cap bound parameters near 32,767: a longer `in` list still works
    (PostgreSQL: one array parameter; SQLite past the cap: one JSON parameter)."""
    await seed(api)
    many = list(range(100, 40_100))  # 40,000 values, none of them a view count
    hits = await titles(api, Article.objects.filter(views__in=[*many, 30, 10]))
    assert hits == ["Alpha", "Gamma"]
    assert await titles(api, Article.objects.exclude(views__in=[*many, 30])) == [
        "Alpha", "beta", "delta"]  # fmt: skip
    names = [f"name-{i}" for i in range(40_000)]
    assert await titles(api, Article.objects.filter(title__in=[*names, "delta"])) == ["delta"]
    # the same query shape again (the compiled statement comes from the cache): new values
    assert await titles(api, Article.objects.filter(views__in=[*many, 20, 0])) == [
        "beta", "delta"]  # fmt: skip
    # short lists, cached and not, and with the long form in one query
    assert await titles(api, Article.objects.filter(views__in=[0, 20])) == ["beta", "delta"]
    assert await titles(api, Article.objects.filter(views__in=[10])) == ["Alpha"]
    qs = Article.objects.filter(views__in=[*many, 10, 20], title__in=["beta", "Gamma"])
    assert await titles(api, qs) == ["beta"]
    assert await api(Article.objects.filter(views__in=many), "count") == 0
    n = await api(Article.objects.filter(views__in=[*many, 0]), "update", body="touched")
    assert n == 1
    # two lists in one statement, each under the parameter ceiling, together over it
    qs = Article.objects.filter(views__in=many[:20_000], id__in=list(range(-20_000, 0)))
    assert await api(qs, "count") == 0


async def test_in_with_json_values(api) -> None:
    """JSON arrays as `in` values compare as whole documents (an array parameter on PostgreSQL
    would have been read as a multi-dimensional array of their elements)."""
    await api(Article.objects, "create", title="list", data=[1, 2])
    await api(Article.objects, "create", title="one", data=1)
    await api(Article.objects, "create", title="two", data=2)
    assert await titles(api, Article.objects.filter(data__in=[[1, 2]])) == ["list"]
    assert await titles(api, Article.objects.filter(data__in=[[1, 2], [3]])) == ["list"]
    assert await titles(api, Article.objects.filter(data__in=[[1, 2], 2])) == ["list", "two"]
    assert await api(Article.objects.filter(data__in=[[1, 2]]), "delete") == (
        1, {"test_query.Article": 1})  # fmt: skip
    assert await titles(api, Article.objects.all()) == ["one", "two"]


async def test_in_a_queryset_is_one_statement(api) -> None:
    """`x__in=<QuerySet>` compiles to a subquery: one statement, and no sync evaluation of the
    inner QuerySet (which the async API could not do)."""
    await seed(api)
    popular = Article.objects.filter(views__gte=20)
    assert await titles(api, Article.objects.filter(id__in=popular)) == ["beta", "Gamma"]
    assert await titles(api, Article.objects.exclude(id__in=popular)) == ["Alpha", "delta"]
    # a values_list column; outer parameters before and after the inner ones keep their order
    inner = Article.objects.filter(views__lt=25).values_list("title", flat=True)
    qs = Article.objects.filter(rating__gt=2, title__in=inner, views__gte=5)
    assert await titles(api, qs) == ["Alpha"]
    # the same shapes again (compiled statements from the cache) with other values
    inner = Article.objects.filter(views__lt=35).values_list("title", flat=True)
    qs = Article.objects.filter(rating__gt=0.5, title__in=inner, views__gte=0)
    assert await titles(api, qs) == ["Alpha", "Gamma", "delta"]
    popular = Article.objects.filter(views__gte=30)
    assert await titles(api, Article.objects.filter(id__in=popular)) == ["Gamma"]
    # and through the rest of the API
    assert await api(Article.objects.filter(id__in=popular), "count") == 1
    changed = await api(Article.objects.filter(id__in=popular), "update", body="hot")
    assert changed == 1
    assert await titles(api, Article.objects.filter(body="hot")) == ["Gamma"]
    nobody = Article.objects.filter(views__gt=1000)
    assert await titles(api, Article.objects.filter(id__in=nobody)) == []
    with pytest.raises(FieldError, match="must select one column"):
        Article.objects.filter(id__in=Article.objects.values_list("id", "title"))


def test_in_list_too_long_for_sqlite_and_not_json() -> None:
    from covet.orm.sql.sqlite import SqliteDialect

    d = SqliteDialect()
    assert d.pack_in([b"x"] * 100, "binary") is None  # short: one placeholder each
    with pytest.raises(FieldError, match="cannot travel as JSON"):
        d.pack_in([bytes([i % 256, i // 256]) for i in range(40_000)], "binary")


async def test_q_f_exclude(api) -> None:
    await seed(api)
    qs = Article.objects.filter(Q(views=10) | Q(title="Gamma"))
    assert await titles(api, qs) == ["Alpha", "Gamma"]
    assert await titles(api, Article.objects.filter(~Q(views__gt=0))) == ["delta"]
    assert await titles(api, Article.objects.exclude(views__gte=20)) == ["Alpha", "delta"]
    # like Django: excluding a condition keeps the rows where the column is NULL
    assert await titles(api, Article.objects.exclude(rating__gt=2)) == ["beta", "delta"]
    assert await titles(api, Article.objects.filter(~Q(rating__gt=2) | Q(views=30))) == [
        "beta", "Gamma", "delta"]  # fmt: skip
    assert await titles(api, Article.objects.filter(rating__lte=2)) == ["delta"]
    qs = Article.objects.filter(Q(views__gt=5) & ~Q(title__startswith="b"))
    assert await titles(api, qs) == ["Alpha", "Gamma"]
    assert await titles(api, Article.objects.filter(views__gt=F("rating") * 5)) == ["Gamma"]
    assert await api(Article.objects.filter(views__gte=20), "update", views=F("views") + 1) == 2
    assert await api(Article.objects.values_list("views", flat=True), "list") == [10, 21, 31, 0]
    with pytest.raises(FieldError, match="no field 'nope'"):
        Article.objects.filter(nope=1)
    with pytest.raises(FieldError, match="not a lookup"):
        Article.objects.filter(views__bogus=1)


async def test_order_slice_first_last(api) -> None:
    await seed(api)
    assert await titles(api, Article.objects.order_by("-views")) == [
        "Gamma",
        "beta",
        "Alpha",
        "delta",
    ]
    assert await titles(api, Article.objects.order_by("views")[1:3]) == ["Alpha", "beta"]
    assert await titles(api, Article.objects.all()[2:]) == ["Gamma", "delta"]
    assert await titles(api, Article.objects.all()[1:][:2]) == ["beta", "Gamma"]
    first = await api(Article.objects, "first")
    last = await api(Article.objects, "last")
    assert (first.title, last.title) == ("Alpha", "delta")
    assert (await api(Article.objects.order_by("-views"), "last")).title == "delta"
    assert await api(Article.objects.filter(views=-1), "first") is None
    if not api.is_async:  # indexing runs the query at once: sync only
        assert (await api.run(lambda: Article.objects.order_by("views")[1])).title == "Alpha"
        with pytest.raises(ValueError, match="negative"):
            Article.objects.all()[-1]
        with pytest.raises(ValueError, match="step"):
            Article.objects.all()[::2]


async def test_values_and_values_list(api) -> None:
    await seed(api)
    rows = await api(Article.objects.filter(views=10).values("title", "published"), "list")
    assert rows == [{"title": "Alpha", "published": T0}]
    rows = await api(Article.objects.filter(views=10).values(), "list")
    assert rows[0]["data"] == {"tag": "news", "n": 1}
    assert set(rows[0]) == {"id", "title", "body", "views", "rating", "published", "data"}
    pairs = await api(Article.objects.order_by("views").values_list("title", "views"), "list")
    assert pairs[:2] == [("delta", 0), ("Alpha", 10)]
    assert await api(Article.objects.values_list("views", flat=True).distinct(), "count") == 4
    with pytest.raises(TypeError):
        Article.objects.values_list("title", "views", flat=True)


async def test_only_defer(api, backend) -> None:
    await seed(api)
    obj = (await api(Article.objects.only("title").filter(views=10), "list"))[0]
    assert obj.to_dict() == {"id": obj.pk, "title": "Alpha"}
    obj = (await api(Article.objects.defer("body", "data").filter(views=10), "list"))[0]
    assert "body" not in obj.to_dict()
    assert obj.to_dict()["views"] == 10
    if api.is_async:
        with pytest.raises(SynchronousOnlyError, match="arefresh_from_db"):
            _ = obj.body
        await obj.arefresh_from_db(fields=["body"])
        assert obj.body == "first post"
    else:
        assert await api.run(lambda: obj.body) == "first post"  # loaded on access


async def test_count_exists_aggregate_annotate(api) -> None:
    await seed(api)
    assert await api(Article.objects, "count") == 4
    assert await api(Article.objects.filter(views__gt=100), "count") == 0
    assert await api(Article.objects.all()[:2], "count") == 2
    assert await api(Article.objects.filter(views=10), "exists") is True
    assert await api(Article.objects.filter(views=11), "exists") is False
    agg = await api(
        Article.objects, "aggregate",
        n=Count("id"), total=Sum("views"), avg=Avg("views"), lo=Min("views"), hi=Max("views"),
        rated=Count("rating"),
    )  # fmt: skip
    assert agg["n"] == 4
    assert agg["total"] == 60
    assert type(agg["total"]) is int  # PostgreSQL and MariaDB answer NUMERIC for SUM(int)
    assert agg["avg"] == pytest.approx(15.0)
    assert (agg["lo"], agg["hi"], agg["rated"]) == (0, 30, 3)
    empty = await api(Article.objects.filter(views=-1), "aggregate", total=Sum("views"))
    assert empty == {"total": None}
    rows = await api(
        Article.objects.values("body").annotate(n=Count("id")).filter(n__gte=1).order_by("body"),
        "list",
    )
    assert rows[0] == {"body": "", "n": 1}
    assert len(rows) == 4
    objs = await api(Article.objects.annotate(double=F("views") * 2).order_by("-double"), "list")
    assert [(o.title, o.double) for o in objs][:2] == [("Gamma", 60), ("beta", 40)]


async def test_queryset_update_delete(api) -> None:
    await seed(api)
    assert await api(Article.objects.filter(views__lt=15), "update", body="x") == 2
    assert await api(Article.objects.filter(body="x"), "count") == 2
    assert await api(Article.objects.filter(body="x"), "delete") == (
        2, {"test_query.Article": 2})  # fmt: skip
    assert await api(Article.objects.filter(body="x"), "delete") == (0, {})
    assert await titles(api, Article.objects.all()) == ["beta", "Gamma"]
    with pytest.raises(FieldError):
        Article.objects.all()[:1].delete()


async def test_get_or_create_and_update_or_create(api) -> None:
    obj, created = await api(Article.objects, "get_or_create", title="A", defaults={"views": 3})
    assert created
    assert obj.views == 3
    assert obj.pk is not None
    again, created = await api(Article.objects, "get_or_create", title="A", defaults={"views": 9})
    assert not created
    assert again == obj
    assert again.views == 3
    upd, created = await api(Article.objects, "update_or_create", title="A", defaults={"views": 7})
    assert not created
    assert upd.views == 7
    assert (await api(Article.objects, "get", title="A")).views == 7
    new, created = await api(Article.objects, "update_or_create", title="B", defaults={"views": 1})
    assert created
    assert new.views == 1
    assert await api(Article.objects, "count") == 2
    # the row we would create clashes with one the lookup does not match: the clash is raised
    with pytest.raises(IntegrityError):
        await api(Article.objects, "get_or_create", title="A", views=12345)
    assert await api(Article.objects, "count") == 2


async def test_bulk_create_keys_and_upsert(api) -> None:
    objs = [Article(title=f"t{i}", views=i) for i in range(50)]
    created = await api(Article.objects, "bulk_create", objs, batch_size=7)
    assert [o.pk for o in created] == sorted({o.pk for o in created})
    assert None not in [o.pk for o in created]
    got = await api(Article.objects, "in_bulk", [objs[0].pk, objs[49].pk])
    assert {k: v.title for k, v in got.items()} == {objs[0].pk: "t0", objs[49].pk: "t49"}
    with pytest.raises(IntegrityError):
        await api(Article.objects, "bulk_create", [Article(title="t1")])
    await api(
        Article.objects,
        "bulk_create",
        [Article(title="t1"), Article(title="new")],
        ignore_conflicts=True,
    )
    assert await api(Article.objects, "count") == 51
    ups = [Article(title="t2", views=1000), Article(title="fresh", views=5)]
    await api(
        Article.objects, "bulk_create", ups,
        update_conflicts=True, unique_fields=["title"], update_fields=["views"],
    )  # fmt: skip
    assert (await api(Article.objects, "get", title="t2")).views == 1000
    assert (await api(Article.objects, "get", title="fresh")).views == 5
    with pytest.raises(ValueError, match="upserted twice"):
        await api(
            Article.objects, "bulk_create", [Article(title="z"), Article(title="z")],
            update_conflicts=True, unique_fields=["title"], update_fields=["views"],
        )  # fmt: skip


async def test_bulk_update_in_bulk_raw_explain(api, db: Database) -> None:
    objs = await seed(api)
    for o in objs:
        o.views += 1000
        o.body = "bulk"
    assert await api(Article.objects, "bulk_update", objs, ["views", "body"]) == 4
    assert await api(Article.objects.filter(body="bulk", views__gte=1000), "count") == 4
    everything = await api(Article.objects, "in_bulk")
    assert set(everything) == {o.pk for o in objs}
    table = db.dialect.quote("test_article")
    raw = Article.objects.raw(
        f"SELECT * FROM {table} WHERE views > {db.param(1)} ORDER BY id", [1010]
    )
    found = await api.list(raw)
    assert [a.title for a in found] == ["beta", "Gamma"]
    assert found[0].published.tzinfo is not None
    plan = await api(Article.objects.filter(views=1), "explain")
    assert isinstance(plan, str)
    assert plan


async def test_select_for_update(api, db: Database) -> None:
    await seed(api)
    with pytest.raises(TransactionManagementError):
        await api(Article.objects.select_for_update(), "list")
    if api.is_async:
        async with db.transaction():
            rows = (
                await Article.objects.select_for_update(skip_locked=True).filter(views=10).alist()
            )
    else:

        def locked() -> list[Article]:
            with db.transaction():
                return Article.objects.select_for_update(nowait=True).filter(views=10).list()

        rows = await api.run(locked)
    assert [r.title for r in rows] == ["Alpha"]


def test_building_a_queryset_is_lazy() -> None:
    qs = Article.objects.filter(views__gt=1)  # no database access: building is pure
    assert repr(qs) == "<QuerySet of Article>"
    assert qs._result_cache is None


async def test_sync_call_on_event_loop_names_async_twin() -> None:
    with pytest.raises(SynchronousOnlyError, match=r"await QuerySet\.acount\(\)"):
        Article.objects.count()
    with pytest.raises(SynchronousOnlyError, match="async for"):
        list(Article.objects.all())
    with pytest.raises(SynchronousOnlyError, match="asave"):
        Article(title="x").save()


def test_sync_api_in_plain_thread(db: Database) -> None:
    art = Article.objects.create(title="plain")
    assert [a.title for a in Article.objects.all()] == ["plain"]
    assert Article.objects.get(pk=art.pk).title == "plain"

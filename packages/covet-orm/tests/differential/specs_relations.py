"""Queries across relations (issue 9): forward and reverse foreign keys, a nullable one, two
hops, many-to-many, Django's multi-valued rules, aggregates over joins, correlated subqueries.

The rows (conftest.py): publishers <- authors <- books (author, nullable editor) <-> tags, with
an author without books, a publisher without authors, a book without tags and an unused tag.
"""

# ruff: noqa: E501 - one spec per line, as long as the query is

from __future__ import annotations

from .spec import SpecList

SPECS = R = SpecList("relations")


def _ids(qs):  # type: ignore[no-untyped-def]
    return qs.values_list("id", flat=True)


# ---- forward foreign keys -----------------------------------------------------------------------
R("rel:fk_name", lambda o: _ids(o.books.filter(author__name="Ann")))
R("rel:fk_startswith", lambda o: _ids(o.books.filter(author__name__startswith="D")))
R("rel:fk_two_hops", lambda o: _ids(o.books.filter(author__publisher__name="Orbit")))
R("rel:fk_two_hops_null", lambda o: _ids(o.books.filter(author__publisher__isnull=True)))
R("rel:fk_pk_value", lambda o: _ids(o.books.filter(author=1)))
R("rel:fk_id", lambda o: _ids(o.books.filter(author_id=3)))
R("rel:fk_id_lookup", lambda o: _ids(o.books.filter(author__id__gt=2)))
R("rel:fk_in", lambda o: _ids(o.books.filter(author__in=[1, 3])))
R("rel:fk_nullable_gt", lambda o: _ids(o.books.filter(author__age__gt=30)))
R("rel:fk_exclude_nullable_age", lambda o: _ids(o.books.exclude(author__age__gt=30)))
R("rel:nullable_isnull", lambda o: _ids(o.books.filter(editor__isnull=True)))
R("rel:nullable_isnull_false", lambda o: _ids(o.books.filter(editor__isnull=False)))
R("rel:nullable_none", lambda o: _ids(o.books.filter(editor=None)))
R("rel:nullable_name", lambda o: _ids(o.books.filter(editor__name="Ann")))
R("rel:nullable_exclude", lambda o: _ids(o.books.exclude(editor__name="Ann")))
R(
    "rel:nullable_q_or",
    lambda o: _ids(o.books.filter(o.Q(editor__name="Ann") | o.Q(author__name="Cy"))),
)
R("rel:self_author_is_editor", lambda o: _ids(o.books.filter(editor=o.F("author"))))
R("rel:f_across", lambda o: _ids(o.books.filter(pages__gt=o.F("author__age") * 5)))
R("rel:get_across", lambda o: o.books.get(author__name="Bob", title="Gamma"))
R("rel:count_across", lambda o: o.books.filter(author__publisher__name="Penguin").count())

# ---- reverse foreign keys: multi-valued ----------------------------------------------------------
R("rel:reverse", lambda o: _ids(o.authors.filter(books__title="Beta")))
R("rel:reverse_dupes", lambda o: _ids(o.authors.filter(books__pages__gte=100)))
R("rel:reverse_distinct", lambda o: _ids(o.authors.filter(books__pages__gte=100).distinct()))
R(
    "rel:reverse_same_filter",
    lambda o: _ids(o.authors.filter(books__pages__gt=100, books__rating__gt=4)),
)
R(
    "rel:reverse_chained",
    lambda o: _ids(o.authors.filter(books__pages__gt=100).filter(books__rating__gt=4)),
)
R("rel:reverse_exclude", lambda o: _ids(o.authors.exclude(books__pages__gt=250)))
R(
    "rel:reverse_exclude_two",
    lambda o: _ids(o.authors.exclude(books__pages__gt=100, books__rating__gt=4)),
)
R("rel:reverse_isnull", lambda o: _ids(o.authors.filter(books__isnull=True)))
R("rel:reverse_isnull_false", lambda o: _ids(o.authors.filter(books__isnull=False).distinct()))
R("rel:reverse_two_hops_isnull", lambda o: _ids(o.publishers.filter(authors__books__isnull=True)))
R("rel:reverse_nullable_fk", lambda o: _ids(o.authors.filter(edited__title="Zeta")))
R("rel:reverse_exists", lambda o: o.authors.filter(books__rating__isnull=True).exists())

# ---- many-to-many -------------------------------------------------------------------------------
R("rel:m2m", lambda o: _ids(o.books.filter(tags__name="sql")))
R(
    "rel:m2m_in_distinct",
    lambda o: _ids(o.books.filter(tags__name__in=["python", "web"]).distinct()),
)
R("rel:m2m_reverse", lambda o: _ids(o.tags.filter(books__author__name="Ann").distinct()))
R("rel:m2m_isnull", lambda o: _ids(o.books.filter(tags__isnull=True)))
R("rel:m2m_unused", lambda o: _ids(o.tags.filter(books__isnull=True)))
R("rel:m2m_chained", lambda o: _ids(o.books.filter(tags__name="python").filter(tags__name="sql")))
R("rel:m2m_same_filter", lambda o: _ids(o.books.filter(tags__name="python", tags__id__gt=1)))
R("rel:m2m_exclude", lambda o: _ids(o.books.exclude(tags__name="sql")))
R("rel:m2m_pk", lambda o: _ids(o.books.filter(tags=3)))
R(
    "rel:m2m_across_fk",
    lambda o: _ids(o.publishers.filter(authors__books__tags__name="web").distinct()),
)

# ---- ordering and values across relations -------------------------------------------------------
R(
    "rel:order_fk",
    lambda o: o.books.order_by("author__name", "title").values_list("title", flat=True),
)
R(
    "rel:order_fk_desc",
    lambda o: o.books.order_by("-author__age", "id").values_list("id", flat=True),
)
R(
    "rel:order_nullable_fk",
    lambda o: o.books.order_by("editor__name", "id").values_list("id", flat=True),
)
R(
    "rel:order_two_hops",
    lambda o: o.authors.order_by("publisher__name", "name").values_list("name", flat=True),
)
R("rel:values_across", lambda o: o.books.values("title", "author__name").order_by("id"))
R(
    "rel:values_list_two_hops",
    lambda o: o.books.values_list("id", "author__publisher__name").order_by("id"),
)
R("rel:values_nullable", lambda o: o.books.values_list("id", "editor__name").order_by("id"))
R("rel:values_m2m", lambda o: o.books.values_list("id", "tags__name").order_by("id", "tags__name"))
R(
    "rel:values_reverse",
    lambda o: o.authors.values_list("name", "books__title").order_by("name", "books__title"),
)

# ---- aggregates over joins ----------------------------------------------------------------------
R(
    "rel:count_reverse",
    lambda o: o.authors.annotate(n=o.Count("books")).values_list("name", "n").order_by("name"),
)
R(
    "rel:count_m2m_distinct",
    lambda o: (
        o.authors.annotate(n=o.Count("books__tags", distinct=True))
        .values_list("name", "n")
        .order_by("name")
    ),
)
R(
    "rel:count_m2m",
    lambda o: (
        o.authors.annotate(n=o.Count("books__tags")).values_list("name", "n").order_by("name")
    ),
)
R(
    "rel:count_two_relations",
    lambda o: (
        o.authors.annotate(b=o.Count("books"), e=o.Count("edited"))
        .values_list("name", "b", "e")
        .order_by("name")
    ),
)
R(
    "rel:count_two_distinct",
    lambda o: (
        o.authors.annotate(b=o.Count("books", distinct=True), e=o.Count("edited", distinct=True))
        .values_list("name", "b", "e")
        .order_by("name")
    ),
)
R(
    "rel:sum_reverse",
    lambda o: o.authors.annotate(p=o.Sum("books__pages")).values_list("name", "p").order_by("name"),
)
R(
    "rel:max_reverse",
    lambda o: (
        o.authors.annotate(m=o.Max("books__rating")).values_list("name", "m").order_by("name")
    ),
)
R(
    "rel:having",
    lambda o: o.authors.annotate(n=o.Count("books")).filter(n__gt=1).values_list("name", flat=True),
)
R(
    "rel:having_exclude",
    lambda o: o.authors.annotate(n=o.Count("books")).exclude(n=0).values_list("name", flat=True),
)
R(
    "rel:annotate_order",
    lambda o: (
        o.authors.annotate(n=o.Count("books")).order_by("-n", "name").values_list("name", flat=True)
    ),
)
R(
    "rel:annotate_filtered_count",
    lambda o: (
        o.authors.annotate(n=o.Count("books", filter=o.Q(books__pages__gt=100)))
        .values_list("name", "n")
        .order_by("name")
    ),
)
R(
    "rel:filter_then_annotate",
    lambda o: (
        o.authors.filter(books__pages__gt=100)
        .annotate(n=o.Count("books"))
        .values_list("name", "n")
        .order_by("name")
    ),
)
R(
    "rel:aggregate_across",
    lambda o: o.books.aggregate(a=o.Avg("author__age"), n=o.Count("author", distinct=True)),
)
R("rel:aggregate_m2m", lambda o: o.tags.aggregate(n=o.Count("books")))
R(
    "rel:publisher_books",
    lambda o: (
        o.publishers.annotate(n=o.Count("authors__books")).values_list("name", "n").order_by("name")
    ),
)
R(
    "rel:group_by_related",
    lambda o: (
        o.books.values("author__name")
        .annotate(n=o.Count("id"), p=o.Sum("pages"))
        .order_by("author__name")
    ),
)
R(
    "rel:annotate_f_across",
    lambda o: o.books.annotate(x=o.F("author__name")).values_list("id", "x").order_by("id"),
)

# ---- subqueries ------------------------------------------------------------------------------------
R(
    "rel:subquery_top_title",
    lambda o: (
        o.authors.annotate(
            top=o.Subquery(
                o.Book.objects.filter(author=o.OuterRef("pk"))
                .order_by("-pages", "id")
                .values("title")[:1]
            )
        )
        .values_list("name", "top")
        .order_by("name")
    ),
)
R(
    "rel:exists",
    lambda o: _ids(
        o.authors.filter(o.Exists(o.Book.objects.filter(author=o.OuterRef("pk"), pages__gt=250)))
    ),
)
R(
    "rel:not_exists",
    lambda o: _ids(o.authors.filter(~o.Exists(o.Book.objects.filter(author=o.OuterRef("pk"))))),
)
R(
    "rel:exists_across",
    lambda o: _ids(
        o.publishers.filter(
            o.Exists(o.Book.objects.filter(author__publisher=o.OuterRef("pk"), tags__name="web"))
        )
    ),
)
R(
    "rel:in_subquery",
    lambda o: _ids(o.authors.filter(id__in=o.Book.objects.filter(rating__gt=4).values("author"))),
)
R(
    "rel:outer_ref_across",
    lambda o: _ids(
        o.books.filter(
            o.Exists(
                o.Book.objects.filter(author=o.OuterRef("author"), pages__gt=o.OuterRef("pages"))
            )
        )
    ),
)
R("rel:reverse_negated_q", lambda o: _ids(o.authors.filter(~o.Q(books__title="Beta"))))
R("rel:m2m_negated_q", lambda o: _ids(o.books.filter(~o.Q(tags__name="sql"))))
R(
    "rel:exclude_or",
    lambda o: _ids(o.authors.exclude(o.Q(books__title="Beta") | o.Q(books__pages__lt=100))),
)
R("rel:exclude_two_hops", lambda o: _ids(o.publishers.exclude(authors__books__title="Beta")))
R(
    "rel:annotate_then_filter",
    lambda o: (
        o.authors.annotate(n=o.Count("books"))
        .filter(books__pages__gt=200)
        .values_list("name", "n")
        .order_by("name")
    ),
)
R(
    "rel:fk_in_queryset",
    lambda o: _ids(o.books.filter(author__in=o.Author.objects.filter(age__gt=30))),
)
R("rel:reverse_in", lambda o: _ids(o.authors.filter(books__in=[1, 2, 3])))
R(
    "rel:order_by_relation",
    lambda o: (
        o.authors.filter(publisher__isnull=False)
        .order_by("publisher", "id")
        .values_list("id", flat=True)
    ),
)
R("rel:count_filtered_across", lambda o: o.authors.filter(books__tags__name="python").count())

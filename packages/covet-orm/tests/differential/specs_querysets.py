"""QuerySet methods: ordering, slicing, values, single objects, counting, and issue 8 §3's."""

# ruff: noqa: E501 - one spec (or entry) per line, as long as the query is

from __future__ import annotations

import datetime as dt

from .spec import SpecList

SPECS = S = SpecList("querysets")

# ---- ordering --------------------------------------------------------------------------------------
for _field in ("name", "name_n", "n", "n_n", "f_n", "dec", "dec_n", "flag_n", "d_n", "ts", "ts_n",
               "t_n", "dur_n", "uid", "color", "level", "body"):  # fmt: skip
    S(f"order_{_field}", lambda o, f=_field: o.items.order_by(f, "id").values_list("id", flat=True))
    S(
        f"order_desc_{_field}",
        lambda o, f=_field: o.items.order_by(f"-{f}", "-id").values_list("id", flat=True),
    )
S("order_two", lambda o: o.items.order_by("grp", "-n", "id").values_list("id", flat=True))
S("order_pk", lambda o: o.items.order_by("-pk").values_list("id", flat=True))
S("order_default_meta", lambda o: o.ranked.all().values_list("id", flat=True))
S("order_default_override", lambda o: o.ranked.order_by("name").values_list("id", flat=True))
S("order_cleared", lambda o: o.ranked.order_by().order_by("id").values_list("id", flat=True))
S(
    "order_nulls_last",
    lambda o: o.items.order_by(o.F("n_n").desc(nulls_last=True), "id").values_list("id", flat=True),
)
S(
    "order_nulls_first",
    lambda o: o.items.order_by(o.F("n_n").asc(nulls_first=True), "id").values_list("id", flat=True),
)
S("order_reverse", lambda o: o.items.order_by("n", "id").reverse().values_list("id", flat=True))
S("order_random_count", lambda o: o.items.order_by("?").count())
S("order_unknown_field", lambda o: o.items.order_by("nope"), raises=True)

# ---- slicing ------------------------------------------------------------------------------------------
S("slice_head", lambda o: o.items.order_by("id")[:3])
S("slice_middle", lambda o: o.items.order_by("-n", "id")[2:5].values_list("id", flat=True))
S("slice_offset_only", lambda o: o.items.order_by("id")[17:].values_list("id", flat=True))
S("slice_past_end", lambda o: o.items.order_by("id")[50:60].values_list("id", flat=True))
S("slice_empty", lambda o: o.items.order_by("id")[3:3].values_list("id", flat=True))
S("slice_of_slice", lambda o: o.items.order_by("id")[2:10][1:3].values_list("id", flat=True))
S("slice_count", lambda o: o.items.order_by("id")[5:9].count())
S("slice_exists_empty", lambda o: o.items.order_by("id")[:0].exists())
S("index_0", lambda o: o.items.order_by("id")[0])
S("index_5", lambda o: o.items.order_by("-n", "id")[5])
S("index_past_end", lambda o: o.items.order_by("id")[99], raises=True)
S("slice_then_last", lambda o: o.items.order_by("name", "id")[:2].last(), raises=True)
S("slice_then_order", lambda o: o.items.order_by("name", "id")[:2].order_by("-name"), raises=True)
S("slice_then_filter", lambda o: o.items.order_by("id")[:2].filter(n=1), raises=True)
S("slice_negative", lambda o: o.items.order_by("id")[-1], raises=True)

# ---- values / values_list / only / defer ----------------------------------------------------------------
S("values_all", lambda o: o.items.filter(grp="a").values())
S("values_some", lambda o: o.items.values("id", "name", "dec_n", "ts_n"))
S("values_json", lambda o: o.items.values("id", "data", "doc"))
S("values_list_tuple", lambda o: o.items.values_list("id", "uid", "dur", "t"))
S("values_list_flat", lambda o: o.items.values_list("f_n", flat=True))
S("values_list_flat_two", lambda o: o.items.values_list("id", "n", flat=True), raises=True)
S("values_list_named", lambda o: o.items.order_by("id").values_list("id", "name", named=True))
S("values_pk", lambda o: o.items.values("pk"))
S("values_distinct", lambda o: o.items.values("grp").distinct())
S("values_list_distinct", lambda o: o.items.values_list("name", flat=True).distinct())
S(
    "values_distinct_ordered",
    lambda o: o.items.values_list("grp", flat=True).order_by("grp").distinct(),
)
S("values_expression", lambda o: o.items.exclude(id=13).values("id", x=o.F("n") + 1))
S("values_transform", lambda o: o.items.values("id", "ts__year"))
S("values_unknown", lambda o: o.items.values("nope"), raises=True)
S("only_some", lambda o: o.items.only("name", "n").filter(grp="a"))
S("defer_some", lambda o: o.items.defer("body", "data", "blob").filter(grp="b"))
S("distinct_rows", lambda o: o.items.filter(grp="h").distinct())
S(
    "distinct_on_field",
    lambda o: o.items.order_by("grp", "id").distinct("grp").values_list("id", flat=True),
    raises=None,
)  # fmt: skip  (PostgreSQL only)

# ---- single objects ----------------------------------------------------------------------------------------
S("get_pk", lambda o: o.items.get(pk=7))
S("get_id", lambda o: o.items.get(id=13))
S("get_kwargs", lambda o: o.items.get(name="ünï"))
S("get_q", lambda o: o.items.get(o.Q(n=100) | o.Q(n=12345)))
S("get_missing", lambda o: o.items.get(pk=999), raises=True)
S("get_many", lambda o: o.items.get(grp="h"), raises=True)
S("get_pk_str", lambda o: o.items.get(pk="5"))
S("get_pk_garbage", lambda o: o.items.get(pk="1abc"), raises=True)
S("get_filtered_qs", lambda o: o.items.filter(grp="g").get(n=15))
S("first_ordered", lambda o: o.items.order_by("-n", "id").first())
S("first_default", lambda o: o.items.first())
S("first_empty", lambda o: o.items.filter(n=12345).first())
S("last_ordered", lambda o: o.items.order_by("n", "id").last())
S("last_default", lambda o: o.items.last())
S("first_meta_ordering", lambda o: o.ranked.first())
S("last_meta_ordering", lambda o: o.ranked.last())
S("earliest", lambda o: o.items.earliest("ts"))
S("latest", lambda o: o.items.latest("ts", "id"))
S("in_bulk_ids", lambda o: o.items.in_bulk([1, 3, 999]))
S("in_bulk_all", lambda o: o.ranked.in_bulk())
S("in_bulk_field", lambda o: o.ranked.in_bulk(["a", "b"], field_name="name"), raises=True)
S("contains_obj", lambda o: o.items.filter(grp="a").contains(o.Item(id=2)))

# ---- counting and existence --------------------------------------------------------------------------------
S("count_filter", lambda o: o.items.filter(n_n__isnull=False).count())
S("count_distinct_values", lambda o: o.items.values("grp").distinct().count())
S("count_empty", lambda o: o.items.filter(n=12345).count())
S("exists_true", lambda o: o.items.filter(grp="g").exists())
S("exists_false", lambda o: o.items.filter(grp="zz").exists())
S("exists_sliced", lambda o: o.items.order_by("id")[19:].exists())
S("exists_sliced_past", lambda o: o.items.order_by("id")[20:].exists())

# ---- issue 8 §3: methods covet does not have yet ------------------------------------------------------------
S("none", lambda o: o.items.none())
S("none_count", lambda o: o.items.none().count())
S("union", lambda o: o.items.filter(n=1).union(o.items.filter(n=2)).values_list("id", flat=True))
S(
    "intersection",
    lambda o: (
        o.items.filter(n__lt=5).intersection(o.items.filter(n__gt=2)).values_list("id", flat=True)
    ),
)
S(
    "difference",
    lambda o: (
        o.items.filter(n__lt=5).difference(o.items.filter(n__gt=2)).values_list("id", flat=True)
    ),
)
S("qs_or", lambda o: (o.items.filter(n=1) | o.items.filter(n=2)).values_list("id", flat=True))
S(
    "qs_and",
    lambda o: (o.items.filter(n__lt=5) & o.items.filter(n__gt=2)).values_list("id", flat=True),
)
S("dates_month", lambda o: o.items.dates("d", "month"))
S("datetimes_year", lambda o: o.items.filter(ts__year__gt=1980).datetimes("ts", "year"))
S(
    "alias_filter",
    lambda o: o.items.exclude(id=13).alias(x=o.F("n") + 1).filter(x=2).values_list("id", flat=True),
)
S("iterator_chunks", lambda o: o.items.filter(grp="a").iterator(chunk_size=1))
S("filter_positional_int", lambda o: o.items.filter(5), raises=True)
S(
    "ts_date_transform",
    lambda o: o.items.filter(ts__date=dt.date(2024, 1, 1)).values_list("id", flat=True),
)
S("ts_week_day", lambda o: o.items.filter(ts__week_day=2).values_list("id", flat=True))
S("ts_quarter", lambda o: o.items.filter(ts__quarter=4).values_list("id", flat=True))
S("ts_iso_year", lambda o: o.items.filter(ts__iso_year=2024).values_list("id", flat=True))
S(
    "ts_time_transform",
    lambda o: o.items.filter(ts__time=dt.time(10, 0)).values_list("id", flat=True),
)
S("t_hour_transform", lambda o: o.items.filter(t__hour=10).values_list("id", flat=True))
S("d_week", lambda o: o.items.filter(d__week=1).values_list("id", flat=True))

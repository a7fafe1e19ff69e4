"""F expressions, Q trees, aggregates, annotations and GROUP BY."""

# ruff: noqa: E501 - one spec (or entry) per line, as long as the query is

from __future__ import annotations

from decimal import Decimal

from .spec import SpecList

SPECS = S = SpecList("expressions")

# ---- Q objects ----------------------------------------------------------------------------------
S("q_or", lambda o: o.items.filter(o.Q(n=1) | o.Q(name="beta")).values_list("id", flat=True))
S("q_and_not", lambda o: o.items.filter(o.Q(grp="h") & ~o.Q(n=16)).values_list("id", flat=True))
S("q_not_nullable", lambda o: o.items.filter(~o.Q(n_n=16)).values_list("id", flat=True))
S(
    "q_not_or_null",
    lambda o: o.items.filter(~(o.Q(n_n=1) | o.Q(name_n="beta"))).values_list("id", flat=True),
)
S("q_empty", lambda o: o.items.filter(o.Q()).values_list("id", flat=True))
S("q_empty_or", lambda o: o.items.filter(o.Q() | o.Q(n=1)).values_list("id", flat=True))
S("q_empty_and", lambda o: o.items.filter(o.Q() & o.Q(n=1)).values_list("id", flat=True))
S("q_not_empty", lambda o: o.items.filter(~o.Q()).values_list("id", flat=True))
S("exclude_empty_q", lambda o: o.items.exclude(o.Q()).values_list("id", flat=True))
S(
    "q_idiom_or",
    lambda o: o.items.filter(_or_all(o, [o.Q(n=1), o.Q(n=2)])).values_list("id", flat=True),
)
S("q_double_negation", lambda o: o.items.filter(~~o.Q(n_n=16)).values_list("id", flat=True))
S("q_kwargs_and", lambda o: o.items.filter(o.Q(grp="h", n=16)).values_list("id", flat=True))
S(
    "q_nested",
    lambda o: o.items.filter(o.Q(o.Q(n__lt=3) | o.Q(n__gt=99)), grp="a").values_list(
        "id", flat=True
    ),
)
S("exclude_two_kwargs", lambda o: o.items.exclude(grp="h", n_n=16).values_list("id", flat=True))
S(
    "exclude_chain",
    lambda o: o.items.exclude(grp="h").exclude(n_n=None).values_list("id", flat=True),
)
S(
    "filter_exclude_mix",
    lambda o: o.items.filter(grp__in=["a", "h"]).exclude(name="beta").values_list("id", flat=True),
)
S("q_xor", lambda o: o.items.filter(o.Q(n=1) ^ o.Q(grp="a")).values_list("id", flat=True))


def _or_all(o, qs):  # the ``q = Q(); q |= ...`` idiom
    q = o.Q()
    for part in qs:
        q |= part
    return q


# ---- F in filters ---------------------------------------------------------------------------------
S("f_eq", lambda o: o.items.filter(n=o.F("n_n")).values_list("id", flat=True))
S("f_gt", lambda o: o.items.filter(n__gt=o.F("small")).values_list("id", flat=True))
S("f_exclude_eq", lambda o: o.items.exclude(n=o.F("n_n")).values_list("id", flat=True))
S("f_plus", lambda o: o.items.filter(n_n=o.F("n") + 0).values_list("id", flat=True))
S("f_arith_lt", lambda o: _small(o).filter(f__lt=o.F("n") * 2 - 1).values_list("id", flat=True))
S("f_exclude_arith", lambda o: o.items.exclude(f__lt=o.F("f_n") * 2).values_list("id", flat=True))
S("f_in_list", lambda o: o.items.filter(n__in=[o.F("n_n"), 5]).values_list("id", flat=True))
S("f_range", lambda o: o.items.filter(n__range=(o.F("small"), 20)).values_list("id", flat=True))
S("f_dec_vs_float", lambda o: o.items.filter(dec__gt=o.F("f")).values_list("id", flat=True))
S("f_name_eq", lambda o: o.items.filter(name=o.F("name_n")).values_list("id", flat=True))
S("f_exclude_name_eq", lambda o: o.items.exclude(name=o.F("name_n")).values_list("id", flat=True))


# ---- annotations ----------------------------------------------------------------------------------
def _ann(name, expr, field="x"):
    S(name, lambda o: _small(o).annotate(x=expr(o)).order_by("id").values_list("id", field))


def _small(o):  # rows whose numbers stay far from the integer limits
    return o.items.exclude(id=13)


_ann("ann_f", lambda o: o.F("n"))
_ann("ann_add_int", lambda o: o.F("n") + 1)
_ann("ann_mul_float", lambda o: o.F("n") * 1.5)
_ann("ann_mul_decimal", lambda o: o.F("n") * Decimal("0.5"))
_ann("ann_div_int", lambda o: o.F("small") / 2)
_ann("ann_int_plus_float_field", lambda o: o.F("small") + o.F("f"))
_ann("ann_dec_plus_dec", lambda o: o.F("dec") + o.F("dec"))
_ann("ann_sub_nullable", lambda o: o.F("n") - o.F("n_n"))
_ann("ann_value_int", lambda o: o.Value(3))
_ann("ann_value_str", lambda o: o.Value("x"))
_ann("ann_float_plus_int_literal", lambda o: o.F("f") + 1)
_ann("ann_neg", lambda o: -o.F("small"))
_ann("ann_mod", lambda o: o.F("small") % 3)
_ann("ann_pow", lambda o: o.F("small") ** 2)
_ann("ann_dur_plus", lambda o: o.F("dur") + o.F("dur"))
S(
    "ann_filter",
    lambda o: (
        _small(o).annotate(x=o.F("n") + o.F("small")).filter(x__gt=10).values_list("id", flat=True)
    ),
)
S(
    "ann_order",
    lambda o: _small(o).annotate(x=o.F("n") * -1).order_by("x", "id").values_list("id", flat=True),
)
S("ann_values", lambda o: _small(o).annotate(x=o.F("n") + 1).values("id", "x"))
S("ann_object", lambda o: _small(o).annotate(x=o.F("n") * 2).filter(grp="a"))
S("ann_clash", lambda o: o.items.annotate(n=o.F("small")), raises=True)

# ---- aggregates -------------------------------------------------------------------------------------
_NUMERIC = ["n", "n_n", "small", "big", "f", "f_n", "dec", "dec_n"]
for _field in _NUMERIC:
    for _agg in ("Sum", "Avg", "Min", "Max", "Count"):
        S(f"agg_{_agg.lower()}_{_field}",
          lambda o, a=_agg, f=_field: o.items.filter(big__lt=2**40).aggregate(v=getattr(o, a)(f)))  # fmt: skip
for _field in ("name", "name_n", "d", "d_n", "ts", "t", "dur", "flag", "uid"):
    for _agg in ("Min", "Max", "Count"):
        S(
            f"agg_{_agg.lower()}_{_field}",
            lambda o, a=_agg, f=_field: o.items.aggregate(v=getattr(o, a)(f)),
            raises=None,
        )  # fmt: skip  (PostgreSQL has no MIN/MAX of booleans or uuids)
S("agg_count_star", lambda o: o.items.aggregate(v=o.Count("*")))
S("agg_count_distinct", lambda o: o.items.aggregate(v=o.Count("grp", distinct=True)))
S("agg_sum_distinct", lambda o: o.items.filter(n__lt=1000).aggregate(v=o.Sum("n", distinct=True)))
S(
    "agg_empty_set",
    lambda o: o.items.filter(n=12345).aggregate(s=o.Sum("n"), c=o.Count("id"), m=o.Max("f")),
)
S(
    "agg_many",
    lambda o: o.items.filter(n__lt=1000).aggregate(
        s=o.Sum("n"), a=o.Avg("f"), mi=o.Min("dec"), ma=o.Max("name")
    ),
)
S("agg_sum_bool", lambda o: o.items.aggregate(v=o.Sum("flag")), raises=None)
S("agg_avg_datetime", lambda o: o.items.aggregate(v=o.Avg("ts")), raises=True)
S(
    "agg_sum_int_times_float",
    lambda o: o.items.filter(n__lt=1000).aggregate(v=o.Sum(o.F("n") * o.F("f"))),
)
S("agg_sum_int_times_half", lambda o: o.items.filter(n__lt=1000).aggregate(v=o.Sum(o.F("n") * 0.5)))
S("agg_sum_dec_plus_int", lambda o: o.items.aggregate(v=o.Sum(o.F("dec") + 1)))
S("agg_max_expression", lambda o: o.items.aggregate(v=o.Max(o.F("n") - o.F("small"))))
S("agg_not_aggregate", lambda o: o.items.aggregate(v=o.F("n")), raises=True)
S("agg_filtered", lambda o: o.items.filter(grp="h").aggregate(v=o.Sum("n"), c=o.Count("id")))
S("agg_after_exclude", lambda o: o.items.exclude(n_n=None).aggregate(v=o.Avg("n_n")))
S("agg_filter_kw", lambda o: o.items.aggregate(v=o.Count("id", filter=o.Q(grp="h"))))
S("agg_default_kw", lambda o: o.items.filter(n=12345).aggregate(v=o.Sum("n", default=0)))
S("agg_over_annotation", lambda o: o.items.annotate(x=o.F("small") * 2).aggregate(v=o.Sum("x")))
S(
    "agg_over_aggregate_annotation",
    lambda o: o.items.values("grp").annotate(c=o.Count("id")).aggregate(v=o.Max("c")),
)
S("agg_stddev", lambda o: o.items.filter(n__lt=1000).aggregate(v=o.StdDev("n")))
S("agg_variance", lambda o: o.items.filter(n__lt=1000).aggregate(v=o.Variance("f")))

# ---- GROUP BY ----------------------------------------------------------------------------------------
S("group_count", lambda o: o.items.values("grp").annotate(c=o.Count("id")).order_by("grp"))
S(
    "group_sum",
    lambda o: (
        o.items.filter(n__lt=1000)
        .values("grp")
        .annotate(s=o.Sum("n"), m=o.Max("f"))
        .order_by("grp")
    ),
)
S(
    "group_two_keys",
    lambda o: o.items.values("grp", "flag").annotate(c=o.Count("id")).order_by("grp", "flag"),
)
S(
    "group_having",
    lambda o: o.items.values("grp").annotate(c=o.Count("id")).filter(c__gt=2).order_by("grp"),
)
S(
    "group_having_exclude",
    lambda o: o.items.values("grp").annotate(c=o.Count("id")).exclude(c__gt=2).order_by("grp"),
)
S(
    "group_order_by_agg",
    lambda o: o.items.values("grp").annotate(c=o.Count("id")).order_by("-c", "grp"),
)
S(
    "group_values_list",
    lambda o: o.items.values_list("grp").annotate(c=o.Count("id")).order_by("grp"),
)
S("group_then_values_n", lambda o: o.items.values("grp").annotate(c=o.Count("id")).values("c"))
S("group_annotate_then_values", lambda o: o.items.annotate(c=o.Count("id")).values("grp", "c"))
S(
    "group_nullable_key",
    lambda o: o.items.values("name_n").annotate(c=o.Count("id")).order_by("name_n"),
)
S(
    "group_count_nullable",
    lambda o: o.items.values("grp").annotate(c=o.Count("n_n")).order_by("grp"),
)
S(
    "group_exists",
    lambda o: o.items.values("grp").annotate(c=o.Count("id")).filter(c__gt=2).exists(),
)
S(
    "group_exists_none",
    lambda o: o.items.values("grp").annotate(c=o.Count("id")).filter(c__gt=99).exists(),
)
S(
    "group_count_rows",
    lambda o: o.items.values("grp").annotate(c=o.Count("id")).filter(c__gt=2).count(),
)
S(
    "group_distinct_count",
    lambda o: o.items.values("grp").annotate(c=o.Count("flag", distinct=True)).order_by("grp"),
)
S(
    "ann_count_per_row",
    lambda o: o.items.annotate(c=o.Count("id")).order_by("id").values_list("id", "c"),
)

# ---- functions and conditional expressions (issue 8 §3) -------------------------------------------
_ann("fn_lower", lambda o: o.Lower("name"))
_ann("fn_upper", lambda o: o.Upper("name"))
_ann("fn_length", lambda o: o.Length("name"))
_ann("fn_coalesce", lambda o: o.Coalesce("n_n", "n"))
_ann("fn_concat", lambda o: o.Concat("name", o.Value("-"), "grp"))
_ann("fn_cast_str", lambda o: o.Cast("n", o.CharField(max_length=20)))
_ann("fn_greatest", lambda o: o.Greatest("n", "n_n"))
_ann("fn_least", lambda o: o.Least("n", "n_n"))
_ann("fn_case", lambda o: o.Case(o.When(n__gt=10, then=o.Value("big")), default=o.Value("small")))
_ann(
    "fn_expression_wrapper",
    lambda o: o.ExpressionWrapper(o.F("n") * 2, output_field=o.FloatField()),
)
_ann("fn_extract_year", lambda o: o.Extract("ts", "year"))
_ann("fn_trunc_month", lambda o: o.TruncMonth("ts"))
_ann(
    "fn_row_number",
    lambda o: o.Window(o.RowNumber(), order_by=[o.F("n").asc(), o.F("id").asc()]),  # ties: n
)
_ann(
    "fn_rank_partition",
    lambda o: o.Window(o.Rank(), partition_by=o.F("grp"), order_by=o.F("n").asc()),
)
_ann("fn_sum_over_partition", lambda o: o.Window(o.Sum("small"), partition_by=o.F("grp")))
_ann("fn_lag", lambda o: o.Window(o.Lag("n"), order_by=o.F("id").asc()))
S(
    "fn_filter_lower",
    lambda o: o.items.annotate(x=o.Lower("name")).filter(x="alpha").values_list("id", flat=True),
)
S("fn_agg_coalesce", lambda o: o.items.filter(n=12345).aggregate(v=o.Coalesce(o.Sum("n"), 0)))

"""Hypothesis-generated filter trees (Q with &, |, ~, filter/exclude) over the lookups and fields.

Bounded (``max_examples``) and derandomized on CI by the root conftest's profile. While a known
bug is open, its ``avoid`` tags (known.py) keep the constructs that only find it again out of the
trees; fixing the bug and removing its entry brings them back.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import BACKENDS
from . import known
from .conftest import World
from .harness import compare

AVOID = known.avoided()

#: field -> (lookups, values); every value is valid for the field on every backend
LEAVES: dict[str, tuple[list[str], list[Any]]] = {
    "name": (["exact", "contains", "startswith", "endswith", "gt", "lt", "in"],
             ["alpha", "a", "", "%", "_", "\\", "beta", "ünï", "ÜNÏ", "'"]),
    "name_n": (["exact", "contains", "isnull", "in", "gte"], ["alpha", "", "beta", "ünï", None]),
    "n": (["exact", "gt", "lt", "gte", "lte", "in", "range"], [0, 1, 2, 5, 16, -5, 100]),
    "n_n": (["exact", "gt", "lt", "isnull", "in", "range"], [0, 1, 16, -5, 100, None]),
    "f_n": (["exact", "gt", "lt", "isnull"], [0.0, 1.5, 2.5, -0.5]),
    "dec": (["exact", "gt", "lte", "in"], [Decimal("1.5"), Decimal("0"), Decimal("16.5")]),
    "flag": (["exact"], [True, False]),
    "flag_n": (["exact", "isnull"], [True, False, None]),
    "grp": (["exact", "in"], ["a", "b", "h", "i"]),
    "level": (["exact", "isnull", "in"], [1, 2, 3, None]),
}  # fmt: skip


@st.composite
def leaves(draw: st.DrawFn) -> tuple[str, Any]:
    field = draw(st.sampled_from(sorted(LEAVES)))
    lookups, values = LEAVES[field]
    lookup = draw(st.sampled_from(lookups))
    plain = [v for v in values if v is not None]
    if lookup == "isnull":
        return f"{field}__isnull", draw(st.booleans())
    if lookup == "in":
        pool = values if "in-none" not in AVOID else plain
        return f"{field}__in", draw(st.lists(st.sampled_from(pool), max_size=3))
    if lookup == "range":
        return f"{field}__range", tuple(
            sorted(draw(st.lists(st.sampled_from(plain), min_size=2, max_size=2)))
        )
    if lookup == "exact":
        return field, draw(st.sampled_from(values))
    if field.startswith("name") and lookup in ("contains", "startswith", "endswith"):
        # SQLite's LIKE ignores ASCII case under Django (known.py: sqlite-like-case)
        plain = [v for v in plain if v.lower() == v.upper()]
    return f"{field}__{lookup}", draw(st.sampled_from(plain))


def trees() -> st.SearchStrategy[Any]:
    leaf = leaves().map(lambda kv: ("leaf", kv))
    if "empty-q" not in AVOID:
        leaf = leaf | st.just(("empty",))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(st.just("and"), inner, inner),
            st.tuples(st.just("or"), inner, inner),
            st.tuples(st.just("not"), inner),
        ),
        max_leaves=6,
    )


def to_q(o: Any, tree: Any) -> Any:
    kind = tree[0]
    if kind == "leaf":
        key, value = tree[1]
        return o.Q(**{key: value})
    if kind == "empty":
        return o.Q()
    if kind == "not":
        return ~to_q(o, tree[1])
    left, right = to_q(o, tree[1]), to_q(o, tree[2])
    return left & right if kind == "and" else left | right


@pytest.mark.parametrize("target", BACKENDS)
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=trees(), method=st.sampled_from(["filter", "exclude"]))
def test_filter_tree(target: str, tree: Any, method: str, worlds: Callable[[str], World]) -> None:
    world = worlds(target)

    def build(o: Any) -> Any:
        return getattr(o.items, method)(to_q(o, tree)).values_list("id", flat=True)

    _, differences = compare(world, build, f"{method}({tree!r})")
    assert not differences, "\n".join(differences.values())

"""Lookups on every field type."""

from __future__ import annotations

from .spec import SpecList

SPECS = S = SpecList("lookups")

S("all_rows", lambda o: o.items.all())
S("exact_name", lambda o: o.items.filter(name="alpha").values_list("id", flat=True))
S("count_all", lambda o: o.items.count())

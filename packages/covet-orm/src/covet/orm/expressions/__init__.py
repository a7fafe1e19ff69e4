"""Expression nodes: ``F``, ``Value``, ``Q``, lookups and transforms, aggregates."""

from covet.orm.expressions.aggregates import Aggregate, Avg, Count, Max, Min, Sum
from covet.orm.expressions.base import Col, Combined, Expr, F, Ref, Value
from covet.orm.expressions.lookups import Lookup, build_lookup
from covet.orm.expressions.where import Q, Where

__all__ = [
    "Aggregate",
    "Avg",
    "Col",
    "Combined",
    "Count",
    "Expr",
    "F",
    "Lookup",
    "Max",
    "Min",
    "Q",
    "Ref",
    "Sum",
    "Value",
    "Where",
    "build_lookup",
]

"""Expression nodes: ``F``, ``Value``, ``Q``, lookups and transforms, functions, conditional
expressions, aggregates and window functions."""

from covet.orm.expressions.aggregates import (
    Aggregate,
    Avg,
    Count,
    Max,
    Min,
    StdDev,
    Sum,
    Variance,
)
from covet.orm.expressions.base import (
    Col,
    Combined,
    Expr,
    ExpressionWrapper,
    F,
    OrderBy,
    Ref,
    Value,
)
from covet.orm.expressions.conditional import Case, When
from covet.orm.expressions.functions import (
    Cast,
    Coalesce,
    Concat,
    Extract,
    ExtractDay,
    ExtractHour,
    ExtractIsoWeekDay,
    ExtractIsoYear,
    ExtractMinute,
    ExtractMonth,
    ExtractQuarter,
    ExtractSecond,
    ExtractWeek,
    ExtractWeekDay,
    ExtractYear,
    Func,
    Greatest,
    Least,
    Length,
    Lower,
    Trunc,
    TruncDate,
    TruncDay,
    TruncHour,
    TruncMinute,
    TruncMonth,
    TruncQuarter,
    TruncSecond,
    TruncTime,
    TruncWeek,
    TruncYear,
    Upper,
)
from covet.orm.expressions.lookups import Lookup, build_lookup
from covet.orm.expressions.subqueries import Exists, OuterRef, Subquery
from covet.orm.expressions.where import Q, Where
from covet.orm.expressions.window import (
    DenseRank,
    FirstValue,
    Lag,
    LastValue,
    Lead,
    Rank,
    RowNumber,
    Window,
)

__all__ = [
    "Aggregate", "Avg", "Case", "Cast", "Coalesce", "Col", "Combined", "Concat", "Count",
    "DenseRank", "Exists", "Expr", "ExpressionWrapper", "Extract", "ExtractDay", "ExtractHour",
    "ExtractIsoWeekDay", "ExtractIsoYear", "ExtractMinute", "ExtractMonth", "ExtractQuarter",
    "ExtractSecond", "ExtractWeek", "ExtractWeekDay", "ExtractYear", "F", "FirstValue", "Func",
    "Greatest", "Lag", "LastValue", "Lead", "Least", "Length", "Lookup", "Lower", "Max", "Min",
    "OrderBy", "OuterRef", "Q", "Rank", "Ref", "RowNumber", "StdDev", "Subquery", "Sum",
    "Trunc", "TruncDate", "TruncDay", "TruncHour", "TruncMinute", "TruncMonth", "TruncQuarter",
    "TruncSecond",
    "TruncTime", "TruncWeek", "TruncYear", "Upper", "Value", "Variance", "When", "Where",
    "Window", "build_lookup",
]  # fmt: skip

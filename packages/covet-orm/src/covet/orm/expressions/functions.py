"""Database functions: ``Func`` and the ones Django users reach for (``Lower``, ``Coalesce``,
``Concat``, ``Cast``, ``Greatest``, ``Extract``, ``Trunc``, ...). Arguments are expressions or
field names (``Lower("name")`` is ``Lower(F("name"))``); use ``Value("text")`` for a string."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from covet.orm._exceptions import FieldError
from covet.orm._fields import (
    DateField,
    DateTimeField,
    Field,
    IntegerField,
    TextField,
    TimeField,
)
from covet.orm.expressions.base import Expr, _family, as_expr, combined_field
from covet.orm.sql.dialect import DATETIME_PARTS, TIME_PARTS

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Ctx, Scope


def common_field(fields: list[Field[Any] | None], what: str) -> Field[Any] | None:
    """The type of values that may come from any of ``fields`` (NULLs aside): numbers widen as
    in arithmetic (int and float is float); other mixed types must be told with
    ``output_field=``."""
    known = [f for f in fields if f is not None]
    if not known:
        return None
    result: Field[Any] | None = known[0]
    for field in known[1:]:
        if type(field) is type(result) or _family(field) == _family(result):
            continue
        try:
            result = combined_field("+", result, field)  # numeric widening only
        except FieldError:
            result = None
        if result is None or _family(result) not in ("int", "float", "decimal"):
            names = ", ".join(sorted({type(f).__name__ for f in known}))
            raise FieldError(f"{what} mixes {names}; give output_field=")
    return result


class Func(Expr):
    """An SQL function over expressions: ``Func(F("name"), function="REVERSE")``. Subclasses set
    ``function``; ``template`` (``%(function)s``, ``%(expressions)s``) spells other forms."""

    function: ClassVar[str] = ""
    template: ClassVar[str] = "%(function)s(%(expressions)s)"
    arity: ClassVar[int | None] = None

    def __init__(
        self,
        *expressions: Any,
        output_field: Field[Any] | None = None,
        function: str | None = None,
        template: str | None = None,
    ) -> None:
        if self.arity is not None and len(expressions) != self.arity:
            raise TypeError(
                f"{type(self).__name__} takes {self.arity} argument(s), got {len(expressions)}"
            )
        self.source: list[Expr] = [as_expr(e) for e in expressions]
        self.output_field = output_field
        if function is not None:
            self.function = function  # type: ignore[misc]
        if template is not None:
            self.template = template  # type: ignore[misc]
        self.contains_aggregate = any(s.contains_aggregate for s in self.source)
        self.contains_over = any(s.contains_over for s in self.source)

    def __repr__(self) -> str:
        args = ", ".join(repr(s) for s in self.source)
        return f"{type(self).__name__}({args})"

    def resolve(self, scope: Scope) -> Expr:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.source = [s.resolve(scope) for s in self.source]
        new.contains_aggregate = any(s.contains_aggregate for s in new.source)
        new.contains_over = any(s.contains_over for s in new.source)
        if self.output_field is None:
            new.output_field = new._output([s.output_field for s in new.source])
        return new

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return common_field(fields, type(self).__name__)

    def as_sql(self, ctx: Ctx) -> str:
        return self.render(ctx, [s.as_sql(ctx) for s in self.source])

    def render(self, ctx: Ctx, args: list[str]) -> str:
        if type(self).template == Func.template and "template" not in self.__dict__:
            return f"{self.function}({', '.join(args)})"
        # a template given by the user is SQL text (MySQL: its `%` doubled)
        text = ctx.dialect.text(self.template)
        return text.replace("%%(", "%(") % {
            "function": self.function,
            "expressions": ", ".join(args),
        }


class Lower(Func):
    function = "LOWER"
    arity = 1


class Upper(Func):
    function = "UPPER"
    arity = 1


class Length(Func):
    """The number of characters (not bytes); NULL stays NULL."""

    arity = 1

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return IntegerField()

    def render(self, ctx: Ctx, args: list[str]) -> str:
        return ctx.dialect.length(args[0])


class Coalesce(Func):
    """The first argument that is not NULL."""

    function = "COALESCE"

    def __init__(self, *expressions: Any, output_field: Field[Any] | None = None) -> None:
        if len(expressions) < 2:
            raise ValueError("Coalesce needs at least two expressions")
        super().__init__(*expressions, output_field=output_field)


class Concat(Func):
    """Text joined end to end; a NULL argument counts as empty text (as in Django)."""

    def __init__(self, *expressions: Any, output_field: Field[Any] | None = None) -> None:
        if len(expressions) < 2:
            raise ValueError("Concat needs at least two expressions")
        super().__init__(*expressions, output_field=output_field)

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return TextField()

    def render(self, ctx: Ctx, args: list[str]) -> str:
        return ctx.dialect.concat_text(args)


class Cast(Func):
    """``Cast("n", output_field=FloatField())``: the value converted by the database."""

    arity = 1

    def __init__(self, expression: Any, output_field: Field[Any]) -> None:
        super().__init__(expression, output_field=output_field)

    def render(self, ctx: Ctx, args: list[str]) -> str:
        assert self.output_field is not None
        source = self.source[0].output_field
        return ctx.dialect.cast(args[0], self.output_field, source.kind if source else None)


class Greatest(Func):
    """The largest argument. NULLs: PostgreSQL ignores them, SQLite and MariaDB answer NULL."""

    def __init__(self, *expressions: Any, output_field: Field[Any] | None = None) -> None:
        if len(expressions) < 2:
            raise ValueError("Greatest needs at least two expressions")
        super().__init__(*expressions, output_field=output_field)

    def render(self, ctx: Ctx, args: list[str]) -> str:
        return ctx.dialect.greatest(args, largest=True)


class Least(Greatest):
    """The smallest argument (NULLs as in ``Greatest``)."""

    def render(self, ctx: Ctx, args: list[str]) -> str:
        return ctx.dialect.greatest(args, largest=False)


# -- dates and times --------------------------------------------------------------------------


class Extract(Func):
    """``Extract("published", "year")``: one part of a date, time or datetime, in UTC; the
    parts are the lookups' (year ... second, week, week_day, iso_week_day, quarter,
    iso_year)."""

    arity = 1
    lookup_name: ClassVar[str] = ""

    def __init__(self, expression: Any, lookup_name: str | None = None) -> None:
        super().__init__(expression, output_field=IntegerField())
        name = lookup_name or self.lookup_name
        if name not in DATETIME_PARTS:
            raise ValueError(f"unknown date part {name!r}; use one of {', '.join(DATETIME_PARTS)}")
        self.part = name

    def resolve(self, scope: Scope) -> Expr:
        new = super().resolve(scope)
        assert isinstance(new, Extract)
        source = new.source[0].output_field
        if isinstance(source, TimeField) and new.part not in TIME_PARTS:
            raise FieldError(f"a time has no {new.part!r}")
        if isinstance(source, DateField) and not isinstance(source, DateTimeField):
            if new.part in TIME_PARTS:
                raise FieldError(f"a date has no {new.part!r}")
        elif not isinstance(source, DateTimeField | TimeField | type(None)):
            raise FieldError(f"Extract needs a date, time or datetime, not {type(source).__name__}")
        return new

    def render(self, ctx: Ctx, args: list[str]) -> str:
        source = self.source[0].output_field
        kind = source.kind if source is not None else "datetime"
        return ctx.dialect.date_part(self.part, args[0], kind)


def _extract(name: str, part: str) -> type[Extract]:
    return type(name, (Extract,), {"lookup_name": part, "__doc__": f"``Extract(x, {part!r})``."})


ExtractYear = _extract("ExtractYear", "year")
ExtractMonth = _extract("ExtractMonth", "month")
ExtractDay = _extract("ExtractDay", "day")
ExtractHour = _extract("ExtractHour", "hour")
ExtractMinute = _extract("ExtractMinute", "minute")
ExtractSecond = _extract("ExtractSecond", "second")
ExtractWeek = _extract("ExtractWeek", "week")
ExtractWeekDay = _extract("ExtractWeekDay", "week_day")
ExtractIsoWeekDay = _extract("ExtractIsoWeekDay", "iso_week_day")
ExtractQuarter = _extract("ExtractQuarter", "quarter")
ExtractIsoYear = _extract("ExtractIsoYear", "iso_year")

TRUNC_KINDS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second")


class Trunc(Func):
    """``Trunc("published", "month")``: the date or datetime at the start of its month (in
    UTC), of the same type (``output_field=DateField()`` for the date of a datetime)."""

    arity = 1
    kind: ClassVar[str] = ""

    def __init__(
        self, expression: Any, kind: str | None = None, output_field: Field[Any] | None = None
    ) -> None:
        super().__init__(expression, output_field=output_field)
        name = kind or type(self).kind
        if name not in TRUNC_KINDS:
            raise ValueError(f"unknown truncation {name!r}; use one of {', '.join(TRUNC_KINDS)}")
        self.unit = name

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        source = fields[0]
        if not isinstance(source, DateField | DateTimeField):
            raise FieldError(f"Trunc needs a date or datetime, not {type(source).__name__}")
        if isinstance(source, DateField) and self.unit in ("hour", "minute", "second"):
            raise FieldError(f"a date cannot be truncated to the {self.unit}")
        return DateTimeField() if isinstance(source, DateTimeField) else DateField()

    def render(self, ctx: Ctx, args: list[str]) -> str:
        source = self.source[0].output_field
        sql = ctx.dialect.trunc(self.unit, args[0], source.kind if source else "datetime")
        target = self.output_field
        if isinstance(target, DateField) and isinstance(source, DateTimeField):
            return ctx.dialect.datetime_date(sql)
        return sql


def _trunc(name: str, unit: str) -> type[Trunc]:
    return type(name, (Trunc,), {"kind": unit, "__doc__": f"``Trunc(x, {unit!r})``."})


TruncYear = _trunc("TruncYear", "year")
TruncQuarter = _trunc("TruncQuarter", "quarter")
TruncMonth = _trunc("TruncMonth", "month")
TruncWeek = _trunc("TruncWeek", "week")
TruncDay = _trunc("TruncDay", "day")
TruncHour = _trunc("TruncHour", "hour")
TruncMinute = _trunc("TruncMinute", "minute")
TruncSecond = _trunc("TruncSecond", "second")


class TruncDate(Func):
    """The date of a datetime (in UTC)."""

    arity = 1

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return DateField()

    def render(self, ctx: Ctx, args: list[str]) -> str:
        return ctx.dialect.datetime_date(args[0])


class TruncTime(Func):
    """The time of day of a datetime (in UTC)."""

    arity = 1

    def _output(self, fields: list[Field[Any] | None]) -> Field[Any] | None:
        return TimeField()

    def render(self, ctx: Ctx, args: list[str]) -> str:
        return ctx.dialect.datetime_time(args[0])

"""Model fields: typed descriptors carrying column metadata, validation and value conversion.

A field is a non-data descriptor: a loaded instance keeps its values in ``__dict__`` (attribute
access runs at C speed); ``Model.field`` returns the ``Field``. Values reach the driver through
``adapter(dialect)`` and come back through ``converter(dialect)``, both composed once per dialect.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import ipaddress
import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from covet.orm._exceptions import ImproperlyConfigured
from covet.orm.sql._values import aware_utc

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm.sql.dialect import Dialect

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)
Validator = Callable[[Any], None]


class _NotProvided:
    def __repr__(self) -> str:
        return "NOT_PROVIDED"


NOT_PROVIDED: Any = _NotProvided()


def _identity(value: Any) -> Any:
    return value


class Field(Generic[T]):
    """Base of every field. ``kind`` names the column kind a ``Dialect`` maps to an SQL type."""

    kind = "text"
    auto = False  # filled by the database on insert
    #: prep() changes only str values (ISO text of dates and times): the adapter skips it for
    #: the others, one call less per value written
    prep_only_str = False
    #: computed by the database from other columns (GeneratedField): never written
    generated = False
    _constructor_args: tuple[tuple[Any, ...], dict[str, Any]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        field = super().__new__(cls)
        field._constructor_args = (args, kwargs)  # for deconstruct() (migrations)
        return field

    def deconstruct(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """``(import path, args, kwargs)`` of the call that made this field (covet.migrate
        writes it into migration files and rebuilds historical fields from it)."""
        args, kwargs = self._constructor_args
        return f"{type(self).__module__}.{type(self).__qualname__}", args, dict(kwargs)

    def __init__(
        self,
        *,
        null: bool = False,
        default: Any = NOT_PROVIDED,
        unique: bool = False,
        index: bool = False,
        primary_key: bool = False,
        choices: Iterable[Any] | None = None,
        validators: Sequence[Validator] = (),
        db_column: str | None = None,
        editable: bool = True,
    ) -> None:
        self.null = null
        #: False: set by the program, never by a client (model bodies leave it out of writes)
        self.editable = editable
        self.default = default
        self.unique = unique or primary_key
        self.index = index
        self.primary_key = primary_key
        self.choices = self._choice_values(choices)
        self.validators = list(validators)
        self.db_column = db_column
        self.name = ""
        self.column = db_column or ""
        self.model: type[Model] | None = None
        self._adapters: dict[str, Callable[[Any], Any]] = {}
        self._converters: dict[str, Callable[[Any], Any] | None] = {}
        self._qualified: dict[tuple[str, str], str] = {}

    @staticmethod
    def _choice_values(choices: Iterable[Any] | None) -> list[Any] | None:
        if choices is None:
            return None
        out = []
        for choice in choices:
            out.append(choice[0] if isinstance(choice, tuple | list) else choice)
        return out

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.column = self.db_column or name

    def clone(self) -> Self:
        """A copy for a subclass of an abstract model."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._adapters, new._converters, new._qualified = {}, {}, {}
        return new

    @overload
    def __get__(self, instance: None, owner: Any) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: Any) -> T: ...

    def __get__(self, instance: object | None, owner: Any) -> Self | T:
        if instance is None:
            return self
        # not in __dict__: the field was deferred by only()/defer()
        from covet.orm._model import Model

        assert isinstance(instance, Model)
        instance.refresh_from_db(fields=[self.name])
        value: T = instance.__dict__[self.name]
        return value

    def __repr__(self) -> str:
        owner = self.model.__name__ + "." if self.model else ""
        return f"<{type(self).__name__}: {owner}{self.name}>"

    # -- values ------------------------------------------------------------------------------
    def has_default(self) -> bool:
        return self.default is not NOT_PROVIDED

    def get_default(self) -> Any:
        if self.default is NOT_PROVIDED:
            return None
        return self.default() if callable(self.default) else self.default

    def pre_save(self, instance: Model, add: bool) -> Any:
        return instance.__dict__.get(self.name)

    @property
    def computes_on_save(self) -> bool:
        """Whether ``pre_save`` may give another value than the one set (auto_now)."""
        return type(self).pre_save is not Field.pre_save

    def to_python(self, value: Any) -> Any:
        """Coerce a value to this field's Python type (raise ValueError/TypeError if impossible)."""
        return value

    def prep(self, value: Any) -> Any:
        """The Python value as the driver should see it, before the dialect's adapter."""
        return value

    def get_prep_value(self, value: Any) -> Any:
        """A value compared with this field in a query, as this field's Python type (``"5"``
        becomes ``5`` for an integer field, as in Django). Raises ``TypeError`` or
        ``ValueError`` for a value that is not one; never called with None."""
        return value

    def validate(self, value: Any) -> list[str]:
        """Messages for everything wrong with ``value`` (empty when valid)."""
        if value is None:
            filled = (
                self.auto
                or getattr(self, "auto_now", False)
                or getattr(self, "auto_now_add", False)
            )
            return [] if self.null or filled else ["this field cannot be null"]
        try:
            value = self.to_python(value)
        except (TypeError, ValueError, ArithmeticError) as exc:
            return [f"invalid value: {exc}"]
        errors = self.check(value)
        if self.choices is not None and value not in self.choices:
            errors.append(f"{value!r} is not one of the choices")
        for validator in self.validators:
            try:
                validator(value)
            except (ValueError, TypeError) as exc:
                errors.append(str(exc))
        return errors

    def check(self, value: Any) -> list[str]:
        return []

    # -- per-dialect -------------------------------------------------------------------------
    def db_type(self, dialect: Dialect) -> str:
        return dialect.column_type(self.kind)

    def db_check(self, dialect: Dialect) -> str | None:
        """A CHECK condition the column carries in its definition (PositiveIntegerField)."""
        return None

    def qualified(self, table: str, dialect: Dialect) -> str:
        """``"table"."column"`` as ``dialect`` quotes it (made once per table and dialect)."""
        key = (table, dialect.name)
        try:
            return self._qualified[key]
        except KeyError:
            text = self._qualified[key] = f"{dialect.quote(table)}.{dialect.quote(self.column)}"
            return text

    def adapter(self, dialect: Dialect) -> Callable[[Any], Any]:
        """Python value -> driver parameter (None passes through)."""
        try:
            return self._adapters[dialect.name]
        except KeyError:
            pass
        prep = self.prep if type(self).prep is not Field.prep else None
        db = dialect.adapter(self.kind)
        fn: Callable[[Any], Any]
        if prep and self.prep_only_str:  # the dialect's adapters pass None through
            if db:
                fn = lambda v: db(prep(v)) if type(v) is str else db(v)  # noqa: E731
            else:
                fn = lambda v: prep(v) if type(v) is str else v  # noqa: E731
        elif prep and db:
            fn = lambda v: None if v is None else db(prep(v))  # noqa: E731
        elif prep:
            fn = lambda v: None if v is None else prep(v)  # noqa: E731
        elif db:
            fn = db
        else:
            fn = _identity
        self._adapters[dialect.name] = fn
        return fn

    def db_adapter(self, dialect: Dialect) -> Callable[[Any], Any]:
        """A ``get_prep_value`` result -> driver parameter: the dialect's adapter alone (a query
        value is compared as given: no quantizing, no defaults)."""
        return dialect.adapter(self.kind) or _identity

    def converter(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """Driver value -> Python value, or None when the driver's value is already right.

        Never called with None."""
        try:
            return self._converters[dialect.name]
        except KeyError:
            pass
        fn = self.from_db(dialect.converter(self.kind))
        self._converters[dialect.name] = fn
        return fn

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        return db


class IntegerField(Field[int]):
    kind = "integer"
    bounds = (-(2**31), 2**31 - 1)

    def to_python(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str | float | decimal.Decimal):
            raise TypeError(f"expected an integer, got {type(value).__name__}")
        result = int(value)
        if isinstance(value, float | decimal.Decimal) and result != value:
            raise ValueError(f"{value!r} is not a whole number")
        return result

    def check(self, value: Any) -> list[str]:
        lo, hi = self.bounds
        return [] if lo <= value <= hi else [f"{value} is out of range [{lo}, {hi}]"]

    def get_prep_value(self, value: Any) -> Any:
        if type(value) is int:
            return value
        if isinstance(value, int):  # bool (True is 1, as in Django), IntEnum
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"expected an integer, got {value!r}") from None
        if isinstance(value, float | decimal.Decimal):
            whole = _whole(value)
            if whole is None:
                raise ValueError(f"{value!r} is not a whole number")
            return whole
        raise TypeError(f"expected an integer, got {type(value).__name__}")


class SmallIntegerField(IntegerField):
    kind = "smallint"
    bounds = (-(2**15), 2**15 - 1)


class BigIntegerField(IntegerField):
    kind = "bigint"
    bounds = (-(2**63), 2**63 - 1)


class PositiveIntegerField(IntegerField):
    """An integer from 0 to 2,147,483,647 (a CHECK constraint in the table, as Django)."""

    bounds = (0, 2**31 - 1)

    def db_check(self, dialect: Dialect) -> str | None:
        return f"{dialect.quote(self.column)} >= 0"


class PositiveSmallIntegerField(PositiveIntegerField):
    kind = "smallint"
    bounds = (0, 2**15 - 1)


class PositiveBigIntegerField(PositiveIntegerField):
    kind = "bigint"
    bounds = (0, 2**63 - 1)


class AutoField(IntegerField):
    """An auto-incrementing integer primary key."""

    kind = "autoincrement"
    auto = True

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("primary_key", True)
        super().__init__(**kwargs)

    def db_type(self, dialect: Dialect) -> str:
        return dialect.auto_pk[self.kind]


class BigAutoField(AutoField):
    kind = "bigautoincrement"
    bounds = BigIntegerField.bounds


class FloatField(Field[float]):
    kind = "float"

    def to_python(self, value: Any) -> float:
        if isinstance(value, bool):
            raise TypeError("expected a number, got bool")
        return float(value)

    def get_prep_value(self, value: Any) -> Any:
        if type(value) is float:
            return value
        if isinstance(value, int | float | decimal.Decimal):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                raise ValueError(f"expected a number, got {value!r}") from None
        raise TypeError(f"expected a number, got {type(value).__name__}")

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        return float


class DecimalField(Field[decimal.Decimal]):
    kind = "decimal"

    def __init__(self, *, max_digits: int, decimal_places: int, **kwargs: Any) -> None:
        if decimal_places > max_digits:
            raise ImproperlyConfigured("decimal_places cannot exceed max_digits")
        super().__init__(**kwargs)
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self._quantum = decimal.Decimal(1).scaleb(-decimal_places)
        # rounding to decimal_places needs max_digits of precision (the default context has 28)
        self._context = decimal.Context(prec=max(max_digits, 28))

    def db_type(self, dialect: Dialect) -> str:
        return dialect.column_type(
            self.kind, max_digits=self.max_digits, decimal_places=self.decimal_places
        )

    def to_python(self, value: Any) -> decimal.Decimal:
        if isinstance(value, float):
            return decimal.Decimal(repr(value))
        if isinstance(value, bool):
            raise TypeError("expected a decimal, got bool")
        return decimal.Decimal(value)

    def check(self, value: Any) -> list[str]:
        if not value.is_finite():
            return ["must be a finite number"]
        _, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        places = max(-exponent, 0)
        whole = max(len(digits) + exponent, 0)
        errors = []
        if places > self.decimal_places:
            errors.append(f"at most {self.decimal_places} decimal places")
        if whole > self.max_digits - self.decimal_places:
            errors.append(
                f"at most {self.max_digits - self.decimal_places} digits before the point"
            )
        return errors

    def prep(self, value: Any) -> Any:
        return self.to_python(value).quantize(self._quantum, context=self._context)

    def get_prep_value(self, value: Any) -> Any:
        # compared as given: Decimal("1.5000001") must not match 1.5 (prep() would round it)
        if isinstance(value, bool) or not isinstance(value, int | float | str | decimal.Decimal):
            raise TypeError(f"expected a decimal number, got {type(value).__name__}")
        try:
            dec = self.to_python(value.strip() if isinstance(value, str) else value)
        except decimal.InvalidOperation:
            raise ValueError(f"expected a decimal number, got {value!r}") from None
        if not dec.is_finite():
            raise ValueError(f"expected a finite decimal number, got {value!r}")
        return dec

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        quantum, context = self._quantum, self._context

        def convert(value: Any) -> decimal.Decimal:
            dec = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
            return dec.quantize(quantum, context=context)

        return convert


class BooleanField(Field[bool]):
    kind = "boolean"

    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise TypeError(f"expected a bool, got {value!r}")

    def get_prep_value(self, value: Any) -> Any:
        # Django's spellings; anything else ("yes", 2) is refused, never compared loosely
        if isinstance(value, bool):
            return value
        if type(value) is int and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value in _BOOL_TEXT:
            return _BOOL_TEXT[value]
        raise ValueError(f"expected True or False, got {value!r}")


def _prep_text(value: Any) -> Any:
    """A text lookup value: numbers, UUIDs and str enums as their text (as Django's ``str()``),
    lone surrogates refused (no database can store or compare them)."""
    if type(value) is not str:
        if isinstance(value, enum.Enum):
            value = value.value
        if isinstance(value, bool) or not isinstance(
            value, str | int | float | decimal.Decimal | uuid.UUID
        ):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        value = str(value)
    if "\x00" in value:
        raise ValueError(f"{value!r} holds a NUL character (\\x00), which no text column holds")
    if not value.isascii() and _SURROGATE.search(value):
        raise ValueError(f"{value!r} holds a lone surrogate, which is not valid text")
    return value


def _text_errors(value: str) -> list[str]:
    """What no text column may hold, on any database: lone surrogates (no database can store
    them) and NUL (PostgreSQL cannot; refused everywhere so an app behaves the same on all)."""
    errors = []
    if "\x00" in value:
        errors.append("must not contain NUL characters (\\x00)")
    if not value.isascii() and _SURROGATE.search(value):
        errors.append("holds a lone surrogate, which is not valid text")
    return errors


class CharField(Field[str]):
    kind = "varchar"

    def __init__(self, *, max_length: int = 255, **kwargs: Any) -> None:
        if max_length < 1:
            raise ImproperlyConfigured("max_length must be positive")
        super().__init__(**kwargs)
        self.max_length = max_length

    def db_type(self, dialect: Dialect) -> str:
        return dialect.column_type(self.kind, max_length=self.max_length)

    def to_python(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        return value

    def check(self, value: Any) -> list[str]:
        errors = _text_errors(value)
        if len(value) > self.max_length:
            errors.append(f"at most {self.max_length} characters (it has {len(value)})")
        return errors

    def get_prep_value(self, value: Any) -> Any:
        return _prep_text(value)


class TextField(Field[str]):
    kind = "text"

    def to_python(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        return value

    def check(self, value: Any) -> list[str]:
        return _text_errors(value)

    def get_prep_value(self, value: Any) -> Any:
        return _prep_text(value)


_SURROGATE = re.compile("[\ud800-\udfff]")
_BOOL_TEXT = {"t": True, "True": True, "1": True, "f": False, "False": False, "0": False}


def _whole(value: float | decimal.Decimal) -> int | None:
    """``value`` as an int if it is a whole, finite number, else None."""
    try:
        whole = int(value)
    except (OverflowError, ValueError, decimal.InvalidOperation):
        return None
    return whole if whole == value else None


# whole-value patterns, applied with fullmatch: ``$`` would also accept a trailing newline
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


class EmailField(CharField):
    def __init__(self, *, max_length: int = 254, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def check(self, value: Any) -> list[str]:
        return super().check(value) + (
            [] if _EMAIL.fullmatch(value) else ["not a valid email address"]
        )


class URLField(CharField):
    def __init__(self, *, max_length: int = 2000, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def check(self, value: Any) -> list[str]:
        return super().check(value) + ([] if _URL.fullmatch(value) else ["not a valid http(s) URL"])


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_UNICODE_SLUG = re.compile(r"[-\w]+")


class SlugField(CharField):
    """Letters, digits, hyphens and underscores (``allow_unicode=True``: any letter);
    indexed, as Django's."""

    def __init__(
        self, *, max_length: int = 50, allow_unicode: bool = False, index: bool = True,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(max_length=max_length, index=index, **kwargs)
        self.allow_unicode = allow_unicode

    def check(self, value: Any) -> list[str]:
        pattern = _UNICODE_SLUG if self.allow_unicode else _SLUG
        errors = super().check(value)
        if not pattern.fullmatch(value):
            what = "letters" if self.allow_unicode else "ASCII letters"
            errors.append(f"a slug has only {what}, digits, hyphens and underscores")
        return errors


class GenericIPAddressField(Field[str]):
    """An IPv4 or IPv6 address (``protocol="IPv4"`` / ``"IPv6"`` for one), kept as text in its
    standard form (IPv6 compressed, lower case); ``unpack_ipv4`` stores ::ffff:1.2.3.4 as
    1.2.3.4. Filter values are normalized the same way."""

    kind = "varchar"

    def __init__(self, *, protocol: str = "both", unpack_ipv4: bool = False, **kwargs: Any) -> None:
        protocol = protocol.lower()
        if protocol not in ("both", "ipv4", "ipv6"):
            raise ImproperlyConfigured("protocol must be 'both', 'IPv4' or 'IPv6'")
        if unpack_ipv4 and protocol != "both":
            raise ImproperlyConfigured("unpack_ipv4 needs protocol='both'")
        super().__init__(**kwargs)
        self.protocol, self.unpack_ipv4 = protocol, unpack_ipv4
        self.max_length = 39

    def db_type(self, dialect: Dialect) -> str:
        return dialect.column_type(self.kind, max_length=self.max_length)

    def to_python(self, value: Any) -> str:
        if not isinstance(value, str | ipaddress.IPv4Address | ipaddress.IPv6Address):
            raise TypeError(f"expected an IP address, got {type(value).__name__}")
        try:
            address = ipaddress.ip_address(value.strip() if isinstance(value, str) else value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address") from None
        if self.protocol == "ipv4" and address.version != 4:
            raise ValueError(f"{value!r} is not an IPv4 address")
        if self.protocol == "ipv6" and address.version != 6:
            raise ValueError(f"{value!r} is not an IPv6 address")
        if self.unpack_ipv4 and isinstance(address, ipaddress.IPv6Address):
            mapped = address.ipv4_mapped
            if mapped is not None:
                return str(mapped)
        return str(address)

    def prep(self, value: Any) -> Any:
        return self.to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        return self.to_python(value)


class DateField(Field[dt.date]):
    kind = "date"
    prep_only_str = True

    def to_python(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            return dt.date.fromisoformat(value)
        raise TypeError(f"expected a date, got {type(value).__name__}")

    def prep(self, value: Any) -> Any:
        # ISO text (a filter value from a query string) becomes a date on every backend
        return dt.date.fromisoformat(value) if type(value) is str else value

    def get_prep_value(self, value: Any) -> Any:
        if type(value) is dt.date:
            return value
        if isinstance(value, dt.datetime):  # its date in UTC, where datetimes are kept
            return aware_utc(value).date()
        if isinstance(value, dt.date):
            return dt.date(value.year, value.month, value.day)
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}") from None
        raise TypeError(f"expected a date, got {type(value).__name__}")


class DateTimeField(Field[dt.datetime]):
    """A timezone-aware datetime stored in UTC; naive values are taken as UTC."""

    kind = "datetime"
    prep_only_str = True

    def __init__(
        self, *, auto_now: bool = False, auto_now_add: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.auto_now = auto_now
        self.auto_now_add = auto_now_add

    @property
    def computes_on_save(self) -> bool:
        return self.auto_now or self.auto_now_add

    def pre_save(self, instance: Model, add: bool) -> Any:
        if self.auto_now or (self.auto_now_add and add):
            value = dt.datetime.now(dt.UTC)
            instance.__dict__[self.name] = value
            return value
        return super().pre_save(instance, add)

    def to_python(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        return aware_utc(value)

    def prep(self, value: Any) -> Any:
        # ISO text is parsed (a naive one taken as UTC) so it compares as a datetime everywhere
        return self.to_python(value) if type(value) is str else value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return aware_utc(value)
        if isinstance(value, dt.date):  # midnight UTC, as Django takes a date here
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        if isinstance(value, str):
            try:
                return aware_utc(dt.datetime.fromisoformat(value))
            except ValueError:
                raise ValueError(f"expected an ISO 8601 datetime, got {value!r}") from None
        raise TypeError(f"expected a datetime, got {type(value).__name__}")


class TimeField(Field[dt.time]):
    kind = "time"
    prep_only_str = True

    def to_python(self, value: Any) -> dt.time:
        if isinstance(value, str):
            return dt.time.fromisoformat(value)
        if not isinstance(value, dt.time):
            raise TypeError(f"expected a time, got {type(value).__name__}")
        return value

    def prep(self, value: Any) -> Any:
        return dt.time.fromisoformat(value) if type(value) is str else value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.time()
        if isinstance(value, dt.time):
            return value
        if isinstance(value, str):
            try:
                return dt.time.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected a time (HH:MM[:SS]), got {value!r}") from None
        raise TypeError(f"expected a time, got {type(value).__name__}")


class DurationField(Field[dt.timedelta]):
    kind = "duration"

    def to_python(self, value: Any) -> dt.timedelta:
        if not isinstance(value, dt.timedelta):
            raise TypeError(f"expected a timedelta, got {type(value).__name__}")
        return value

    def get_prep_value(self, value: Any) -> Any:
        return self.to_python(value)


class UUIDField(Field[uuid.UUID]):
    kind = "uuid"

    def to_python(self, value: Any) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

    def prep(self, value: Any) -> Any:
        return self.to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return uuid.UUID(int=value)
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                raise ValueError(f"expected a UUID, got {value!r}") from None
        raise TypeError(f"expected a UUID, got {type(value).__name__}")


class JSONField(Field[Any]):
    """Any JSON-serialisable value; ``None`` is SQL NULL."""

    kind = "json"

    def check(self, value: Any) -> list[str]:
        # what every database stores: no NaN or Infinity (not JSON), no text that a text
        # column refuses (PostgreSQL's jsonb has no \u0000; lone surrogates are not Unicode)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            return [f"not JSON: {exc}"]
        errors: set[str] = set()
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                errors.update(_text_errors(item))
            elif isinstance(item, dict):
                stack.extend(item)
                stack.extend(item.values())
            elif isinstance(item, list | tuple):
                stack.extend(item)
        return sorted(errors)


class BinaryField(Field[bytes]):
    kind = "binary"

    def to_python(self, value: Any) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"expected bytes, got {type(value).__name__}")
        return bytes(value)

    def get_prep_value(self, value: Any) -> Any:
        return self.to_python(value)

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        return bytes


class EnumField(Field[E]):
    """A Python ``enum`` member stored as its value (VARCHAR for str values, INTEGER for int)."""

    def __init__(self, enum_type: type[E], *, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.enum_type = enum_type
        values = [m.value for m in enum_type]
        if all(isinstance(v, int) for v in values):
            self.kind = "integer"
            self.max_length = 0
        elif all(isinstance(v, str) for v in values):
            self.kind = "varchar"
            self.max_length = max_length or max(max((len(v) for v in values), default=1), 16)
        else:
            raise ImproperlyConfigured(f"{enum_type.__name__} values must be all str or all int")

    def db_type(self, dialect: Dialect) -> str:
        return dialect.column_type(self.kind, max_length=self.max_length)

    def to_python(self, value: Any) -> E:
        return value if isinstance(value, self.enum_type) else self.enum_type(value)

    def prep(self, value: Any) -> Any:
        return self.to_python(value).value

    def get_prep_value(self, value: Any) -> Any:
        try:
            return self.to_python(value).value
        except ValueError:
            names = ", ".join(repr(m.value) for m in self.enum_type)
            raise ValueError(f"{value!r} is not one of {names}") from None

    def from_db(self, db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
        return self.enum_type


class GeneratedField(Field[Any]):
    """A column the database computes from others and stores, as Django's (``db_persist=True``
    only): ``GeneratedField(expression=F("price") * F("qty"), output_field=DecimalField(...))``.
    It is never written; after ``save()`` its value is read back on first access (sync) or
    with ``refresh_from_db()``."""

    generated = True

    def __init__(
        self, *, expression: Any, output_field: Field[Any], db_persist: bool = True, **kwargs: Any
    ) -> None:
        if not db_persist:
            raise ImproperlyConfigured("GeneratedField needs db_persist=True (a stored column)")
        for option in ("default", "primary_key", "unique"):
            if option in kwargs:
                raise ImproperlyConfigured(f"GeneratedField takes no {option}=")
        kwargs.setdefault("null", True)
        super().__init__(**kwargs)
        self.expression = expression
        self.output_field = output_field
        self.kind = output_field.kind

    def __set_name__(self, owner: type, name: str) -> None:
        super().__set_name__(owner, name)
        self.output_field.name = name

    def db_type(self, dialect: Dialect) -> str:
        return self.output_field.db_type(dialect)

    def adapter(self, dialect: Dialect) -> Callable[[Any], Any]:
        return self.output_field.adapter(dialect)

    def db_adapter(self, dialect: Dialect) -> Callable[[Any], Any]:
        return self.output_field.db_adapter(dialect)

    def converter(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        return self.output_field.converter(dialect)

    def get_prep_value(self, value: Any) -> Any:
        return self.output_field.get_prep_value(value)

    def validate(self, value: Any) -> list[str]:
        return []

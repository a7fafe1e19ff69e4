"""Exceptions raised by covet.orm.

    ORMError                        root of every error this package raises on purpose
    ├── ImproperlyConfigured        bad URL, option, Meta.db or model definition
    ├── SynchronousOnlyError        a sync call on a thread running an event loop (names the a-twin)
    ├── TransactionManagementError  commit/rollback/savepoint misuse
    ├── FieldError                  unknown field or lookup in a query
    ├── ValidationError             a value invalid for its field (also a ValueError); ``.errors``
    │   ├── UnknownFieldsError      Model(**data) with names that are not fields (a TypeError too)
    │   ├── InvalidBody             a request body the model refuses (``data: User`` handlers)
    │   └── InvalidFilterValue      a filter()/exclude()/get() value its field cannot take
    ├── DoesNotExist                base of every ``Model.DoesNotExist``
    ├── MultipleObjectsReturned     base of every ``Model.MultipleObjectsReturned``
    ├── N1QueryError                an unloaded relation read where loading it is not allowed
    ├── ProtectedError              delete() refused by on_delete=PROTECT (``protected_objects``)
    ├── RestrictedError             delete() refused by on_delete=RESTRICT (``restricted_objects``)
    └── DatabaseError               the database refused; ``.driver_error`` is the original
        ├── InterfaceError          the connection itself is unusable (closed, pool shut down)
        ├── OperationalError        connection lost, lock timeout, server gone, disk full, ...
        ├── IntegrityError          unique, foreign key, not-null or check constraint violated
        ├── ProgrammingError        bad SQL, missing table or column
        ├── DataError               value out of range, invalid for the column type
        └── NotSupportedError       the backend cannot do what was asked

Every ``DatabaseError`` raised while translating a driver exception is raised ``from`` it, so the
driver's exception is both ``exc.__cause__`` and ``exc.driver_error``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class ORMError(Exception):
    """Root of the covet.orm exception hierarchy."""

    def __problem__(self) -> Any:
        """The HTTP answer to this error (covet.http's protocol; ``_problems``), or None."""
        from covet.orm._problems import problem

        return problem(self)


class ImproperlyConfigured(ORMError):
    """The database, a model or an option is configured in a way that cannot work."""


class SynchronousOnlyError(ORMError):
    """A blocking database call was made on a thread that is running an event loop."""

    def __init__(self, method: str, async_method: str | None = None) -> None:
        self.method = method
        self.async_method = async_method or _async_name(method)
        hint = self.async_method
        if not hint.startswith("async "):
            hint = f"await {hint}()"
        super().__init__(
            f"{method}() is a blocking call and this thread is running an event loop; "
            f"use '{hint}' instead, call {method}() from a worker thread, or let sync calls "
            "suspend the task instead of blocking the loop: covet.http apps do by default; "
            "elsewhere wrap the ASGI app in covet.orm.SyncORMMiddleware or decorate the "
            "coroutine function with @covet.orm.sync_orm (docs/fullstack.md)."
        )


def _async_name(method: str) -> str:
    head, _, tail = method.rpartition(".")
    twin = tail[2:] if tail.startswith("__") else "a" + tail
    return f"{head}.{twin}" if head else twin


class TransactionManagementError(ORMError):
    """A transaction or savepoint was used in a way that cannot work."""


class FieldError(ORMError):
    """A query named a field or lookup that the model does not have."""


class ValidationError(ORMError, ValueError):
    """A value is not valid for its field (``full_clean()``, or a filter value such as
    ``filter(views="many")``); ``errors`` maps a field name (or ``"__all__"``) to messages.
    Also a ``ValueError``, as the bad value is one."""

    def __init__(self, errors: Mapping[str, Sequence[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items())
        super().__init__(detail)


class UnknownFieldsError(ValidationError, TypeError):
    """``Model(**data)`` got names that are not fields of the model."""

    def __init__(self, model: str, unknown: Sequence[str], fields: Sequence[str]) -> None:
        super().__init__({name: ["unknown field"] for name in unknown})
        self.args = (
            f"{model}() got unexpected field(s) {', '.join(unknown)}; fields: {', '.join(fields)}",
        )


class InvalidBody(ValidationError):
    """A request body that does not fit the model (docs/model-bodies.md): ``entries`` are
    covet.http's error dicts (``{"loc", "msg", "type"}``), handed over by ``__covet_errors__()``."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        messages: dict[str, list[str]] = {}
        for entry in entries:
            messages.setdefault(str(entry["loc"][-1]), []).append(entry["msg"])
        super().__init__(messages)
        self.entries = entries

    def __covet_errors__(self) -> list[dict[str, Any]]:
        return self.entries


class InvalidFilterValue(ValidationError):
    """A value given to ``filter()``, ``exclude()`` or ``get()`` that its field cannot take
    (``filter(views="many")``); ``errors`` is keyed by the field, the messages name the lookup.
    As an HTTP answer its ``loc`` is the field alone: the ORM cannot tell which part of the
    request (if any) the value came from."""


class DoesNotExist(ORMError, LookupError):
    """No row matched a query that expected exactly one."""


class MultipleObjectsReturned(ORMError):
    """More than one row matched a query that expected exactly one."""


class N1QueryError(ORMError):
    """An unloaded relation was read where loading it lazily is not allowed: fetch mode
    ``"raise"``, or async code (which never does hidden queries). The message names the fix."""


class ProtectedError(ORMError):
    """``delete()`` would delete rows that ``on_delete=PROTECT`` references protect."""

    def __init__(self, message: str, protected_objects: Sequence[Any]) -> None:
        self.protected_objects = list(protected_objects)
        super().__init__(message)


class RestrictedError(ORMError):
    """``delete()`` would delete rows that ``on_delete=RESTRICT`` references hold (and no
    CASCADE of the same delete removes those references)."""

    def __init__(self, message: str, restricted_objects: Sequence[Any]) -> None:
        self.restricted_objects = list(restricted_objects)
        super().__init__(message)


class DatabaseError(ORMError):
    """The database or its driver reported an error; ``driver_error`` is the original exception."""

    def __init__(self, message: str, driver_error: BaseException | None = None) -> None:
        self.driver_error = driver_error
        super().__init__(message)


class InterfaceError(DatabaseError):
    """The connection or pool is unusable (closed, shut down, never opened)."""


class OperationalError(DatabaseError):
    """An error in the database's operation: lost connection, lock timeout, server restart."""


class IntegrityError(DatabaseError):
    """A unique, foreign key, not-null or check constraint was violated."""


class ProgrammingError(DatabaseError):
    """The SQL was wrong: syntax error, missing table or column, wrong number of parameters."""


class DataError(DatabaseError):
    """A value was invalid for its column: out of range, too long, wrong type."""


class NotSupportedError(DatabaseError):
    """The backend does not support the requested feature."""

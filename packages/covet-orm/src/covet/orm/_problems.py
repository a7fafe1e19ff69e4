"""ORM errors as HTTP answers: the ``__problem__`` protocol of covet.http (docs/fullstack.md).

An exception with a ``__problem__()`` method that returns an RFC 9457 problem (a mapping with at
least ``status``; optionally with response headers, as a ``(problem, headers)`` pair) is answered
with it by covet.http instead of a 500; ``None`` means "no answer of mine: a 500". covet.http
never imports covet.orm: it only calls the method. A user's ``@app.exception_handler`` for the
class still comes first.

==============================================  ======  =======================================
error                                           status  body
==============================================  ======  =======================================
``ValidationError`` (``full_clean``)             422     ``errors``: one per field, ``loc``
                                                         ``["body", field]``
``InvalidFilterValue`` (``filter(views="x")``)   422     ``errors``: ``loc`` ``[field]`` (the
                                                         value's origin is unknown)
``UnknownFieldsError`` (``Model(**data)``)       422     one entry per unknown field
``IntegrityError``: unique, foreign key          409     ``fields`` names the fields
``IntegrityError``: not null, check              422     ``errors`` per field
``DataError`` (a value the column cannot hold)   422     no driver text
``DoesNotExist``                                 404     ``<Model> matching query does not exist.``
``OperationalError``, ``InterfaceError``         503     ``Retry-After``; no driver text
anything else                                    500     (covet.http's default, logged)
==============================================  ======  =======================================
"""

from __future__ import annotations

from typing import Any

from covet.orm import _exceptions as exc
from covet.orm._integrity import CHECK, FOREIGN_KEY, NOT_NULL, UNIQUE, violation

#: seconds a client is asked to wait before retrying while the database is unavailable
RETRY_AFTER = 5

Problem = dict[str, Any] | tuple[dict[str, Any], dict[str, str]]

_TYPE = "https://covetpy.dev/problems/"


def problem(error: exc.ORMError) -> Problem | None:
    if isinstance(error, exc.InvalidFilterValue):  # not necessarily from the body
        return _invalid(error.errors, "A value is not valid for the field it filters", where=())
    if isinstance(error, exc.ValidationError):
        return _invalid(error.errors, "Validation failed")
    if isinstance(error, exc.DoesNotExist):
        return {"status": 404, "detail": str(error) or "Not found"}
    if isinstance(error, exc.IntegrityError):
        return _integrity(error)
    if isinstance(error, exc.DataError):
        return {
            "status": 422,
            "detail": "A value does not fit the column it is stored in "
            "(too long, out of range or of the wrong type)",
        }
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        body = {
            "status": 503,
            "type": _TYPE + "database-unavailable",
            "title": "Database unavailable",
            "detail": "The database cannot be reached right now; try again shortly",
        }
        return body, {"Retry-After": str(RETRY_AFTER)}
    return None


def _invalid(
    errors: dict[str, list[str]], detail: str, where: tuple[str, ...] = ("body",)
) -> dict[str, Any]:
    entries = [
        {
            "loc": [*where] if field == "__all__" else [*where, field],
            "msg": "; ".join(messages),
            "type": "value_error",
        }
        for field, messages in errors.items()
    ]
    return {"status": 422, "detail": detail, "errors": entries}


def _integrity(error: exc.IntegrityError) -> dict[str, Any]:
    found = violation(error.driver_error)
    fields = list(found.fields)
    if found.kind == UNIQUE:
        named = ", ".join(fields) if fields else "a unique value"
        return {
            "status": 409,
            "type": _TYPE + "unique-violation",
            "title": "Conflict",
            "detail": f"Another row already has this {named}",
            "fields": fields,
        }
    if found.kind == FOREIGN_KEY:
        named = ", ".join(fields) if fields else "a related row"
        return {
            "status": 409,
            "type": _TYPE + "foreign-key-violation",
            "title": "Conflict",
            "detail": f"The related row ({named}) does not exist, or other rows still refer "
            "to this one",
            "fields": fields,
        }
    if found.kind == NOT_NULL:
        missing = {f: ["this field cannot be null"] for f in fields or ["__all__"]}
        return _invalid(missing, "Validation failed")
    if found.kind == CHECK:
        message = f"violates the check constraint {found.constraint or ''}".rstrip()
        return _invalid({f: [message] for f in fields or ["__all__"]}, "Validation failed")
    return {"status": 409, "title": "Conflict", "detail": "The change conflicts with stored data"}

"""OpenTelemetry spans for covet-orm statements: ``pip install 'covet-orm[otel]'``.

``instrument(db)`` (one database) or ``instrument()`` (every database of the process) adds a
query hook that records one CLIENT span per statement, named and attributed after the
OpenTelemetry database semantic conventions (stable ``db.*`` names: ``db.system.name``,
``db.query.text``, ``db.operation.name``, ``db.collection.name``, ``db.namespace``,
``server.address``, ``server.port``; ``error.type`` and an error status for failed statements).
Set ``OTEL_SEMCONV_STABILITY_OPT_IN=database/dup`` to also get the older names (``db.system``,
``db.statement``, ``db.operation``, ``db.name``, ``net.peer.name``, ``net.peer.port``).

The span is recorded when the statement ends, with the statement's own start and end times, as a
child of the span current in the thread or task that ran it. Parameters are never recorded.
"""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING, Any

from covet.orm.__about__ import __version__
from covet.orm._exceptions import ImproperlyConfigured
from covet.orm._observe import QueryEvent, QueryHook, on_query

try:
    from opentelemetry import trace
except ImportError as exc:  # pragma: no cover - the extra is installed in the test env
    raise ImproperlyConfigured(
        "covet.orm.otel needs the OpenTelemetry API: pip install 'covet-orm[otel]'"
    ) from exc

if TYPE_CHECKING:
    from covet.orm._database import Database

__all__ = ["instrument"]

_FETCHES = frozenset({"fetch_all", "fetch_one", "fetch_columns", "stream"})
_ONE_TABLE = re.compile(
    r"""^\s*(?:INSERT\s+(?:IGNORE\s+)?INTO|UPDATE|DELETE\s+FROM|SELECT\b.*?\bFROM)\s+
    (?:[`"]?\w+[`"]?\.)?[`"]?(\w+)[`"]?""",
    re.IGNORECASE | re.DOTALL | re.VERBOSE,
)
_JOIN = re.compile(r"\bJOIN\b", re.IGNORECASE)
_FROM = re.compile(r"\bFROM\b", re.IGNORECASE)
_summaries: dict[str, tuple[str, str | None]] = {}


def _summary(sql: str) -> tuple[str, str | None]:
    """(operation name, the one table it acts on or None), cached per SQL text."""
    found = _summaries.get(sql)
    if found is not None:
        return found
    words = sql.split(None, 1)
    operation = words[0].upper() if words else ""
    table = None
    match = _ONE_TABLE.match(sql)
    one_table = operation != "SELECT" or (len(_FROM.findall(sql)) == 1 and not _JOIN.search(sql))
    if match is not None and one_table:
        table = match.group(1)
    if len(_summaries) >= 2048:
        _summaries.clear()
    found = _summaries[sql] = (operation, table)
    return found


def _system(db: Database) -> str:
    name = db.dialect.name
    if name == "mysql" and db.url.scheme == "mariadb":
        return "mariadb"
    return name


def _status_code(error: BaseException) -> str | None:
    driver = getattr(error, "driver_error", None)
    if driver is None:
        return None
    code = getattr(driver, "sqlstate", None) or getattr(driver, "sqlite_errorname", None)
    if code is None and driver.args and isinstance(driver.args[0], int):
        code = driver.args[0]  # MySQL error number
    return None if code is None else str(code)


def instrument(
    db: Database | None = None, *, tracer_provider: trace.TracerProvider | None = None
) -> QueryHook:
    """Record a span for every statement of ``db`` (every database when ``None``); returns the
    ``QueryHook``: ``remove()`` it, or use it as a context manager, to stop."""
    tracer = trace.get_tracer(
        "covet.orm",
        __version__,
        tracer_provider=tracer_provider,
        schema_url="https://opentelemetry.io/schemas/1.33.0",
    )
    legacy = "database/dup" in os.environ.get("OTEL_SEMCONV_STABILITY_OPT_IN", "")
    kind = trace.SpanKind.CLIENT

    def record(event: QueryEvent) -> None:
        end = time.time_ns()
        database = event.database
        system = _system(database)
        operation, table = _summary(event.sql)
        attributes: dict[str, Any] = {
            "db.system.name": system,
            "db.query.text": event.sql,
        }
        if operation:
            attributes["db.operation.name"] = operation
        if table is not None:
            attributes["db.collection.name"] = table
        url = database.url
        if url.scheme != "sqlite":
            if url.database:
                attributes["db.namespace"] = url.database
            if url.host:
                attributes["server.address"] = url.host
            if url.port:
                attributes["server.port"] = url.port
        if event.method == "executemany":
            attributes["db.operation.batch.size"] = len(event.params)
        if event.rowcount is not None and event.method in _FETCHES:
            attributes["db.response.returned_rows"] = event.rowcount
        if legacy:
            attributes["db.system"] = system
            attributes["db.statement"] = event.sql
            if operation:
                attributes["db.operation"] = operation
            if "db.namespace" in attributes:
                attributes["db.name"] = attributes["db.namespace"]
            if url.host:
                attributes["net.peer.name"] = url.host
            if url.port:
                attributes["net.peer.port"] = url.port
        error = event.error
        if error is not None:
            attributes["error.type"] = f"{type(error).__module__}.{type(error).__qualname__}"
            status_code = _status_code(error)
            if status_code is not None:
                attributes["db.response.status_code"] = status_code
        name = f"{operation} {table}" if table else (operation or system)
        span = tracer.start_span(
            name, kind=kind, attributes=attributes, start_time=end - event.duration_ns
        )
        if error is not None:
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
        span.end(end_time=end)

    if db is None:
        return on_query(record)
    return db.on_query(record)

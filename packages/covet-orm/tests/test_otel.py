"""covet.orm.otel: one CLIENT span per statement after the OpenTelemetry database semantic
conventions, checked with the SDK's in-memory exporter on every backend through both APIs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from covet.orm import CharField, Database, IntegerField, IntegrityError, Model
from covet.orm.otel import instrument


class Lamp(Model):
    name = CharField(max_length=20, unique=True)
    watts = IntegerField(default=0)

    class Meta:
        table_name = "test_otel_lamp"


MODELS = [Lamp]
pytestmark = pytest.mark.usefixtures("tables")
SYSTEM = {"sqlite": "sqlite", "postgres": "postgresql", "mysql": "mysql"}


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def _attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


async def test_a_span_per_statement(
    api: Any, db: Database, backend: str, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    tracer = provider.get_tracer("test")
    with instrument(db, tracer_provider=provider):
        with tracer.start_as_current_span("request") as parent:
            await api(Lamp.objects, "create", name="desk", watts=40)
            assert await api(Lamp.objects.filter(watts__gte=10), "count") == 1
            lamps = await api.list(Lamp.objects.filter(name="desk"))
            assert len(lamps) == 1
            with pytest.raises(IntegrityError):
                await api(Lamp.objects, "create", name="desk")
        await api(Lamp.objects, "count")  # outside the request: a root span
    await api(Lamp.objects, "count")  # not instrumented any more
    found = [s for s in exporter.get_finished_spans() if s.name != "request"]
    assert [s.name for s in found] == [
        "INSERT test_otel_lamp",
        "SELECT test_otel_lamp",
        "SELECT test_otel_lamp",
        "INSERT test_otel_lamp",
        "SELECT test_otel_lamp",
    ]
    insert, count, select, failed, root = found
    for span in found:
        attrs = _attrs(span)
        assert span.kind is SpanKind.CLIENT
        assert attrs["db.system.name"] == SYSTEM[backend]
        assert attrs["db.collection.name"] == "test_otel_lamp"
        assert attrs["db.operation.name"] == span.name.split()[0]
        assert attrs["db.query.text"].startswith(span.name.split()[0])
        assert span.start_time is not None and span.end_time is not None
        assert 0 < span.end_time - span.start_time < 10**10
        if backend == "sqlite":
            assert "server.address" not in attrs
        else:
            assert attrs["server.address"] == db.url.host
            assert attrs["server.port"] == db.url.port
            assert attrs["db.namespace"] == db.url.database
        assert "db.statement" not in attrs  # the older names only on request
    parent_context = parent.get_span_context()
    for span in (insert, count, select, failed):
        assert span.parent is not None and span.parent.span_id == parent_context.span_id
        assert span.context is not None and span.context.trace_id == parent_context.trace_id
    assert root.parent is None
    assert _attrs(select)["db.response.returned_rows"] == 1
    assert (
        "?" in _attrs(select)["db.query.text"]
        or "%s" in _attrs(select)["db.query.text"]
        or ("$1" in _attrs(select)["db.query.text"])
    )  # parameters stay out of the text
    assert "desk" not in _attrs(select)["db.query.text"]
    assert failed.status.status_code is StatusCode.ERROR
    assert _attrs(failed)["error.type"] == "covet.orm._exceptions.IntegrityError"
    assert _attrs(failed)["db.response.status_code"]
    assert insert.status.status_code is StatusCode.UNSET


async def test_every_database_and_the_older_names(
    db: Database,
    spans: tuple[TracerProvider, InMemorySpanExporter],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    provider, exporter = spans
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "database/dup")
    other = Database(f"sqlite:///{tmp_path / 'other.db'}", default=False)
    try:
        with instrument(tracer_provider=provider):
            await db.afetch_all("SELECT 1")
            async with other.transaction():
                await other.aexecute("CREATE TABLE t (a INTEGER)")
                await other.aexecutemany("INSERT INTO t (a) VALUES (?)", [[1], [2], [3]])
                rows = await other.afetch_all("SELECT a FROM t JOIN t AS u USING (a)")
                assert len(rows) == 3
    finally:
        await other.aclose()
    names = [s.name for s in exporter.get_finished_spans()]
    assert names == ["SELECT", "BEGIN", "CREATE", "INSERT t", "SELECT", "COMMIT"]
    by_name = {s.name: _attrs(s) for s in exporter.get_finished_spans()}
    assert by_name["INSERT t"]["db.operation.batch.size"] == 3
    assert by_name["INSERT t"]["db.statement"] == "INSERT INTO t (a) VALUES (?)"
    assert by_name["INSERT t"]["db.system"] == "sqlite"
    assert by_name["INSERT t"]["db.operation"] == "INSERT"
    assert "db.collection.name" not in by_name["SELECT"]  # a join names no single table


def test_without_the_extra_the_error_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "from covet.orm import ImproperlyConfigured\n"
        "try:\n    import covet.orm.otel\n"
        "except ImproperlyConfigured as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'covet-orm[otel]'" in out.stdout

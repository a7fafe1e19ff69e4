"""Run one spec through Django and through covet-orm (sync and async API), and compare answers.

A spec is a function of ``o``, the namespace of one ORM on one backend: ``o.items`` is
``Item.objects``, ``o.F``/``o.Q``/``o.Count``/... are that ORM's classes, so one line of code
reads as both ORMs' query::

    lambda o: o.items.filter(o.Q(n__gt=1) | o.Q(name="alpha")).values_list("id", flat=True)

Builder methods run at once; a terminal method (``count()``, ``get()``, ``update()``...) is only
recorded (``Call``), so the runner can call ``count()`` for Django and covet's sync API and
``await acount()`` for covet's async API. A spec that returns a QuerySet is evaluated as a list.
A write spec may be a generator yielding ``Call``s (each result is sent back in).

Answers are compared in a canonical form (``canon``) that keeps types apart (``1`` is not
``1.0``, ``True``, ``Decimal(1)`` nor ``"1"``) and compares lists in order only where Django's
QuerySet is ordered. Errors compare by kind (``error_kind``), not message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import enum
import inspect
import threading
import uuid
import warnings
from collections.abc import Callable, Coroutine, Generator, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .schema import ALIASES, CURRENT_ALIAS, ModelSet

#: QuerySet methods that run a query: recorded by ``Chain`` instead of being called
TERMINALS = frozenset(
    {
        "aggregate", "bulk_create", "bulk_update", "contains", "count", "create", "delete",
        "earliest", "exists", "first", "get", "get_or_create", "in_bulk", "last", "latest",
        "update", "update_or_create", "iterator",
    }
)  # fmt: skip
#: model instance methods a write spec may call through ``o.call(obj, "save")``
INSTANCE_METHODS = frozenset({"save", "delete", "refresh_from_db"})


class Missing(Exception):
    """The ORM has no such name or method (covet-orm lacks an API Django has)."""


@dataclass(frozen=True)
class Call:
    """A terminal call not made yet: ``target.method(*args, **kwargs)``."""

    target: Any
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class Chain:
    """A QuerySet being built: builder methods are forwarded, terminal ones recorded."""

    __slots__ = ("qs",)

    def __init__(self, qs: Any) -> None:
        self.qs = qs

    def __getattr__(self, name: str) -> Any:
        qs = self.qs
        try:
            attr = getattr(qs, name)
        except AttributeError:
            raise Missing(f"QuerySet.{name}") from None
        if name in TERMINALS:
            return lambda *args, **kwargs: Call(qs, name, args, kwargs)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: _wrap(attr(*args, **kwargs))

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, int):
            return Call(self.qs, "__getitem__", (key,))
        return Chain(self.qs[key])

    def __or__(self, other: Chain) -> Chain:
        return Chain(self.qs | other.qs)

    def __and__(self, other: Chain) -> Chain:
        return Chain(self.qs & other.qs)


def _wrap(value: Any) -> Any:
    return Chain(value) if _is_queryset(value) else value


def _is_queryset(value: Any) -> bool:
    return type(value).__name__ in ("QuerySet", "Manager") or hasattr(value, "_clone")


class Orm:
    """What a spec sees as ``o``: one ORM's models and expression classes on one backend."""

    def __init__(self, name: str, models: ModelSet, modules: list[Any]) -> None:
        self.name = name
        self.models = models
        self._modules = modules

    @property
    def items(self) -> Chain:
        return Chain(self.models.Item.objects)

    @property
    def scratch(self) -> Chain:
        return Chain(self.models.Scratch.objects)

    @property
    def ranked(self) -> Chain:
        return Chain(self.models.Ranked.objects)

    @property
    def publishers(self) -> Chain:
        return Chain(self.models.Publisher.objects)

    @property
    def authors(self) -> Chain:
        return Chain(self.models.Author.objects)

    @property
    def tags(self) -> Chain:
        return Chain(self.models.Tag.objects)

    @property
    def books(self) -> Chain:
        return Chain(self.models.Book.objects)

    @property
    def Book(self) -> Any:
        return self.models.Book

    @property
    def Author(self) -> Any:
        return self.models.Author

    @property
    def Item(self) -> Any:
        return self.models.Item

    @property
    def Scratch(self) -> Any:
        return self.models.Scratch

    def call(self, target: Any, method: str, *args: Any, **kwargs: Any) -> Call:
        """A model instance's method as a terminal call: ``yield o.call(obj, "save")``."""
        return Call(target, method, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        for module in self._modules:
            found = getattr(module, name, None)
            if found is not None:
                return found
        raise Missing(name)


# ---- running --------------------------------------------------------------------------------
class LoopThread:
    """One event loop in a thread of its own, where covet's async API runs for the session."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@contextmanager
def django_on(backend: str) -> Iterator[None]:
    token = CURRENT_ALIAS.set(ALIASES[backend])
    try:
        yield
    finally:
        CURRENT_ALIAS.reset(token)


def _sync_call(call: Call) -> Any:
    if call.method == "iterator":
        return list(call.target.iterator(*call.args, **call.kwargs))
    return getattr(call.target, call.method)(*call.args, **call.kwargs)


async def _async_call(call: Call) -> Any:
    target, method = call.target, call.method
    if method == "__getitem__":  # no async indexing: what an async caller writes instead
        (index,) = call.args
        rows = [row async for row in target[index : index + 1]]
        return rows[0]
    if method == "iterator":
        found = getattr(target, "aiterator", None)
        if found is None:
            raise Missing("QuerySet.aiterator")
        return [row async for row in found(*call.args, **call.kwargs)]
    found = getattr(target, "a" + method, None)
    if found is None:
        raise Missing(f"{type(target).__name__}.a{method}")
    return await found(*call.args, **call.kwargs)


def _sync_list(qs: Any) -> list[Any]:
    return list(qs)


async def _async_list(qs: Any) -> list[Any]:
    return [row async for row in qs]


@dataclass
class Answer:
    """What one ORM/API answered: a value, or the exception raised, and whether it is ordered."""

    value: Any = None
    error: BaseException | None = None
    ordered: bool = True


Build = Callable[[Orm], Any]


def run_sync(build: Build, o: Orm) -> Answer:
    """Django, or covet's sync API."""
    with warnings.catch_warnings():
        # a naive datetime is taken as UTC by both ORMs; Django warns about it (the suite's
        # filterwarnings=error would turn that into an exception covet does not raise)
        warnings.filterwarnings("ignore", "DateTimeField .* received a naive", RuntimeWarning)
        return _run_sync(build, o)


def _run_sync(build: Build, o: Orm) -> Answer:
    try:
        result = build(o)
        if inspect.isgenerator(result):
            return Answer(_drive_sync(result))
        if isinstance(result, Call):
            return Answer(_sync_call(result))
        if isinstance(result, Chain):
            return Answer(_sync_list(result.qs), ordered=_ordered(result.qs))
        return Answer(result)
    except Exception as error:
        return Answer(error=error)


async def run_async(build: Build, o: Orm) -> Answer:
    """covet's async API (the spec is the same code; terminal calls become ``await a<name>()``)."""
    try:
        result = build(o)
        if inspect.isgenerator(result):
            return Answer(await _drive_async(result))
        if isinstance(result, Call):
            return Answer(await _async_call(result))
        if isinstance(result, Chain):
            return Answer(await _async_list(result.qs), ordered=_ordered(result.qs))
        return Answer(result)
    except Exception as error:
        return Answer(error=error)


def _drive_sync(gen: Generator[Any, Any, Any]) -> Any:
    value: Any = None
    while True:
        try:
            step = gen.send(value)
        except StopIteration as stop:
            return stop.value
        value = _sync_call(step) if isinstance(step, Call) else _sync_list(step.qs)


async def _drive_async(gen: Generator[Any, Any, Any]) -> Any:
    value: Any = None
    while True:
        try:
            step = gen.send(value)
        except StopIteration as stop:
            return stop.value
        value = await _async_call(step) if isinstance(step, Call) else await _async_list(step.qs)


def _ordered(qs: Any) -> bool:
    """Django's ``QuerySet.ordered`` (``compare`` applies Django's to covet's answers too)."""
    return bool(getattr(qs, "ordered", True))


# ---- comparing --------------------------------------------------------------------------------
def error_kind(error: BaseException) -> str:
    """The kind of an exception, the same word for both ORMs' equivalents.

    Django's and covet's messages differ; what must agree is the kind: not found, several found,
    a constraint violated, an invalid query or value (an error raised before SQL runs), or a
    database error. A raw driver or Python error that escapes covet (decimal.InvalidOperation,
    UnicodeEncodeError, AttributeError...) is its own kind: issue 8 asks for clean errors.
    """
    if isinstance(error, Missing):
        return f"missing API {error}"
    names = {cls.__name__ for cls in type(error).__mro__}
    module = type(error).__module__  # a model's DoesNotExist lives in the model's module
    own = module.startswith(("covet.orm", "django")) or module == __name__.replace(
        "harness", "schema"
    )
    raw = f"raw {type(error).__module__}.{type(error).__qualname__}"
    for name in ("DoesNotExist", "MultipleObjectsReturned", "IntegrityError", "IndexError"):
        if name in names:
            return name if own or name == "IndexError" else raw
    if "DatabaseError" in names:
        return "DatabaseError" if own else raw
    if isinstance(error, UnicodeError | AttributeError | KeyError | ArithmeticError):
        return raw
    if own or isinstance(error, TypeError | ValueError):
        return "invalid"
    return raw


def canon(value: Any) -> Any:
    """A hashable, type-tagged form of an answer: equal exactly when the answers are the same.

    Decimals compare by value (``1.5`` equals ``1.50``), datetimes by instant and awareness, enum
    members by value (covet's EnumField against Django's choices), model instances by their
    field and annotation values (``__dict__`` without private entries).
    """
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        return canon(value.value)
    kind = type(value)
    if kind is bool or kind is int or kind is float or kind is str:
        return (kind.__name__, value)
    if isinstance(value, decimal.Decimal):
        return ("decimal", value.normalize() if value.is_finite() else str(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return ("bytes", bytes(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return ("naive datetime", value.isoformat())
        return ("datetime", value.astimezone(dt.UTC).isoformat())
    if isinstance(value, dt.date | dt.time):
        return (kind.__name__, value.isoformat())
    if isinstance(value, dt.timedelta):
        return ("timedelta", value)
    if isinstance(value, uuid.UUID):
        return ("uuid", str(value))
    if isinstance(value, dict):
        return ("dict", _sorted((canon(k), canon(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(canon(v) for v in value))
    if isinstance(value, tuple):
        if hasattr(value, "_fields"):
            return ("row", tuple(value._fields), tuple(canon(v) for v in value))
        return ("tuple", tuple(canon(v) for v in value))
    state = getattr(value, "__dict__", None)
    if state is not None and hasattr(type(value), "_meta"):
        return ("object", _sorted((k, canon(v)) for k, v in state.items() if k[0] != "_"))
    return ("other", kind.__name__, repr(value))


def _sorted(items: Any) -> tuple[Any, ...]:
    return tuple(sorted(items, key=repr))


def canon_answer(answer: Answer) -> Any:
    if answer.error is not None:
        return ("error", error_kind(answer.error))
    value = canon(answer.value)
    if isinstance(answer.value, list) and not answer.ordered:
        return ("unordered", _sorted(value[1]))
    return value


def show(answer: Answer, limit: int = 1500) -> str:
    """An answer as a person reads it."""
    if answer.error is not None:
        text = f"raised {type(answer.error).__module__}.{type(answer.error).__qualname__}: "
        text += str(answer.error)
    else:
        text = _show_value(answer.value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _show_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show_value(v) for v in value) + "]"
    state = getattr(value, "__dict__", None)
    if state is not None and hasattr(type(value), "_meta"):
        pk = state.get("id")
        shown = {k: v for k, v in state.items() if k[0] != "_"}
        return f"<{type(value).__name__} {pk}: {shown!r}>"
    return repr(value)


def describe_difference(expected: Answer, got: Answer) -> str:
    """Both answers and, for lists, what differs: rows only one side has, or field by field."""
    a, b = canon_answer(expected), canon_answer(got)
    rows_a, rows_b = _rows(a), _rows(b)
    if rows_a is None or rows_b is None:
        return f"  Django: {show(expected)}\n  covet:  {show(got)}"
    lines = [f"  Django: {show(expected, 600)}", f"  covet:  {show(got, 600)}"]
    only_a = [x for x in rows_a if x not in rows_b]
    only_b = [x for x in rows_b if x not in rows_a]
    if not only_a and not only_b:
        lines.append("  (the same rows, in another order)")
    elif len(only_a) == len(only_b) and all(_fields(x) for x in only_a + only_b):
        for x, y in zip(only_a, only_b, strict=True):
            fa, fb = _fields(x), _fields(y)
            keys = sorted({*fa, *fb} - {k for k in fa if fa.get(k) == fb.get(k)})
            row = fa.get("id", fb.get("id"))
            changed = ", ".join(f"{k}: Django {fa.get(k)!r} / covet {fb.get(k)!r}" for k in keys)
            lines.append(f"  row id={row!r}: {changed}")
    else:
        lines.append(f"  only Django: {_brief(only_a)}")
        lines.append(f"  only covet:  {_brief(only_b)}")
    return "\n".join(lines)


def _rows(value: Any) -> list[Any] | None:
    if isinstance(value, tuple) and len(value) == 2 and value[0] in ("list", "unordered"):
        return list(value[1])
    return None


def _fields(row: Any) -> dict[Any, Any]:
    """The fields of a canonical object or dict row (empty for anything else)."""
    if isinstance(row, tuple) and len(row) == 2 and row[0] == "object":
        return dict(row[1])
    if isinstance(row, tuple) and len(row) == 2 and row[0] == "dict":
        return {(k[1] if isinstance(k, tuple) else k): v for k, v in row[1]}
    return {}


def _brief(items: list[Any]) -> str:
    text = repr(items)
    return text if len(text) <= 800 else text[:800] + "..."


def compare(world: Any, build: Build, label: str) -> tuple[Answer, dict[str, str]]:
    """Django's answer, and for each covet API that answers otherwise a report naming the spec,
    backend and API with both answers."""
    with django_on(world.backend):
        expected = run_sync(build, world.django)
    answers = {
        "sync": run_sync(build, world.covet),
        "async": world.loop.run(run_async(build, world.covet)),
    }
    want = canon_answer(expected)
    differences = {}
    for api, answer in answers.items():
        answer.ordered = expected.ordered  # Django's QuerySet.ordered decides, for both
        if canon_answer(answer) != want:
            differences[api] = (
                f"{label} on {world.backend}: covet's {api} API answers otherwise than Django\n"
                + describe_difference(expected, answer)
            )
    return expected, differences

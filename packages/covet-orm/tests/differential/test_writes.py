"""Writes: what each ORM returns and what it stored, read back through Django from both tables.

Each spec runs on a fresh ``Scratch`` table per ORM and API (emptied, counters reset, three rows
inserted through that ORM). After the write, Django reads its own ``dj_scratch`` and, through
mirror models, covet's ``cv_scratch``: the stored rows must be the same. A spec may be a
generator that yields terminal calls (``o.call(obj, "save")``) and gets their results back.
"""

# ruff: noqa: E501 - one spec (or entry) per line, as long as the query is

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ..conftest import BACKENDS
from . import known
from .conftest import World
from .harness import (
    Answer,
    Chain,
    canon_answer,
    describe_difference,
    django_on,
    run_async,
    run_sync,
)
from .schema import ALIASES, Color
from .seed import BASE
from .spec import Spec, SpecList

SPECS = W = SpecList("writes")


def _row(**values: Any) -> dict[str, Any]:
    return {**BASE, **values}


START = [
    _row(name="one", n=1, n_n=1, f=1.5, dec=Decimal("1.5")),
    _row(name="two", n=2, n_n=None, f=2.5, dec=Decimal("-2")),
    _row(name="three", n=3, n_n=30, f=-1.0, dec=Decimal("0.25"), data={"a": 1}),
]


def _new(o: Any, **values: Any) -> Any:
    return o.Scratch(**_row(**values))


W("update_plain", lambda o: o.scratch.filter(n__gt=1).update(name="x", flag=True))
W("update_f_add", lambda o: o.scratch.update(n=o.F("n") + 1))
W("update_f_float", lambda o: o.scratch.update(f=o.F("f") + 0.9))
W("update_f_int_to_float", lambda o: o.scratch.update(f=o.F("n") + 0.9))
W("update_f_decimal", lambda o: o.scratch.update(dec=o.F("dec") * Decimal("1.5")))
W("update_f_nullable", lambda o: o.scratch.update(n_n=o.F("n_n") * 2))
W("update_null", lambda o: o.scratch.filter(n=1).update(n_n=None, data=None))
W("update_json", lambda o: o.scratch.update(data={"k": [1, "two", None]}, doc=[1.0, True]))
W("update_json_null_literal", lambda o: o.scratch.update(doc=None), raises=None)
W("update_too_long", lambda o: o.scratch.update(name="x" * 61), raises=None)
W("delete_filtered", lambda o: o.scratch.filter(n__gte=2).delete())
W("create_defaults", lambda o: o.scratch.create(**_row(name="new", n=4)))
W("get_or_create_found", lambda o: o.scratch.get_or_create(name="one", defaults={"n": 9}))
W("get_or_create_new", lambda o: o.scratch.get_or_create(name="four", defaults=_row(n=4)))
W(
    "get_or_create_callable",
    lambda o: o.scratch.get_or_create(name="five", defaults=_row(n=lambda: 5)),
)
W("update_or_create_found", lambda o: o.scratch.update_or_create(name="two", defaults={"n": 20}))
W("update_or_create_new", lambda o: o.scratch.update_or_create(name="six", defaults=_row(n=6)))
W(
    "update_or_create_create_defaults",
    lambda o: o.scratch.update_or_create(
        name="seven", defaults={"n": 7}, create_defaults=_row(n=70)
    ),
)
W(
    "bulk_create_rows",
    lambda o: o.scratch.bulk_create(
        [_new(o, name="b1", n=10), _new(o, name="b2", n=11, data=[1, None])]
    ),
)
W(
    "bulk_create_extremes",
    lambda o: o.scratch.bulk_create(
        [
            _new(
                o,
                name="x",
                n=1,
                d_n=__import__("datetime").date(9999, 12, 31),
                big_n=-(2**63),
                wide=Decimal("12345678901234567890.0123456789"),
            )
        ]
    ),
    raises=None,
)
W("bulk_create_json_none", lambda o: o.scratch.bulk_create([_new(o, name="j", n=1, data=None)]))
W("bulk_create_enum", lambda o: o.scratch.bulk_create([_new(o, name="e", n=1, color=Color.BLUE)]))


def _save_round_trip(o: Any) -> Any:
    obj = _new(o, name="saved", n=7, data={"x": [1, 2]})
    yield o.call(obj, "save")
    obj.n = 8
    obj.name = "resaved"
    yield o.call(obj, "save")
    fresh = yield o.scratch.get(pk=obj.pk)
    return fresh


def _save_update_fields(o: Any) -> Any:
    obj = yield o.scratch.get(name="one")
    obj.n, obj.name = 100, "changed"
    yield o.call(obj, "save", update_fields=["n"])
    yield o.call(obj, "refresh_from_db")
    return obj


def _delete_instance(o: Any) -> Any:
    obj = yield o.scratch.get(name="two")
    result = yield o.call(obj, "delete")
    return result


W("save_round_trip", _save_round_trip)
W("save_update_fields", _save_update_fields)
W("delete_instance", _delete_instance)


def _reset(world: World, which: str) -> None:
    """Empty one ORM's scratch table (auto ids restart at 1) and insert ``START`` through it."""
    if which == "django":
        from django.db import connections

        connection = connections[ALIASES[world.backend]]
        with django_on(world.backend):
            with connection.cursor() as cursor:
                _truncate(world.backend, "dj_scratch", cursor.execute)
            model = world.django.models.Scratch
            model.objects.bulk_create([model(**row) for row in START])
        return
    _truncate(world.backend, "cv_scratch", lambda sql: world.db.execute(sql))
    model = world.covet.models.Scratch
    model.objects.bulk_create([model(**row) for row in START])


def _truncate(backend: str, table: str, execute: Callable[[str], Any]) -> None:
    if backend == "postgres":
        execute(f'TRUNCATE "{table}" RESTART IDENTITY')
    elif backend == "mysql":
        execute(f"TRUNCATE TABLE `{table}`")
    else:
        execute(f'DELETE FROM "{table}"')
        execute(f"DELETE FROM sqlite_sequence WHERE name = '{table}'")


def _stored(world: World, models: Any) -> Answer:
    """The scratch rows as Django reads them (``models``: Django's own, or the mirror of covet's)."""
    with django_on(world.backend):
        return run_sync(lambda o: Chain(models.Scratch.objects.order_by("id")), world.django)


CASES = [
    pytest.param(backend, spec, id=f"{backend}-{spec.name}", marks=known.marks(spec.name, backend))
    for spec in SPECS
    for backend in BACKENDS
]


@pytest.mark.parametrize(("target", "spec"), CASES)
def test_write(target: str, spec: Spec, worlds: Callable[[str], World]) -> None:
    world = worlds(target)
    _reset(world, "django")
    expected, differences = _compare_write(world, spec)
    if expected.error is not None and spec.raises is False:
        pytest.fail(f"write spec {spec.name!r} is broken: Django raised: {expected.error!r}")
    known.settle(spec.name, target, differences)


def _compare_write(world: World, spec: Spec) -> tuple[Answer, dict[str, str]]:
    """Django once, then covet's sync and async API, each on a freshly reset table."""
    with django_on(world.backend):
        expected = run_sync(spec.build, world.django)
    want_rows = _stored(world, world.django.models)
    differences: dict[str, str] = {}
    label = f"write spec {spec.name!r}"
    for api in ("sync", "async"):
        _reset(world, "covet")
        if api == "sync":
            got = run_sync(spec.build, world.covet)
        else:
            got = world.loop.run(run_async(spec.build, world.covet))
        got_rows = _stored(world, world.mirror)
        problems = []
        if canon_answer(got) != canon_answer(expected):
            problems.append("returned:\n" + describe_difference(expected, got))
        if canon_answer(got_rows) != canon_answer(want_rows):
            problems.append(
                "stored (read back by Django):\n" + describe_difference(want_rows, got_rows)
            )
        if problems:
            differences[api] = (
                f"{label} on {world.backend}: covet's {api} API differs from Django, "
                + "\n".join(problems)
            )
    return expected, differences

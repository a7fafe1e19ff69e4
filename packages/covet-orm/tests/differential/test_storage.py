"""What each ORM stored from the same seed rows, read by Django from both tables.

Django reads its own ``dj_item`` and, through mirror models, covet's ``cv_item``; the values must be
the same, and so must the SQL NULLs (raw ``IS NULL`` counts): a value that reads back the same
but is stored otherwise (JSON ``null`` text for SQL NULL, ``infinity`` for year 9999) breaks
queries in ways a round trip through covet alone would hide.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ..conftest import BACKENDS
from . import known
from .conftest import World
from .harness import Chain, canon_answer, describe_difference, django_on, run_sync
from .schema import ALIASES, COLUMNS

CASES = [
    pytest.param(backend, name, id=f"{backend}-{name}", marks=known.marks(name, backend))
    for name in [
        "stored_values",
        *(f"stored_nulls:{c.name}" for c in COLUMNS if c.options.get("null")),
    ]
    for backend in BACKENDS
]


@pytest.mark.parametrize(("target", "name"), CASES)
def test_stored(target: str, name: str, worlds: Callable[[str], World]) -> None:
    world = worlds(target)
    if name == "stored_values":
        with django_on(target):
            ours = run_sync(
                lambda o: Chain(world.django.models.Item.objects.order_by("id")), world.django
            )
            theirs = run_sync(
                lambda o: Chain(world.mirror.Item.objects.order_by("id")), world.django
            )
    else:
        column = name.split(":", 1)[1]
        with django_on(target):
            ours = run_sync(
                lambda o: o.items.filter(**{f"{column}__isnull": True}).values_list(
                    "id", flat=True
                ),
                world.django,
            )
            from django.db import connections

            connection = connections[ALIASES[target]]
            with connection.cursor() as cursor:
                quote = connection.ops.quote_name
                cursor.execute(
                    f"SELECT id FROM {quote('cv_item')} WHERE {quote(column)} IS NULL ORDER BY id"
                )
                ids = [row[0] for row in cursor.fetchall()]
        from .harness import Answer

        theirs = Answer(ids)
        ours.value, ours.ordered = sorted(ours.value or []), True
    differences = {}
    if canon_answer(ours) != canon_answer(theirs):
        differences["sync"] = (
            f"{name} on {target}: covet stored otherwise than Django\n"
            + describe_difference(ours, theirs)
        )
    known.settle(
        name, target, {**differences, **({"async": differences["sync"]} if differences else {})}
    )

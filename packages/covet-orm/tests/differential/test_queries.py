"""Every read spec on every backend: Django's answer against covet's sync and async API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ..conftest import BACKENDS
from . import known
from .conftest import World
from .harness import compare, show
from .spec import Spec
from .specs_expressions import SPECS as EXPRESSIONS
from .specs_lookups import SPECS as LOOKUPS
from .specs_querysets import SPECS as QUERYSETS
from .specs_relations import SPECS as RELATIONS

SPECS: list[Spec] = [*LOOKUPS, *EXPRESSIONS, *QUERYSETS, *RELATIONS]
CASES = [
    pytest.param(backend, spec, id=f"{backend}-{spec.name}", marks=known.marks(spec.name, backend))
    for spec in SPECS
    for backend in BACKENDS
]


@pytest.mark.parametrize(("target", "spec"), CASES)
def test_spec(target: str, spec: Spec, worlds: Callable[[str], World]) -> None:
    world = worlds(target)
    expected, differences = compare(world, spec.build, f"spec {spec.name!r}")
    if expected.error is not None and spec.raises is False:
        pytest.fail(f"spec {spec.name!r} is broken: Django raised ({show(expected)})")
    if spec.raises and expected.error is None:
        pytest.fail(
            f"spec {spec.name!r} is marked raises=True but Django answered {show(expected)}"
        )
    known.settle(spec.name, target, differences)

"""``Spec``: one query (or write) described once for both ORMs, and the lists that collect them.

Adding a spec is one line in a ``specs_*.py`` module::

    S("n_gt", lambda o: o.items.filter(n__gt=5))

``o`` is ``harness.Orm``. Names are unique across the suite: a test id is ``<backend>-<name>``.
``raises=True`` marks a spec whose Django answer is an exception (otherwise a Django error is
taken for a broken spec); ``raises=None`` accepts either (generated specs). ``tags`` let known.py name a family of specs.
"""

# ruff: noqa: E501 - one spec (or entry) per line, as long as the query is

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

_names: set[str] = set()


@dataclass(frozen=True)
class Spec:
    name: str
    build: Callable[[Any], Any]
    group: str
    raises: bool | None = False
    tags: frozenset[str] = field(default_factory=frozenset)

    def __repr__(self) -> str:
        return self.name


class SpecList(list[Spec]):
    """The specs of one module: call it to add one."""

    def __init__(self, group: str) -> None:
        super().__init__()
        self.group = group

    def __call__(
        self,
        name: str,
        build: Callable[[Any], Any],
        *,
        raises: bool | None = False,
        tags: Iterable[str] = (),
    ) -> None:
        if name in _names:
            raise ValueError(f"two specs are named {name!r}")
        _names.add(name)
        self.append(Spec(name, build, self.group, raises, frozenset(tags)))

"""Every difference from Django the suite expects, each with its reason and its kind.

* ``bug``: covet answers wrongly; ``issue`` names the item of issue 8 §2 (or "new").
* ``missing``: an API Django has and covet-orm does not have yet (issue 8 §3).
* ``deliberate``: covet differs on purpose; docs/orm.md "Differences from Django" says why.

An entry covers the specs its ``specs`` patterns match (``fnmatch``) on its ``backends``; each
such test runs as ``xfail(strict=True)``: the difference must show on exactly the entry's
``apis``, and once it is gone the test XPASSes and fails, so the entry must be removed. While a
``bug`` or ``missing`` entry stands, the Hypothesis filter trees leave out its ``avoid`` tags
(constructs that would only find the same bug again).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

import pytest

ALL = ("sqlite", "postgres", "mysql")
BOTH = ("sync", "async")


@dataclass(frozen=True)
class Known:
    key: str
    kind: str  # bug | missing | deliberate
    issue: str  # "8§2.1" ... "8§3", "new"
    reason: str
    specs: tuple[str, ...]
    backends: tuple[str, ...] = ALL
    apis: tuple[str, ...] = BOTH
    avoid: frozenset[str] = frozenset()

    def matches(self, spec: str, backend: str) -> bool:
        return backend in self.backends and any(fnmatchcase(spec, p) for p in self.specs)

    def describe(self) -> str:
        return f"[{self.key}, {self.kind}, issue {self.issue}] {self.reason}"


class KnownDifference(AssertionError):
    """The difference a ``Known`` entry expects (what its xfail waits for)."""


KNOWN: list[Known] = []


def known(
    key: str,
    kind: str,
    issue: str,
    reason: str,
    specs: list[str],
    *,
    backends: tuple[str, ...] = ALL,
    apis: tuple[str, ...] = BOTH,
    avoid: tuple[str, ...] = (),
) -> None:
    assert kind in ("bug", "missing", "deliberate"), kind
    assert all(k.key != key for k in KNOWN), key
    KNOWN.append(Known(key, kind, issue, reason, tuple(specs), backends, apis, frozenset(avoid)))


def entry_for(spec: str, backend: str) -> Known | None:
    found = [k for k in KNOWN if k.matches(spec, backend)]
    if len(found) > 1:
        keys = ", ".join(k.key for k in found)
        raise AssertionError(f"spec {spec!r} on {backend} matches several known entries: {keys}")
    return found[0] if found else None


def marks(spec: str, backend: str) -> list[pytest.MarkDecorator]:
    entry = entry_for(spec, backend)
    if entry is None:
        return []
    return [pytest.mark.xfail(strict=True, raises=KnownDifference, reason=entry.describe())]


def avoided() -> frozenset[str]:
    """Tags the Hypothesis strategies must not generate while their bug is open."""
    return frozenset(t for k in KNOWN if k.kind != "deliberate" for t in k.avoid)


def settle(spec: str, backend: str, differences: dict[str, str]) -> None:
    """Fail with every difference, as expected (``KnownDifference``) or not (AssertionError)."""
    entry = entry_for(spec, backend)
    if not differences:
        return  # an entry's test then XPASSes: strict xfail fails it, naming the entry
    report = "\n".join(differences.values())
    if entry is None:
        raise AssertionError(report)
    if set(differences) != set(entry.apis):
        raise AssertionError(
            f"{report}\n(known entry {entry.key} expects a difference on the "
            f"{'/'.join(entry.apis)} API, found one on {'/'.join(sorted(differences))})"
        )
    raise KnownDifference(f"{entry.describe()}\n{report}")


# ---- the entries ------------------------------------------------------------------------------

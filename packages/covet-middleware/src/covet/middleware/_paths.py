"""Path patterns for exemptions and rate-limit rules."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PathMatcher"]


class PathMatcher:
    """Match request paths against patterns.

    A pattern is an exact path (``"/login"``), a prefix ending in ``*`` (``"/api/*"`` matches
    ``/api/`` and everything below it), or a regular expression starting with ``^`` that must match
    the whole path.
    """

    __slots__ = ("_exact", "_prefixes", "_regexes")

    def __init__(self, patterns: str | Iterable[str] = ()) -> None:
        items = [patterns] if isinstance(patterns, str) else list(patterns)
        self._exact = frozenset(p for p in items if not p.endswith("*") and not p.startswith("^"))
        self._prefixes = tuple(p[:-1] for p in items if p.endswith("*") and not p.startswith("^"))
        self._regexes = tuple(re.compile(p) for p in items if p.startswith("^"))

    def __bool__(self) -> bool:
        return bool(self._exact or self._prefixes or self._regexes)

    def matches(self, path: str) -> bool:
        if path in self._exact or path.startswith(self._prefixes):
            return True
        return any(regex.fullmatch(path) for regex in self._regexes)

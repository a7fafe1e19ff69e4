"""Extensions: installed packages that wrap every app, without covet.http importing them.

A distribution declares an entry point in the group ``covet.http.extensions``; its value is a
pure-ASGI middleware class (``cls(app) -> ASGIApp``). Every ``Covet`` app wraps its stack in each
installed extension, in name order, outside the user's middleware, when the stack is built
(start-up or first request). ``Covet(extensions=False)`` turns them all off;
``Covet(extensions={"name": False})`` one of them.

covet-orm uses this (``sync_orm_in_async``) to let its sync API run inside async handlers
without blocking the event loop; covet.http knows nothing about it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from covet.http._exceptions import ConfigurationError
from covet.http._types import ASGIApp

GROUP = "covet.http.extensions"

Extension = Callable[[ASGIApp], ASGIApp]


@functools.cache
def installed() -> tuple[tuple[str, Extension], ...]:
    """The installed extensions, by name (loaded once per process)."""
    found: list[tuple[str, Extension]] = []
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            factory = entry.load()
        except Exception as exc:
            raise ConfigurationError(
                f"the covet.http extension {entry.name!r} ({entry.value}) cannot be loaded: "
                f"{exc!r}; reinstall its package, or turn it off with "
                f"Covet(extensions={{{entry.name!r}: False}})"
            ) from exc
        found.append((entry.name, factory))
    return tuple(found)


def enabled(choice: bool | Mapping[str, bool]) -> list[tuple[str, Extension]]:
    """The extensions an app with ``extensions=choice`` uses."""
    if choice is False:
        return []
    available = installed()
    if choice is True:
        return list(available)
    names = {name for name, _ in available}
    missing = sorted(name for name, on in choice.items() if on and name not in names)
    if missing:
        raise ConfigurationError(
            f"extension(s) {', '.join(missing)} are not installed; installed: "
            f"{', '.join(sorted(names)) or 'none'}"
        )
    return [(name, factory) for name, factory in available if choice.get(name, True)]

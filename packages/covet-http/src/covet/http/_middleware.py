"""Middleware lists: ``Middleware(cls, ...)`` entries, stacks, and layers shared by routes.

A list is read outermost first, as in Starlette: ``middleware=[A, B]`` sees a request go
through A, then B, then the app. A :class:`Layer` is one list built once into one stack whose
innermost app continues with whatever the dispatcher asks for, so the routes of an included
router (or the copies of one route) all pass through the same middleware instances.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

from covet.http._exceptions import ConfigurationError
from covet.http._types import ASGIApp, Receive, Scope, Send

__all__ = ["Layer", "Middleware", "MiddlewareSpec", "build_stack", "normalize", "run_layers"]

_NEXT = "covet.next_app"


class Middleware:
    """One entry of a ``middleware=[...]`` list: ``Middleware(cls, *args, **options)``.

    Starlette's ``Middleware`` and a ``(cls, options_dict)`` pair are accepted too.
    """

    __slots__ = ("args", "cls", "kwargs")

    def __init__(self, cls: Callable[..., ASGIApp], /, *args: Any, **kwargs: Any) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __iter__(self) -> Iterator[Any]:
        return iter((self.cls, self.args, self.kwargs))

    def __repr__(self) -> str:
        options = [*map(repr, self.args), *(f"{k}={v!r}" for k, v in self.kwargs.items())]
        name = getattr(self.cls, "__name__", repr(self.cls))
        return f"Middleware({', '.join([name, *options])})"


MiddlewareSpec = Middleware | tuple[Any, ...] | Callable[..., ASGIApp]


def normalize(items: Sequence[Any] | None) -> list[Middleware]:
    """Every accepted spelling as a :class:`Middleware` (a clear error for anything else)."""
    out: list[Middleware] = []
    for item in items or ():
        if isinstance(item, Middleware):
            out.append(item)
            continue
        if not isinstance(item, type) and hasattr(type(item), "__iter__"):
            parts = tuple(item)  # a (cls, options) pair, or Starlette's Middleware
            if len(parts) == 2 and isinstance(parts[1], dict):
                out.append(Middleware(parts[0], **parts[1]))
                continue
            if len(parts) == 3 and isinstance(parts[1], tuple) and isinstance(parts[2], dict):
                out.append(Middleware(parts[0], *parts[1], **parts[2]))
                continue
        elif callable(item):
            out.append(Middleware(item))
            continue
        raise ConfigurationError(
            f"{item!r} is not a middleware entry: use Middleware(cls, **options), "
            "a (cls, options_dict) pair or the class itself"
        )
    return out


def build_stack(middleware: Sequence[Middleware], app: ASGIApp) -> ASGIApp:
    """Wrap ``app``: the first entry ends up outermost."""
    for entry in reversed(middleware):
        app = entry.cls(app, *entry.args, **entry.kwargs)
    return app


async def _continue(scope: Scope, receive: Receive, send: Send) -> None:
    await scope[_NEXT](scope, receive, send)


class Layer:
    """One middleware list built once, around an app the dispatcher chooses per request."""

    __slots__ = ("app", "middleware")

    def __init__(self, middleware: Sequence[Middleware]) -> None:
        self.middleware = list(middleware)
        self.app = build_stack(self.middleware, _continue)

    async def run(self, scope: Scope, receive: Receive, send: Send, then: ASGIApp) -> None:
        scope[_NEXT] = then
        await self.app(scope, receive, send)


Endpoint = Callable[[Scope, Receive, Send], Awaitable[None]]


async def run_layers(
    layers: Sequence[Layer], scope: Scope, receive: Receive, send: Send, endpoint: Endpoint
) -> None:
    """Pass the request through ``layers`` (outermost first), then to ``endpoint``."""
    if not layers:
        await endpoint(scope, receive, send)
        return
    first, rest = layers[0], layers[1:]

    async def then(scope: Scope, receive: Receive, send: Send) -> None:
        await run_layers(rest, scope, receive, send, endpoint)

    await first.run(scope, receive, send, then)

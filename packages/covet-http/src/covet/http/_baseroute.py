"""What every route is: path segments, a name, and reversing a path from parameters."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from covet.http._exceptions import ConfigurationError
from covet.http._urls import URLPath

__all__ = ["BaseRoute", "NoMatchFound"]


class NoMatchFound(ConfigurationError, KeyError):
    """``url_path_for`` was asked for a route name (or parameters) that does not exist."""


class BaseRoute:
    path: str
    name: str | None
    segments: list[Any]

    def url_path_for(self, name: str, /, **params: Any) -> URLPath:
        raise NoMatchFound(name)

    def _build_path(self, params: dict[str, Any]) -> str:
        names = {seg[0] for seg in self.segments if isinstance(seg, tuple)}
        if set(params) != names:
            raise NoMatchFound(
                f"route {self.name!r} takes path parameters {sorted(names)}, got {sorted(params)}"
            )
        parts: list[str] = []
        for segment in self.segments:
            if isinstance(segment, str):
                parts.append(quote(segment, safe=""))
                continue
            name, convertor = segment
            text = convertor.to_string(params[name])
            parts.append(quote(text, safe="/" if convertor.greedy else ""))
        return "/" + "/".join(parts)

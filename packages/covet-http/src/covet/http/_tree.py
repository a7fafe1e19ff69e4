"""The route tree: one node per path segment, a method table per node.

Matching walks the request's decoded segments: static children first, then parameter children in
converter priority order (``int`` before ``str``), then a greedy ``path`` parameter; a node that
holds a mount catches whatever its subtree does not. Nothing is a linear scan over all routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from covet.http._convertors import Convertor, get_convertor
from covet.http._exceptions import ConfigurationError

if TYPE_CHECKING:
    from covet.http._routing import Mount, Route, WebSocketRoute

Segment = str | tuple[str, Convertor]


def parse_path(path: str) -> list[Segment]:
    """``/users/{id:int}/`` -> ``["users", ("id", IntegerConvertor), ""]``."""
    if not path.startswith("/"):
        raise ConfigurationError(f"route paths must start with '/': {path!r}")
    if path == "/":
        return []
    segments: list[Segment] = []
    seen: set[str] = set()
    parts = path[1:].split("/")
    for index, part in enumerate(parts):
        if "{" in part or "}" in part:
            if not (part.startswith("{") and part.endswith("}")) or part.count("{") != 1:
                raise ConfigurationError(
                    f"a path parameter must be a whole segment: {part!r} in {path!r}"
                )
            name, _, convertor_name = part[1:-1].partition(":")
            name = name.strip()
            if not name.isidentifier():
                raise ConfigurationError(f"invalid path parameter name {name!r} in {path!r}")
            if name in seen:
                raise ConfigurationError(f"duplicate path parameter {name!r} in {path!r}")
            seen.add(name)
            convertor = get_convertor(convertor_name.strip() or "str", path)
            if convertor.greedy and index != len(parts) - 1:
                raise ConfigurationError(f"a {{name:path}} parameter must come last: {path!r}")
            segments.append((name, convertor))
        else:
            segments.append(part)
    return segments


def split_path(path: str) -> list[str]:
    return [] if path in ("/", "") else path[1:].split("/")


def split_raw_path(raw_path: bytes) -> list[str]:
    """Segments decoded one by one, so ``%2F`` stays inside its segment."""
    if raw_path in (b"/", b""):
        return []
    return [unquote(part.decode("latin-1")) for part in raw_path[1:].split(b"/")]


class Node:
    __slots__ = ("allow", "greedy", "http", "mount", "params", "static", "websocket")

    def __init__(self) -> None:
        self.static: dict[str, Node] = {}
        self.params: list[tuple[str, Convertor, Node]] = []
        self.greedy: list[tuple[str, Convertor, Node]] = []
        self.http: dict[str, Route] = {}
        self.websocket: WebSocketRoute | None = None
        self.mount: Mount | None = None
        self.allow = ""

    def child(self, segment: Segment) -> Node:
        if isinstance(segment, str):
            return self.static.setdefault(segment, Node())
        name, convertor = segment
        bucket = self.greedy if convertor.greedy else self.params
        for existing_name, existing, node in bucket:
            if existing_name == name and existing is convertor:
                return node
        node = Node()
        bucket.append((name, convertor, node))
        bucket.sort(key=lambda item: item[1].priority)
        return node

    def finish(self) -> None:
        if self.http:
            methods = set(self.http) | {"OPTIONS"}
            self.allow = ", ".join(sorted(methods))
        for node in self.static.values():
            node.finish()
        for _, _, node in (*self.params, *self.greedy):
            node.finish()


def walk(node: Node, segments: list[str], params: dict[str, Any], method: str) -> Node | None:
    """The common case without backtracking: first fitting child at each level.

    It finds what :func:`match` would find first whenever it finds anything; when it returns
    None the caller falls back to the full search.
    """
    for segment in segments:
        child = node.static.get(segment)
        if child is None:
            if not segment:
                return None
            for name, convertor, candidate in node.params:
                try:
                    params[name] = convertor.convert(segment)
                except ValueError:
                    continue
                child = candidate
                break
            else:
                return None
        node = child
    return node if method in node.http else None


def match(
    node: Node, segments: list[str], index: int, params: dict[str, Any], want: str | None
) -> tuple[Node | None, Mount | None, int]:
    """Find the node for ``segments[index:]``.

    ``want`` is an HTTP method (the node must serve it), ``"*"`` (any HTTP method), or
    ``"websocket"``. Returns ``(node, None, 0)``, ``(None, mount, consumed)`` or
    ``(None, None, 0)``.
    """
    if index == len(segments):
        if _serves(node, want):
            return node, None, 0
    else:
        segment = segments[index]
        child = node.static.get(segment)
        if child is not None:
            found = match(child, segments, index + 1, params, want)
            if found[0] is not None or found[1] is not None:
                return found
        if segment:
            for name, convertor, child in node.params:
                try:
                    value = convertor.convert(segment)
                except ValueError:
                    continue
                params[name] = value
                found = match(child, segments, index + 1, params, want)
                if found[0] is not None or found[1] is not None:
                    return found
                del params[name]
    for name, convertor, child in node.greedy:
        if _serves(child, want):
            try:
                params[name] = convertor.convert("/".join(segments[index:]))
            except ValueError:
                continue
            return child, None, 0
    if node.mount is not None and want != "*":
        return None, node.mount, index
    return None, None, 0


def _serves(node: Node, want: str | None) -> bool:
    if want == "websocket":
        return node.websocket is not None
    if want == "*":
        return bool(node.http)
    return want in node.http

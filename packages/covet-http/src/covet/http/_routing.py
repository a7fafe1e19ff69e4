"""Routes, mounts and the Router: registration, the compiled tree, dispatch and ``url_path_for``."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import quote, unquote

from covet.http._convertors import Convertor
from covet.http._endpoint import _DEFAULT, Settings, handle_http, handle_websocket
from covet.http._exceptions import ConfigurationError, HTTPException
from covet.http._openapi._options import OperationOptions
from covet.http._params import Depends
from covet.http._requests import Request
from covet.http._response_model import route_serializer
from covet.http._signature import analyse, path_param_types
from covet.http._solve import check_dependencies
from covet.http._tree import Node, match, parse_path, split_path, split_raw_path, walk
from covet.http._types import ASGIApp, Receive, Scope, Send

F = TypeVar("F", bound=Callable[..., Any])
TrailingSlash = Literal["redirect", "strict", "ignore"]


class NoMatchFound(ConfigurationError, KeyError):
    """``url_path_for`` was asked for a route name (or parameters) that does not exist."""


def _as_depends(items: Iterable[Depends | Callable[..., Any]] | None) -> list[Depends]:
    return [item if isinstance(item, Depends) else Depends(item) for item in items or ()]


class BaseRoute:
    path: str
    name: str | None
    segments: list[Any]

    def url_path_for(self, name: str, /, **params: Any) -> str:
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


class Route(BaseRoute):
    """An HTTP endpoint: a path, its methods and the analysed handler."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Iterable[str] | None = None,
        name: str | None = None,
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
        status_code: int | None = None,
        max_body_size: int | None = _DEFAULT,
        include_in_schema: bool = True,
        response_model: Any = None,
        **openapi: Any,
    ) -> None:
        self.path = path
        self.endpoint = endpoint
        self.methods = _check_methods(methods, endpoint)
        #: HEAD was added for GET, so an explicit HEAD route on the same path wins
        self.implicit_head = "GET" in self.methods and "HEAD" not in self.methods
        if self.implicit_head:
            self.methods.add("HEAD")
        self.name = name if name is not None else getattr(endpoint, "__name__", None)
        #: only a name given with ``name=`` must be unique; inferred ones may repeat
        self.name_given = name is not None
        self.dependencies = _as_depends(dependencies)
        self.status_code = status_code
        self.max_body_size = max_body_size
        self.include_in_schema = include_in_schema
        #: tags, summary, responses... for the OpenAPI document
        self.openapi = OperationOptions.build(f"route {path!r}", openapi)
        #: the declared output type; ``serialize`` cuts each result down to it
        self.response_model = response_model
        self.serialize = None if response_model is None else route_serializer(response_model)
        self.segments = parse_path(path)
        self.convertors: dict[str, Convertor] = {
            s[0]: s[1] for s in self.segments if isinstance(s, tuple)
        }
        self.plan = analyse(endpoint, path_param_types(self.convertors))
        check_dependencies(self.plan, self.dependencies)
        self.fast = self.plan.simple and not self.dependencies

    @property
    def own_methods(self) -> set[str]:
        """The methods registered, without the HEAD added for GET."""
        return self.methods - {"HEAD"} if self.implicit_head else self.methods

    def url_path_for(self, name: str, /, **params: Any) -> str:
        if name != self.name:
            raise NoMatchFound(name)
        return self._build_path(params)

    def copy(self, prefix: str, dependencies: list[Depends], tags: Sequence[str] = ()) -> Route:
        return Route(
            prefix + self.path,
            self.endpoint,
            methods=self.own_methods,
            name=self.name if self.name_given else None,
            dependencies=[*dependencies, *self.dependencies],
            status_code=self.status_code,
            max_body_size=self.max_body_size,
            include_in_schema=self.include_in_schema,
            response_model=self.response_model,
            **self.openapi.with_tags(tags).options(),
        )

    async def handle(self, scope: Scope, receive: Receive, send: Send, settings: Settings) -> None:
        await handle_http(self, scope, receive, send, settings)

    def __repr__(self) -> str:
        return f"Route(path={self.path!r}, name={self.name!r}, methods={sorted(self.methods)!r})"


class WebSocketRoute(BaseRoute):
    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
    ) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            raise ConfigurationError(f"websocket handler {endpoint!r} must be an async def")
        self.path = path
        self.endpoint = endpoint
        self.name = name if name is not None else getattr(endpoint, "__name__", None)
        self.name_given = name is not None
        self.dependencies = _as_depends(dependencies)
        self.segments = parse_path(path)
        convertors = {s[0]: s[1] for s in self.segments if isinstance(s, tuple)}
        self.plan = analyse(endpoint, path_param_types(convertors), websocket=True)
        check_dependencies(self.plan, self.dependencies)

    def url_path_for(self, name: str, /, **params: Any) -> str:
        if name != self.name:
            raise NoMatchFound(name)
        return self._build_path(params)

    def copy(self, prefix: str, dependencies: list[Depends]) -> WebSocketRoute:
        return WebSocketRoute(
            prefix + self.path,
            self.endpoint,
            name=self.name if self.name_given else None,
            dependencies=[*dependencies, *self.dependencies],
        )

    def __repr__(self) -> str:
        return f"WebSocketRoute(path={self.path!r}, name={self.name!r})"


class Mount(BaseRoute):
    """Any ASGI app below a path prefix; it sees ``root_path`` extended by the prefix."""

    def __init__(self, path: str, app: ASGIApp, *, name: str | None = None) -> None:
        path = path.rstrip("/")
        self.path = path
        self.app = app
        self.name = name
        self.segments = parse_path(path or "/")
        if any(isinstance(s, tuple) and s[1].greedy for s in self.segments):
            raise ConfigurationError(f"a mount prefix cannot use the path converter: {path!r}")

    def url_path_for(self, name: str, /, **params: Any) -> str:
        if self.name is None or not name.startswith(self.name + ":"):
            raise NoMatchFound(name)
        inner = getattr(self.app, "url_path_for", None)
        if inner is None:
            raise NoMatchFound(name)
        own = {
            k: params.pop(k)
            for k in list(params)
            if any(isinstance(s, tuple) and s[0] == k for s in self.segments)
        }
        prefix = self._build_path(own) if self.path else ""
        try:
            inner_path = inner(name[len(self.name) + 1 :], **params)
        except Exception as exc:  # the mounted app's own "no match" (Starlette has its own)
            raise NoMatchFound(f"{name!r}: {exc}") from exc
        return prefix.rstrip("/") + str(inner_path)

    def copy(self, prefix: str, dependencies: list[Depends]) -> Mount:
        return Mount(prefix + self.path, self.app, name=self.name)

    def __repr__(self) -> str:
        return f"Mount(path={self.path!r}, app={self.app!r})"


class Router:
    """A set of routes compiled into one tree; itself an ASGI app.

    ``app.include_router(router, prefix=...)`` copies its routes into the app, with the router's
    and the include call's ``dependencies`` run before every one of them.
    """

    def __init__(
        self,
        routes: Sequence[BaseRoute] | None = None,
        *,
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
        trailing_slash: TrailingSlash = "redirect",
        settings: Settings | None = None,
    ) -> None:
        if trailing_slash not in ("redirect", "strict", "ignore"):
            raise ConfigurationError("trailing_slash must be 'redirect', 'strict' or 'ignore'")
        self.routes: list[BaseRoute] = []
        self.dependencies = _as_depends(dependencies)
        self.trailing_slash = trailing_slash
        self.settings = settings or Settings()
        self._root: Node | None = None
        #: who answers lifespan events (Covet sets it; a bare Router just acknowledges them)
        self.lifespan_handler: ASGIApp | None = None
        self._static: dict[str, Node] = {}
        #: (path shape, method | "websocket" | "mount") and ("name", name) -> the route holding it
        self._taken: dict[tuple[Any, ...], BaseRoute] = {}
        for route in routes or ():
            self._append(route)

    # -- registration -----------------------------------------------------------------------

    def _append(self, route: BaseRoute, *, own: bool = False, included: bool = False) -> None:
        """Add ``route``; unless the router built it (``own``), copy it with our dependencies.

        Explicit names are unique per router; an ``included`` router's names were checked there
        (the same router may be included under two prefixes, /v1 and /v2).
        """
        if self.dependencies and not own and isinstance(route, Route | WebSocketRoute):
            route = route.copy("", self.dependencies)
        keys = _route_keys(route, names=not included)
        for key in keys:
            other = self._taken.get(key)
            if other is not None:
                raise ConfigurationError(_conflict(key, other, route))
        for key in keys:
            self._taken[key] = route
        self.routes.append(route)
        self._root = None

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] | None = None,
        *,
        name: str | None = None,
        **options: Any,
    ) -> Route:
        dependencies = [*self.dependencies, *_as_depends(options.pop("dependencies", None))]
        route = Route(
            path, endpoint, methods=methods, name=name, dependencies=dependencies, **options
        )
        self._append(route, own=True)
        return route

    def add_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
    ) -> WebSocketRoute:
        route = WebSocketRoute(
            path, endpoint, name=name, dependencies=[*self.dependencies, *_as_depends(dependencies)]
        )
        self._append(route, own=True)
        return route

    def route(
        self, path: str, methods: Iterable[str] | None = None, **options: Any
    ) -> Callable[[F], F]:
        """Register the decorated function for ``path`` and ``methods`` (default GET)."""

        def decorator(func: F) -> F:
            self.add_route(path, func, methods, **options)
            return func

        return decorator

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ["GET"], **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ["POST"], **options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ["PUT"], **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ["PATCH"], **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.route(path, ["DELETE"], **options)

    def websocket(self, path: str, **options: Any) -> Callable[[F], F]:
        def decorator(func: F) -> F:
            self.add_websocket_route(path, func, **options)
            return func

        return decorator

    def mount(self, path: str, app: ASGIApp, *, name: str | None = None) -> None:
        self._append(Mount(path, app, name=name))

    def include_router(
        self,
        router: Router,
        *,
        prefix: str = "",
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        """Copy ``router``'s routes under ``prefix``; ``dependencies`` run before each of them.

        ``tags`` are added to every copied route's OpenAPI tags."""
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ConfigurationError(f"a router prefix must start and not end with '/': {prefix!r}")
        extra = _as_depends(dependencies)
        for route in router.routes:
            if isinstance(route, Route):
                self._append(route.copy(prefix, extra, tags), included=True)
            else:
                self._append(route.copy(prefix, extra), included=True)  # type: ignore[attr-defined]

    def url_path_for(self, name: str, /, **params: Any) -> str:
        for route in self.routes:
            try:
                return route.url_path_for(name, **params)
            except NoMatchFound:
                continue
        raise NoMatchFound(f"no route named {name!r} with parameters {sorted(params)}")

    # -- the tree ---------------------------------------------------------------------------

    def compile(self) -> Node:
        root = Node()
        static: dict[str, Node] = {}
        implicit_heads: list[tuple[Node, Route]] = []
        for route in self.routes:
            node = root
            for segment in route.segments:
                node = node.child(segment)
            if isinstance(route, Route):
                for method in route.methods:
                    if method == "HEAD" and route.implicit_head:
                        implicit_heads.append((node, route))
                    else:
                        node.http.setdefault(method, route)
                if all(isinstance(s, str) for s in route.segments):
                    static.setdefault(route.path if route.segments else "/", node)
            elif isinstance(route, WebSocketRoute):
                if node.websocket is None:
                    node.websocket = route
            elif isinstance(route, Mount) and node.mount is None:
                node.mount = route
        for node, route in implicit_heads:
            node.http.setdefault("HEAD", route)
        root.finish()
        self._static = static
        self._root = root
        return root

    # -- dispatch ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = self._root or self.compile()
        kind = scope["type"]
        if kind == "http":
            raw = scope.get("raw_path")
            if not scope.get("root_path") and (raw is None or b"%" not in raw):
                node = self._static.get(scope["path"])
                if node is not None:
                    route = node.http.get(scope["method"])
                    if route is not None:  # the fast path: a static path, a served method
                        scope["path_params"] = {}
                        await handle_http(route, scope, receive, send, self.settings)
                        return
            await self._http(root, scope, receive, send)
        elif kind == "websocket":
            await self._websocket(root, scope, receive, send)
        elif kind == "lifespan":
            if self.lifespan_handler is not None:
                await self.lifespan_handler(scope, receive, send)
            else:
                await _bare_lifespan(receive, send)

    def _segments(self, scope: Scope) -> tuple[list[str], str]:
        full: str = scope["path"]
        path = full
        root_path: str = scope.get("root_path", "")
        skip = 0
        if (
            root_path
            and path.startswith(root_path)
            and (len(path) == len(root_path) or path[len(root_path)] == "/")
        ):
            path = path[len(root_path) :] or "/"
            skip = len(split_path(root_path))
        raw: bytes | None = scope.get("raw_path")
        if raw is not None and b"%" in raw:
            raw = raw.split(b"?", 1)[0]
            if skip:
                # raw_path may lack root_path while path has it (the test client, servers
                # without the convention, mounts below them): skip only what raw_path covers
                decoded = unquote(raw.decode("latin-1"))
                if full.endswith(decoded):
                    skip = len(split_path(root_path[len(full) - len(decoded) :]))
            return split_raw_path(raw)[skip:], path
        return split_path(path), path

    async def _http(self, root: Node, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        segments, _ = self._segments(scope)
        params: dict[str, Any] = {}
        found = walk(root, segments, params, method)
        if found is not None:
            scope["path_params"] = params
            await handle_http(found.http[method], scope, receive, send, self.settings)
            return
        params.clear()
        found, mount, consumed = match(root, segments, 0, params, method)
        if found is not None:
            scope["path_params"] = params
            await handle_http(found.http[method], scope, receive, send, self.settings)
            return
        if mount is not None:
            await _enter_mount(mount, segments[:consumed], params, scope, receive, send)
            return
        params.clear()
        found, _, _ = match(root, segments, 0, params, "*")
        if found is not None:
            if method == "OPTIONS":
                await send(
                    {
                        "type": "http.response.start",
                        "status": 204,
                        "headers": [(b"allow", found.allow.encode())],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return
            await self._error(
                HTTPException(405, headers={"Allow": found.allow}), scope, receive, send
            )
            return
        if self.trailing_slash != "strict" and segments:
            other = segments[:-1] if segments[-1] == "" else [*segments, ""]
            params.clear()
            found, _, _ = match(root, other, 0, params, method)
            if found is not None:
                if self.trailing_slash == "ignore":
                    scope["path_params"] = params
                    await handle_http(found.http[method], scope, receive, send, self.settings)
                    return
                await self._redirect_slash(scope, send, segments[-1] == "")
                return
        await self._error(HTTPException(404), scope, receive, send)

    async def _redirect_slash(self, scope: Scope, send: Send, strip: bool) -> None:
        raw = scope.get("raw_path")
        path = raw.split(b"?", 1)[0].decode("latin-1") if raw else quote(scope["path"])
        path = path[:-1] if strip else path + "/"
        # keep it a path on this host: no "//host" and no backslash browsers read as a slash
        path = "/" + quote(path, safe="/%:@!$&'()*+,;=-._~").lstrip("/")
        query = scope.get("query_string", b"")
        location = path + ("?" + query.decode("latin-1") if query else "")
        await send(
            {
                "type": "http.response.start",
                "status": 307,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _error(self, exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        await self.settings.handle_error(exc, request, send)

    async def _websocket(self, root: Node, scope: Scope, receive: Receive, send: Send) -> None:
        segments, _ = self._segments(scope)
        params: dict[str, Any] = {}
        found, mount, consumed = match(root, segments, 0, params, "websocket")
        if found is not None and found.websocket is not None:
            scope["path_params"] = params
            await handle_websocket(found.websocket, scope, receive, send, self.settings)
        elif mount is not None:
            await _enter_mount(mount, segments[:consumed], params, scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1000, "reason": "no such route"})


_METHOD = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+\Z")  # an RFC 9110 token


def _check_methods(methods: Iterable[str] | None, endpoint: Callable[..., Any]) -> set[str]:
    if isinstance(methods, str):
        raise ConfigurationError(
            f"methods for {getattr(endpoint, '__qualname__', endpoint)!r} must be a list such as "
            f"[{methods!r}], not the string {methods!r}"
        )
    checked: set[str] = set()
    for method in methods or ("GET",):
        if not isinstance(method, str) or not _METHOD.match(method):
            raise ConfigurationError(f"{method!r} is not an HTTP method name")
        checked.add(method.upper())
    return checked


def _route_keys(route: BaseRoute, *, names: bool = True) -> list[tuple[Any, ...]]:
    """What ``route`` claims: path shape (parameter names ignored) per method, and its name."""
    shape = tuple(s if isinstance(s, str) else ("{}", s[1]) for s in route.segments)
    if isinstance(route, Route):
        keys: list[tuple[Any, ...]] = [(shape, method) for method in sorted(route.own_methods)]
        named = route.name_given
    elif isinstance(route, WebSocketRoute):
        keys, named = [(shape, "websocket")], route.name_given
    elif isinstance(route, Mount):
        keys, named = [(shape, "mount")], route.name is not None
    else:
        return []
    if named and names:
        keys.append(("mount name" if isinstance(route, Mount) else "name", route.name))
    return keys


def _describe(route: BaseRoute) -> str:
    target = route.app if isinstance(route, Mount) else getattr(route, "endpoint", route)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    handler = f"{module}.{qualname}" if module and qualname else repr(target)
    return f"{handler} ({route.path or '/'})"


def _conflict(key: tuple[Any, ...], existing: BaseRoute, new: BaseRoute) -> str:
    if key[0] in ("name", "mount name"):
        return (
            f"the route name {key[1]!r} is already used by {_describe(existing)}; "
            f"cannot give it to {_describe(new)} too (pass another name=)"
        )
    what = {"websocket": "a websocket route", "mount": "a mount"}.get(key[1], key[1])
    return (
        f"{what} for {new.path or '/'} is already handled by {_describe(existing)}; "
        f"{_describe(new)} would never be reached (a path parameter's name does not "
        "make it a different route)"
    )


async def _enter_mount(
    mount: Mount,
    consumed: list[str],
    params: dict[str, Any],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    prefix = "/" + "/".join(consumed) if consumed else ""
    root_path = scope.get("root_path", "")
    child = dict(scope)
    child["root_path"] = root_path + prefix
    child["app_root_path"] = child["root_path"]  # Starlette builds url_for's base from it
    child["path_params"] = {**scope.get("path_params", {}), **params}
    if root_path and not scope["path"].startswith(root_path):  # a server without the convention
        child["path"] = root_path + scope["path"]
    await mount.app(child, receive, send)


async def _bare_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return

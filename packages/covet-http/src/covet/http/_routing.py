"""Routes, mounts and the Router: registration, the compiled tree, dispatch and ``url_path_for``."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeGuard, TypeVar, get_args, get_origin
from urllib.parse import quote, unquote

from covet.http._baseroute import BaseRoute, NoMatchFound
from covet.http._convertors import Convertor
from covet.http._endpoint import (
    _DEFAULT,
    Settings,
    handle_http,
    handle_websocket,
    handle_websocket_refusal,
)
from covet.http._endpoint_classes import (
    HTTPEndpoint,
    WebSocketEndpoint,
    verb_handlers,
    websocket_handler,
)
from covet.http._exceptions import ConfigurationError, HTTPException
from covet.http._middleware import Layer, normalize, run_layers
from covet.http._mounts import Host, Mount
from covet.http._openapi._options import OperationOptions
from covet.http._params import Depends
from covet.http._requests import Request
from covet.http._response_model import route_serializer
from covet.http._signature import analyse, path_param_types
from covet.http._solve import check_dependencies
from covet.http._tree import Node, match, parse_path, split_path, split_raw_path, walk
from covet.http._types import ASGIApp, Receive, Scope, Send
from covet.http._urls import URLPath, parse_host, request_target_problem

__all__ = [
    "BaseRoute",
    "Host",
    "Mount",
    "NoMatchFound",
    "Route",
    "Router",
    "TrailingSlash",
    "WebSocketRoute",
]

F = TypeVar("F", bound=Callable[..., Any])
TrailingSlash = Literal["redirect", "strict", "ignore"]


def _as_depends(items: Iterable[Depends | Callable[..., Any]] | None) -> list[Depends]:
    return [item if isinstance(item, Depends) else Depends(item) for item in items or ()]


def _is_endpoint_class(endpoint: Any) -> TypeGuard[type[HTTPEndpoint]]:
    return isinstance(endpoint, type) and issubclass(endpoint, HTTPEndpoint)


def _is_websocket_class(endpoint: Any) -> TypeGuard[type[WebSocketEndpoint]]:
    return isinstance(endpoint, type) and issubclass(endpoint, WebSocketEndpoint)


def endpoint_name(endpoint: Any) -> str:
    """A route's default name: the function's, through ``functools.partial``; else the class's."""
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    name = getattr(endpoint, "__name__", None)
    return name if isinstance(name, str) else type(endpoint).__name__


class Route(BaseRoute):
    """An HTTP endpoint: a path, its methods and the analysed handler.

    ``endpoint`` may be an :class:`HTTPEndpoint` subclass: each verb method it defines becomes
    a handler of its own (``handlers``), and ``methods`` defaults to those verbs.
    """

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
        middleware: Sequence[Any] | None = None,
        response_model: Any = None,
        **openapi: Any,
    ) -> None:
        self.path = path
        self.endpoint = endpoint
        verbs = verb_handlers(endpoint) if _is_endpoint_class(endpoint) else None
        if verbs is not None and methods is None:
            methods = list(verbs)  # HEAD too when the class defines head(); else it comes with GET
        self.methods = _check_methods(methods, endpoint)
        if verbs is not None and not self.methods <= set(verbs):
            raise ConfigurationError(
                f"{endpoint_name(endpoint)} has no method for {sorted(self.methods - set(verbs))}"
            )
        #: HEAD was added for GET, so an explicit HEAD route on the same path wins
        self.implicit_head = "GET" in self.methods and "HEAD" not in self.methods
        if self.implicit_head:
            self.methods.add("HEAD")
        self.name = name if name is not None else endpoint_name(endpoint)
        #: only a name given with ``name=`` must be unique; inferred ones may repeat
        self.name_given = name is not None
        self.dependencies = _as_depends(dependencies)
        #: middleware around this route alone; ``layers`` adds those of including routers
        self.middleware = normalize(middleware)
        self.layers: tuple[Layer, ...] = (Layer(self.middleware),) if self.middleware else ()
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
        #: for an HTTPEndpoint class: the route of each of its verbs, which requests reach
        self.handlers: dict[str, Route] | None = None
        if verbs is not None:
            self.handlers = {}
            for verb in self.own_methods:
                handler = Route(
                    path,
                    verbs[verb],
                    methods=[verb],
                    name=self.name,
                    dependencies=self.dependencies,
                    status_code=status_code,
                    max_body_size=max_body_size,
                    include_in_schema=include_in_schema,
                    response_model=response_model,  # filters what each verb returns
                    **openapi,
                )
                handler.layers = self.layers
                self.handlers[verb] = handler
            endpoint = verbs[min(self.handlers)]  # the plan below describes one of them
        self.plan = analyse(endpoint, path_param_types(self.convertors))
        if response_model is None and self.handlers is None:
            # FastAPI's rule: a return annotation naming a model filters the result too, so
            # the answer holds what the document says and no other field
            self.serialize = _annotation_serializer(self.plan.returns)
        check_dependencies(self.plan, self.dependencies)
        self.fast = self.plan.simple and not self.dependencies

    def handler_for(self, method: str) -> Route:
        """The route that serves ``method``: this one, or its class endpoint's verb route."""
        if self.handlers is None:
            return self
        handler = self.handlers.get(method)
        return handler if handler is not None else self.handlers["GET"]  # implicit HEAD

    def set_layers(self, layers: tuple[Layer, ...]) -> None:
        self.layers = layers
        for handler in (self.handlers or {}).values():
            handler.layers = layers

    @property
    def own_methods(self) -> set[str]:
        """The methods registered, without the HEAD added for GET."""
        return self.methods - {"HEAD"} if self.implicit_head else self.methods

    def url_path_for(self, name: str, /, **params: Any) -> URLPath:
        if name != self.name:
            raise NoMatchFound(name)
        return URLPath(self._build_path(params), "http")

    def copy(
        self,
        prefix: str,
        dependencies: list[Depends],
        layers: tuple[Layer, ...] = (),
        tags: Sequence[str] = (),
    ) -> Route:
        route = Route(
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
        route.middleware = self.middleware
        route.set_layers((*layers, *self.layers))
        return route

    async def handle(self, scope: Scope, receive: Receive, send: Send, settings: Settings) -> None:
        await handle_http(self.handler_for(scope["method"]), scope, receive, send, settings)

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
        middleware: Sequence[Any] | None = None,
    ) -> None:
        handler = websocket_handler(endpoint) if _is_websocket_class(endpoint) else endpoint
        if not inspect.iscoroutinefunction(handler):
            raise ConfigurationError(f"websocket handler {endpoint!r} must be an async def")
        self.path = path
        self.endpoint = endpoint
        self.name = name if name is not None else endpoint_name(endpoint)
        self.name_given = name is not None
        self.dependencies = _as_depends(dependencies)
        self.middleware = normalize(middleware)
        self.layers: tuple[Layer, ...] = (Layer(self.middleware),) if self.middleware else ()
        self.segments = parse_path(path)
        convertors = {s[0]: s[1] for s in self.segments if isinstance(s, tuple)}
        self.plan = analyse(handler, path_param_types(convertors), websocket=True)
        check_dependencies(self.plan, self.dependencies)

    def url_path_for(self, name: str, /, **params: Any) -> URLPath:
        if name != self.name:
            raise NoMatchFound(name)
        return URLPath(self._build_path(params), "websocket")

    def copy(
        self, prefix: str, dependencies: list[Depends], layers: tuple[Layer, ...] = ()
    ) -> WebSocketRoute:
        route = WebSocketRoute(
            prefix + self.path,
            self.endpoint,
            name=self.name if self.name_given else None,
            dependencies=[*dependencies, *self.dependencies],
        )
        route.middleware, route.layers = self.middleware, (*layers, *self.layers)
        return route

    def __repr__(self) -> str:
        return f"WebSocketRoute(path={self.path!r}, name={self.name!r})"


class Router:
    """A set of routes compiled into one tree; itself an ASGI app.

    ``app.include_router(router, prefix=...)`` copies its routes into the app, with the router's
    and the include call's ``dependencies`` run before every one of them. The router's
    ``middleware`` wraps its routes wherever they are included (one set of middleware instances
    for all of them), and the whole router when it is mounted or served on its own.
    """

    def __init__(
        self,
        routes: Sequence[BaseRoute] | None = None,
        *,
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
        trailing_slash: TrailingSlash = "redirect",
        settings: Settings | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        if trailing_slash not in ("redirect", "strict", "ignore"):
            raise ConfigurationError("trailing_slash must be 'redirect', 'strict' or 'ignore'")
        self.routes: list[BaseRoute] = []
        self.dependencies = _as_depends(dependencies)
        self.trailing_slash = trailing_slash
        self.settings = settings or Settings()
        #: a Router made without settings, mounted in an app, serves with the app's settings
        #: (exception handlers, dependency overrides, limits, thread pool)
        self._inherits_settings = settings is None
        self._root: Node | None = None
        self.middleware = normalize(middleware)
        self.layer = Layer(self.middleware) if self.middleware else None
        self._host_names: dict[str, Host] = {}
        self._host_patterns: list[Host] = []
        self._has_hosts = False
        self._plain = False
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
        if not isinstance(route, BaseRoute):
            raise ConfigurationError(f"{route!r} is not a Route, WebSocketRoute, Mount or Host")
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
        middleware: Sequence[Any] | None = None,
    ) -> WebSocketRoute:
        route = WebSocketRoute(
            path,
            endpoint,
            name=name,
            dependencies=[*self.dependencies, *_as_depends(dependencies)],
            middleware=middleware,
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

    def mount(
        self,
        path: str,
        app: ASGIApp,
        *,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        self._append(Mount(path, app, name=name, middleware=middleware))

    def host(
        self,
        host: str,
        app: ASGIApp,
        *,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        """Send every request whose ``Host`` matches ``host`` to ``app`` (see :class:`Host`)."""
        self._append(Host(host, app, name=name, middleware=middleware))

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
        layers = (router.layer,) if router.layer is not None else ()
        for route in router.routes:
            if isinstance(route, Route):
                self._append(route.copy(prefix, extra, layers, tags), included=True)
            else:
                self._append(route.copy(prefix, extra, layers), included=True)  # type: ignore[attr-defined]

    def url_path_for(self, name: str, /, **params: Any) -> URLPath:
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
        self._host_names, self._host_patterns = {}, []
        for route in self.routes:
            if isinstance(route, Host):
                if route.literal is None:
                    self._host_patterns.append(route)
                else:
                    self._host_names.setdefault(route.literal, route)
                continue
            node = root
            for segment in route.segments:
                node = node.child(segment)
            if isinstance(route, Route):
                for method in route.methods:
                    if method == "HEAD" and route.implicit_head:
                        implicit_heads.append((node, route.handler_for("HEAD")))
                    else:
                        node.http.setdefault(method, route.handler_for(method))
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
        self._has_hosts = bool(self._host_names or self._host_patterns)
        self._plain = self.layer is None and not self._has_hosts and not self._inherits_settings
        self._static = static
        self._root = root
        return root

    # -- dispatch ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = self._root or self.compile()
        kind = scope["type"]
        if not self._plain:  # router middleware, Host entries, or the settings of an app
            if self.layer is not None and scope.get(_ENTERED) is not self:
                scope[_ENTERED] = self  # through the router's own middleware first, once
                await self.layer.run(scope, receive, send, self)
                return
            if self._has_hosts and kind != "lifespan":
                entered = await self._host(scope, receive, send)
                if entered:
                    return
        elif kind == "http":
            raw = scope.get("raw_path")
            if not scope.get("root_path") and (raw is None or b"%" not in raw):
                node = self._static.get(scope["path"])
                if node is not None:
                    route = node.http.get(scope["method"])
                    if route is not None and not route.layers:  # the fast path: a static
                        scope.setdefault("path_params", {})  # path, a served method, no
                        await handle_http(route, scope, receive, send, self.settings)  # layers
                        return
        if kind == "http":
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
        settings = self._settings_of(scope) if self._inherits_settings else self.settings
        if not scope["path"].startswith("/"):  # RFC 9112 3.2: only origin-form is served
            if scope["path"] == "*" and method == "OPTIONS":  # about the server as a whole
                await send({"type": "http.response.start", "status": 204, "headers": []})
                await send({"type": "http.response.body", "body": b""})
                return
            problem = request_target_problem(scope)
            await _error(HTTPException(400, problem), scope, receive, send, settings)
            return
        segments, _ = self._segments(scope)
        params: dict[str, Any] = {}
        found = walk(root, segments, params, method)
        if found is None:
            params.clear()
            found, mount, consumed = match(root, segments, 0, params, method)
            if found is None and mount is not None:
                await self._enter_mount(mount, segments[:consumed], params, scope, receive, send)
                return
        if found is not None:
            route = found.http[method]
            inherited = scope.get("path_params")  # from an enclosing Mount or Host
            scope["path_params"] = {**inherited, **params} if inherited else params
            if route.layers:
                await _through_layers(route, scope, receive, send, settings)
            else:
                await handle_http(route, scope, receive, send, settings)
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
            error = HTTPException(405, headers={"Allow": found.allow})
            await _error(error, scope, receive, send, settings)
            return
        if self.trailing_slash != "strict" and segments:
            other = segments[:-1] if segments[-1] == "" else [*segments, ""]
            params.clear()
            found, _, _ = match(root, other, 0, params, method)
            if found is not None:
                if self.trailing_slash == "ignore":
                    _set_path_params(scope, params)
                    await _through_layers(found.http[method], scope, receive, send, settings)
                    return
                await self._redirect_slash(scope, send, segments[-1] == "")
                return
        await _error(HTTPException(404), scope, receive, send, settings)

    async def _enter_mount(
        self,
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
        child.setdefault("covet.app_root_path", root_path)  # url_for's base: the app's root
        if root_path and not scope["path"].startswith(root_path):  # a server without the
            child["path"] = root_path + scope["path"]  # root_path convention
        if mount.layers:
            await run_layers(mount.layers, child, receive, send, mount.handler)
        else:
            await mount.handler(child, receive, send)

    async def _host(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Hand the request to the Host entry its Host header matches; False when none does."""
        for name, value in scope["headers"]:
            if name == b"host":
                parsed = parse_host(value.decode("latin-1"))
                break
        else:
            return False
        if parsed is None:
            return False
        entry = self._host_names.get(parsed.host)
        params: dict[str, Any] | None = {} if entry is not None else None
        if entry is None:
            for candidate in self._host_patterns:
                params = candidate.match(parsed.host)
                if params is not None:
                    entry = candidate
                    break
            else:
                return False
        if params:
            scope = {**scope, "path_params": {**scope.get("path_params", {}), **params}}
        if entry.layers:
            await run_layers(entry.layers, scope, receive, send, entry.handler)
        else:
            await entry.handler(scope, receive, send)
        return True

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

    def _settings_of(self, scope: Scope) -> Settings:
        if self._inherits_settings:
            app_settings = getattr(scope.get("app"), "settings", None)
            if isinstance(app_settings, Settings):
                return app_settings
        return self.settings

    async def _websocket(self, root: Node, scope: Scope, receive: Receive, send: Send) -> None:
        if not scope["path"].startswith("/"):
            await handle_websocket_refusal(scope, receive, send, request_target_problem(scope))
            return
        segments, _ = self._segments(scope)
        params: dict[str, Any] = {}
        found, mount, consumed = match(root, segments, 0, params, "websocket")
        if found is not None and found.websocket is not None:
            _set_path_params(scope, params)
            settings = self._settings_of(scope)
            await _through_layers(found.websocket, scope, receive, send, settings)
        elif mount is not None:
            await self._enter_mount(mount, segments[:consumed], params, scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1000, "reason": "no such route"})


_ENTERED = "covet.router"

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
    elif isinstance(route, Host):
        keys, named = [((route.host.lower(),), "host")], route.name is not None
    else:
        return []
    if named and names:
        keys.append(("mount name" if isinstance(route, Mount | Host) else "name", route.name))
    return keys


def _describe(route: BaseRoute) -> str:
    target = route.app if isinstance(route, Mount | Host) else getattr(route, "endpoint", route)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None)
    handler = f"{module}.{qualname}" if module and qualname else repr(target)
    where = route.host if isinstance(route, Host) else route.path or "/"
    return f"{handler} ({where})"


def _conflict(key: tuple[Any, ...], existing: BaseRoute, new: BaseRoute) -> str:
    if key[0] in ("name", "mount name"):
        return (
            f"the route name {key[1]!r} is already used by {_describe(existing)}; "
            f"cannot give it to {_describe(new)} too (pass another name=)"
        )
    what = {"websocket": "a websocket route", "mount": "a mount", "host": "a Host"}.get(
        key[1], key[1]
    )
    where = new.host if isinstance(new, Host) else new.path or "/"
    return (
        f"{what} for {where} is already handled by {_describe(existing)}; "
        f"{_describe(new)} would never be reached (a path parameter's name does not "
        "make it a different route)"
    )


async def _through_layers(
    route: Route | WebSocketRoute, scope: Scope, receive: Receive, send: Send, settings: Settings
) -> None:
    """Serve ``route``, inside the middleware of its routers and its own (``route.layers``)."""
    handle = handle_http if isinstance(route, Route) else handle_websocket

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await handle(route, scope, receive, send, settings)  # type: ignore[arg-type]

    await run_layers(route.layers, scope, receive, send, endpoint)


async def _error(
    exc: Exception, scope: Scope, receive: Receive, send: Send, settings: Settings
) -> None:
    await settings.handle_error(exc, Request(scope, receive, send), send)


def _set_path_params(scope: Scope, params: dict[str, Any]) -> None:
    inherited = scope.get("path_params")  # from an enclosing Mount or Host
    scope["path_params"] = {**inherited, **params} if inherited else params


async def _bare_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _annotation_serializer(returns: Any) -> Any:
    """``route_serializer`` for a return annotation that names a model (a dataclass, a
    TypedDict, a model library's class, a list of them...); None for anything else (``dict``,
    ``str``, ``Response``, ``Any``, an ambiguous union)."""
    from covet.http._response_model import serializer

    if returns is None:
        return None
    if get_origin(returns) is tuple and get_args(returns):  # -> tuple[Body, int]: the body's
        returns = get_args(returns)[0]  # model, as the OpenAPI document reads it
    try:
        found = serializer(returns)
    except (TypeError, NameError):
        return None
    return None if found is None else route_serializer(returns)

"""The application object: routes, settings, middleware, lifespan and the development server."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from covet.http._concurrency import DefHandlers
from covet.http._datastructures import State
from covet.http._endpoint import Settings, handle_websocket_refusal
from covet.http._errors import (
    ExceptionHandler,
    ExceptionHandlerKey,
    error_response,
    problem_response,
)
from covet.http._exceptions import ConfigurationError
from covet.http._extensions import enabled as enabled_extensions
from covet.http._lifespan import Hook, Lifespan
from covet.http._middleware import Middleware, build_stack, normalize
from covet.http._openapi._setup import OpenAPIConfig
from covet.http._openapi._setup import build_document as build_openapi
from covet.http._openapi._setup import install as install_openapi
from covet.http._params import Depends
from covet.http._requests import DEFAULT_MAX_BODY_SIZE
from covet.http._routing import BaseRoute, Route, Router, TrailingSlash, WebSocketRoute
from covet.http._types import ASGIApp, Message, Receive, Scope, Send
from covet.http._urls import VALID_HOSTS, URLPath, is_host

F = TypeVar("F", bound=Callable[..., Any])


class Covet:
    """A CovetPy application: an ASGI callable with a router, settings and middleware.

    As in Starlette, ``middleware=[A, B]`` is read outermost first (A sees the request first),
    and ``add_middleware`` wraps what is there already (the last one added sees the request
    first). The stack is built once, at start-up or on the first request.
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        routes: Sequence[BaseRoute] | None = None,
        middleware: Sequence[Any] | None = None,
        exception_handlers: Mapping[ExceptionHandlerKey, ExceptionHandler] | None = None,
        lifespan: Callable[..., Any] | None = None,
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        max_json_depth: int = 64,
        max_form_parts: int = 1000,
        max_field_size: int = 1024 * 1024,
        max_file_size: int = 100 * 1024 * 1024,
        thread_limit: int = 40,
        def_handlers: DefHandlers = "threads",
        trailing_slash: TrailingSlash = "redirect",
        root_path: str = "",
        extensions: bool | Mapping[str, bool] = True,
        title: str = "CovetPy",
        version: str = "0.1.0",
        summary: str | None = None,
        description: str | None = None,
        terms_of_service: str | None = None,
        contact: Mapping[str, Any] | None = None,
        license_info: Mapping[str, Any] | None = None,
        servers: Sequence[Mapping[str, Any]] | None = None,
        openapi_tags: Sequence[Mapping[str, Any]] | None = None,
        openapi_url: str | None = "/openapi.json",
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        docs_assets: Literal["cdn", "local"] = "cdn",
        swagger_ui_parameters: Mapping[str, Any] | None = None,
    ) -> None:
        if thread_limit < 1:
            raise ConfigurationError("thread_limit must be at least 1")
        if def_handlers not in ("threads", "loop"):
            raise ConfigurationError(
                f"def_handlers must be 'threads' or 'loop', not {def_handlers!r}"
            )
        self.settings = Settings(
            debug=debug,
            max_body_size=max_body_size,
            max_json_depth=max_json_depth,
            max_form_parts=max_form_parts,
            max_field_size=max_field_size,
            max_file_size=max_file_size,
            thread_limit=thread_limit,
            def_handlers=def_handlers,
        )
        for key, handler in (exception_handlers or {}).items():
            self.settings.exception_handlers.add(key, handler)
        self.router = Router(
            routes, dependencies=dependencies, trailing_slash=trailing_slash, settings=self.settings
        )
        self.state = State()
        self.root_path = root_path.rstrip("/")
        self._lifespan = Lifespan(lifespan, on_startup, on_shutdown)
        self.router.lifespan_handler = self._run_lifespan
        #: outermost first
        self.user_middleware: list[Middleware] = normalize(middleware)
        #: installed extensions to use (``_extensions``): all, none, or on/off by name
        self.extensions = extensions
        self._stack: ASGIApp | None = None
        self.openapi_config = OpenAPIConfig(
            title=title,
            version=version,
            summary=summary,
            description=description,
            terms_of_service=terms_of_service,
            contact=contact,
            license_info=license_info,
            servers=tuple(servers or ()),
            tags=tuple(openapi_tags or ()),
            openapi_url=openapi_url,
            docs_url=docs_url,
            redoc_url=redoc_url,
            docs_assets=docs_assets,
            swagger_ui_parameters=dict(swagger_ui_parameters or {}),
        )
        self.openapi_schema: dict[str, Any] | None = None
        install_openapi(self)

    def openapi(self) -> dict[str, Any]:
        """The app's OpenAPI 3.1 document, built from its routes on the first call, then cached.

        Routes added afterwards are not in it: set ``app.openapi_schema = None`` to rebuild."""
        if self.openapi_schema is None:
            self.openapi_schema = build_openapi(self)
        return self.openapi_schema

    # -- settings ---------------------------------------------------------------------------

    @property
    def debug(self) -> bool:
        return self.settings.debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self.settings.debug = value

    @property
    def dependency_overrides(self) -> dict[Callable[..., Any], Callable[..., Any]]:
        """``app.dependency_overrides[real] = fake`` swaps a dependency (tests do this)."""
        return self.settings.dependency_overrides

    @property
    def routes(self) -> list[BaseRoute]:
        return self.router.routes

    # -- routes -----------------------------------------------------------------------------

    def route(
        self, path: str, methods: Iterable[str] | None = None, **options: Any
    ) -> Callable[[F], F]:
        """Register the decorated handler for ``path`` and ``methods`` (default ``["GET"]``).

        Options: ``name``, ``dependencies``, ``status_code``, ``max_body_size``, and for the
        OpenAPI document ``response_model`` (which also filters the result), ``tags``,
        ``summary``, ``description``, ``deprecated``, ``operation_id``, ``responses``,
        ``response_description``, ``include_in_schema``, ``openapi_extra``.
        """
        return self.router.route(path, methods, **options)

    def get(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.router.route(path, ["GET"], **options)

    def post(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.router.route(path, ["POST"], **options)

    def put(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.router.route(path, ["PUT"], **options)

    def patch(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.router.route(path, ["PATCH"], **options)

    def delete(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.router.route(path, ["DELETE"], **options)

    def websocket(self, path: str, **options: Any) -> Callable[[F], F]:
        return self.router.websocket(path, **options)

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Iterable[str] | None = None,
        **options: Any,
    ) -> Route:
        return self.router.add_route(path, endpoint, methods, **options)

    def add_websocket_route(
        self, path: str, endpoint: Callable[..., Any], **options: Any
    ) -> WebSocketRoute:
        return self.router.add_websocket_route(path, endpoint, **options)

    def include_router(
        self,
        router: Router,
        *,
        prefix: str = "",
        dependencies: Sequence[Depends | Callable[..., Any]] | None = None,
        tags: Sequence[str] = (),
    ) -> None:
        self.router.include_router(router, prefix=prefix, dependencies=dependencies, tags=tags)

    def mount(
        self,
        path: str,
        app: ASGIApp,
        *,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        """Serve ``app`` (any ASGI app) below ``path``; it sees ``root_path`` + ``path``."""
        self.router.mount(path, app, name=name, middleware=middleware)

    def host(
        self,
        host: str,
        app: ASGIApp,
        *,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        """Serve every request whose ``Host`` matches ``host`` with ``app`` (virtual hosting)."""
        self.router.host(host, app, name=name, middleware=middleware)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return self.router.url_path_for(name, **path_params)

    def url_for(self, name: str, /, **path_params: Any) -> URLPath:
        """The path of the route called ``name`` below the app's ``root_path``.

        For a route below a :class:`Host`, ``.host`` names its host; ``request.url_for`` gives
        the absolute URL.
        """
        path = self.router.url_path_for(name, **path_params)
        return URLPath(self.root_path + path, path.protocol, path.host)

    # -- errors, hooks, middleware ------------------------------------------------------------

    def exception_handler(self, key: ExceptionHandlerKey) -> Callable[[F], F]:
        """Handle an exception class (with subclasses) or a status code: ``f(request, exc)``."""

        def decorator(func: F) -> F:
            self.add_exception_handler(key, func)
            return func

        return decorator

    def add_exception_handler(self, key: ExceptionHandlerKey, handler: ExceptionHandler) -> None:
        self.settings.exception_handlers.add(key, handler)

    def on_startup(self, func: F) -> F:
        self._lifespan.on_startup.append(func)
        return func

    def on_shutdown(self, func: F) -> F:
        self._lifespan.on_shutdown.append(func)
        return func

    def add_middleware(
        self, middleware_class: Callable[..., ASGIApp], *args: Any, **options: Any
    ) -> None:
        """Wrap the app in a pure-ASGI middleware: ``middleware_class(app, *args, **options)``.

        It becomes the outermost layer, so it sees requests before the middleware added earlier.
        """
        if self._stack is not None:
            raise ConfigurationError(
                "cannot add middleware after the application has started; add it at import time"
            )
        self.user_middleware.insert(0, Middleware(middleware_class, *args, **options))

    def build_middleware_stack(self) -> ASGIApp:
        if self._stack is None:
            app = build_stack(self.user_middleware, self.router)
            for _name, extension in enabled_extensions(self.extensions):
                app = extension(app)
            if self.user_middleware:
                app = _ServerErrors(app, self.settings)
            self._stack = app
        return self._stack

    # -- ASGI -------------------------------------------------------------------------------

    async def _run_lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._lifespan(self, scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if "covet.app_root_path" in scope:  # mounted in another app: url_for builds below us
            scope["covet.app_root_path"] = scope.get("root_path", "")
        for name, value in scope.get("headers", ()):  # RFC 9112 3.2: a valid Host or a 400;
            if name == b"host":  # the path's form is the router's check (free on its fast path)
                if value and VALID_HOSTS.get(value) is not True and not is_host(value):
                    await _refuse(_BAD_HOST, scope, receive, send)
                    return
                break
        stack = self._stack or self.build_middleware_stack()
        await stack(scope, receive, send)

    # -- the development server ---------------------------------------------------------------

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        reload: bool = False,
        workers: int = 1,
        **options: Any,
    ) -> None:
        """Serve the app with uvicorn (``pip install covet-http[server]``).

        uvicorn's own proxy-header handling stays off: it would take ``X-Forwarded-For`` from
        any peer on 127.0.0.1 and rewrite the client address before the app sees it. Behind
        a proxy, add covet.middleware's ``ProxyHeadersMiddleware(trusted_proxies=[...])``.
        """
        refuse_proxy_headers(options)
        options["proxy_headers"] = False
        uvicorn = import_uvicorn()
        target: Any = self
        if reload or workers > 1:
            target, app_dir = self._import_string()
            options.setdefault("app_dir", app_dir)
        uvicorn.run(target, host=host, port=port, reload=reload, workers=workers, **options)

    def _import_string(self) -> tuple[str, str]:
        for module_name, module in list(sys.modules.items()):
            if not isinstance(module, types.ModuleType):
                continue
            for attribute, value in list(vars(module).items()):
                if value is self:
                    file = getattr(module, "__file__", None)
                    if module_name == "__main__" and file:
                        return f"{Path(file).stem}:{attribute}", str(Path(file).parent)
                    return f"{module_name}:{attribute}", "."
        raise ConfigurationError(
            "reload and workers need the app importable as 'module:attribute'; "
            "assign it to a module-level name or use 'covet run module:app'"
        )


def refuse_proxy_headers(options: Mapping[str, Any]) -> None:
    """Covet's launchers leave forwarding headers to ProxyHeadersMiddleware alone."""
    if options.get("proxy_headers") or "forwarded_allow_ips" in options:
        raise ConfigurationError(
            "covet serves with uvicorn's proxy headers off, so that the client address cannot "
            "be set by whoever reaches the server: trust your proxy with "
            "covet.middleware.ProxyHeadersMiddleware(trusted_proxies=[...]) instead of "
            "proxy_headers / forwarded_allow_ips"
        )


def import_uvicorn() -> Any:
    try:
        import uvicorn
    except ImportError:
        raise ConfigurationError(
            "running the server needs uvicorn: pip install 'covet-http[server]'"
        ) from None
    return uvicorn


_BAD_HOST = "the Host header is not a valid host[:port]"


async def _refuse(problem: str, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a request whose Host cannot be served: 400 (RFC 9112 3.2)."""
    if scope["type"] == "websocket":
        await handle_websocket_refusal(scope, receive, send, problem)
        return
    await problem_response(400, problem)(scope, receive, send)


class _ServerErrors:
    """Outermost guard: an exception escaping user middleware still gets a 500 (once)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception as exc:
            response = error_response(exc, scope, debug=self.settings.debug)
            if not started:
                await response(scope, receive, send)

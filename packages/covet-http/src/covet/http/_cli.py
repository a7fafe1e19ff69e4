"""``covet run`` and ``covet routes``: the commands covet-http adds to the ``covet`` command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from covet.http._exceptions import ConfigurationError


def load_app(target: str, app_dir: str = ".") -> Any:
    """Import ``module:attribute`` (``module`` alone means ``module:app``) from ``app_dir``."""
    module_name, _, attribute = target.partition(":")
    attribute = attribute or "app"
    if not module_name:
        raise ConfigurationError(f"expected 'module:app', got {target!r}")
    directory = os.path.abspath(app_dir)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name and not module_name.startswith(f"{exc.name}."):
            raise
        raise ConfigurationError(f"cannot import module {module_name!r} from {directory}") from exc
    app: Any = module
    for part in attribute.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise ConfigurationError(
                f"module {module_name!r} has no attribute {attribute!r}"
            ) from None
    return app


def run_command(argv: Sequence[str]) -> int:
    """Serve an app with uvicorn: covet run module:app [--host] [--port] [--reload] [--workers].

    uvicorn's proxy-header handling is off (see ``Covet.run``).
    """
    parser = argparse.ArgumentParser(prog="covet run", description=run_command.__doc__)
    parser.add_argument("app", help="the application, as module:attribute (default attribute: app)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    parser.add_argument("--reload", action="store_true", help="restart when source files change")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--app-dir", default=".", help="directory to import the app from")
    parser.add_argument("--root-path", default="", help="ASGI root_path when behind a proxy prefix")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
    )
    args = parser.parse_args(list(argv))
    try:
        from covet.http._app import import_uvicorn

        uvicorn = import_uvicorn()
        load_app(args.app, args.app_dir)  # fail early, with a clear message
    except ConfigurationError as exc:
        print(f"covet run: {exc}", file=sys.stderr)
        return 1
    target = args.app if ":" in args.app else f"{args.app}:app"
    uvicorn.run(
        target,
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        app_dir=args.app_dir,
        root_path=args.root_path,
        log_level=args.log_level,
        proxy_headers=False,  # forwarding headers are ProxyHeadersMiddleware's alone
    )
    return 0


def _rows(routes: Sequence[Any], prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    from covet.http._routing import Host, Mount, Route, WebSocketRoute

    for route in routes:
        if isinstance(route, Route):
            methods = ",".join(sorted(route.methods - {"HEAD"})) or "HEAD"
            endpoint = (
                getattr(route.endpoint, "__module__", "?")
                + "."
                + getattr(route.endpoint, "__qualname__", "?")
            )
            yield methods, prefix + route.path, route.name or "", endpoint
        elif isinstance(route, WebSocketRoute):
            endpoint = f"{route.endpoint.__module__}.{route.endpoint.__qualname__}"
            yield "WS", prefix + route.path, route.name or "", endpoint
        elif isinstance(route, Host):
            if route.routes and isinstance(route.routes[0], Route | WebSocketRoute | Mount):
                yield from _rows(route.routes, route.host + prefix)
            else:
                yield "HOST", route.host + (prefix or "/"), route.name or "", repr(route.app)
        elif isinstance(route, Mount):
            inner = getattr(route.app, "routes", None)
            if (
                isinstance(inner, list)
                and inner
                and isinstance(inner[0], Route | WebSocketRoute | Mount)
            ):
                yield from _rows(inner, prefix + route.path)
            else:
                yield "MOUNT", prefix + (route.path or "/"), route.name or "", repr(route.app)


def routes_command(argv: Sequence[str]) -> int:
    """List an app's routes: covet routes module:app."""
    parser = argparse.ArgumentParser(prog="covet routes", description=routes_command.__doc__)
    parser.add_argument("app", help="the application, as module:attribute (default attribute: app)")
    parser.add_argument("--app-dir", default=".", help="directory to import the app from")
    args = parser.parse_args(list(argv))
    try:
        app = load_app(args.app, args.app_dir)
    except ConfigurationError as exc:
        print(f"covet routes: {exc}", file=sys.stderr)
        return 1
    routes = getattr(app, "routes", None)
    if not isinstance(routes, list):
        print(f"covet routes: {args.app} is not a Covet app or Router", file=sys.stderr)
        return 1
    rows = [("METHODS", "PATH", "NAME", "ENDPOINT"), *_rows(routes)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[3]
        )
    return 0


def openapi_command(argv: Sequence[str]) -> int:
    """Write an app's OpenAPI document: covet openapi module:app [-o file]."""
    parser = argparse.ArgumentParser(prog="covet openapi", description=openapi_command.__doc__)
    parser.add_argument("app", help="the application, as module:attribute (default attribute: app)")
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")
    parser.add_argument("--app-dir", default=".", help="directory to import the app from")
    parser.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")
    args = parser.parse_args(list(argv))
    try:
        app = load_app(args.app, args.app_dir)
        build = getattr(app, "openapi", None)
        if not callable(build):
            raise ConfigurationError(f"{args.app} is not a Covet app (it has no openapi())")
        document = build()
    except ConfigurationError as exc:
        print(f"covet openapi: {exc}", file=sys.stderr)
        return 1
    import json

    text = json.dumps(document, indent=args.indent or None, ensure_ascii=False, default=str)
    text += "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        sys.stdout.write(text)
    return 0

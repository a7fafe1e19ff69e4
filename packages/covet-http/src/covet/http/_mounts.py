"""Mounts and virtual hosts: another ASGI app below a path prefix, or for a Host header."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from covet.http._baseroute import BaseRoute, NoMatchFound
from covet.http._convertors import Convertor, get_convertor
from covet.http._exceptions import ConfigurationError
from covet.http._middleware import Layer, build_stack, normalize
from covet.http._tree import parse_path
from covet.http._types import ASGIApp
from covet.http._urls import URLPath, parse_host

if TYPE_CHECKING:
    from covet.http._params import Depends

__all__ = ["Host", "Mount"]


def _router(routes: Sequence[BaseRoute]) -> ASGIApp:
    from covet.http._routing import Router

    return Router(routes)


class Mount(BaseRoute):
    """Any ASGI app below a path prefix; it sees ``root_path`` extended by the prefix.

    ``Mount("/admin", routes=[...])`` mounts a :class:`Router` of those routes. ``middleware``
    wraps the mounted app alone. Named ``"admin"``, the mount reverses as
    ``url_path_for("admin", path="/x")`` (``/admin/x``) and its app's routes as ``"admin:<name>"``;
    without a name, its app's routes are looked up under their own names.
    """

    def __init__(
        self,
        path: str,
        app: ASGIApp | None = None,
        *,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        if (app is None) == (routes is None):
            raise ConfigurationError(f"Mount({path!r}) takes an app or routes=[...], not both")
        path = path.rstrip("/")
        self.path = path
        self.app: ASGIApp = app if app is not None else _router(routes)  # type: ignore[arg-type]
        self.name = name
        self.middleware = normalize(middleware)
        #: what requests enter: the app inside its own middleware
        self.handler: ASGIApp = build_stack(self.middleware, self.app)
        #: middleware of the routers this mount was included from, outermost first
        self.layers: tuple[Layer, ...] = ()
        self.segments = parse_path(path or "/")
        if any(isinstance(s, tuple) and s[1].greedy for s in self.segments):
            raise ConfigurationError(f"a mount prefix cannot use the path converter: {path!r}")

    @property
    def routes(self) -> list[BaseRoute]:
        routes = getattr(self.app, "routes", None)
        return routes if isinstance(routes, list) else []

    def url_path_for(self, name: str, /, **params: Any) -> URLPath:
        own_names = {s[0] for s in self.segments if isinstance(s, tuple)}
        if name == self.name and "path" in params:
            rest = dict(params)
            below = str(rest.pop("path")).lstrip("/")
            prefix = self._build_path(rest) if self.path else ""
            return URLPath(prefix.rstrip("/") + "/" + quote(below, safe="/"))
        if self.name is not None and not name.startswith(self.name + ":"):
            raise NoMatchFound(name)
        inner = getattr(self.app, "url_path_for", None)
        if inner is None:
            raise NoMatchFound(name)
        own = {k: params.pop(k) for k in list(params) if k in own_names}
        prefix = self._build_path(own) if self.path else ""
        inner_name = name if self.name is None else name[len(self.name) + 1 :]
        try:
            inner_path = inner(inner_name, **params)
        except Exception as exc:  # the mounted app's own "no match" (Starlette has its own)
            raise NoMatchFound(f"{name!r}: {exc}") from exc
        return URLPath(
            prefix.rstrip("/") + str(inner_path),
            getattr(inner_path, "protocol", ""),
            getattr(inner_path, "host", ""),
        )

    def copy(
        self, prefix: str, dependencies: list[Depends], layers: tuple[Layer, ...] = ()
    ) -> Mount:
        mount = Mount(prefix + self.path, self.app, name=self.name)
        mount.middleware, mount.handler = self.middleware, self.handler
        mount.layers = (*layers, *self.layers)
        return mount

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        return f"Mount(path={self.path!r}, app={self.app!r}{name})"


class Host(BaseRoute):
    """Route by the request's ``Host``: every request for a matching host goes to ``app``.

    ``host`` is a host name whose labels may be parameters, ``"{tenant}.example.org"`` (one
    label each, with the usual converters); it is matched case-insensitively and without the
    port. A port in ``host`` only appears in the URLs ``url_path_for`` builds. Named ``"api"``,
    the app's routes reverse as ``"api:<name>"`` into URLs on that host.
    """

    def __init__(
        self,
        host: str,
        app: ASGIApp | None = None,
        *,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
        middleware: Sequence[Any] | None = None,
    ) -> None:
        if (app is None) == (routes is None):
            raise ConfigurationError(f"Host({host!r}) takes an app or routes=[...], not both")
        self.host = host
        self.app: ASGIApp = app if app is not None else _router(routes)  # type: ignore[arg-type]
        self.name = name
        self.middleware = normalize(middleware)
        self.handler: ASGIApp = build_stack(self.middleware, self.app)
        self.layers: tuple[Layer, ...] = ()
        self.path = ""
        self.segments: list[Any] = []
        self.labels, self.port = _parse_host_pattern(host)
        #: the lower-case host when it has no parameters (matched by a dict lookup)
        literal = [label for label in self.labels if isinstance(label, str)]
        self.literal = ".".join(literal) if len(literal) == len(self.labels) else None

    @property
    def routes(self) -> list[BaseRoute]:
        routes = getattr(self.app, "routes", None)
        return routes if isinstance(routes, list) else []

    def match(self, hostname: str) -> dict[str, Any] | None:
        """The host parameters when ``hostname`` (lower case, no port) matches, else None."""
        if self.literal is not None:
            return {} if hostname == self.literal else None
        labels = hostname.split(".")
        if len(labels) != len(self.labels):
            return None
        params: dict[str, Any] = {}
        for label, wanted in zip(labels, self.labels, strict=True):
            if isinstance(wanted, str):
                if label != wanted:
                    return None
                continue
            if not label:
                return None
            try:
                params[wanted[0]] = wanted[1].convert(label)
            except ValueError:
                return None
        return params

    def build_host(self, params: dict[str, Any]) -> str:
        labels = []
        for label in self.labels:
            if isinstance(label, str):
                labels.append(label)
                continue
            text = label[1].to_string(params[label[0]])
            if not text or parse_host(text) is None or "." in text:
                raise NoMatchFound(f"{text!r} cannot be the {label[0]!r} label of a host name")
            labels.append(text)
        host = ".".join(labels)
        return host if self.port is None else f"{host}:{self.port}"

    def url_path_for(self, name: str, /, **params: Any) -> URLPath:
        own_names = {label[0] for label in self.labels if isinstance(label, tuple)}
        own = {k: params.pop(k) for k in list(params) if k in own_names}
        if set(own) != own_names:
            raise NoMatchFound(f"host {self.host!r} takes parameters {sorted(own_names)}")
        if name == self.name and "path" in params:
            if len(params) != 1:
                raise NoMatchFound(f"{name!r} takes only path= and the host parameters")
            path = "/" + quote(str(params["path"]).lstrip("/"), safe="/")
            return URLPath(path, host=self.build_host(own))
        if self.name is not None and not name.startswith(self.name + ":"):
            raise NoMatchFound(name)
        inner = getattr(self.app, "url_path_for", None)
        if inner is None:
            raise NoMatchFound(name)
        inner_name = name if self.name is None else name[len(self.name) + 1 :]
        try:
            inner_path = inner(inner_name, **params)
        except Exception as exc:
            raise NoMatchFound(f"{name!r}: {exc}") from exc
        return URLPath(str(inner_path), getattr(inner_path, "protocol", ""), self.build_host(own))

    def copy(
        self, prefix: str, dependencies: list[Depends], layers: tuple[Layer, ...] = ()
    ) -> Host:
        if prefix:
            raise ConfigurationError(
                f"Host({self.host!r}) cannot be included under the prefix {prefix!r}; "
                "include its router without a prefix, or mount the prefix inside the host"
            )
        host = Host(self.host, self.app, name=self.name)
        host.middleware, host.handler = self.middleware, self.handler
        host.layers = (*layers, *self.layers)
        return host

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        return f"Host(host={self.host!r}, app={self.app!r}{name})"


HostLabel = str | tuple[str, Convertor]


def _parse_host_pattern(host: str) -> tuple[list[HostLabel], int | None]:
    """``"{tenant}.Example.org:8443"`` -> ``([("tenant", str), "example", "org"], 8443)``."""
    name, port = host, None
    with_port = re.fullmatch(r"(.+):([0-9]+)", host)
    if host.startswith("["):
        end = host.find("]")
        name, rest = host[: end + 1], host[end + 1 :]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit():
                raise ConfigurationError(f"invalid host pattern {host!r}")
            port = int(rest[1:])
        labels: list[HostLabel] = [name.lower()]
    else:
        if with_port is not None:
            name, port = with_port[1], int(with_port[2])
        labels = []
        for label in name.split("."):
            if label.startswith("{") and label.endswith("}") and label.count("{") == 1:
                param, _, convertor_name = label[1:-1].partition(":")
                convertor = get_convertor(convertor_name.strip() or "str", host)
                if not param.strip().isidentifier() or convertor.greedy:
                    raise ConfigurationError(f"invalid host parameter {label!r} in {host!r}")
                labels.append((param.strip(), convertor))
            else:
                labels.append(label.lower())
    sample = ".".join(label if isinstance(label, str) else "x" for label in labels)
    if host.startswith("/") or parse_host(sample) is None:
        raise ConfigurationError(
            f"{host!r} is not a host name (Host routes match the Host header, not a path)"
        )
    return labels, port

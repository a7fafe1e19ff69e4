"""URLs: the ``URL`` type, the ``Host`` header grammar, and the paths ``url_path_for`` builds.

A URL built from an ASGI scope never raises later: a ``Host`` header that is not
``host[:port]`` (RFC 9110 7.2, RFC 3986 3.2.2) is ignored in favour of the server address, and
the path can neither become the authority (``//evil``, ``\\evil``) nor hold the query.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from covet.http._types import Scope

__all__ = [
    "URL",
    "VALID_HOSTS",
    "HostPort",
    "URLPath",
    "base_url",
    "is_host",
    "parse_host",
    "request_target_problem",
    "route_path",
    "url_for",
]

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# reg-name (unreserved, pct-encoded, sub-delims), or an IP-literal; then an optional port.
_HOST = re.compile(
    r"(?P<host>(?:[a-z0-9\-._~!$&'()*+,;=]|%[0-9a-f]{2})+"
    r"|\[(?P<ipv6>[0-9a-f:.]+)\]"
    r"|\[v[0-9a-f]+\.[a-z0-9\-._~!$&'()*+,;=:]+\])"
    r"(?::(?P<port>[0-9]*))?",
    re.IGNORECASE | re.ASCII,
)
_V_FUTURE_UPPER = "[V"  # urlsplit refuses "[V1.x]" (it only knows a lower-case "v")


class HostPort(NamedTuple):
    """A parsed ``Host`` header: the host in lower case (brackets kept on IP literals)."""

    host: str
    port: int | None


@functools.lru_cache(maxsize=512)
def parse_host(value: str) -> HostPort | None:
    """``"Example.org:8080"`` -> ``HostPort("example.org", 8080)``; None when it is not a host.

    An empty value (allowed by RFC 9112 when the target has no authority) is None too.
    """
    match = _HOST.fullmatch(value)
    if match is None or value.startswith(_V_FUTURE_UPPER):
        return None
    ipv6 = match["ipv6"]
    if ipv6 is not None:
        try:
            ipaddress.IPv6Address(ipv6)
        except ValueError:
            return None
    port_text = match["port"]
    port: int | None = None
    if port_text:
        digits = port_text.lstrip("0") or "0"
        if len(digits) > 5 or int(digits) > 65535:
            return None
        port = int(digits)
    return HostPort(match["host"].lower(), port)


#: Host header values already checked (a cache; the app's edge check reads it inline)
VALID_HOSTS: dict[bytes, bool] = {}


def is_host(value: bytes) -> bool:
    valid = VALID_HOSTS.get(value)
    if valid is None:
        if len(VALID_HOSTS) >= 1024:  # a cache, not a record of every Host ever sent
            VALID_HOSTS.clear()
        valid = VALID_HOSTS[value] = parse_host(value.decode("latin-1")) is not None
    return valid


def request_target_problem(scope: Scope) -> str | None:
    """Why a request cannot be served as it came (RFC 9112 3.2 and 3.2.1), or None.

    The path must be origin-form (``/...``): h11 hands over ``GET @evil HTTP/1.1`` as the path
    ``@evil``. The ``Host`` header must be ``host[:port]`` (empty is allowed). Only the first
    Host header is read, here as by ``URL`` and ``Host`` routing, so a second one cannot make
    parts of covet disagree. Runs for every request: a path test and a dict lookup.
    """
    if not scope["path"].startswith("/"):
        return "the request target must be an absolute path starting with '/'"
    for name, value in scope["headers"]:
        if name == b"host":
            if value and not VALID_HOSTS.get(value) and not is_host(value):
                return "the Host header is not a valid host[:port]"
            return None
    return None


def _escape_path(path: str) -> str:
    """Keep a path a path: ``?``, ``#`` and ``\\`` escaped, and starting with ``/``."""
    path = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    return path if path.startswith("/") else "/" + path  # "@evil" must not be the authority


def url_from_scope(scope: Scope) -> str:
    scheme = scope.get("scheme", "http")
    path = _escape_path(scope["path"])
    query = scope.get("query_string", b"").decode("latin-1")
    netloc: str | None = None
    for name, value in scope["headers"]:
        if name == b"host":
            text = value.decode("latin-1")
            if parse_host(text) is not None:
                netloc = text
            break
    if netloc is None:
        server = scope.get("server")
        if server is None:
            if path.startswith("//"):  # without an authority, "//evil" would become one
                path = "/%2F" + path[2:]
            return f"{path}?{query}" if query else path
        host, port = server
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{path}?{query}" if query else f"{scheme}://{netloc}{path}"


def _bracket_ipv6(hostname: str) -> str:
    if ":" in hostname and not hostname.startswith("["):
        try:
            ipaddress.IPv6Address(hostname)
        except ValueError:
            return hostname  # "host:8080": a host with its port, left as given
        return f"[{hostname}]"
    return hostname


class URL:
    """A parsed URL, built from a string or an ASGI scope."""

    __slots__ = ("_components", "_url")

    def __init__(self, url: str = "", scope: Scope | None = None) -> None:
        if scope is not None:
            url = url_from_scope(scope)
        self._url = url
        self._components: SplitResult | None = None

    @property
    def components(self) -> SplitResult:
        if self._components is None:
            self._components = urlsplit(self._url)
        return self._components

    @property
    def scheme(self) -> str:
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        return self.components.path

    @property
    def query(self) -> str:
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def hostname(self) -> str | None:
        return self.components.hostname

    @property
    def port(self) -> int | None:
        return self.components.port

    @property
    def username(self) -> str | None:
        return self.components.username

    @property
    def password(self) -> str | None:
        return self.components.password

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    def replace(self, **kwargs: Any) -> URL:
        """Return a copy with components replaced (``scheme``, ``netloc``, ``path``, ``query``,
        ``fragment``, or ``hostname``/``port``/``username``/``password``).

        ``hostname`` is taken as given (an IPv6 address gains its brackets); a ``hostname`` that
        carries its own port, ``"example.org:8080"``, goes with ``port=None``.
        """
        if not {"hostname", "port", "username", "password"}.isdisjoint(kwargs):
            hostname = kwargs.pop("hostname", None)
            port = kwargs.pop("port", self.port)
            username = kwargs.pop("username", self.username)
            password = kwargs.pop("password", self.password)
            if hostname is None:
                hostname = self.netloc.rpartition("@")[2]
                if hostname and not hostname.endswith("]"):
                    hostname = hostname.rsplit(":", 1)[0]
            else:
                hostname = _bracket_ipv6(hostname)
            netloc = hostname if port is None else f"{hostname}:{port}"
            if username is not None:
                userinfo = username if password is None else f"{username}:{password}"
                netloc = f"{userinfo}@{netloc}"
            kwargs["netloc"] = netloc
        return URL(self.components._replace(**kwargs).geturl())

    def include_query_params(self, **params: Any) -> URL:
        """Set these query parameters (replacing every value of each), keep the others."""
        kept = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True) if k not in params]
        added = [(key, str(value)) for key, value in params.items()]
        return self.replace(query=urlencode(kept + added))

    def replace_query_params(self, **params: Any) -> URL:
        return self.replace(query=urlencode([(key, str(value)) for key, value in params.items()]))

    def remove_query_params(self, keys: str | Sequence[str]) -> URL:
        drop = {keys} if isinstance(keys, str) else set(keys)
        pairs = parse_qsl(self.query, keep_blank_values=True)
        return self.replace(query=urlencode([(k, v) for k, v in pairs if k not in drop]))

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self._url)

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        url = self._url
        if "@" in url:
            try:
                if self.password:
                    url = str(self.replace(password="********"))  # noqa: S106
            except ValueError:  # not a URL urlsplit can take apart: show it masked whole
                url = "<unparsable URL>"
        return f"{type(self).__name__}({url!r})"


Protocol = Literal["http", "websocket", ""]


class URLPath(str):
    """The path ``url_path_for`` builds: a ``str``, plus the protocol and host it belongs to.

    ``protocol`` is ``"websocket"`` for websocket routes and ``host`` is set for routes below a
    :class:`~covet.http.Host`; :meth:`make_absolute_url` uses both. A path can never read as
    another site: a leading ``//`` becomes ``/%2F`` and a backslash ``%5C``.
    """

    protocol: Protocol
    host: str

    def __new__(cls, path: str, protocol: Protocol = "", host: str = "") -> URLPath:
        path = path.replace("\\", "%5C")
        if path.startswith("//"):
            path = "/%2F" + path[2:]
        made = str.__new__(cls, path)
        made.protocol = protocol
        made.host = host
        return made

    def make_absolute_url(self, base_url: str | URL) -> URL:
        """This path below ``base_url`` (its path is the prefix), on this path's own host and
        with ``ws``/``wss`` for a websocket route."""
        base = URL(base_url) if isinstance(base_url, str) else base_url
        scheme = base.scheme
        if self.protocol == "websocket":
            scheme = "wss" if base.is_secure else "ws"
        elif self.protocol == "http":
            scheme = "https" if base.is_secure else "http"
        netloc = self.host or base.netloc
        path = base.path.rstrip("/") + str(self)
        return URL(SplitResult(scheme, netloc, path, "", "").geturl())


def base_url(scope: Scope) -> URL:
    """The URL of the app the request is in: ``url_for`` builds below it.

    Inside a mounted router that is still the app's root, not the mount's.
    """
    root = scope.get("covet.app_root_path", scope.get("root_path", ""))
    base = dict(scope)
    base["path"] = root if root.endswith("/") else root + "/"
    base["query_string"] = b""
    return URL(scope=base)


def url_for(scope: Scope, name: str, params: dict[str, Any]) -> URL:
    """The absolute URL of the route called ``name`` in the app serving ``scope``."""
    app = scope.get("app")
    if app is None:
        raise RuntimeError("url_for needs scope['app'], which Covet sets for every request")
    path = app.url_path_for(name, **params)
    if not isinstance(path, URLPath):  # another framework's path type
        path = URLPath(str(path), getattr(path, "protocol", ""), getattr(path, "host", ""))
    return path.make_absolute_url(base_url(scope))


def route_path(scope: Scope) -> str:
    """The path below the app's mount point (``path`` minus ``root_path``, ASGI convention)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if not root_path or not path.startswith(root_path):
        return path
    if len(path) == len(root_path):
        return ""
    return path[len(root_path) :] if path[len(root_path)] == "/" else path

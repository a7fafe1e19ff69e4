"""Where the document's URLs lead: the servers, Host entries, and the app's own URLs in it.

Paths are appended to a server's URL (OpenAPI 3.1, Paths Object), but every other URL in the
document, such as an OAuth2 flow's ``tokenUrl``, is a URL reference resolved against the server's
URL by RFC 3986: against ``/api``, ``/auth/token`` means ``/auth/token`` and ``auth/token`` means
``/auth/token`` too (the last segment of the base is dropped). So the app's own URLs are written
as absolute paths holding the server's path, ``/api/auth/token``, which resolve to the route
against any server on any host. The document is built for the app at ``/`` and the servers the
app declares; a copy served below a root path (a proxy prefix, a mount) is placed there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from covet.http._convertors import Convertor, FloatConvertor, IntegerConvertor, UUIDConvertor

if TYPE_CHECKING:
    from covet.http._mounts import Host

#: the keys of a security scheme (and of its OAuth2 flows) that hold URLs
_SCHEME_URLS = ("authorizationUrl", "tokenUrl", "refreshUrl", "openIdConnectUrl")
_VARIABLE = re.compile(r"\{([^{}]+)\}")
_SAMPLES: dict[type[Convertor], str] = {
    IntegerConvertor: "1",
    FloatConvertor: "1",
    UUIDConvertor: "00000000-0000-0000-0000-000000000000",
}


def server_path(servers: Sequence[Mapping[str, Any]]) -> str:
    """The path of the first server's URL (variables at their defaults), without a trailing
    slash: where the app's routes are; "" at the root, or for a URL relative to the document."""
    if not servers:
        return ""
    server = servers[0]
    variables = server.get("variables") or {}

    def default(match: re.Match[str]) -> str:
        return str((variables.get(match[1]) or {}).get("default", match[0]))

    path = urlsplit(_VARIABLE.sub(default, str(server.get("url", "")))).path.rstrip("/")
    return path if path.startswith("/") else ""


def host_server(host: Host) -> dict[str, Any]:
    """The Server Object of a Host entry: ``//api.example.org`` (on the scheme the document was
    read with), a parameter label as a server variable."""
    labels: list[str] = []
    variables: dict[str, Any] = {}
    for label in host.labels:
        if isinstance(label, str):
            labels.append(label)
            continue
        name, convertor = label
        labels.append("{" + name + "}")
        sample = next(
            (value for cls, value in _SAMPLES.items() if isinstance(convertor, cls)), name
        )
        variables[name] = {"default": sample, "description": f"the host's {name!r} label"}
    server: dict[str, Any] = {"url": "//" + ".".join(labels)}
    if host.port is not None:
        server["url"] += f":{host.port}"
    if variables:
        server["variables"] = variables
    return server


def app_url(server: Mapping[str, Any] | None, path: str) -> str:
    """How the document names the URL of the app's route at ``path``: the path itself, or
    ``//host/path`` for a route behind a Host (a host with parameters has no single URL)."""
    if server is None or "variables" in server:
        return path
    return str(server["url"]) + path


def place(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Put the app's own URLs below ``prefix`` (in place): the security schemes' URLs that are
    paths (``/auth/token``, ``//api.example.org/auth/token``; a URL with a scheme is someone
    else's) and the servers of the operations behind a Host."""
    if not prefix:
        return document
    schemes = document.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        for holder in (scheme, *scheme.get("flows", {}).values()):
            for key in _SCHEME_URLS:
                url = holder.get(key)
                if isinstance(url, str):
                    holder[key] = _below(url, prefix)
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for server in operation.get("servers", ()):
                url = server.get("url")
                if isinstance(url, str) and url.startswith("//"):
                    server["url"] = _below(url, prefix).rstrip("/")
    return document


def operation_servers(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The servers of the document's operations (those of Host entries), each once."""
    found: dict[str, Mapping[str, Any]] = {}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                for server in operation.get("servers", ()):
                    found.setdefault(str(server.get("url")), server)
    return list(found.values())


def _below(url: str, prefix: str) -> str:
    if not url.startswith("/"):
        return url  # a URL with a scheme, or one relative to the document: not the app's
    if url.startswith("//"):
        netloc, _, path = url[2:].partition("/")
        return f"//{netloc}{prefix}/{path}"
    return prefix + url

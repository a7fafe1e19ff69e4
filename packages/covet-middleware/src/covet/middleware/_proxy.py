"""Trusted-proxy resolution: the only code in CovetPy that reads forwarding headers.

Behind a reverse proxy the socket peer is the proxy, not the client. ``ProxyHeadersMiddleware``
reads ``Forwarded`` (RFC 7239) or ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` **only** when the
peer is a trusted proxy, walks the hops right to left, skips hops that are themselves trusted
proxies, and stops at the first untrusted one: that is the client. It rewrites ``scope["client"]``,
``scope["scheme"]`` and the ``Host`` header; everything else (rate limits, sessions, HTTPS
redirects, logs) reads those through ``client_host(scope)`` and ``scope["scheme"]``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from covet.http import ASGIApp, Receive, Scope, Send

__all__ = ["ProxyHeadersMiddleware", "client_host"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_FORWARDED_PAIR = re.compile(r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)=("(?:[^"\\]|\\.)*"|[^;,\s]*)\s*')
_WEB_SCHEMES = {"http": "ws", "https": "wss"}


def client_host(scope: Scope) -> str | None:
    """The client's address as resolved by ``ProxyHeadersMiddleware`` (or the socket peer)."""
    client = scope.get("client")
    return client[0] if client else None


@dataclass(slots=True)
class _Hop:
    address: str | None
    port: int
    proto: str | None = None
    host: str | None = None


def _parse_node(node: str) -> tuple[str | None, int]:
    """``192.0.2.1``, ``192.0.2.1:80``, ``[2001:db8::1]:4711``, ``2001:db8::1`` -> (host, port)."""
    node = node.strip().strip('"')
    if not node:
        return None, 0
    if node.startswith("["):
        host, _, rest = node[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif node.count(":") == 1:
        host, _, port = node.partition(":")
    else:
        host, port = node, ""
    # isascii(): str.isdigit() also accepts "²" and other digits int() refuses.
    number = int(port) if port.isascii() and port.isdigit() and len(port) <= 5 else 0
    return host, number if number <= 65535 else 0


def _split_unquoted(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside RFC 7230 quoted-strings, in one linear pass."""
    if '"' not in text:
        return text.split(separator)
    parts: list[str] = []
    start, quoted, escaped = 0, False, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _parse_forwarded(values: list[str]) -> list[_Hop]:
    hops: list[_Hop] = []
    for element in _split_unquoted(",".join(values), ","):
        pairs: dict[str, str] = {}
        for part in _split_unquoted(element, ";"):
            match = _FORWARDED_PAIR.fullmatch(part)
            if match:
                value = match.group(2)
                if value.startswith('"'):
                    value = re.sub(r"\\(.)", r"\1", value[1:-1])
                pairs[match.group(1).lower()] = value
        address, port = _parse_node(pairs.get("for", ""))
        hops.append(_Hop(address, port, pairs.get("proto"), pairs.get("host")))
    return hops


def _split(values: list[str]) -> list[str]:
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


class ProxyHeadersMiddleware:
    """Resolve the real client, scheme and host from a trusted proxy's forwarding headers.

    ``trusted_proxies`` lists addresses or CIDR networks (``"10.0.0.0/8"``, ``"::1"``), or is
    ``"*"`` to trust every peer (only when nothing can reach the app except through the proxy).
    ``Forwarded`` wins over ``X-Forwarded-*`` when both are present.
    """

    def __init__(self, app: ASGIApp, trusted_proxies: str | Iterable[str]) -> None:
        self.app = app
        entries = [trusted_proxies] if isinstance(trusted_proxies, str) else list(trusted_proxies)
        self.trust_all = "*" in entries
        self.networks: list[_Network] = []
        self._decisions: dict[str, bool] = {}
        for entry in entries:
            if entry == "*":
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"trusted_proxies entry {entry!r} is not an IP address or CIDR network"
                ) from None

    def is_trusted(self, host: str | None) -> bool:
        if self.trust_all:
            return True
        if not host:
            return False
        known = self._decisions.get(host)
        if known is None:
            if len(self._decisions) > 4096:
                self._decisions.clear()
            known = self._decisions[host] = self._in_networks(host)
        return known

    def _in_networks(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.is_trusted(client_host(scope)):
            self.resolve(scope)
        await self.app(scope, receive, send)

    def _hops(self, scope: Scope) -> list[_Hop]:
        forwarded: list[str] = []
        xff: list[str] = []
        protos: list[str] = []
        hosts: list[str] = []
        for name, value in scope["headers"]:
            if name == b"forwarded":
                forwarded.append(value.decode("latin-1"))
            elif name == b"x-forwarded-for":
                xff.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                protos.append(value.decode("latin-1"))
            elif name == b"x-forwarded-host":
                hosts.append(value.decode("latin-1"))
        if forwarded:
            return _parse_forwarded(forwarded)
        addresses, proto_list, host_list = _split(xff), _split(protos), _split(hosts)
        hops = [_Hop(*_parse_node(address)) for address in addresses]
        if not hops and (proto_list or host_list):
            # Only a scheme/host from the proxy: it describes the proxy's own client connection.
            peer = scope.get("client") or (None, 0)
            hops = [_Hop(peer[0], peer[1])]
        for values, field in ((proto_list, "proto"), (host_list, "host")):
            if not values:
                continue
            if len(values) == len(hops):
                for hop, value in zip(hops, values, strict=True):
                    setattr(hop, field, value)
            else:
                for hop in hops:
                    setattr(hop, field, values[-1])
        return hops

    def resolve(self, scope: Scope) -> None:
        hops = self._hops(scope)
        if not hops:
            return
        chosen = hops[0]
        for hop in reversed(hops):
            chosen = hop
            if not self.is_trusted(hop.address):
                break
        if chosen.address:
            scope["client"] = (chosen.address, chosen.port)
        proto = (chosen.proto or "").lower()
        if proto in _WEB_SCHEMES:
            scope["scheme"] = proto if scope["type"] == "http" else _WEB_SCHEMES[proto]
        if chosen.host and not set(chosen.host) & set("/\\@?# \t\r\n"):
            encoded = chosen.host.encode("latin-1", "replace")
            headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
            headers.append((b"host", encoded))
            scope["headers"] = headers

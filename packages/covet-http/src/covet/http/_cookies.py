"""Reading the ``Cookie`` header and writing ``Set-Cookie`` lines."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate
from typing import Literal

__all__ = ["SameSite", "format_set_cookie", "parse_cookies"]

SameSite = Literal["lax", "strict", "none"]

_ESCAPE = re.compile(r"\\(?:([0-3][0-7][0-7])|(.))", re.DOTALL)
_TOKEN = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")
# Characters a cookie value may hold unquoted (RFC 6265 cookie-octet, minus nothing we need).
_VALUE_SAFE = frozenset(string.ascii_letters + string.digits + "!#$%&'()*+-./:<=>?@[]^_`{|}~")
_ATTRIBUTE_FORBIDDEN = frozenset(";\r\n\x00")


def _as_utf8(value: str) -> str:
    # Header text is decoded as latin-1, one char per byte; cookies carry UTF-8 bytes.
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _unescape(match: re.Match[str]) -> str:
    octal = match.group(1)
    return chr(int(octal, 8)) if octal is not None else match.group(2)


def _unquote(value: str) -> str:
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return _as_utf8(value)
    inner = value[1:-1]
    if "\\" in inner:  # one pass, so an escaped backslash never starts an octal escape
        inner = _ESCAPE.sub(_unescape, inner)
    return _as_utf8(inner)


def parse_cookies(header: str) -> dict[str, str]:
    """Parse a ``Cookie`` header leniently, the way browsers send it.

    Chunks are split on ``;``; a chunk without ``=`` is a value with an empty name; double-quoted
    values are unquoted (octal escapes are bytes, read as UTF-8 like the rest of the value); when a
    name repeats, the first value wins (the most specific path).
    """
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        if "=" in chunk:
            key, value = chunk.split("=", 1)
        else:
            key, value = "", chunk
        key = key.strip()
        value = value.strip()
        if key or value:
            cookies.setdefault(key, _unquote(value))
    return cookies


def _quote(value: str) -> str:
    if all(char in _VALUE_SAFE for char in value):
        return value
    escaped = []
    for char in value:
        if char in _VALUE_SAFE or char == " " or char == ",":
            escaped.append(char)
        elif char in '"\\':
            escaped.append("\\" + char)
        else:
            escaped.extend(f"\\{byte:03o}" for byte in char.encode("utf-8"))
    return '"' + "".join(escaped) + '"'


def _check_attribute(name: str, value: str) -> str:
    if _ATTRIBUTE_FORBIDDEN.intersection(value):
        raise ValueError(f"cookie {name} must not contain ';', CR, LF or NUL: {value!r}")
    return value


def _check_prefix(key: str, *, secure: bool, path: str | None, domain: str | None) -> None:
    """Browsers drop ``__Secure-`` / ``__Host-`` cookies (any case) that break the prefix rules."""
    lowered = key.lower()
    if lowered.startswith("__secure-") and not secure:
        raise ValueError("__Secure- cookies require secure=True (browsers reject them otherwise)")
    if lowered.startswith("__host-"):
        if not secure:
            raise ValueError("__Host- cookies require secure=True (browsers reject them otherwise)")
        if path != "/":
            raise ValueError(f"__Host- cookies require path='/', not {path!r}")
        if domain is not None:
            raise ValueError("__Host- cookies must have no domain")


def format_set_cookie(
    key: str,
    value: str = "",
    *,
    max_age: int | None = None,
    expires: datetime | str | int | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: SameSite | None = "lax",
    partitioned: bool = False,
) -> str:
    """Build one ``Set-Cookie`` header value.

    ``expires`` is a datetime, an HTTP date string, or a number of seconds from now.
    ``samesite="none"``, ``partitioned=True`` and the ``__Secure-`` / ``__Host-`` name prefixes
    require ``secure=True`` (``__Host-`` also ``path="/"`` and no domain); browsers drop such
    cookies otherwise, so they raise ``ValueError`` here.
    """
    if not key or not all(char in _TOKEN for char in key):
        raise ValueError(f"invalid cookie name {key!r}: use letters, digits and !#$%&'*+-.^_`|~")
    _check_prefix(key, secure=secure, path=path, domain=domain)
    parts = [f"{key}={_quote(value)}"]
    if max_age is not None:
        parts.append(f"Max-Age={int(max_age)}")
    if expires is not None:
        if isinstance(expires, datetime):
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            text = format_datetime(expires.astimezone(UTC), usegmt=True)
        elif isinstance(expires, int):
            text = formatdate(datetime.now(UTC).timestamp() + expires, usegmt=True)
        else:
            text = _check_attribute("expires", expires)
        parts.append(f"Expires={text}")
    if path is not None:
        parts.append(f"Path={_check_attribute('path', path)}")
    if domain is not None:
        parts.append(f"Domain={_check_attribute('domain', domain)}")
    if secure:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if samesite is not None:
        lowered = samesite.lower()
        if lowered not in ("lax", "strict", "none"):
            raise ValueError(f"samesite must be 'lax', 'strict' or 'none', not {samesite!r}")
        if lowered == "none" and not secure:
            raise ValueError("samesite='none' requires secure=True (browsers reject it otherwise)")
        parts.append(f"SameSite={lowered.capitalize()}")
    if partitioned:
        if not secure:
            raise ValueError("partitioned=True requires secure=True")
        parts.append("Partitioned")
    return "; ".join(parts)

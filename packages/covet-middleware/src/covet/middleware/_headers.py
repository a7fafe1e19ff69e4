"""Fast edits of raw ASGI header lists on the hot path (reading goes through covet.http)."""

from __future__ import annotations

from collections.abc import Iterable

from covet.http import Message, RawHeaders

__all__ = ["add_vary", "header_list", "set_header"]


def header_list(message: Message) -> RawHeaders:
    """The message's headers as a list we may edit in place (ASGI allows any iterable)."""
    headers = message.get("headers")
    if not isinstance(headers, list):
        headers = message["headers"] = list(headers or ())
    return headers


def set_header(headers: RawHeaders, name: bytes, value: bytes) -> None:
    """Replace every ``name`` line with one ``name: value`` line (``name`` in lower case)."""
    for index in range(len(headers) - 1, -1, -1):
        if headers[index][0].lower() == name:
            del headers[index]
    headers.append((name, value))


def remove_header(headers: RawHeaders, name: bytes) -> None:
    for index in range(len(headers) - 1, -1, -1):
        if headers[index][0].lower() == name:
            del headers[index]


def add_vary(headers: RawHeaders, values: Iterable[bytes]) -> None:
    """Add field names to ``Vary`` unless already there (or ``Vary: *``)."""
    for index, (key, existing) in enumerate(headers):
        if key.lower() == b"vary":
            present = {part.strip().lower() for part in existing.split(b",")}
            if b"*" in present:
                return
            missing = [v for v in values if v.lower() not in present]
            if missing:
                headers[index] = (key, b", ".join([existing, *missing]))
            return
    headers.append((b"vary", b", ".join(values)))

"""Small responses middleware sends by itself (problem details, plain text, redirects)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from covet.http import RawHeaders, Send, json_dumps, problem_details

__all__ = ["send_problem", "send_response"]


async def send_response(
    send: Send,
    status: int,
    body: bytes = b"",
    *,
    content_type: str | None = "text/plain; charset=utf-8",
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    raw: RawHeaders = list(headers)
    if content_type is not None and body:
        raw.append((b"content-type", content_type.encode("latin-1")))
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def problem_body(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """An RFC 9457 problem-details document, rendered by covet.http like the app's own errors."""
    return json_dumps(problem_details(status, detail, title=title, **(extra or {})))


async def send_problem(
    send: Send,
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    headers: Iterable[tuple[bytes, bytes]] = (),
    extra: Mapping[str, Any] | None = None,
) -> None:
    await send_response(
        send,
        status,
        problem_body(status, detail, title=title, extra=extra),
        content_type="application/problem+json",
        headers=headers,
    )

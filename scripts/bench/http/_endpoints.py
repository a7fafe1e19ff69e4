"""The five benchmark endpoints: what wrk requests, and what a correct answer looks like.

Every framework's app must answer each request with the same status and the same JSON document (or
text), and must reject a malformed variant with a 4xx, so that no framework is measured skipping the
work the others do.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ECHO_DOCUMENT: dict[str, Any] = {
    "name": "covet",
    "tags": ["fast", "asgi"],
    "count": 3,
    "nested": {"ratio": 1.5, "ok": True},
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    expected: Any  # str for text/plain, anything else is compared as parsed JSON
    label: str
    body: bytes = b""
    lua: Path | None = None
    rejects: tuple[tuple[str, str, bytes], ...] = field(default=())

    @property
    def is_text(self) -> bool:
        return isinstance(self.expected, str)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("plaintext", "GET", "/plaintext", "Hello, World!", "plaintext"),
    Endpoint("json", "GET", "/json", {"message": "Hello, World!"}, "JSON"),
    Endpoint(
        "path",
        "GET",
        "/users/42",
        {"id": 42},
        "path param `/users/{id:int}`",
        rejects=(("GET", "/users/abc", b""),),
    ),
    Endpoint(
        "query",
        "GET",
        "/search?q=covet&page=2&size=20",
        {"q": "covet", "page": 2, "size": 20},
        "query params `q:str page:int size:int`",
        rejects=(("GET", "/search?q=covet&page=two", b""), ("GET", "/search?page=2", b"")),
    ),
    Endpoint(
        "body",
        "POST",
        "/echo",
        ECHO_DOCUMENT,
        "JSON body echo (POST)",
        body=json.dumps(ECHO_DOCUMENT, separators=(",", ":")).encode(),
        lua=HERE / "echo.lua",
        rejects=(("POST", "/echo", b'{"name": '),),
    ),
)
TYPED = ("path", "query", "body")


def request(
    port: int, method: str, path: str, body: bytes = b"", timeout: float = 5.0
) -> tuple[int, str, bytes]:
    """One HTTP/1.1 request to 127.0.0.1; returns (status, content-type, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if method == "POST" else {}
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        connection.close()


def verify(port: int, endpoint: Endpoint) -> list[str]:
    """Return what is wrong with the server's answers for ``endpoint`` (empty when all is right)."""
    problems: list[str] = []
    status, content_type, raw = request(port, endpoint.method, endpoint.path, endpoint.body)
    if status != 200:
        problems.append(f"{endpoint.method} {endpoint.path}: status {status}, expected 200")
    elif endpoint.is_text:
        if not content_type.startswith("text/plain") or raw.decode() != endpoint.expected:
            problems.append(f"{endpoint.path}: got {content_type!r} {raw[:80]!r}")
    else:
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if not content_type.startswith("application/json") or document != endpoint.expected:
            problems.append(f"{endpoint.path}: got {content_type!r} {raw[:80]!r}")
    for method, path, body in endpoint.rejects:
        status, _, raw = request(port, method, path, body)
        if not 400 <= status < 500:
            problems.append(
                f"{method} {path} should be rejected with 4xx, got {status} {raw[:80]!r}"
            )
    return problems

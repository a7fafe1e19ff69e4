"""Malformed input never becomes a 500: random methods, paths, headers, cookies and bodies.

Each middleware (and the recommended stack) wraps a trivial app; hypothesis throws request lines at
it that no browser would send. Refusals (400, 403, 413, 429, ...) are fine; an exception or a 5xx
is a bug an attacker could use to fill logs or crash workers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covet.http._types import ASGIApp, Message, Receive, Scope, Send
from covet.middleware import (
    CompressionMiddleware,
    CORSMiddleware,
    CSRFMiddleware,
    EncryptedCookieBackend,
    ErrorMiddleware,
    HTTPSRedirectMiddleware,
    MemoryStore,
    ProxyHeadersMiddleware,
    RateLimitMiddleware,
    RequestIDMiddleware,
    SecurityHeadersMiddleware,
    SessionMiddleware,
    StoreBackend,
    TimeoutMiddleware,
    TrustedHostMiddleware,
)

KEY = "fuzz-secret-" + "f" * 40
BIG = b"compress me " * 200


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        more = message.get("more_body", False)
    if "session" in scope:
        scope["session"]["seen"] = scope["session"].get("seen", 0) + 1
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"etag", b'"x"')]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BIG})


LAYERS: dict[str, Callable[[ASGIApp], ASGIApp]] = {
    "cors": lambda a: CORSMiddleware(
        a,
        ["https://app.example.com", "http://localhost:8000"],
        allow_origin_regex=r"https://[a-z0-9-]+\.example\.org",
        allow_credentials=True,
        allow_headers=["x-custom"],
        expose_headers=["x-request-id"],
    ),
    "cors-any": lambda a: CORSMiddleware(a, ["*"], allow_methods=["*"], allow_headers=["*"]),
    "csrf": lambda a: CSRFMiddleware(
        a, KEY, trusted_origins=["https://partner.example.com"], exempt_paths=["/hooks/*"]
    ),
    "session-signed": lambda a: SessionMiddleware(a, KEY),
    "session-encrypted": lambda a: SessionMiddleware(a, backend=EncryptedCookieBackend(KEY)),
    "session-store": lambda a: SessionMiddleware(a, backend=StoreBackend(MemoryStore())),
    "ratelimit": lambda a: RateLimitMiddleware(a, limit=1000, window=60),
    "compression": lambda a: CompressionMiddleware(a),
    "proxy": lambda a: ProxyHeadersMiddleware(a, ["127.0.0.0/8", "::1"]),
    "proxy-all": lambda a: ProxyHeadersMiddleware(a, "*"),
    "trusted-host": lambda a: TrustedHostMiddleware(a, ["testserver", "*.example.com"]),
    "https-redirect": lambda a: HTTPSRedirectMiddleware(a),
    "request-id": lambda a: RequestIDMiddleware(a),
    "security-headers": lambda a: SecurityHeadersMiddleware(a),
    "timeout": lambda a: TimeoutMiddleware(a, timeout=30),
    "errors": lambda a: ErrorMiddleware(a),
}

HEADER_NAMES = [
    b"host",
    b"origin",
    b"referer",
    b"cookie",
    b"content-type",
    b"accept-encoding",
    b"access-control-request-method",
    b"access-control-request-headers",
    b"sec-fetch-site",
    b"x-forwarded-for",
    b"x-forwarded-proto",
    b"x-forwarded-host",
    b"forwarded",
    b"x-request-id",
    b"x-csrf-token",
    b"accept",
    b"content-length",
]
TOKENS = [
    "",
    "null",
    "*",
    ",",
    ";",
    "=",
    '"',
    "[",
    "]",
    ":",
    "/",
    "\\",
    ".",
    "%2F",
    "\xb2",
    "\xe9",
    "\x00",
    " ",
    "q=",
    "for=",
    "proto=https",
    "https://",
    "http://",
    "app.example.com",
    "evil.com",
    "::1",
    "[::1]:80",
    "127.0.0.1",
    "10.0.0.1:99999999999999999999",
    "session=",
    "csrftoken=",
    "YWJj.",
    "gzip",
    "br",
    "multipart/form-data; boundary=b",
    "application/x-www-form-urlencoded",
    "OPTIONS",
    "1e999",
    "-1",
    "session=YWJj.",
    "csrftoken=YWJj.",
    "1.2.3.4:",
    "[2001:db8::1]",
    "csrf_token=",
    "\r\n",
    "--b",
    'content-disposition: form-data; name="csrf_token"',
]
# Mostly known-dangerous fragments glued together, sometimes arbitrary text.
fragment = st.one_of(*[st.sampled_from(TOKENS)] * 6, st.text(max_size=6))
header_value = st.lists(fragment, max_size=6).map(
    lambda parts: "".join(parts).encode("latin-1", "replace")
)
# Each interesting header is present half the time, sometimes twice, plus an arbitrary one.
headers = st.tuples(
    st.fixed_dictionaries({}, optional={name: header_value for name in HEADER_NAMES}),
    st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_value), max_size=2),
    st.lists(
        st.tuples(st.binary(min_size=1, max_size=8).map(bytes.lower), header_value), max_size=1
    ),
).map(lambda parts: [*parts[0].items(), *parts[1], *parts[2]])
requests = st.fixed_dictionaries(
    {
        "method": st.sampled_from(["POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
        | st.text(alphabet="ABCXYZ-", min_size=1, max_size=6),
        "path": st.lists(
            st.sampled_from(["", "hooks", "..", "%2F", "é", "a", ";", "*"]), max_size=4
        ).map(lambda parts: "/" + "/".join(parts)),
        "scheme": st.sampled_from(["http", "https"]),
        "headers": headers,
        "body": st.lists(st.binary(max_size=64), max_size=3),
        "client": st.sampled_from([("127.0.0.1", 1), ("::1", 2), ("203.0.113.7", 3), None]),
    }
)


async def drive(layer: ASGIApp, request: dict[str, Any]) -> list[Message]:
    path: str = request["path"]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request["method"],
        "scheme": request["scheme"],
        "path": path,
        "raw_path": path.encode("utf-8"),
        "root_path": "",
        "query_string": b"",
        "headers": list(request["headers"]),
        "client": request["client"],
        "server": ("testserver", 443),
    }
    chunks = list(request["body"]) or [b""]
    sent: list[Message] = []

    async def receive() -> Message:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await layer(scope, receive, send)
    return sent


def check(layer: ASGIApp, request: dict[str, Any]) -> None:
    sent = asyncio.run(drive(layer, request))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    assert starts[0]["status"] < 500, sent
    for name, value in starts[0].get("headers", []):
        assert isinstance(name, bytes) and isinstance(value, bytes)


FUZZ = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_one_middleware_never_fails_on_malformed_requests(name: str) -> None:
    layer = LAYERS[name](app)

    @FUZZ
    @given(requests)
    def run(request: dict[str, Any]) -> None:
        check(layer, request)

    run()


def test_recommended_stack_never_fails_on_malformed_requests() -> None:
    stack: ASGIApp = app
    for name in (
        "compression",
        "csrf",
        "session-signed",
        "cors",
        "ratelimit",
        "security-headers",
        "trusted-host",
        "request-id",
        "errors",
        "proxy",
    ):
        stack = LAYERS[name](stack)

    @FUZZ
    @given(requests)
    def run(request: dict[str, Any]) -> None:
        check(stack, request)

    run()


latin1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=40)


@pytest.mark.parametrize(
    ("name", "cookie"),
    [
        ("session-signed", "session"),
        ("session-encrypted", "session"),
        ("session-store", "session"),
        ("csrf", "csrftoken"),
    ],
)
def test_forged_cookie_values_are_ignored_not_fatal(name: str, cookie: str) -> None:
    layer = LAYERS[name](app)

    @FUZZ
    @given(st.sampled_from(["", "YWJj.", "e30.", "YWJjZGVmZ2hpams."]), latin1)
    def run(prefix: str, value: str) -> None:
        header = f"{cookie}={prefix}{value}".encode("latin-1")
        request = {
            "method": "GET",
            "path": "/",
            "scheme": "https",
            "headers": [(b"host", b"testserver"), (b"cookie", header)],
            "body": [],
            "client": ("127.0.0.1", 1),
        }
        check(layer, request)

    run()


@pytest.mark.parametrize("header", [b"x-forwarded-for", b"forwarded", b"x-forwarded-host"])
def test_forwarding_headers_from_a_trusted_proxy_never_fail(header: bytes) -> None:
    layer = LAYERS["proxy"](LAYERS["trusted-host"](app))

    @FUZZ
    @given(st.lists(st.sampled_from(TOKENS) | latin1, max_size=5))
    def run(parts: list[str]) -> None:
        request = {
            "method": "GET",
            "path": "/",
            "scheme": "http",
            "headers": [(b"host", b"testserver"), (header, "".join(parts).encode("latin-1"))],
            "body": [],
            "client": ("127.0.0.1", 1),
        }
        check(layer, request)

    run()

"""CORS, judged the way a browser judges it.

``browser_fetch`` below is the client side of the Fetch standard (https://fetch.spec.whatwg.org/):
when a CORS-preflight is needed (§4.1 main fetch, step "use-CORS-preflight flag"), the
CORS-preflight fetch (§4.9) and the CORS check (§4.10). Each matrix row states, from the standard
and the row's configuration alone, whether a page at ``origin`` may read the response.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from covet.http import ConfigurationError
from covet.middleware import CORSMiddleware

SAFELISTED_METHODS = {"GET", "HEAD", "POST"}
SIMPLE_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


def safelisted_header(name: str, value: str) -> bool:
    """Fetch §2.2.2 CORS-safelisted request-header (the parts these tests use)."""
    name = name.lower()
    if name in ("accept", "accept-language", "content-language"):
        return True
    if name == "content-type":
        return value.split(";")[0].strip().lower() in SIMPLE_CONTENT_TYPES
    return False


def cors_check(response: httpx.Response, credentials: bool, origin: str) -> bool:
    """Fetch §4.10 CORS check."""
    allow_origin = response.headers.get("access-control-allow-origin")
    if allow_origin is None:
        return False
    if not credentials and allow_origin == "*":
        return True
    if allow_origin != origin:
        return False
    if not credentials:
        return True
    return bool(response.headers.get("access-control-allow-credentials") == "true")


def split_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


async def browser_fetch(
    client: httpx.AsyncClient,
    origin: str,
    method: str,
    headers: dict[str, str],
    credentials: bool,
) -> tuple[bool, list[httpx.Response]]:
    unsafe = sorted(n.lower() for n, v in headers.items() if not safelisted_header(n, v))
    responses = []
    if method not in SAFELISTED_METHODS or unsafe:
        preflight_headers = {"origin": origin, "access-control-request-method": method}
        if unsafe:
            preflight_headers["access-control-request-headers"] = ",".join(unsafe)
        preflight = await client.options("/echo", headers=preflight_headers)
        responses.append(preflight)
        if not (200 <= preflight.status_code < 300 and cors_check(preflight, credentials, origin)):
            return False, responses
        methods = split_list(preflight.headers.get("access-control-allow-methods")) or [method]
        names = [
            n.lower() for n in split_list(preflight.headers.get("access-control-allow-headers"))
        ]
        if (
            method not in methods
            and method not in SAFELISTED_METHODS
            and (credentials or "*" not in methods)
        ):
            return False, responses
        if "authorization" in unsafe and "authorization" not in names:
            return False, responses
        for name in unsafe:
            if name not in names and (credentials or "*" not in names):
                return False, responses
    actual = await client.request(method, "/echo", headers={**headers, "origin": origin})
    responses.append(actual)
    assert actual.status_code == 200
    return cors_check(actual, credentials, origin), responses


APP = "https://app.example.com"
CONFIGS: dict[str, dict[str, Any]] = {
    "exact": {
        "allow_origins": [APP],
        "allow_methods": ["GET", "POST", "PUT"],
        "allow_headers": ["X-Token"],
    },
    "credentials": {
        "allow_origins": [APP, "https://admin.example.com"],
        "allow_methods": ["GET", "POST", "DELETE"],
        "allow_headers": ["Authorization", "X-Token"],
        "allow_credentials": True,
        "expose_headers": ["X-Total"],
    },
    "star": {"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"]},
    "regex": {
        "allow_origin_regex": r"https://[a-z0-9-]+\.example\.com",
        "allow_methods": ["GET", "PATCH"],
        "allow_credentials": True,
    },
}
JSON = {"content-type": "application/json"}
# (config, origin, method, request headers, credentials, the page may read the response)
MATRIX = [
    ("exact", APP, "GET", {}, False, True),
    ("exact", APP, "GET", {}, True, False),  # no Access-Control-Allow-Credentials
    ("exact", "https://evil.example.net", "GET", {}, False, False),
    ("exact", "https://app.example.com.evil.net", "GET", {}, False, False),  # suffix attack
    ("exact", "https://evilapp.example.com", "GET", {}, False, False),  # prefix attack
    ("exact", "https://app.example.co", "GET", {}, False, False),  # truncated
    ("exact", "http://app.example.com", "GET", {}, False, False),  # scheme differs
    ("exact", "https://app.example.com:8443", "GET", {}, False, False),  # port differs
    ("exact", "null", "GET", {}, False, False),
    ("exact", APP, "PUT", {}, False, True),
    ("exact", APP, "DELETE", {}, False, False),  # method not allowed
    ("exact", APP, "GET", {"X-Token": "1"}, False, True),
    ("exact", APP, "GET", {"X-Other": "1"}, False, False),  # header not allowed
    ("exact", APP, "POST", {"content-type": "text/plain"}, False, True),  # simple request
    ("exact", APP, "POST", JSON, False, True),  # preflighted content-type
    ("exact", "https://evil.example.net", "PUT", {}, False, False),
    ("credentials", APP, "GET", {}, True, True),
    ("credentials", "https://admin.example.com", "GET", {}, True, True),
    ("credentials", APP, "GET", {}, False, True),
    ("credentials", "https://evil.example.net", "GET", {}, True, False),
    ("credentials", "https://app.example.com.evil.net", "GET", {}, True, False),
    ("credentials", "https://xapp.example.com", "GET", {}, True, False),
    ("credentials", APP, "DELETE", {"Authorization": "Bearer t"}, True, True),
    ("credentials", APP, "PUT", {}, True, False),
    ("credentials", APP, "GET", {"X-Token": "1", "X-Trace": "2"}, True, False),
    ("credentials", "null", "GET", {}, True, False),
    ("star", "https://anyone.example.org", "GET", {}, False, True),
    ("star", "https://anyone.example.org", "GET", {}, True, False),  # "*" never with credentials
    ("star", "null", "GET", {}, False, True),
    ("star", "https://anyone.example.org", "PUT", {"X-Custom": "1"}, False, True),
    # Fetch: a "*" in Access-Control-Allow-Headers never covers Authorization; allow_headers=["*"]
    # means "allow any header", so the server must name it.
    ("star", "https://anyone.example.org", "GET", {"Authorization": "x"}, False, True),
    ("regex", "https://shop.example.com", "GET", {}, True, True),
    ("regex", "https://example.com", "GET", {}, True, False),
    ("regex", "https://shop.example.com.evil.net", "GET", {}, True, False),  # suffix attack
    ("regex", "https://evil.net#https://shop.example.com", "GET", {}, True, False),
    ("regex", "https://shop.example.comx", "GET", {}, True, False),
    ("regex", "https://shopexample.com", "GET", {}, True, False),  # the dot is not a wildcard
    ("regex", "http://shop.example.com", "GET", {}, True, False),
    ("regex", "https://a.b.example.com", "GET", {}, True, False),
    ("regex", "https://shop.example.com", "PATCH", JSON, True, True),
    ("regex", "https://shop.example.com", "PUT", {}, True, False),
]


@pytest.mark.parametrize(
    ("config", "origin", "method", "headers", "credentials", "expected"),
    MATRIX,
    ids=[f"{i}-{row[0]}-{row[2]}" for i, row in enumerate(MATRIX)],
)
async def test_cors_matrix(
    build: Any,
    make_client: Any,
    config: str,
    origin: str,
    method: str,
    headers: dict[str, str],
    credentials: bool,
    expected: bool,
) -> None:
    app = build((CORSMiddleware, CONFIGS[config]))
    async with make_client(app) as client:
        allowed, responses = await browser_fetch(client, origin, method, headers, credentials)
    assert allowed is expected
    mw = CORSMiddleware(lambda *a: None, **CONFIGS[config])  # type: ignore[arg-type]
    for response in responses:
        value = response.headers.get("access-control-allow-origin")
        # An unlisted origin is never echoed, and gets no credentials header.
        if not mw.is_allowed_origin(origin):
            assert value is None
            assert "access-control-allow-credentials" not in response.headers
        elif value is None:
            assert response.status_code == 400  # a refused preflight (method or header)
        else:
            assert value in (origin, "*")
        if config != "star":
            assert "origin" in response.headers.get("vary", "").lower()


async def test_preflight_and_actual_agree_on_expose_and_max_age(
    build: Any, make_client: Any
) -> None:
    app = build((CORSMiddleware, {**CONFIGS["credentials"], "max_age": 123}))
    async with make_client(app) as client:
        pre = await client.options(
            "/echo",
            headers={"origin": APP, "access-control-request-method": "DELETE"},
        )
        actual = await client.get("/echo", headers={"origin": APP})
    assert pre.status_code == 204
    assert pre.headers["access-control-max-age"] == "123"
    assert set(split_list(pre.headers["access-control-allow-methods"])) == {"GET", "POST", "DELETE"}
    assert actual.headers["access-control-expose-headers"] == "X-Total"
    assert actual.headers["access-control-allow-credentials"] == "true"


async def test_options_without_request_method_reaches_the_app(build: Any, make_client: Any) -> None:
    app = build((CORSMiddleware, CONFIGS["exact"]))
    async with make_client(app) as client:
        response = await client.request("OPTIONS", "/text", headers={"origin": APP})
    assert "Disallowed" not in response.text


async def test_rejected_preflight_says_why(build: Any, make_client: Any) -> None:
    app = build((CORSMiddleware, CONFIGS["exact"]))
    async with make_client(app) as client:
        response = await client.options(
            "/echo",
            headers={"origin": "https://evil.example.net", "access-control-request-method": "GET"},
        )
    assert response.status_code == 400
    # problem details, like every other error answer of the stack
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "Disallowed CORS origin"
    assert "access-control-allow-origin" not in response.headers


def test_star_with_credentials_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="allow_credentials"):
        CORSMiddleware(lambda *a: None, allow_origins=["*"], allow_credentials=True)  # type: ignore[arg-type]


def test_null_origin_with_credentials_is_refused_at_start_up() -> None:
    # Any site can make a request with "Origin: null" (a sandboxed iframe, a data: URL), so
    # trusting "null" with credentials is the same mistake as "*" with credentials.
    with pytest.raises(ConfigurationError, match="null"):
        CORSMiddleware(lambda *a: None, allow_origins=["null"], allow_credentials=True)  # type: ignore[arg-type]
    CORSMiddleware(lambda *a: None, allow_origins=["null"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("configured", "sent"),
    [
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://app.example.com:80", "http://app.example.com"),
        ("HTTPS://App.Example.com", "https://app.example.com"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_configured_origins_are_serialized_like_a_browser(configured: str, sent: str) -> None:
    # Browsers never send a default port, so "https://x:443" as configured could never match.
    cors = CORSMiddleware(lambda *a: None, allow_origins=[configured])  # type: ignore[arg-type]
    assert cors.is_allowed_origin(sent)


@pytest.mark.parametrize(
    "origin",
    [
        "https://app.example.com/",
        "app.example.com",
        "https://x/p",
        "https://x:port",
        "https://x:99999",
    ],
)
def test_malformed_origins_are_refused(origin: str) -> None:
    with pytest.raises(ConfigurationError, match="serialized origin"):
        CORSMiddleware(lambda *a: None, allow_origins=[origin])  # type: ignore[arg-type]


def test_matrix_is_big_enough() -> None:
    assert len(MATRIX) >= 30

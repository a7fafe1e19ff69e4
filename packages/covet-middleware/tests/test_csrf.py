from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from covet.http import ConfigurationError
from covet.middleware import CSRFMiddleware

SECRET = "csrf-secret-" + "k" * 40
OWN = "https://testserver"
OPTIONS = {"secret_key": SECRET, "trusted_origins": ["https://partner.example.com"]}


@contextlib.asynccontextmanager
async def session(
    build: Any, make_client: Any, **options: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client that has visited a page and holds the CSRF cookie, and the token."""
    app = build((CSRFMiddleware, {**OPTIONS, **options}))
    async with make_client(app) as client:
        response = await client.get("/csrf-token")
        assert response.status_code == 200
        token = response.json()["token"]
        assert client.cookies["csrftoken"]
        yield client, token


async def test_cookie_is_set_once_with_safe_attributes(build: Any, make_client: Any) -> None:
    app = build((CSRFMiddleware, OPTIONS))
    async with make_client(app) as client:
        first = await client.get("/text")
        second = await client.get("/text")
    cookie = first.headers["set-cookie"]
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie
    assert "HttpOnly" not in cookie  # the page's script must read it for the header
    assert "set-cookie" not in second.headers


async def test_header_token_from_own_origin_passes(build: Any, make_client: Any) -> None:
    async with session(build, make_client) as (client, token):
        response = await client.post(
            "/echo", json={"a": 1}, headers={"x-csrf-token": token, "origin": OWN}
        )
    assert response.status_code == 200
    assert response.json()["body"] == '{"a":1}'


async def test_non_browser_client_without_origin_passes_with_token(
    build: Any, make_client: Any
) -> None:
    async with session(build, make_client) as (client, token):
        response = await client.delete("/echo", headers={"x-csrf-token": token})
    assert response.status_code == 200


async def test_form_field_token_and_body_is_replayed(build: Any, make_client: Any) -> None:
    async with session(build, make_client) as (client, token):
        response = await client.post(
            "/echo", data={"name": "x" * 5000, "csrf_token": token}, headers={"origin": OWN}
        )
    assert response.status_code == 200
    assert response.json()["body_length"] == len(f"name={'x' * 5000}&csrf_token={token}")


async def test_multipart_token_and_body_is_replayed(build: Any, make_client: Any) -> None:
    async with session(build, make_client) as (client, token):
        response = await client.post(
            "/echo",
            data={"csrf_token": token},
            files={"upload": ("a.bin", b"\x00" * 70000, "application/octet-stream")},
            headers={"origin": OWN},
        )
    assert response.status_code == 200
    assert response.json()["body_length"] > 70000


async def test_trusted_origin_passes(build: Any, make_client: Any) -> None:
    async with session(build, make_client) as (client, token):
        response = await client.put(
            "/echo",
            headers={"x-csrf-token": token, "origin": "https://partner.example.com"},
        )
    assert response.status_code == 200


async def test_exempt_paths_skip_the_checks(build: Any, make_client: Any) -> None:
    app = build((CSRFMiddleware, {**OPTIONS, "exempt_paths": ["/echo"]}))
    async with make_client(app) as client:
        response = await client.post(
            "/echo", content=b"{}", headers={"origin": "https://evil.example"}
        )
    assert response.status_code == 200


BYPASSES: list[tuple[str, dict[str, Any]]] = [
    ("no token, json", {"json": {"a": 1}}),
    ("text/plain body", {"content": b"a=1", "headers": {"content-type": "text/plain"}}),
    (
        "text/plain; application/json",
        {"content": b'{"a":1}', "headers": {"content-type": "text/plain; application/json"}},
    ),
    ("urlencoded without token", {"data": {"a": "1"}}),
    ("multipart without token", {"files": {"f": ("a.txt", b"hello", "text/plain")}}),
    ("token in query string only", {"params": {"csrf_token": "TOKEN"}}),
    ("cross-site origin with valid token", {"headers": {"origin": "https://evil.example"}}),
    ("suffix origin", {"headers": {"origin": "https://testserver.evil.example"}}),
    ("scheme downgrade origin", {"headers": {"origin": "http://testserver"}}),
    ("null origin", {"headers": {"origin": "null"}}),
    ("sec-fetch-site cross-site", {"headers": {"sec-fetch-site": "cross-site"}, "no_header": 1}),
    ("cross-site referer", {"headers": {"referer": "https://evil.example/page"}}),
    ("wrong header token", {"headers": {"x-csrf-token": "WRONG"}}),
    ("empty header token", {"headers": {"x-csrf-token": ""}}),
    ("no cookie", {"drop_cookie": 1}),
    ("forged unsigned cookie", {"forge": 1}),
    ("attacker's own valid token", {"foreign": 1}),
    ("multipart token past max_body_size", {"deep_multipart": 1}),
]


@pytest.mark.parametrize(("name", "spec"), BYPASSES, ids=[name for name, _ in BYPASSES])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_every_bypass_gets_403(
    build: Any, make_client: Any, name: str, spec: dict[str, Any], method: str
) -> None:
    spec = dict(spec)
    flags = {
        flag
        for flag in ("no_header", "drop_cookie", "forge", "foreign", "deep_multipart")
        if spec.pop(flag, None)
    }
    async with session(build, make_client, max_body_size=4096) as (client, token):
        headers = {"x-csrf-token": token, "origin": OWN}
        if name.startswith(("no token", "text/plain", "urlencoded", "multipart", "token in")):
            del headers["x-csrf-token"]
        if name in ("sec-fetch-site cross-site", "cross-site referer"):
            del headers["origin"]
        if "params" in spec:
            spec["params"] = {"csrf_token": token}
        headers.update(spec.pop("headers", {}))
        if "drop_cookie" in flags:
            client.cookies.clear()
        if "forge" in flags:
            client.cookies.clear()
            client.cookies.set("csrftoken", "forged.value")
            headers["x-csrf-token"] = "forged.value"
        if "foreign" in flags:
            async with session(build, make_client) as (_, other_token):
                headers["x-csrf-token"] = other_token
        if "deep_multipart" in flags:  # the token field comes after an 8,000-byte file
            spec["content"] = (
                b'--B\r\nContent-Disposition: form-data; name="f"; filename="a.bin"\r\n\r\n'
                + b"x" * 8000
                + b'\r\n--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
                + token.encode()
                + b"\r\n--B--\r\n"
            )
            headers["content-type"] = "multipart/form-data; boundary=B"
        response = await client.request(method, "/echo", headers=headers, **spec)
    assert response.status_code == 403, name
    assert response.headers["content-type"] == "application/problem+json"
    if "deep_multipart" in flags:
        assert "before any file" in response.json()["detail"]


@pytest.mark.parametrize("chunked", [False, True])
async def test_urlencoded_form_over_max_body_size_is_413(
    build: Any, make_client: Any, chunked: bool
) -> None:
    async with session(build, make_client, max_body_size=4096) as (client, token):
        body = f"padding={'p' * 8000}&csrf_token={token}".encode()
        headers = {"origin": OWN, "content-type": "application/x-www-form-urlencoded"}

        async def chunks() -> Any:  # no Content-Length: the limit is found while reading
            for i in range(0, len(body), 1000):
                yield body[i : i + 1000]

        content: Any = chunks() if chunked else body
        response = await client.post("/echo", headers=headers, content=content)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert "x-csrf-token header" in response.json()["detail"]
        # the same form under the limit, and the big one with the header token, pass
        small = await client.post("/echo", headers=headers, content=f"csrf_token={token}")
        assert small.status_code == 200
        big = await client.post("/echo", headers={**headers, "x-csrf-token": token}, content=body)
        assert big.status_code == 200


def test_short_secret_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        CSRFMiddleware(lambda *a: None, secret_key="short")  # type: ignore[arg-type]


async def test_rotated_secret_keeps_old_tokens_valid(build: Any, make_client: Any) -> None:
    old = "old-secret-" + "o" * 40
    async with session(build, make_client, secret_key=old) as (client, token):
        cookies = client.cookies
    app = build((CSRFMiddleware, {"secret_key": ["new-secret-" + "n" * 40, old]}))
    async with make_client(app, cookies=cookies) as rotated:
        response = await rotated.post("/echo", headers={"x-csrf-token": token, "origin": OWN})
    assert response.status_code == 200


async def test_replayed_form_body_then_disconnect_reach_the_app() -> None:
    middleware = CSRFMiddleware(lambda *a: None, SECRET)  # type: ignore[arg-type]
    token = middleware.new_token()
    body = f"a=1&csrf_token={token}".encode()
    received: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            received.append(message)
            if message["type"] == "http.disconnect":
                return

    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.request", "body": body[10:], "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        raise AssertionError(f"the app sends nothing, got {message}")

    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "path": "/",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"cookie", f"csrftoken={token}".encode()),
        ],
    }
    await CSRFMiddleware(app, SECRET)(scope, receive, send)
    assert b"".join(m.get("body", b"") for m in received) == body
    assert received[-1] == {"type": "http.disconnect"}


def _scope(
    headers: list[tuple[bytes, bytes]], *, path: str = "/", raw_path: bytes | None = None
) -> dict[str, Any]:
    """Overrides for the ``asgi_call`` fixture's scope: a POST with these headers."""
    return {
        "method": "POST",
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode(),
        "headers": headers,
    }


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"testserver"), (b"referer", b"http://[")],
        [(b"host", b"testserver"), (b"referer", b"https://testserver:99999/")],
        [(b"host", b"["), (b"origin", b"https://testserver")],
        [(b"host", b"testserver:80null"), (b"origin", b"https://testserver")],
        [(b"host", b"testserver:99999999999"), (b"origin", b"https://testserver")],
    ],
)
async def test_malformed_host_or_referer_is_refused_not_a_500(
    asgi_call: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    middleware = CSRFMiddleware(_ok, SECRET)
    token = middleware.new_token()
    headers = [
        *headers,
        (b"cookie", f"csrftoken={token}".encode()),
        (b"x-csrf-token", token.encode()),
    ]
    assert (await asgi_call(middleware, _scope(headers)))[0]["status"] == 403


async def test_multipart_scan_is_linear_in_the_body(asgi_call: Any) -> None:
    # Many field headers with no closing boundary used to make the token search quadratic:
    # ~200 kB took 20 s of event-loop time. Now each chunk is searched once.
    middleware = CSRFMiddleware(_ok, SECRET)
    token = middleware.new_token()
    part = b'content-disposition: form-data; name="csrf_token"\r\n\r\nxxxxxxxx'
    body = part * (400_000 // len(part))
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    headers = [
        (b"host", b"testserver"),
        (b"origin", b"https://testserver"),
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"cookie", f"csrftoken={token}".encode()),
    ]
    assert (await asgi_call(middleware, _scope(headers), chunks))[0]["status"] == 403


async def test_multipart_token_split_across_chunks_is_found(asgi_call: Any) -> None:
    middleware = CSRFMiddleware(_ok, SECRET)
    token = middleware.new_token()
    body = (
        b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n' + b"x" * 3000 + b"\r\n"
        b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + token.encode() + b"\r\n--b--\r\n"
    )
    headers = [
        (b"host", b"testserver"),
        (b"content-type", b"multipart/form-data; boundary=b"),
        (b"cookie", f"csrftoken={token}".encode()),
    ]
    for size in (1, 7, 100, 4096):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert (await asgi_call(middleware, _scope(headers), chunks))[0]["status"] == 200, size


async def test_exempt_prefix_is_not_reached_through_an_encoded_slash(asgi_call: Any) -> None:
    # The router splits raw_path on "/" and decodes each segment, so "/hooks%2F..%2Fadmin" is
    # one segment to it, while the decoded path "/hooks/../admin" starts with "/hooks/".
    middleware = CSRFMiddleware(_ok, SECRET, exempt_paths=["/hooks/*"])
    headers = [(b"host", b"testserver"), (b"origin", b"https://evil.example")]
    assert (await asgi_call(middleware, _scope(headers, path="/hooks/github")))[0]["status"] == 200
    encoded = _scope(headers, path="/hooks/../admin", raw_path=b"/hooks%2F..%2Fadmin")
    assert (await asgi_call(middleware, encoded))[0]["status"] == 403


async def test_token_is_masked_per_response_against_breach(build: Any, make_client: Any) -> None:
    # A compressed page that shows the same secret on every response leaks it byte by byte
    # (BREACH); each response gets a differently masked token that unmasks to the cookie.
    async with session(build, make_client) as (client, token):
        again = (await client.get("/csrf-token")).json()["token"]
        cookie = client.cookies["csrftoken"]
        assert len({token, again, cookie}) == 3
        for submitted in (token, again, cookie):
            response = await client.post(
                "/echo", headers={"x-csrf-token": submitted, "origin": OWN}
            )
            assert response.status_code == 200, submitted


async def test_masked_token_of_another_cookie_is_refused(build: Any, make_client: Any) -> None:
    async with session(build, make_client) as (client, _):
        async with session(build, make_client) as (_, foreign):
            pass
        for submitted in (foreign, foreign[:-4], "A" * 40, "!!", foreign + "A"):
            response = await client.post(
                "/echo", headers={"x-csrf-token": submitted, "origin": OWN}
            )
            assert response.status_code == 403, submitted


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        (b"https://testserver", True),
        (b"https://partner.example.com", True),
        (None, True),  # not a browser: browsers always send Origin on a websocket handshake
        (b"https://evil.example", False),
        (b"null", False),
    ],
)
async def test_websocket_handshake_from_another_site_is_refused(
    origin: bytes | None, accepted: bool
) -> None:
    # Cross-site websocket hijacking: a page on evil.example opens a socket to this site and
    # the browser attaches the user's cookies. The handshake is the websocket's "POST".
    reached: list[str] = []

    async def ws_app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["type"])
        await receive()
        await send({"type": "websocket.accept"})

    headers = [(b"host", b"testserver")] + ([(b"origin", origin)] if origin else [])
    scope = {"type": "websocket", "scheme": "wss", "path": "/ws", "headers": headers}
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = CSRFMiddleware(ws_app, SECRET, trusted_origins=["https://partner.example.com"])
    await middleware(scope, receive, send)
    assert (reached == ["websocket"]) is accepted
    assert sent[0]["type"] == ("websocket.accept" if accepted else "websocket.close")


@pytest.mark.parametrize("declared", ["\u00b2", "9" * 5000, "-1", "12 "])
async def test_odd_content_length_is_not_a_crash(declared: str) -> None:
    """Values str.isdigit() accepts but int() refuses (or parses only up to 4,300 digits): the
    body is read and checked as usual (h11/httptools refuse such headers; other servers may not)."""
    called: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(True)

    csrf = CSRFMiddleware(app, secret_key=SECRET, max_body_size=4096)
    sent: list[dict[str, Any]] = []
    body = [{"type": "http.request", "body": b"a=1", "more_body": False}]

    async def receive() -> dict[str, Any]:
        return body.pop(0) if body else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": "POST", "path": "/form", "raw_path": b"/form",
        "scheme": "https", "query_string": b"", "root_path": "",
        "headers": [
            (b"host", b"testserver"), (b"origin", OWN.encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", declared.encode("utf-8")),
        ],
    }  # fmt: skip
    await csrf(scope, receive, send)
    assert called == []
    assert sent[0]["status"] == 403  # no token (and no cookie): refused, not a 500

"""Hostile requests against AuthenticationMiddleware and the guards: never a 500, no smuggling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covet.auth import (
    AuthCookie,
    AuthenticationMiddleware,
    FailureReason,
    Guard,
    JWTAuth,
    login_required,
    requires,
    www_authenticate,
)
from covet.http import Covet
from covet.http.testing import TestClient, WebSocketDenialResponse
from covet.middleware import MemoryStore

from .test_middleware import SECRET, build_app

BACKEND = JWTAuth(secret=SECRET, store=MemoryStore())
TOKEN = BACKEND.create_access_token("alice", scopes=["read"])
BEARER_APP, _ = build_app(backend=BACKEND)
COOKIE_APP, _ = build_app(backend=BACKEND, cookie=AuthCookie(), csrf_secret="c" * 32)


async def status_of(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    """Drive one HTTP request straight through the ASGI app and answer its status code."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("203.0.113.9", 1234),
        "server": ("testserver", 443),
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


HEADER_VALUE = st.one_of(
    st.binary(max_size=200).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.builds(
        lambda scheme, sep, rest: scheme + sep + rest,
        st.sampled_from([b"Bearer", b"bearer", b"BEARER", b"Basic", b"", b"Bearer\t"]),
        st.sampled_from([b" ", b"  ", b"", b"\t"]),
        st.one_of(st.just(TOKEN.encode()), st.binary(max_size=120).map(lambda b: b.strip())),
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    authorization=st.lists(HEADER_VALUE, max_size=3),
    cookies=st.lists(HEADER_VALUE, max_size=2),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    path=st.sampled_from(["/public", "/me", "/writer", "/admin/panel", "/current"]),
    cookie_mode=st.booleans(),
)
async def test_random_authorization_and_cookie_headers_never_cause_a_server_error(
    authorization: list[bytes], cookies: list[bytes], method: str, path: str, cookie_mode: bool
) -> None:
    headers = [(b"authorization", value) for value in authorization]
    headers += [(b"cookie", b"access_token=" + value) for value in cookies]
    status = await status_of(COOKIE_APP if cookie_mode else BEARER_APP, method, path, headers)
    assert status < 500


async def test_several_authorization_headers_are_refused_not_first_one_wins() -> None:
    # A proxy that checks the last header and an app that reads the first disagree on who the
    # caller is; ambiguous credentials are refused.
    good = (b"authorization", f"Bearer {TOKEN}".encode())
    other = (b"authorization", b"Basic dXNlcjpwdw==")
    assert await status_of(BEARER_APP, "GET", "/me", [good]) == 200
    assert await status_of(BEARER_APP, "GET", "/me", [good, other]) == 401
    assert await status_of(BEARER_APP, "GET", "/me", [other, good]) == 401
    assert await status_of(BEARER_APP, "GET", "/public", [good, good]) == 200
    with TestClient(BEARER_APP) as client:
        response = client.get(
            "/public", headers=[("Authorization", f"Bearer {TOKEN}"), ("Authorization", "x")]
        )
        assert response.json()["failure"] == FailureReason.MALFORMED.value


def _websocket_app(**options: Any) -> Covet:
    app = Covet()
    app.add_middleware(AuthenticationMiddleware, backend=BACKEND, **options)

    @app.websocket("/ws", dependencies=[login_required])
    async def ws(websocket: Any) -> None:
        await websocket.accept()
        await websocket.send_text("hi " + websocket.scope["user"].identity)
        await websocket.close()

    return app


def test_cookie_websocket_from_a_foreign_origin_is_not_authenticated() -> None:
    # Cross-site WebSocket hijacking: browsers send cookies with a cross-origin websocket
    # handshake and no CSRF token can be attached, so only the Origin header can tell.
    app = _websocket_app(
        cookie=AuthCookie(),
        csrf_secret="c" * 32,
        csrf_trusted_origins=["https://app.example"],
    )
    with TestClient(app, base_url="https://testserver") as client:
        client.cookies.set("access_token", TOKEN)
        for origin in ("https://testserver", "https://app.example", None):
            headers = {"Origin": origin} if origin else {}
            with client.websocket_connect("/ws", headers=headers) as session:
                assert session.receive_text() == "hi alice"
        for origin in ("https://evil.example", "null", "http://testserver"):
            with pytest.raises(WebSocketDenialResponse) as info:
                client.websocket_connect("/ws", headers={"Origin": origin}).__enter__()
            assert info.value.status_code == 401  # the cookie was not taken: anonymous
        # a bearer token is not sent by browsers on their own: any origin may use one
        client.cookies.clear()
        headers = {"Origin": "https://evil.example", "Authorization": f"Bearer {TOKEN}"}
        with client.websocket_connect("/ws", headers=headers) as session:
            assert session.receive_text() == "hi alice"


@pytest.mark.parametrize(
    "build",
    [
        lambda: requires('read"'),
        lambda: requires("r\\ead"),
        lambda: requires("caf\u00e9"),
        lambda: requires("a b"),
        lambda: Guard(realm='a"b'),
        lambda: AuthenticationMiddleware(Covet(), BACKEND, realm="r\u00e9alm\n"),
    ],
)
def test_scopes_and_realms_that_cannot_go_in_a_challenge_are_refused_at_start_up(
    build: Any,
) -> None:
    # otherwise the 401/403 answer would fail to encode its WWW-Authenticate header: a 500
    with pytest.raises(ValueError, match="RFC 6750"):
        build()


def test_challenge_quotes_per_rfc_6750() -> None:
    failure_challenge = www_authenticate(realm="api", error="insufficient_scope", scope="a:b c")
    assert failure_challenge == 'Bearer realm="api", error="insufficient_scope", scope="a:b c"'


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(
        st.tuples(
            st.sampled_from([b"authorization", b"cookie", b"origin", b"host", b"referer"]),
            HEADER_VALUE,
        ),
        max_size=5,
    ),
    reject=st.booleans(),
)
async def test_random_websocket_handshakes_never_raise(
    headers: list[tuple[bytes, bytes]], reject: bool
) -> None:
    seen: list[Any] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["user"])

    middleware = AuthenticationMiddleware(
        inner,  # type: ignore[arg-type]
        BACKEND,
        cookie=AuthCookie(),
        csrf_secret="c" * 32,
        on_invalid="reject" if reject else "anonymous",
    )
    cookie_headers = [
        (name, b"access_token=" + value if name == b"cookie" else value) for name, value in headers
    ]
    scope = {"type": "websocket", "scheme": "wss", "path": "/ws", "headers": cookie_headers}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await middleware(scope, None, send)  # type: ignore[arg-type]
    assert len(seen) + len(sent) == 1


def test_a_user_loader_answering_an_inactive_user_refuses_the_token() -> None:
    # a loader that simply fetches the row (forgetting is_active) must not keep a deactivated
    # account working until its tokens expire
    @dataclass
    class Member:
        identity: str
        is_active: bool

    members = {"1": Member("1", True), "2": Member("2", False)}
    app, backend = build_app(backend=BACKEND, user_loader=lambda t: members.get(t.subject))
    with TestClient(app) as client:
        active = {"Authorization": f"Bearer {backend.create_access_token(1)}"}
        assert client.get("/me", headers=active).status_code == 200
        inactive = {"Authorization": f"Bearer {backend.create_access_token(2)}"}
        refused = client.get("/me", headers=inactive)
        assert refused.status_code == 401
        assert 'error_description="invalid_credentials"' in refused.headers["www-authenticate"]

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import anyio
import pytest

from covet.auth import (
    AnonymousUser,
    AuthConfigurationError,
    AuthCookie,
    AuthCredentials,
    AuthenticationMiddleware,
    CurrentUser,
    JWTAuth,
    OptionalUser,
    TokenUser,
    VerifiedToken,
    login_required,
    requires,
    requires_role,
)
from covet.http import Covet, Request, Router
from covet.http.testing import TestClient, WebSocketDenialResponse
from covet.middleware import MemoryStore

SECRET = "m" * 64


@dataclass
class AppUser:
    id: int
    name: str
    roles: list[str] = field(default_factory=list)
    is_authenticated: bool = True


def build_app(**options: Any) -> tuple[Covet, JWTAuth]:
    backend = options.pop("backend", None) or JWTAuth(secret=SECRET, store=MemoryStore())
    app = Covet()
    app.add_middleware(AuthenticationMiddleware, backend=backend, **options)

    @app.get("/public")
    async def public(request: Request) -> dict[str, Any]:
        return {
            "user": type(request.user).__name__,
            "authenticated": request.user.is_authenticated,
            "failure": request.auth.failure.reason.value if request.auth.failure else None,
        }

    @app.get("/me")
    @login_required
    async def me(request: Request) -> dict[str, Any]:
        return {"id": request.user.identity, "scopes": sorted(request.auth.scopes)}

    @app.get("/sync-me")
    @login_required
    def sync_me(request: Request) -> dict[str, Any]:
        return {"id": request.user.identity}

    @app.get("/no-request-param")
    @requires("read")
    def no_request_param() -> str:
        return "ok"

    @app.get("/stacked")
    @requires("read")
    @requires_role("admin")
    async def stacked() -> str:
        return "ok"

    @app.get("/writer", dependencies=[requires("read", "write")])
    async def writer() -> str:
        return "written"

    @app.get("/current")
    async def current(user: CurrentUser) -> dict[str, Any]:
        return {"name": user.display_name}

    @app.get("/optional")
    async def optional(user: OptionalUser) -> dict[str, Any]:
        return {"anonymous": isinstance(user, AnonymousUser)}

    @app.get("/annotated")
    async def annotated(user: Annotated[Any, requires("read")]) -> dict[str, Any]:
        return {"id": user.identity}

    admin = Router()

    @admin.get("/panel")
    async def panel() -> str:
        return "panel"

    app.include_router(admin, prefix="/admin", dependencies=[requires_role("admin")])
    return app, backend


@pytest.fixture
def app_and_backend() -> tuple[Covet, JWTAuth]:
    return build_app()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_credentials_is_anonymous_on_public_and_401_on_guarded(
    app_and_backend: tuple[Covet, JWTAuth],
) -> None:
    app, _ = app_and_backend
    with TestClient(app) as client:
        response = client.get("/public")
        assert response.json() == {"user": "AnonymousUser", "authenticated": False, "failure": None}
        response = client.get("/me")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="api"'
        assert response.headers["content-type"] == "application/problem+json"
        assert client.get("/optional").json() == {"anonymous": True}


def test_valid_bearer_token_sets_user_and_auth(app_and_backend: tuple[Covet, JWTAuth]) -> None:
    app, backend = app_and_backend
    token = backend.create_access_token("alice", scopes=["read"], claims={"name": "Alice"})
    with TestClient(app) as client:
        assert client.get("/me", headers=bearer(token)).json() == {
            "id": "alice",
            "scopes": ["read"],
        }
        assert client.get("/sync-me", headers=bearer(token)).json() == {"id": "alice"}
        assert client.get("/current", headers=bearer(token)).json() == {"name": "Alice"}
        assert client.get("/annotated", headers=bearer(token)).json() == {"id": "alice"}
        assert client.get("/no-request-param", headers=bearer(token)).text == "ok"
        assert client.get("/optional", headers=bearer(token)).json() == {"anonymous": False}
        # case-insensitive scheme
        assert client.get("/me", headers={"Authorization": f"bearer {token}"}).status_code == 200
        # another scheme is no credential at all
        basic = client.get("/me", headers={"Authorization": "Basic YTpi"})
        assert basic.status_code == 401
        assert "error=" not in basic.headers["www-authenticate"]


def test_invalid_token_is_anonymous_on_public_and_invalid_token_on_guarded(
    app_and_backend: tuple[Covet, JWTAuth],
) -> None:
    app, _ = app_and_backend
    forged = JWTAuth(secret="x" * 64).create_access_token("alice")
    with TestClient(app) as client:
        assert client.get("/public", headers=bearer(forged)).json()["failure"] == "unknown_kid"
        response = client.get("/me", headers=bearer(forged))
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == (
            'Bearer realm="api", error="invalid_token", error_description="unknown_kid"'
        )


def test_missing_scope_is_403_with_insufficient_scope(
    app_and_backend: tuple[Covet, JWTAuth],
) -> None:
    app, backend = app_and_backend
    reader = backend.create_access_token("bob", scopes=["read"])
    writer = backend.create_access_token("bob", scopes=["read", "write"])
    with TestClient(app) as client:
        response = client.get("/writer", headers=bearer(reader))
        assert response.status_code == 403
        assert response.json()["detail"] == "Missing scope: write."
        assert response.headers["www-authenticate"] == (
            'Bearer realm="api", error="insufficient_scope", scope="read write"'
        )
        assert client.get("/writer", headers=bearer(writer)).text == "written"
        assert client.get("/writer").status_code == 401
        assert (
            client.get(
                "/no-request-param", headers=bearer(backend.create_access_token("bob"))
            ).status_code
            == 403
        )


def test_roles_on_a_whole_router_and_stacked_decorators(
    app_and_backend: tuple[Covet, JWTAuth],
) -> None:
    app, backend = app_and_backend
    admin = backend.create_access_token("root", scopes=["read"], claims={"roles": ["admin"]})
    user = backend.create_access_token("joe", scopes=["read"], claims={"roles": ["user"]})
    with TestClient(app) as client:
        assert client.get("/admin/panel", headers=bearer(admin)).text == "panel"
        denied = client.get("/admin/panel", headers=bearer(user))
        assert denied.status_code == 403
        assert denied.json()["detail"] == "Requires one of the roles: admin."
        assert client.get("/admin/panel").status_code == 401
        assert client.get("/stacked", headers=bearer(admin)).text == "ok"
        assert client.get("/stacked", headers=bearer(user)).status_code == 403


def test_revoked_token_is_refused_on_the_next_request(
    app_and_backend: tuple[Covet, JWTAuth],
) -> None:
    app, backend = app_and_backend
    token = backend.create_access_token("alice")
    with TestClient(app) as client:
        assert client.get("/me", headers=bearer(token)).status_code == 200
        anyio.run(backend.revoke, backend.decode(token))
        response = client.get("/me", headers=bearer(token))
        assert response.status_code == 401
        assert 'error_description="revoked"' in response.headers["www-authenticate"]


def test_reject_mode_answers_401_everywhere() -> None:
    app, backend = build_app(on_invalid="reject")
    expired = backend.create_access_token("a", expires_in=-1)
    with TestClient(app) as client:
        response = client.get("/public", headers=bearer(expired))
        assert response.status_code == 401
        assert response.json()["reason"] == "expired"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]
        assert client.get("/public").status_code == 200


def test_user_loader_supplies_the_user_and_its_roles() -> None:
    users = {"1": AppUser(1, "Ann", roles=["admin"])}

    async def load(token: VerifiedToken) -> AppUser | None:
        return users.get(token.subject)

    app, backend = build_app(user_loader=load)

    @app.get("/whoami")
    async def whoami(user: CurrentUser) -> dict[str, Any]:
        return {"name": user.name}

    with TestClient(app) as client:
        good = bearer(backend.create_access_token(1))
        assert client.get("/whoami", headers=good).json() == {"name": "Ann"}
        assert client.get("/admin/panel", headers=good).text == "panel"
        gone = client.get("/whoami", headers=bearer(backend.create_access_token(2)))
        assert gone.status_code == 401
        assert 'error_description="invalid_credentials"' in gone.headers["www-authenticate"]


def test_user_objects_without_is_authenticated_count_as_authenticated() -> None:
    app, backend = build_app(user_loader=lambda token: {"id": token.subject})

    @app.get("/plain")
    async def plain(user: CurrentUser) -> dict[str, Any]:
        return user  # type: ignore[no-any-return]

    with TestClient(app) as client:
        token = backend.create_access_token("p1")
        assert client.get("/plain", headers=bearer(token)).json() == {"id": "p1"}
        assert client.get("/plain").status_code == 401


@pytest.mark.parametrize(
    ("roles", "allowed"), [("admin staff", True), ("administrator", False), (["admin", 3], True)]
)
def test_user_roles_as_text_or_list(roles: Any, allowed: bool) -> None:
    app, backend = build_app(user_loader=lambda token: AppUser(1, "R", roles=roles))
    with TestClient(app) as client:
        response = client.get("/admin/panel", headers=bearer(backend.create_access_token(1)))
        assert response.status_code == (200 if allowed else 403)


def test_sync_user_loader() -> None:
    app, backend = build_app(user_loader=lambda token: AppUser(7, "Sy"))
    with TestClient(app) as client:
        response = client.get("/optional", headers=bearer(backend.create_access_token(7)))
        assert response.json() == {"anonymous": False}


def test_malicious_corpus_is_401_over_http() -> None:
    path = Path(__file__).with_name("test_token_corpus.py")
    spec = importlib.util.spec_from_file_location("covet_auth_token_corpus", path)
    assert spec is not None
    assert spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    for verifier in (corpus.HS, corpus.RS):
        app, _ = build_app(backend=verifier)
        with TestClient(app) as client:
            control = corpus.hs() if verifier is corpus.HS else corpus.rs()
            assert client.get("/sync-me", headers=bearer(control)).status_code == 200
            for name, owner, make, reason in corpus.CORPUS:
                if owner is not verifier:
                    continue
                token = make()
                if not token or not token.isascii():
                    continue  # httpx refuses such header values before they leave the client
                response = client.get("/sync-me", headers=bearer(token))
                assert response.status_code == 401, name
                challenge = response.headers["www-authenticate"]
                if reason.value != "malformed" or token.count(".") == 2:
                    assert f'error_description="{reason.value}"' in challenge, name


def test_cookie_mode_requires_csrf_secret() -> None:
    with pytest.raises(AuthConfigurationError, match="csrf_secret"):
        AuthenticationMiddleware(Covet(), JWTAuth(secret=SECRET), cookie=AuthCookie())
    with pytest.raises(AuthConfigurationError, match="on_invalid"):
        AuthenticationMiddleware(Covet(), JWTAuth(secret=SECRET), on_invalid="ignore")  # type: ignore[arg-type]


def test_cookie_mode_authenticates_and_enforces_double_submit_csrf() -> None:
    app, backend = build_app(cookie=AuthCookie(), csrf_secret="c" * 32)

    @app.post("/transfer")
    async def transfer(user: CurrentUser) -> dict[str, str]:
        return {"by": user.identity}

    token = backend.create_access_token("alice")
    cookie = AuthCookie().set_cookie_header(token, 900)
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie
    with TestClient(app, base_url="https://testserver") as client:
        client.cookies.set("access_token", token)
        first = client.get("/me")
        assert first.status_code == 200
        csrf = client.cookies["csrftoken"]
        # a cross-site form post rides on the cookie but cannot know the CSRF token
        forged = client.post("/transfer", headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403
        no_token = client.post("/transfer", headers={"Origin": "https://testserver"})
        assert no_token.status_code == 403
        ok = client.post(
            "/transfer", headers={"Origin": "https://testserver", "X-CSRF-Token": csrf}
        )
        assert ok.status_code == 200
        assert ok.json() == {"by": "alice"}
        # the Authorization header is not sent by browsers cross-site: no CSRF check needed
        client.cookies.clear()
        assert client.post("/transfer", headers=bearer(token)).json() == {"by": "alice"}
    assert "Max-Age=900" in cookie
    assert "access_token=" in AuthCookie().delete_cookie_header()


async def test_lifespan_and_websocket_scopes() -> None:
    backend = JWTAuth(secret=SECRET)
    seen: list[Any] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((scope["type"], scope.get("user")))

    middleware = AuthenticationMiddleware(inner, backend, on_invalid="reject")  # type: ignore[arg-type]
    await middleware({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    ws = {"type": "websocket", "headers": [(b"authorization", b"Bearer nope")]}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await middleware(ws, None, send)  # type: ignore[arg-type]
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": "invalid token"}]
    token = backend.create_access_token("w")
    ok = {"type": "websocket", "headers": [(b"authorization", f"Bearer {token}".encode())]}
    await middleware(ok, None, send)  # type: ignore[arg-type]
    assert seen[0] == ("lifespan", None)
    assert seen[1][0] == "websocket"
    assert isinstance(seen[1][1], TokenUser)
    assert isinstance(ok["auth"], AuthCredentials)


def test_guard_without_middleware_is_a_server_error() -> None:
    app = Covet()

    @app.get("/me")
    @login_required
    async def me() -> str:
        return "x"

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/me").status_code == 500


def test_guard_helpers_validate_arguments() -> None:
    with pytest.raises(ValueError, match="at least one scope"):
        requires()
    with pytest.raises(ValueError, match="at least one role"):
        requires_role()
    assert repr(requires("b", "a")) == "Guard(scopes=['a', 'b'], roles=[])"
    assert repr(AnonymousUser()) == "AnonymousUser()"


def test_user_objects_describe_themselves() -> None:
    backend = JWTAuth(secret=SECRET)
    verified = backend.decode(backend.create_access_token("zed", claims={"roles": ["a", 1]}))
    user = TokenUser(verified)
    assert (user.identity, user.display_name, repr(user)) == ("zed", "zed", "TokenUser('zed')")
    anonymous = AnonymousUser()
    assert (anonymous.identity, anonymous.display_name) == ("", "")
    credentials = AuthCredentials.from_token(verified)
    assert credentials.roles == {"a"}
    assert credentials.claims["sub"] == "zed"
    assert AuthCredentials().claims == {}


def test_middleware_is_pure_asgi_and_works_under_starlette() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def whoami(request: StarletteRequest) -> JSONResponse:
        return JSONResponse({"user": request.user.identity, "scopes": sorted(request.auth.scopes)})

    backend = JWTAuth(secret=SECRET)
    app = Starlette(routes=[Route("/whoami", whoami)])
    app.add_middleware(AuthenticationMiddleware, backend=backend)
    token = backend.create_access_token("star", scopes=["s"])
    with TestClient(app) as client:  # covet's client drives any ASGI app
        response = client.get("/whoami", headers=bearer(token))
        assert response.json() == {"user": "star", "scopes": ["s"]}
        assert client.get("/whoami").json() == {"user": "", "scopes": []}


def test_guards_protect_websocket_routes() -> None:
    backend = JWTAuth(secret=SECRET)
    app = Covet()
    app.add_middleware(AuthenticationMiddleware, backend=backend)

    @app.websocket("/ws", dependencies=[login_required])
    async def ws(websocket: Any) -> None:
        await websocket.accept()
        await websocket.send_text("hi " + websocket.scope["user"].identity)
        await websocket.close()

    with TestClient(app) as client:
        token = backend.create_access_token("u")
        with client.websocket_connect("/ws", headers=bearer(token)) as session:
            assert session.receive_text() == "hi u"
        # refused before the handshake completes, with the HTTP answer of an HTTP route
        with pytest.raises(WebSocketDenialResponse) as info:
            client.websocket_connect("/ws").__enter__()
        assert info.value.status_code == 401
        assert info.value.headers["www-authenticate"].startswith("Bearer")
        assert info.value.json()["detail"].startswith("Authentication required")

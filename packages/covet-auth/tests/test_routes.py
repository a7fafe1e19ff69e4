from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from covet.auth import (
    AuthConfigurationError,
    AuthCookie,
    AuthenticationMiddleware,
    CurrentUser,
    JWTAuth,
    LoginThrottle,
    PasswordHasher,
    auth_router,
)
from covet.http import Covet
from covet.http.testing import TestClient
from covet.middleware import MemoryStore, ProxyHeadersMiddleware

HASHER = PasswordHasher.for_testing()


@dataclass
class User:
    id: int
    username: str
    password_hash: str
    is_active: bool = True
    scopes: list[str] = field(default_factory=lambda: ["read"])
    roles: list[str] = field(default_factory=list)


def legacy_hash(password: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), b"salt", 1000)
    return f"pbkdf2_sha256$1000$salt${base64.b64encode(digest).decode()}"


@pytest.fixture
def users() -> dict[str, User]:
    return {
        "alice": User(1, "alice", HASHER.hash("wonderland"), roles=["admin"]),
        "olduser": User(2, "olduser", legacy_hash("legacy-pw")),
        "ghost": User(3, "ghost", HASHER.hash("boo"), is_active=False),
    }


def make_app(users: dict[str, User], **options: Any) -> tuple[Covet, JWTAuth]:
    store = MemoryStore()
    backend = JWTAuth(secret="r" * 64, store=store)
    cookie = options.pop("cookie", None)
    app = Covet()
    app.include_router(
        auth_router(
            backend,
            get_user=users.get,
            hasher=HASHER,
            save_password_hash=lambda user, new: setattr(user, "password_hash", new),
            cookie=cookie,
            **options,
        ),
        prefix="/auth",
    )

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"sub": user.identity, "claims": user.token.claims.get("roles")}

    extra = {"cookie": cookie, "csrf_secret": "c" * 32} if cookie else {}
    app.add_middleware(AuthenticationMiddleware, backend=backend, **extra)
    return app, backend


def test_login_with_form_and_json_then_use_the_token(users: dict[str, User]) -> None:
    app, _ = make_app(users)
    with TestClient(app) as client:
        form = client.post(
            "/auth/token",
            data={"grant_type": "password", "username": "alice", "password": "wonderland"},
        )
        assert form.status_code == 200
        assert form.headers["cache-control"] == "no-store"
        body = form.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 900
        me = client.get("/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json() == {"sub": "1", "claims": ["admin"]}
        as_json = client.post("/auth/token", json={"username": "alice", "password": "wonderland"})
        assert as_json.status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", "wrong"), ("nobody", "wonderland"), ("ghost", "boo")],
)
def test_bad_logins_are_401_without_saying_which_part_was_wrong(
    users: dict[str, User], username: str, password: str
) -> None:
    app, _ = make_app(users)
    with TestClient(app) as client:
        response = client.post("/auth/token", json={"username": username, "password": password})
        assert response.status_code == 401
        assert response.json()["detail"] == "Incorrect username or password."
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_bad_requests(users: dict[str, User]) -> None:
    app, _ = make_app(users)
    with TestClient(app) as client:
        assert client.post("/auth/token", json={"username": "alice"}).status_code == 422
        assert client.post("/auth/token", json=["x"]).status_code == 400
        assert (
            client.post(
                "/auth/token", content=b"x", headers={"content-type": "text/plain"}
            ).status_code
            == 415
        )
        assert (
            client.post("/auth/token", data={"grant_type": "client_credentials"}).status_code == 400
        )
        assert client.post("/auth/refresh", json={}).status_code == 422
        assert (
            client.post(
                "/auth/refresh", data={"grant_type": "password", "refresh_token": "x"}
            ).status_code
            == 400
        )
        bad = client.post("/auth/refresh", json={"refresh_token": "not-a-jwt"})
        assert bad.status_code == 401
        assert 'error="invalid_token"' in bad.headers["www-authenticate"]
        assert client.post("/auth/logout").status_code == 401


def test_legacy_hash_is_rewritten_to_the_current_scheme_after_login(
    users: dict[str, User],
) -> None:
    app, _ = make_app(users)
    assert users["olduser"].password_hash.startswith("pbkdf2_sha256$")
    with TestClient(app) as client:
        ok = client.post("/auth/token", json={"username": "olduser", "password": "legacy-pw"})
        assert ok.status_code == 200
    assert users["olduser"].password_hash.startswith("$argon2id$")
    assert HASHER.verify("legacy-pw", users["olduser"].password_hash)


def test_refresh_rotation_reuse_and_logout_over_http(users: dict[str, User]) -> None:
    app, _ = make_app(users)
    with TestClient(app) as client:
        login = client.post("/auth/token", json={"username": "alice", "password": "wonderland"})
        first = login.json()
        rotated = client.post(
            "/auth/refresh",
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        )
        assert rotated.status_code == 200
        second = rotated.json()
        assert second["refresh_token"] != first["refresh_token"]
        auth = {"Authorization": f"Bearer {second['access_token']}"}
        assert client.get("/me", headers=auth).status_code == 200
        # the first refresh token again: reuse, the whole session dies
        reuse = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert reuse.status_code == 401
        assert 'error_description="refresh_reused"' in reuse.headers["www-authenticate"]
        assert client.get("/me", headers=auth).status_code == 401

        again = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}
        ).json()
        auth = {"Authorization": f"Bearer {again['access_token']}"}
        assert client.post("/auth/logout", headers=auth).status_code == 204
        assert client.get("/me", headers=auth).status_code == 401
        dead = client.post("/auth/refresh", json={"refresh_token": again["refresh_token"]})
        assert 'error_description="revoked"' in dead.headers["www-authenticate"]


def test_refresh_reloads_the_user_deactivated_users_lose_their_session(
    users: dict[str, User],
) -> None:
    # Without a check, a refresh token rotates forever: each refresh answers a new one with a
    # fresh lifetime, so a deactivated user (or one whose roles were cut) kept the session.
    by_id = {str(user.id): user for user in users.values()}
    app, _ = make_app(users, user_loader=lambda token: by_id.get(token.subject))
    with TestClient(app) as client:
        pair = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}
        ).json()
        users["alice"].roles = ["editor"]
        users["alice"].scopes = ["read", "write"]
        rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert rotated.status_code == 200
        access = rotated.json()["access_token"]
        me = client.get("/me", headers={"Authorization": f"Bearer {access}"}).json()
        assert me["claims"] == ["editor"]

        users["alice"].is_active = False
        refused = client.post(
            "/auth/refresh", json={"refresh_token": rotated.json()["refresh_token"]}
        )
        assert refused.status_code == 401
        assert 'error_description="invalid_credentials"' in refused.headers["www-authenticate"]
        # the whole session is gone, the access token included
        assert client.get("/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401


def test_logout_with_the_refresh_token_alone(users: dict[str, User]) -> None:
    # an app whose access token has expired must still be able to end the session
    app, _ = make_app(users)
    with TestClient(app) as client:
        pair = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}
        ).json()
        out = client.post("/auth/logout", json={"refresh_token": pair["refresh_token"]})
        assert out.status_code == 204
        dead = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert 'error_description="revoked"' in dead.headers["www-authenticate"]
        auth = {"Authorization": f"Bearer {pair['access_token']}"}
        assert client.get("/me", headers=auth).status_code == 401
        # an access token is not a refresh token, and garbage is refused
        again = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}
        ).json()
        wrong = client.post("/auth/logout", json={"refresh_token": again["access_token"]})
        assert wrong.status_code == 401
        assert 'error_description="wrong_token_type"' in wrong.headers["www-authenticate"]
        assert client.post("/auth/logout", data={"refresh_token": "x"}).status_code == 401
        assert client.post("/auth/logout").status_code == 401


def test_cookie_mode_login_sets_a_secure_cookie_and_logout_clears_it(
    users: dict[str, User],
) -> None:
    app, _ = make_app(users, cookie=AuthCookie())
    with TestClient(app, base_url="https://testserver") as client:
        credentials = {"username": "alice", "password": "wonderland"}
        # login CSRF: a login without the CSRF token is refused too
        assert client.post("/auth/token", json=credentials).status_code == 403
        assert client.get("/me").status_code == 401  # any page view hands out the CSRF token
        login = client.post(
            "/auth/token", json=credentials, headers={"X-CSRF-Token": client.cookies["csrftoken"]}
        )
        assert login.status_code == 200
        set_cookie = login.headers["set-cookie"]
        assert set_cookie.startswith("access_token=")
        for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Max-Age=900"):
            assert attribute in set_cookie
        assert client.get("/me").json()["sub"] == "1"
        csrf = client.cookies["csrftoken"]
        assert client.post("/auth/logout").status_code == 403  # no CSRF token
        out = client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert "Max-Age=0" in out.headers["set-cookie"]
        assert client.get("/me").status_code == 401


def test_cookie_mode_keeps_both_tokens_out_of_page_scripts_reach(
    users: dict[str, User],
) -> None:
    """Cookie mode: the refresh token is an HttpOnly, SameSite=Strict cookie sent only to the
    auth routes; no token is in any JSON body; /refresh and /logout read the cookie."""
    app, _ = make_app(users, cookie=AuthCookie(refresh_path="/auth"))
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/me")  # hands out the CSRF cookie
        csrf = {"X-CSRF-Token": client.cookies["csrftoken"]}
        credentials = {"username": "alice", "password": "wonderland"}
        login = client.post("/auth/token", json=credentials, headers=csrf)
        assert login.status_code == 200
        assert login.json() == {"token_type": "cookie", "expires_in": 900}
        cookies = login.headers.get_list("set-cookie")
        refresh_cookie = next(c for c in cookies if c.startswith("refresh_token="))
        for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/auth"):
            assert attribute in refresh_cookie
        first_refresh = client.cookies["refresh_token"]
        assert client.get("/me").json()["sub"] == "1"

        assert client.post("/auth/refresh").status_code == 403  # CSRF-protected like the rest
        rotated = client.post("/auth/refresh", headers=csrf)
        assert rotated.status_code == 200
        assert "refresh_token" not in rotated.json() and "access_token" not in rotated.json()
        assert client.cookies["refresh_token"] != first_refresh
        assert client.get("/me").json()["sub"] == "1"

        # the spent refresh cookie, replayed (a stolen copy): theft, the session ends
        thief = client.post("/auth/refresh", headers=csrf, json={"refresh_token": first_refresh})
        assert thief.status_code == 401
        assert client.post("/auth/refresh", headers=csrf).status_code == 401
        assert client.get("/me").status_code == 401

        # logging out clears both cookies, even when they are stale already
        out = client.post("/auth/logout", headers=csrf)
        assert out.status_code == 204
        cleared = out.headers.get_list("set-cookie")
        assert any(c.startswith("access_token=;") and "Max-Age=0" in c for c in cleared)
        assert any(c.startswith("refresh_token=;") and "Path=/auth" in c for c in cleared)


def test_cookie_mode_logout_revokes_the_refresh_cookie(users: dict[str, User]) -> None:
    app, _ = make_app(users, cookie=AuthCookie(refresh_path="/auth"))
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/me")
        csrf = {"X-CSRF-Token": client.cookies["csrftoken"]}
        login = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}, headers=csrf
        )
        assert login.status_code == 200
        refresh = client.cookies["refresh_token"]
        client.cookies.delete("access_token")  # the access cookie expired; only refresh is left
        assert client.post("/auth/logout", headers=csrf).status_code == 204
        again = client.post("/auth/refresh", headers=csrf, json={"refresh_token": refresh})
        assert again.status_code == 401


def test_cookie_mode_logout_with_a_stale_body_token_still_ends_the_cookie_session(
    users: dict[str, User],
) -> None:
    app, _ = make_app(users, cookie=AuthCookie(refresh_path="/auth"))
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/me")
        csrf = {"X-CSRF-Token": client.cookies["csrftoken"]}
        login = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}, headers=csrf
        )
        assert login.status_code == 200
        stale = client.cookies["refresh_token"]
        assert client.post("/auth/refresh", headers=csrf).status_code == 200  # rotated
        live = client.cookies["refresh_token"]
        client.cookies.delete("access_token")
        out = client.post("/auth/logout", headers=csrf, json={"refresh_token": "not-a-token"})
        assert out.status_code == 204
        assert stale != live
        again = client.post("/auth/refresh", headers=csrf, json={"refresh_token": live})
        assert again.status_code == 401  # the cookie's session ended with the logout


def test_cookie_mode_refresh_cookie_needs_the_csrf_check(users: dict[str, User]) -> None:
    """An Authorization header (even a junk one) skips the middleware's CSRF check, so the
    routes do not read the refresh cookie then: a cross-site post cannot spend or end it."""
    app, _ = make_app(users, cookie=AuthCookie(refresh_path="/auth"))
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/me")
        csrf = {"X-CSRF-Token": client.cookies["csrftoken"]}
        login = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}, headers=csrf
        )
        assert login.status_code == 200
        forged = {"Authorization": "Bearer junk", "Origin": "https://evil.example"}
        assert client.post("/auth/refresh", headers=forged).status_code == 422  # no token
        assert client.post("/auth/logout", headers=forged).status_code == 401  # nothing ended
        assert client.post("/auth/refresh", headers=csrf).status_code == 200  # still alive


def test_reject_mode_drops_a_refused_cookie_so_the_user_can_log_in_again(
    users: dict[str, User],
) -> None:
    """on_invalid="reject" answers 401 to every request with a refused cookie; without dropping
    it, the login and logout would be refused too until it expired."""
    cookie = AuthCookie(refresh_path="/auth")
    backend = JWTAuth(secret="r" * 64, store=MemoryStore())
    app = Covet()
    app.include_router(
        auth_router(backend, get_user=users.get, hasher=HASHER, cookie=cookie), prefix="/auth"
    )

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"sub": user.identity}

    app.add_middleware(
        AuthenticationMiddleware,
        backend=backend,
        cookie=cookie,
        csrf_secret="c" * 32,
        on_invalid="reject",
    )
    credentials = {"username": "alice", "password": "wonderland"}
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/me")
        csrf = {"X-CSRF-Token": client.cookies["csrftoken"]}
        assert client.post("/auth/token", json=credentials, headers=csrf).status_code == 200
        assert client.get("/me").json() == {"sub": "1"}
        client.cookies.delete("access_token")
        client.cookies.set("access_token", "stale.or.forged", domain="testserver.local")
        refused = client.get("/me")
        assert refused.status_code == 401
        assert any(
            c.startswith("access_token=;") and "Max-Age=0" in c
            for c in refused.headers.get_list("set-cookie")
        )
        assert "access_token" not in client.cookies
        assert client.post("/auth/token", json=credentials, headers=csrf).status_code == 200
        assert client.get("/me").json() == {"sub": "1"}


def test_cookie_mode_scopes_the_refresh_cookie_to_the_router_by_default(
    users: dict[str, User],
) -> None:
    app, _ = make_app(users, cookie=AuthCookie())  # mounted at /auth, no refresh_path given
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/me")
        csrf = {"X-CSRF-Token": client.cookies["csrftoken"]}
        login = client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}, headers=csrf
        )
        refresh_cookie = next(
            c for c in login.headers.get_list("set-cookie") if c.startswith("refresh_token=")
        )
        assert "Path=/auth;" in refresh_cookie + ";"
        rotated = client.post("/auth/refresh", headers=csrf)
        assert rotated.status_code == 200
        out = client.post("/auth/logout", headers=csrf)
        assert any(
            c.startswith("refresh_token=;") and "Path=/auth" in c
            for c in out.headers.get_list("set-cookie")
        )


@pytest.mark.parametrize(
    ("cookie", "prefix", "login_path", "expected"),
    [
        (AuthCookie(refresh_name="__Host-refresh"), "/auth", "/auth/token", "/"),
        (AuthCookie(), "/caf\u00e9/auth", "/caf\u00e9/auth/token", "/caf%C3%A9/auth"),
        (AuthCookie(), "/auth", "/auth/token/", "/auth"),
    ],
)
def test_the_refresh_cookie_path_is_always_a_valid_cookie_path(
    users: dict[str, User], cookie: AuthCookie, prefix: str, login_path: str, expected: str
) -> None:
    """A __Host- cookie must live at /; a non-ASCII prefix is sent percent-encoded, as browsers
    match it; a trailing slash (trailing_slash="ignore") still gives the router's path."""
    backend = JWTAuth(secret="r" * 64, store=MemoryStore())
    app = Covet(trailing_slash="ignore")
    router = auth_router(backend, get_user=users.get, hasher=HASHER, cookie=cookie)
    app.include_router(router, prefix=prefix)
    app.add_route("/", lambda: "home")
    app.add_middleware(
        AuthenticationMiddleware, backend=backend, cookie=cookie, csrf_secret="c" * 32
    )
    with TestClient(app, base_url="https://testserver") as client:
        client.get("/")
        csrf = {"X-CSRF-Token": client.cookies["csrftoken"]}
        credentials = {"username": "alice", "password": "wonderland"}
        login = client.post(login_path, json=credentials, headers=csrf)
        assert login.status_code == 200
        refresh_cookie = next(
            c for c in login.headers.get_list("set-cookie") if c.startswith(cookie.refresh_name)
        )
        assert f"Path={expected};" in refresh_cookie + ";"


def test_login_throttle_backs_off_per_account_with_retry_after(users: dict[str, User]) -> None:
    throttle = LoginThrottle(MemoryStore(), free_attempts=3, base_delay=30)
    app, _ = make_app(users, throttle=throttle)
    with TestClient(app) as client:
        for _ in range(3):
            wrong = client.post("/auth/token", json={"username": "alice", "password": "x"})
            assert wrong.status_code == 401
        client.post("/auth/token", json={"username": "alice", "password": "x"})
        locked = client.post("/auth/token", json={"username": "alice", "password": "wonderland"})
        assert locked.status_code == 429
        assert 29 <= int(locked.headers["retry-after"]) <= 30
        # another account from the same address is not locked by alice's failures
        other = client.post("/auth/token", json={"username": "olduser", "password": "legacy-pw"})
        assert other.status_code == 200


def test_login_throttle_per_address_respects_only_trusted_proxies(
    users: dict[str, User],
) -> None:
    throttle = LoginThrottle(
        MemoryStore(), free_attempts=100, free_attempts_per_address=2, base_delay=60
    )
    app, _ = make_app(users, throttle=throttle)
    proxied = ProxyHeadersMiddleware(app, trusted_proxies=["127.0.0.1"])
    spoofer = TestClient(proxied, client=("203.0.113.9", 1234))
    with spoofer:
        for n in range(3):
            spoofer.post(
                "/auth/token",
                json={"username": f"user{n}", "password": "x"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},  # ignored: peer is not trusted
            )
        blocked = spoofer.post(
            "/auth/token",
            json={"username": "alice", "password": "wonderland"},
            headers={"X-Forwarded-For": "198.51.100.77"},
        )
        assert blocked.status_code == 429
    via_proxy = TestClient(proxied, client=("127.0.0.1", 1234))
    with via_proxy:
        ok = via_proxy.post(
            "/auth/token",
            json={"username": "alice", "password": "wonderland"},
            headers={"X-Forwarded-For": "198.51.100.77"},
        )
        assert ok.status_code == 200


def test_router_needs_a_store() -> None:
    with pytest.raises(AuthConfigurationError, match="store"):
        auth_router(JWTAuth(secret="r" * 64), get_user=lambda name: None, hasher=HASHER)


def test_subject_and_strings_helpers() -> None:
    from covet.auth._routes import _strings, _subject_of

    class Named:
        username = "neo"

    assert _subject_of(Named()) == "neo"
    with pytest.raises(TypeError, match="subject="):
        _subject_of(object())
    assert _strings("a b") == ["a", "b"]
    assert _strings(["a", 1]) == ["a"]
    assert _strings(None) == []


def test_sync_on_login_hook_runs_after_a_successful_login(users: dict[str, User]) -> None:
    logged_in: list[str] = []
    app, _ = make_app(users, on_login=lambda user: logged_in.append(user.username))
    with TestClient(app) as client:
        client.post("/auth/token", json={"username": "alice", "password": "nope"})
        client.post("/auth/token", json={"username": "alice", "password": "wonderland"})
    assert logged_in == ["alice"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "alice", "password": "\\ud800"}',
        b'{"username": "\\udfff", "password": "x"}',
        b'{"username": "alice", "password": "wonder\\u0000land"}',
    ],
    ids=["lone-surrogate-password", "lone-surrogate-username", "nul-in-password"],
)
def test_json_strings_that_are_not_utf8_encodable_are_refused_not_500(
    users: dict[str, User], body: bytes
) -> None:
    # JSON may carry lone surrogates ("\\ud800"); str.encode("utf-8") raises on them
    app, _ = make_app(users, throttle=LoginThrottle(MemoryStore()))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/auth/token", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code in (400, 401)

"""The middleware under a Covet app, installed with ``add_middleware``."""

from __future__ import annotations

from covet.http import Covet, Depends, Request
from covet.http.testing import TestClient
from covet.middleware import (
    CSRFMiddleware,
    MemoryStore,
    ProxyHeadersMiddleware,
    RateLimiter,
    RateLimitMiddleware,
    Session,
    SessionMiddleware,
    StoreBackend,
    get_csrf_token,
)

KEY = "covet-app-key-" + "k" * 40


def make_app() -> Covet:
    app = Covet()
    limiter = RateLimiter(2, 60)

    @app.get("/limited", dependencies=[Depends(limiter.dependency)])
    async def limited() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/login")
    async def login(request: Request) -> dict[str, str]:
        session: Session = request.scope["session"]
        session.cycle()
        request.session["user"] = "ada"
        return {"token": get_csrf_token(request.scope)}

    @app.get("/me")
    async def me(request: Request) -> dict[str, str | None]:
        return {"user": request.session.get("user"), "client": request.scope["client"][0]}

    @app.post("/logout")
    async def logout(request: Request) -> dict[str, bool]:
        session: Session = request.scope["session"]
        session.invalidate()
        return {"ok": True}

    app.add_middleware(CSRFMiddleware, secret_key=KEY)
    app.add_middleware(SessionMiddleware, backend=StoreBackend(MemoryStore()))
    app.add_middleware(RateLimitMiddleware, limit=50, window=60)
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=["10.0.0.0/8"])
    return app


def test_per_route_limit_as_a_covet_dependency() -> None:
    with TestClient(make_app()) as client:
        statuses = [client.get("/limited").status_code for _ in range(3)]
        refused = client.get("/limited")
    assert statuses == [200, 200, 429]
    assert refused.headers["content-type"] == "application/problem+json"
    assert "retry-after" in refused.headers


def test_stack_login_logout_and_proxy() -> None:
    app = make_app()
    with TestClient(app, base_url="https://testserver", client=("10.0.0.9", 1)) as client:
        token = client.get("/login").json()["token"]
        me = client.get("/me", headers={"x-forwarded-for": "198.51.100.4"}).json()
        assert me == {"user": "ada", "client": "198.51.100.4"}
        assert client.post("/logout").status_code == 403  # no CSRF token
        assert client.post("/logout", headers={"x-csrf-token": token}).status_code == 200
        assert client.get("/me").json()["user"] is None

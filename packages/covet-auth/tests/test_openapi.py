"""covet-auth's part of the OpenAPI document: schemes, guarded operations, token endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from covet.auth import (
    AuthCookie,
    AuthenticationMiddleware,
    CurrentUser,
    JWTAuth,
    PasswordHasher,
    auth_router,
    login_required,
    requires,
    requires_role,
)
from covet.http import Covet, HTTPEndpoint, Middleware, Mount, Route, Router
from covet.http.testing import TestClient
from covet.middleware import MemoryStore

SECRET = "s" * 64


def make_app(*, cookie: AuthCookie | None = None, **app_options: Any) -> Covet:
    backend = JWTAuth(secret=SECRET, store=MemoryStore())
    app = Covet(**app_options)
    protected = Router()

    @protected.get("/notes")
    async def notes() -> list[str]:
        return []

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {}

    @app.get("/admin", dependencies=[requires("notes:write", "admin")])
    async def admin() -> str:
        return ""

    @app.get("/staff")
    @requires_role("staff")
    @requires("notes:read")
    async def staff(q: str = "") -> str:
        return q

    @app.get("/public")
    async def public() -> str:
        return ""

    async def get_user(username: str) -> Any:
        return None

    router = auth_router(
        backend, get_user=get_user, hasher=PasswordHasher.for_testing(), cookie=cookie
    )
    app.include_router(router, prefix="/api/auth")
    app.include_router(protected, dependencies=[login_required])
    options: dict[str, Any] = {"backend": backend}
    if cookie is not None:
        options.update(cookie=cookie, csrf_secret=SECRET)
    app.add_middleware(AuthenticationMiddleware, **options)
    return app


def test_schemes_and_the_password_flow_at_the_mounted_token_url() -> None:
    document = make_app().openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["type"] == "http"
    assert schemes["HTTPBearer"]["scheme"] == "bearer"
    assert schemes["HTTPBearer"]["bearerFormat"] == "JWT"
    assert schemes["OAuth2PasswordBearer"] == {
        "type": "oauth2",
        "flows": {
            "password": {
                "tokenUrl": "/api/auth/token",
                "refreshUrl": "/api/auth/refresh",
                "scopes": {
                    "notes:read": "notes:read",
                    "notes:write": "notes:write",
                    "admin": "admin",
                },
            }
        },
    }
    assert "APIKeyCookie" not in schemes


def test_guarded_operations_carry_security_scopes_and_401_403() -> None:
    paths = make_app().openapi()["paths"]
    me = paths["/me"]["get"]
    assert me["security"] == [{"HTTPBearer": []}, {"OAuth2PasswordBearer": []}]
    assert set(me["responses"]) == {"200", "401"}
    admin = paths["/admin"]["get"]
    assert admin["security"] == [
        {"HTTPBearer": ["admin", "notes:write"]},
        {"OAuth2PasswordBearer": ["admin", "notes:write"]},
    ]
    assert admin["responses"]["403"]["content"]["application/problem+json"]
    staff = paths["/staff"]["get"]  # two guards as decorators, chained
    assert staff["security"][0] == {"HTTPBearer": ["notes:read"]}
    assert {"401", "403", "422"} <= set(staff["responses"])
    assert [p["name"] for p in staff["parameters"]] == ["q"]  # the guard's request is hidden
    assert paths["/notes"]["get"]["security"][0] == {"HTTPBearer": []}  # router dependency
    assert "security" not in paths["/public"]["get"]


def test_token_endpoints_document_their_bodies_and_answers() -> None:
    paths = make_app().openapi()["paths"]
    token = paths["/api/auth/token"]["post"]
    form = token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["username", "password"]
    assert form["properties"]["grant_type"] == {"type": "string", "enum": ["password"]}
    pair = token["responses"]["200"]["content"]["application/json"]["schema"]
    assert pair["required"] == ["access_token", "expires_in", "refresh_token", "token_type"]
    assert {"401", "429", "503"} <= set(token["responses"])
    logout = paths["/api/auth/logout"]["post"]
    assert "204" in logout["responses"] and "200" not in logout["responses"]
    assert paths["/api/auth/refresh"]["post"]["requestBody"]["required"] is True


def test_cookie_mode_documents_the_cookie_and_no_password_flow() -> None:
    document = make_app(cookie=AuthCookie(name="session_jwt")).openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["APIKeyCookie"]["in"] == "cookie"
    assert schemes["APIKeyCookie"]["name"] == "session_jwt"
    assert "OAuth2PasswordBearer" not in schemes
    me = document["paths"]["/me"]["get"]
    assert me["security"] == [{"HTTPBearer": []}, {"APIKeyCookie": []}]
    token = document["paths"]["/api/auth/token"]["post"]
    pair = token["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(pair["properties"]) == {"token_type", "expires_in"}
    assert document["paths"]["/api/auth/refresh"]["post"]["requestBody"]["required"] is False


def test_a_guard_without_the_middleware_still_names_a_bearer_scheme() -> None:
    app = Covet()

    @app.get("/x")
    async def x(user: Annotated[Any, login_required]) -> str:
        return ""

    document = app.openapi()
    assert document["components"]["securitySchemes"] == {
        "HTTPBearer": {"type": "http", "scheme": "bearer"}
    }
    assert document["paths"]["/x"]["get"]["security"] == [{"HTTPBearer": []}]


def test_middleware_entries_given_as_class_args_and_options() -> None:
    class Entry:  # Starlette's Middleware (and covet's next one) unpack to three parts
        def __init__(self, cls: Any, **options: Any) -> None:
            self.parts = (cls, (), options)

        def __iter__(self) -> Any:
            return iter(self.parts)

    app = Covet()

    @app.get("/me")
    async def me(user: CurrentUser) -> str:
        return ""

    backend = JWTAuth(secret=SECRET, store=MemoryStore())
    cookie = AuthCookie(name="jwt")
    app.user_middleware.append(Entry(AuthenticationMiddleware, backend=backend, cookie=cookie))  # type: ignore[arg-type]
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes["APIKeyCookie"]["name"] == "jwt"


class Note(HTTPEndpoint):
    async def get(self, id: int) -> dict[str, int]:
        return {"id": id}

    @requires("notes:write")
    async def put(self, id: int) -> dict[str, int]:
        return {"id": id}


def test_the_middleware_declares_its_schemes_wherever_it_is_placed() -> None:
    backend = JWTAuth(secret=SECRET, store=MemoryStore())
    cookie = AuthCookie(name="jwt")
    auth = Middleware(AuthenticationMiddleware, backend=backend, cookie=cookie, csrf_secret=SECRET)
    placements = {
        "mount": Mount("/api", routes=[Route("/notes/{id:int}", Note)], middleware=[auth]),
        "router": Mount("/api", Router([Route("/notes/{id:int}", Note)], middleware=[auth])),
        "route": Mount("/api", routes=[Route("/notes/{id:int}", Note, middleware=[auth])]),
    }
    for where, mount in placements.items():
        document = Covet(routes=[mount]).openapi()
        schemes = document["components"]["securitySchemes"]
        assert schemes["HTTPBearer"]["bearerFormat"] == "JWT", where
        assert schemes["APIKeyCookie"]["name"] == "jwt", where
        note = document["paths"]["/api/notes/{id}"]
        assert "security" not in note["get"], where  # a guard on one verb of the class only
        assert note["put"]["security"] == [
            {"HTTPBearer": ["notes:write"]},
            {"APIKeyCookie": ["notes:write"]},
        ], where
    app = Covet()  # a router included with its middleware: its routes carry the layer
    app.include_router(Router([Route("/notes/{id:int}", Note)], middleware=[auth]))
    assert "APIKeyCookie" in app.openapi()["components"]["securitySchemes"]


def flow_of(document: dict[str, Any]) -> dict[str, Any]:
    flow: dict[str, Any] = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    return flow["flows"]["password"]


def test_the_token_url_follows_the_root_path_the_document_is_served_below() -> None:
    """A tokenUrl is resolved against the server's URL (RFC 3986): against the server ``/v1``,
    ``/api/auth/token`` would leave the prefix out, so it is written below the root path."""
    outer = Covet(openapi_url=None)
    outer.mount("/v1", make_app())  # the scope's root_path, as a mount (or a proxy) sets it
    served = TestClient(outer).get("/v1/openapi.json").json()
    assert served["servers"] == [{"url": "/v1"}]
    assert flow_of(served)["tokenUrl"] == "/v1/api/auth/token"
    assert flow_of(served)["refreshUrl"] == "/v1/api/auth/refresh"
    assert "/api/auth/token" in served["paths"]  # paths are appended to the server's URL
    # the same app at the root, and its own document, are unchanged
    assert flow_of(make_app().openapi())["tokenUrl"] == "/api/auth/token"
    assert flow_of(TestClient(make_app()).get("/openapi.json").json())["tokenUrl"] == (
        "/api/auth/token"
    )
    # Covet(root_path=...) for a proxy that strips the prefix without saying so
    behind = make_app(root_path="/v2")
    served = TestClient(behind).get("/openapi.json").json()
    assert (served["servers"], flow_of(served)["tokenUrl"]) == (
        [{"url": "/v2"}],
        "/v2/api/auth/token",
    )


def test_the_token_url_follows_the_declared_servers_path() -> None:
    app = make_app(
        servers=[
            {"url": "https://{env}.example.org/{base}/", "variables": {
                "env": {"default": "www"}, "base": {"default": "v3"}}},
            {"url": "http://localhost:8000"},
        ]
    )  # fmt: skip
    assert flow_of(app.openapi())["tokenUrl"] == "/v3/api/auth/token"  # the first server's path
    outer = Covet(openapi_url=None)
    outer.mount("/ignored", app)  # declared servers win over the root path, as before
    served = TestClient(outer).get("/ignored/openapi.json").json()
    assert flow_of(served)["tokenUrl"] == "/v3/api/auth/token"


def test_the_token_url_of_auth_routes_behind_a_host_names_the_host() -> None:
    backend = JWTAuth(secret=SECRET, store=MemoryStore())

    async def get_user(username: str) -> Any:
        return None

    router = auth_router(backend, get_user=get_user, hasher=PasswordHasher.for_testing())
    api = Router()
    api.include_router(router, prefix="/auth")
    app = Covet()
    app.host("login.example.org", api)
    assert flow_of(app.openapi()) == {
        "tokenUrl": "//login.example.org/auth/token",
        "refreshUrl": "//login.example.org/auth/refresh",
        "scopes": {},
    }
    outer = Covet(openapi_url=None)
    outer.mount("/v1", app)
    served = TestClient(outer).get("/v1/openapi.json").json()
    assert flow_of(served)["tokenUrl"] == "//login.example.org/v1/auth/token"

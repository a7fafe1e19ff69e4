"""CovetPy authentication example: users in SQLite, JWT login/refresh/logout, guarded routes.

    python examples/auth_app.py            # serves http://127.0.0.1:8000
    python examples/auth_app.py --check    # runs the flow below in-process and exits

Two users are created on start-up: ``ada`` / ``analytical engine`` (admin, scopes ``notes:read
notes:write``) and ``bob`` / ``builder`` (scope ``notes:read``). Then, for example:

    TOKEN=$(curl -s localhost:8000/auth/token -d username=ada -d 'password=analytical engine' \
            | python -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    curl -s localhost:8000/me -H "Authorization: Bearer $TOKEN"
    curl -s localhost:8000/notes -H "Authorization: Bearer $TOKEN" -d '{"text": "hi"}' \
         -H 'content-type: application/json'
    curl -s -X POST localhost:8000/auth/logout -H "Authorization: Bearer $TOKEN"

Set ``COVET_AUTH_SECRET`` (64+ random characters) to keep tokens valid across restarts and
``COVET_AUTH_REDIS_URL`` to share revocations and login throttles between several workers.
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any

from covet.auth import (
    AuthenticationMiddleware,
    CurrentUser,
    JWTAuth,
    LoginThrottle,
    requires,
    requires_role,
)
from covet.auth.orm import AbstractUser, orm_auth_router, orm_user_loader
from covet.http import Covet, Router
from covet.middleware import MemoryStore, RedisStore, Store
from covet.orm import Database

db = Database(os.environ.get("COVET_AUTH_DATABASE_URL", "sqlite:///covet-auth-example.db"))
redis_url = os.environ.get("COVET_AUTH_REDIS_URL")
store: Store = RedisStore(redis_url) if redis_url else MemoryStore()
backend = JWTAuth(
    secret=os.environ.get("COVET_AUTH_SECRET") or secrets.token_urlsafe(64),
    issuer="covet-auth-example",
    store=store,
)
notes: list[dict[str, str]] = []


class User(AbstractUser):
    class Meta:
        db = db


async def create_users() -> None:
    await db.acreate_tables([User])
    for name, password, scopes, roles in (
        ("ada", "analytical engine", ["notes:read", "notes:write"], ["admin"]),
        ("bob", "builder", ["notes:read"], []),
    ):
        if await User.objects.filter(username=name).aexists():
            continue
        user = User(username=name, scopes=scopes, roles=roles)
        user.set_password(password)
        await user.asave()


async def lifespan(app: Covet):  # type: ignore[no-untyped-def]
    await create_users()
    yield
    await store.close()
    await db.aclose()


app = Covet(lifespan=lifespan)
app.add_middleware(AuthenticationMiddleware, backend=backend, user_loader=orm_user_loader(User))
app.include_router(orm_auth_router(backend, User, throttle=LoginThrottle(store)), prefix="/auth")


@app.get("/")
async def index() -> dict[str, str]:
    return {"login": "POST /auth/token (form or JSON: username, password)"}


@app.get("/me")
async def me(user: CurrentUser) -> dict[str, Any]:
    return {"username": user.username, "scopes": user.scopes, "roles": user.roles}


@app.get("/notes", dependencies=[requires("notes:read")])
async def list_notes() -> list[dict[str, str]]:
    return notes


@app.post("/notes")
@requires("notes:write")
async def add_note(data: dict[str, Any], user: CurrentUser) -> dict[str, str]:
    note = {"text": str(data.get("text", "")), "by": user.username}
    notes.append(note)
    return note


admin = Router()


@admin.get("/users")
async def list_users() -> list[str]:
    return [user.username async for user in User.objects.all()]


app.include_router(admin, prefix="/admin", dependencies=[requires_role("admin")])


def check() -> None:
    """Run the whole flow in-process (used by the test suite)."""
    from covet.http.testing import TestClient

    with TestClient(app) as client:
        assert client.get("/me").status_code == 401
        login = client.post("/auth/token", data={"username": "bob", "password": "builder"})
        bob = {"Authorization": f"Bearer {login.json()['access_token']}"}
        assert client.get("/notes", headers=bob).status_code == 200
        assert client.post("/notes", headers=bob, json={"text": "x"}).status_code == 403
        assert client.get("/admin/users", headers=bob).status_code == 403

        pair = client.post(
            "/auth/token", json={"username": "ada", "password": "analytical engine"}
        ).json()
        ada = {"Authorization": f"Bearer {pair['access_token']}"}
        assert client.post("/notes", headers=ada, json={"text": "hello"}).json()["by"] == "ada"
        assert client.get("/admin/users", headers=ada).json() == ["ada", "bob"]
        rotated = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        ada = {"Authorization": f"Bearer {rotated.json()['access_token']}"}
        assert client.get("/me", headers=ada).json()["username"] == "ada"
        assert client.post("/auth/logout", headers=ada).status_code == 204
        assert client.get("/me", headers=ada).status_code == 401
    print("auth example: login, scopes, roles, refresh and logout all behave")


if __name__ == "__main__":
    if "--check" in sys.argv:
        check()
    else:
        app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))

"""covet.auth.orm against real databases: SQLite always, PostgreSQL and MariaDB when reachable."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from covet.auth import AuthenticationMiddleware, CurrentUser, JWTAuth, PasswordHasher
from covet.auth.orm import AbstractUser, orm_auth_router, orm_user_loader
from covet.http import Covet
from covet.middleware import MemoryStore
from covet.orm import Database

SERVERS = {
    "postgres": ("COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


def legacy_hash(password: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), b"salt", 1000)
    return f"pbkdf2_sha256$1000$salt${base64.b64encode(digest).decode()}"


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
async def user_model(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'auth.db'}"
    else:
        variable, default = SERVERS[request.param]
        url = os.environ.get(variable, default)
    database = Database(url)
    table = f"auth_user_{uuid.uuid4().hex[:12]}"

    class User(AbstractUser):
        password_hasher = PasswordHasher.for_testing()

        class Meta:
            db = database
            table_name = table

    try:
        await database.acreate_tables([User])
    except Exception as exc:
        await database.aclose()
        if request.param == "sqlite" or os.environ.get("CI") == "true":
            raise
        pytest.skip(f"{request.param} unreachable; set {SERVERS[request.param][0]} ({exc})")
    try:
        yield User
    finally:
        await database.adrop_tables([User])
        await database.aclose()


async def test_set_and_check_password(user_model: Any) -> None:
    user = user_model(username="ada", email="ada@example.com")
    user.set_password("analytical")
    await user.asave()
    loaded = await user_model.objects.aget(username="ada")
    assert loaded.password_hash.startswith("$argon2id$")
    assert await loaded.acheck_password("analytical")
    assert not await loaded.acheck_password("wrong")
    assert loaded.is_authenticated
    assert loaded.identity == str(loaded.pk)
    assert loaded.display_name == "ada"
    assert loaded.scopes == []
    assert loaded.roles == []
    assert loaded.last_login is None
    loaded.set_unusable_password()
    assert not await loaded.acheck_password("analytical")
    assert not loaded.check_password("analytical")


async def test_legacy_hash_is_upgraded_and_saved(user_model: Any) -> None:
    await user_model.objects.acreate(username="old", password_hash=legacy_hash("pw"))
    user = await user_model.objects.aget(username="old")
    assert await user.acheck_password("pw")
    stored = await user_model.objects.aget(username="old")
    assert stored.password_hash.startswith("$argon2id$")
    assert await stored.acheck_password("pw")


def test_sync_check_password_upgrades_too(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'sync.db'}")

    class SyncUser(AbstractUser):
        password_hasher = PasswordHasher.for_testing()

        class Meta:
            db = database

    database.create_tables([SyncUser])
    try:
        SyncUser.objects.create(username="s", password_hash=legacy_hash("pw"))
        user = SyncUser.objects.get(username="s")
        assert user.check_password("pw")
        assert not user.check_password("nope")
        assert SyncUser.objects.get(username="s").password_hash.startswith("$argon2id$")
    finally:
        database.drop_tables([SyncUser])
        database.close()


async def test_login_flow_with_the_orm_router_and_loader(user_model: Any) -> None:
    ada = user_model(username="ada", scopes=["profile"], roles=["admin"])
    ada.set_password("analytical")
    await ada.asave()
    await user_model.objects.acreate(username="old", password_hash=legacy_hash("pw"))
    backend = JWTAuth(secret="o" * 64, store=MemoryStore())
    app = Covet()
    app.add_middleware(
        AuthenticationMiddleware, backend=backend, user_loader=orm_user_loader(user_model)
    )
    app.include_router(orm_auth_router(backend, user_model), prefix="/auth")

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"username": user.username, "roles": user.roles}

    # in this test's event loop, where the database pools live
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        login = await client.post("/auth/token", data={"username": "ada", "password": "analytical"})
        assert login.status_code == 200
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        profile = await client.get("/me", headers=headers)
        assert profile.json() == {"username": "ada", "roles": ["admin"]}
        reloaded = await user_model.objects.aget(username="ada")
        assert reloaded.last_login is not None

        old = await client.post("/auth/token", json={"username": "old", "password": "pw"})
        assert old.status_code == 200
        upgraded = await user_model.objects.aget(username="old")
        assert upgraded.password_hash.startswith("$argon2id$")

        reloaded.is_active = False
        await reloaded.asave(update_fields=["is_active"])
        assert (await client.get("/me", headers=headers)).status_code == 401
        # and the refresh token does not bring the deactivated user back
        refreshed = await client.post(
            "/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
        )
        assert refreshed.status_code == 401
        await reloaded.adelete()
        assert (await client.get("/me", headers=headers)).status_code == 401
        bogus = backend.create_access_token("not-a-number")
        response = await client.get("/me", headers={"Authorization": f"Bearer {bogus}"})
        assert response.status_code == 401


def test_default_hasher_is_the_production_one(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'default.db'}")

    class PlainUser(AbstractUser):
        class Meta:
            db = database

    user = PlainUser(username="p")
    user.set_password("pw")
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    database.close()


@pytest.mark.parametrize(
    "username",
    ["nul\x00byte", "x" * 5000, "ada\n"],
    ids=["nul", "over-max-length", "newline"],
)
async def test_hostile_usernames_are_a_401_on_every_backend(user_model: Any, username: str) -> None:
    # PostgreSQL refuses NUL in text, MariaDB may refuse over-long or unencodable values:
    # the database error must not become a 500 on the public login endpoint.
    ada = user_model(username="ada")
    ada.set_password("pw")
    await ada.asave()
    backend = JWTAuth(secret="o" * 64, store=MemoryStore())
    app = Covet()
    app.include_router(orm_auth_router(backend, user_model), prefix="/auth")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/auth/token", data={"username": username, "password": "pw"})
        assert response.status_code == 401


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_achange_password_ends_every_existing_session(user_model: Any) -> None:
    ada = user_model(username="ada")
    ada.set_password("analytical")
    await ada.asave()
    clock = _Clock()
    backend = JWTAuth(secret="o" * 64, store=MemoryStore(), clock=clock)
    app = Covet()
    app.add_middleware(
        AuthenticationMiddleware, backend=backend, user_loader=orm_user_loader(user_model)
    )
    app.include_router(orm_auth_router(backend, user_model), prefix="/auth")

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"username": user.username}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        stolen = (
            await client.post("/auth/token", data={"username": "ada", "password": "analytical"})
        ).json()
        clock.now += 0.25  # same second: the exact iat still orders the tokens
        user = await user_model.objects.aget(username="ada")
        await user.achange_password("difference engine", backend)

        old_bearer = {"Authorization": f"Bearer {stolen['access_token']}"}
        refused = await client.get("/me", headers=old_bearer)
        assert refused.status_code == 401
        assert 'error_description="subject_revoked"' in refused.headers["www-authenticate"]
        replay = await client.post("/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
        assert replay.status_code == 401

        clock.now += 0.25
        wrong = await client.post("/auth/token", json={"username": "ada", "password": "analytical"})
        assert wrong.status_code == 401
        fresh = await client.post(
            "/auth/token", json={"username": "ada", "password": "difference engine"}
        )
        assert fresh.status_code == 200
        bearer = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
        assert (await client.get("/me", headers=bearer)).json() == {"username": "ada"}
        saved = await user_model.objects.aget(username="ada")
        assert saved.check_password("difference engine")

"""``JWTAuth(refresh_reuse_interval=...)``: two tabs refreshing at once are not a theft."""

from __future__ import annotations

import asyncio
import math
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import anyio
import httpx
import pytest

from covet.auth import (
    AuthConfigurationError,
    AuthenticationFailed,
    FailureReason,
    JWTAuth,
    PasswordHasher,
    TokenPair,
    auth_router,
)
from covet.http import Covet
from covet.http.testing import AsyncTestClient
from covet.middleware import RedisStore, Store

SECRET = "k" * 64
REDIS_URL = os.environ.get("COVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def reason(coro: Awaitable[object]) -> FailureReason:
    with pytest.raises(AuthenticationFailed) as info:
        await coro
    return info.value.reason


T = TypeVar("T")


async def race(*calls: Callable[[], Awaitable[T]]) -> list[T | Exception]:
    """Run ``calls`` concurrently in one task group; each one's answer or refusal."""
    results: list[T | Exception] = [RuntimeError("did not run")] * len(calls)

    async def run(index: int) -> None:
        try:
            results[index] = await calls[index]()
        except AuthenticationFailed as exc:
            results[index] = exc

    async with anyio.create_task_group() as group:
        for index in range(len(calls)):
            group.start_soon(run, index)
    return results


async def assert_alive(auth: JWTAuth, *pairs: TokenPair) -> None:
    """Every pair's access token verifies and its refresh token rotates once more."""
    for pair in pairs:
        assert (await auth.verify(pair.access_token)).subject
        assert isinstance(await auth.refresh(pair.refresh_token), TokenPair)


# ---- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, 61, timedelta(minutes=5)])
def test_a_nonsense_interval_is_refused_at_construction(bad: Any) -> None:
    with pytest.raises(AuthConfigurationError, match="between 0 and 60 seconds"):
        JWTAuth(secret=SECRET, refresh_reuse_interval=bad)


def test_the_interval_must_be_well_below_the_refresh_lifetime() -> None:
    with pytest.raises(AuthConfigurationError, match="well below refresh_ttl"):
        JWTAuth(secret=SECRET, refresh_ttl=30, refresh_reuse_interval=5)
    assert JWTAuth(secret=SECRET, refresh_ttl=30, refresh_reuse_interval=3)
    auth = JWTAuth(secret=SECRET, refresh_reuse_interval=timedelta(seconds=2.5))
    assert auth.refresh_reuse_interval == 2.5
    assert JWTAuth(secret=SECRET).refresh_reuse_interval == 0


# ---- the interval over each store ------------------------------------------------------------


async def test_two_tabs_refreshing_at_once_both_get_a_pair(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=5)
    pair = await auth.issue_tokens("alice", scopes=["read"], claims={"role": "admin"})
    family = (await auth.verify(pair.access_token)).family
    results = await race(*[lambda: auth.refresh(pair.refresh_token)] * 2)
    assert all(isinstance(result, TokenPair) for result in results), results
    first, second = (result for result in results if isinstance(result, TokenPair))
    assert first.refresh_token != second.refresh_token
    for new in (first, second):
        verified = await auth.verify(new.access_token)
        assert (verified.family, verified.scopes, verified.claims["role"]) == (
            family,
            {"read"},
            "admin",
        )
    # nothing was revoked: the old access token and both new branches still work
    assert (await auth.verify(pair.access_token)).family == family
    await assert_alive(auth, first, second)


async def test_sequential_reuse_inside_the_interval_gets_a_pair_each_time(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=5)
    pair = await auth.issue_tokens("bob")
    first = await auth.refresh(pair.refresh_token)
    retry = await auth.refresh(pair.refresh_token)  # the first response was lost
    third = await auth.refresh(pair.refresh_token)
    await assert_alive(auth, first, retry, third)


async def test_only_a_few_reuses_are_forgiven_even_inside_the_interval(store: Store) -> None:
    """Racing tabs and retries need a handful; a stolen token replayed inside the interval to
    mint pairs by the thousand is theft after MAX_FORGIVEN_REUSES."""
    from covet.auth._jwt_auth import MAX_FORGIVEN_REUSES

    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=5)
    pair = await auth.issue_tokens("erin")
    branches = [await auth.refresh(pair.refresh_token)]  # the use itself
    for _ in range(MAX_FORGIVEN_REUSES):
        branches.append(await auth.refresh(pair.refresh_token))
    await assert_alive(auth, *branches[1:])
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED
    for branch in branches:
        assert await reason(auth.verify(branch.access_token)) is FailureReason.REVOKED


async def test_the_cap_counts_per_session_so_reuses_cannot_branch_out(store: Store) -> None:
    """Each forgiven reuse mints a refresh token of its own; reusing those must count against
    the same session, or one token grows a tree of thousands of live branches."""
    from covet.auth._jwt_auth import MAX_FORGIVEN_REUSES

    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=5)
    pair = await auth.issue_tokens("frank")
    await auth.refresh(pair.refresh_token)
    child = await auth.refresh(pair.refresh_token)  # forgiven reuse 1: a new branch
    await auth.refresh(child.refresh_token)  # the branch's own first use
    forgiven = 1
    while forgiven < MAX_FORGIVEN_REUSES:
        await auth.refresh(child.refresh_token)  # reuses of the branch count for the session
        forgiven += 1
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED
    assert await reason(auth.verify(child.access_token)) is FailureReason.REVOKED


async def test_reuse_after_the_interval_is_theft(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=0.3)
    pair = await auth.issue_tokens("carol")
    first = await auth.refresh(pair.refresh_token)
    inside = await auth.refresh(pair.refresh_token)
    await asyncio.sleep(0.4)
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED
    # the whole family is gone, the branch handed out inside the interval included
    for token in (first.access_token, inside.access_token, pair.access_token):
        assert await reason(auth.verify(token)) is FailureReason.REVOKED
    assert await reason(auth.refresh(inside.refresh_token)) is FailureReason.REVOKED


async def test_the_interval_runs_from_the_first_use_a_reuse_does_not_respend(
    store: Store,
) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock, refresh_reuse_interval=3)
    pair = await auth.issue_tokens("dave")
    clock.now += 1
    await auth.refresh(pair.refresh_token)  # first use at T0 + 1
    clock.now += 2
    await auth.refresh(pair.refresh_token)  # 2 s later: forgiven
    clock.now += 1.5
    # 3.5 s after the first use (1.5 s after the second): theft
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED


async def test_interval_zero_keeps_strict_rotation(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=0)
    pair = await auth.issue_tokens("erin")
    results = await race(*[lambda: auth.refresh(pair.refresh_token)] * 2)
    assert sum(isinstance(result, TokenPair) for result in results) == 1
    assert await reason(auth.verify(pair.access_token)) is FailureReason.REVOKED

    pair = await auth.issue_tokens("erin")
    await auth.refresh(pair.refresh_token)
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED


async def test_a_logged_out_or_revoked_session_is_not_revived(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=30)
    # logout with the new access token, then the old refresh token again inside the interval
    pair = await auth.issue_tokens("frank")
    rotated = await auth.refresh(pair.refresh_token)
    await auth.logout(await auth.verify(rotated.access_token))
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REVOKED
    # logout with the spent refresh token itself
    pair = await auth.issue_tokens("frank")
    await auth.refresh(pair.refresh_token)
    await auth.logout(await auth.verify(pair.refresh_token, expected_type="refresh"))
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REVOKED
    # a family revoked by the application, and every session of a user ended
    pair = await auth.issue_tokens("grace")
    rotated = await auth.refresh(pair.refresh_token)
    family = (await auth.verify(rotated.access_token)).family
    assert family is not None
    await auth.revoke_family(family)
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REVOKED
    pair = await auth.issue_tokens("heidi")
    await auth.refresh(pair.refresh_token)
    await asyncio.sleep(0.01)  # the cut-off must come strictly after the token's iat
    await auth.revoke_subject("heidi")
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.SUBJECT_REVOKED


async def test_a_second_redis_worker_sees_the_first_spend_and_its_time(
    redis_store: RedisStore,
) -> None:
    other_store = RedisStore(REDIS_URL, prefix=redis_store.prefix)
    try:
        one = JWTAuth(secret=SECRET, store=redis_store, refresh_reuse_interval=0.3)
        two = JWTAuth(secret=SECRET, store=other_store, refresh_reuse_interval=0.3)
        pair = await one.issue_tokens("ivan")
        first = await one.refresh(pair.refresh_token)
        jti = one.decode(pair.refresh_token, expected_type="refresh").jti
        assert two.revocations is not None
        spent_at = await two.revocations.refresh_spent_at(jti)
        assert spent_at is not None
        assert abs(spent_at - one.clock()) < 0.3
        again = await two.refresh(pair.refresh_token)  # the other tab hit the other worker
        await asyncio.sleep(0.4)
        assert await reason(two.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED
        for token in (first.access_token, again.access_token):
            assert await reason(one.verify(token)) is FailureReason.REVOKED
    finally:
        await other_store.close()


async def test_a_spend_record_without_a_time_is_never_forgiven(store: Store) -> None:
    # written by a worker that predates the interval (during a rolling deploy)
    auth = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=30)
    assert auth.revocations is not None
    pair = await auth.issue_tokens("judy")
    jti = auth.decode(pair.refresh_token, expected_type="refresh").jti
    assert await auth.revocations.spend_refresh(jti, 60)
    assert await auth.revocations.refresh_spent_at(jti) == -math.inf
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED


# ---- over HTTP -------------------------------------------------------------------------------

HASHER = PasswordHasher.for_testing()


@dataclass
class User:
    id: int
    username: str
    password_hash: str
    is_active: bool = True
    scopes: list[str] = field(default_factory=lambda: ["read"])


async def test_the_refresh_route_forgives_two_tabs_but_not_a_logged_out_session(
    store: Store,
) -> None:
    users = {"alice": User(1, "alice", HASHER.hash("wonderland"))}
    by_id = {str(user.id): user for user in users.values()}
    backend = JWTAuth(secret=SECRET, store=store, refresh_reuse_interval=5)
    app = Covet()
    router = auth_router(
        backend,
        get_user=users.get,
        hasher=HASHER,
        user_loader=lambda token: by_id.get(token.subject),
    )
    app.include_router(router, prefix="/auth")
    async with AsyncTestClient(app) as client:
        login = await client.post(
            "/auth/token", json={"username": "alice", "password": "wonderland"}
        )
        old = login.json()["refresh_token"]
        body = {"refresh_token": old}
        tabs = await race(*[lambda: client.post("/auth/refresh", json=body)] * 2)
        assert all(isinstance(tab, httpx.Response) for tab in tabs), tabs
        assert [tab.status_code for tab in tabs] == [200, 200]
        for tab in tabs:
            assert (await backend.verify(tab.json()["access_token"])).subject == "1"

        # logging out with the spent token ends the session, both tabs' branches included
        assert (await client.post("/auth/logout", json=body)).status_code == 204
        dead = await client.post("/auth/refresh", json=body)
        assert dead.status_code == 401
        assert 'error_description="revoked"' in dead.headers["www-authenticate"]
        later = await client.post(
            "/auth/refresh", json={"refresh_token": tabs[1].json()["refresh_token"]}
        )
        assert later.status_code == 401

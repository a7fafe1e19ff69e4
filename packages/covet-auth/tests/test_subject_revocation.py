"""``JWTAuth.revoke_subject``: end every session of one user (after a password change)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from covet.auth import AuthConfigurationError, AuthenticationFailed, FailureReason, JWTAuth
from covet.middleware import Store

SECRET = "k" * 64
T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


async def reason(coro: object) -> FailureReason:
    with pytest.raises(AuthenticationFailed) as info:
        await coro  # type: ignore[misc]
    return info.value.reason


async def test_revoke_subject_refuses_earlier_access_and_refresh_tokens(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock)
    phone = await auth.issue_tokens("alice")
    clock.now += 30
    laptop = await auth.issue_tokens("alice")
    bob = await auth.issue_tokens("bob")
    clock.now += 30
    await auth.revoke_subject("alice")
    for token in (phone.access_token, laptop.access_token):
        assert await reason(auth.verify(token)) is FailureReason.SUBJECT_REVOKED
    for token in (phone.refresh_token, laptop.refresh_token):
        assert await reason(auth.refresh(token)) is FailureReason.SUBJECT_REVOKED
    # other users are untouched, and alice can log in again
    assert (await auth.verify(bob.access_token)).subject == "bob"
    clock.now += 1
    fresh = await auth.issue_tokens("alice")
    assert (await auth.verify(fresh.access_token)).subject == "alice"
    rotated = await auth.refresh(fresh.refresh_token)
    assert (await auth.verify(rotated.access_token)).subject == "alice"


async def test_same_second_tokens_are_ordered_by_the_exact_issue_time(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock)
    clock.now = T0 + 0.25
    before = await auth.issue_tokens("alice")
    clock.now = T0 + 0.5
    await auth.revoke_subject("alice")
    at_the_instant = await auth.issue_tokens("alice")
    clock.now = T0 + 0.75
    after = await auth.issue_tokens("alice")
    assert await reason(auth.verify(before.access_token)) is FailureReason.SUBJECT_REVOKED
    assert await reason(auth.refresh(before.refresh_token)) is FailureReason.SUBJECT_REVOKED
    assert (await auth.verify(at_the_instant.access_token)).issued_at == T0 + 0.5
    assert (await auth.verify(after.access_token)).issued_at == T0 + 0.75
    await auth.refresh(after.refresh_token)


async def test_the_record_outlives_every_token_it_refuses(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock, refresh_ttl=3600, leeway=10)
    await auth.revoke_subject("alice")
    assert auth.revocations is not None
    ttl = await store.ttl(auth.revocations.subject_key("alice"))
    assert ttl is not None
    # the longest token lifetime, the leeway, and a minute for refreshes in flight
    assert 3600 + 10 + 60 - 1 < ttl <= 3600 + 10 + 60
    # an explicit earlier cutoff needs the record only until its tokens have expired
    await auth.revoke_subject("bob", before=T0 - 600)
    ttl = await store.ttl(auth.revocations.subject_key("bob"))
    assert ttl is not None
    assert 3000 + 10 + 60 - 1 < ttl <= 3000 + 10 + 60


class _RevokeWhileSpending:
    """The test's store, with ``revoke_subject`` landing inside the refresh's spend call (after
    its checks passed, before the new pair is made): the race, made deterministic."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.hook: Any = None

    async def get(self, key: str) -> bytes | None:
        return await self.inner.get(key)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        await self.inner.set(key, value, ttl=ttl)

    async def add(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        added = await self.inner.add(key, value, ttl=ttl)
        hook, self.hook = self.hook, None
        if hook is not None:
            await hook()
        return added

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        return await self.inner.incr(key, amount, ttl=ttl)

    async def ttl(self, key: str) -> float | None:
        return await self.inner.ttl(key)

    async def delete(self, key: str) -> bool:
        return await self.inner.delete(key)


async def test_a_refresh_racing_the_revocation_cannot_outlive_it(store: Store) -> None:
    """A thief refreshing while the password change calls revoke_subject(): the refresh passed
    its checks before the cut-off was written and makes its pair after it. The pair carries the
    session's login time (auth_time), so it is refused, and so is every refresh chained from it
    (with iat alone it passed as issued after the cut-off)."""
    clock = Clock()
    hooked = _RevokeWhileSpending(store)
    auth = JWTAuth(secret=SECRET, store=hooked, clock=clock)
    stolen = await auth.issue_tokens("alice")
    clock.now = T0 + 100

    async def password_change() -> None:
        await auth.revoke_subject("alice")  # cut-off: now

    hooked.hook = password_change
    raced = await auth.refresh(stolen.refresh_token)  # passed verify() before the revocation
    assert await reason(auth.verify(raced.access_token)) is FailureReason.SUBJECT_REVOKED
    assert await reason(auth.refresh(raced.refresh_token)) is FailureReason.SUBJECT_REVOKED
    clock.now = T0 + 101
    fresh = await auth.issue_tokens("alice")  # a login after the change is a new session
    refreshed = await auth.refresh(fresh.refresh_token)
    verified = await auth.verify(refreshed.access_token)
    assert verified.claims["auth_time"] == T0 + 101  # the login's time, kept through refreshes


async def test_an_earlier_cutoff_never_lowers_a_later_one(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock)
    clock.now = T0 + 50
    middle = await auth.issue_tokens("alice")
    clock.now = T0 + 100
    await auth.revoke_subject("alice")
    await auth.revoke_subject("alice", before=dt.datetime.fromtimestamp(T0, dt.UTC))
    assert await reason(auth.verify(middle.access_token)) is FailureReason.SUBJECT_REVOKED


async def test_before_cannot_be_in_the_future_and_a_store_is_needed(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock)
    with pytest.raises(ValueError, match="future"):
        await auth.revoke_subject("alice", before=T0 + 1)
    with pytest.raises(ValueError, match="subject"):
        await auth.revoke_subject("")
    with pytest.raises(AuthConfigurationError):
        await JWTAuth(secret=SECRET).revoke_subject("alice")


async def test_int_subjects_and_hostile_subject_strings_are_one_key_each(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock)
    seven = await auth.issue_tokens(7)
    star = await auth.issue_tokens("*")
    clock.now += 1
    await auth.revoke_subject(7)
    assert await reason(auth.verify(seven.access_token)) is FailureReason.SUBJECT_REVOKED
    assert (await auth.verify(star.access_token)).subject == "*"


async def test_a_corrupt_record_refuses_rather_than_admits(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock)
    pair = await auth.issue_tokens("alice")
    assert auth.revocations is not None
    await store.set(auth.revocations.subject_key("alice"), b"not a number", ttl=60)
    assert await reason(auth.verify(pair.access_token)) is FailureReason.SUBJECT_REVOKED


async def test_a_fractional_lifetime_is_rounded_up_like_the_tokens_exp(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock, access_ttl=60, refresh_ttl=99.5)
    clock.now = T0 + 0.1
    pair = await auth.issue_tokens("alice")
    expires_at = auth.decode(pair.refresh_token, expected_type="refresh").expires_at
    assert expires_at == T0 + 100  # floor(iat) + ceil(99.5): later than iat + 99.5
    clock.now = T0 + 0.7
    await auth.revoke_subject("alice", before=T0 + 0.2)
    assert auth.revocations is not None
    ttl = await store.ttl(auth.revocations.subject_key("alice"))
    assert ttl is not None
    # the record must outlive the refresh token, not only cut-off + 99.5 (T0 + 99.7)
    assert ttl > expires_at - clock.now

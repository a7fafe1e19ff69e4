from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import pytest

from covet.auth import (
    AuthConfigurationError,
    AuthenticationFailed,
    AuthStore,
    FailureReason,
    JWTAuth,
)
from covet.middleware import MemoryStore, RedisStore, Store

SECRET = "k" * 64
REDIS_URL = os.environ.get("COVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
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


def test_middleware_stores_satisfy_the_auth_store_protocol() -> None:
    assert isinstance(MemoryStore(), AuthStore)
    assert issubclass(RedisStore, Store)


async def test_login_pair_refresh_and_reuse_revokes_the_family(store: Store) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=store, clock=clock)
    pair = await auth.issue_tokens("alice", scopes=["read"], claims={"role": "admin"})
    assert pair.to_dict().keys() == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair.expires_in == 900
    first_access = await auth.verify(pair.access_token)
    assert first_access.scopes == {"read"}
    assert first_access.family is not None

    clock.now += 60
    rotated = await auth.refresh(pair.refresh_token)
    new_access = await auth.verify(rotated.access_token)
    assert new_access.subject == "alice"
    assert new_access.scopes == {"read"}
    assert new_access.claims["role"] == "admin"
    assert new_access.family == first_access.family
    assert new_access.issued_at == T0 + 60

    # the spent refresh token is presented again: a thief or a replay
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REFRESH_REUSED
    # ...and now nothing from that login works any more
    assert await reason(auth.verify(rotated.access_token)) is FailureReason.REVOKED
    assert await reason(auth.verify(pair.access_token)) is FailureReason.REVOKED
    assert await reason(auth.refresh(rotated.refresh_token)) is FailureReason.REVOKED
    # other sessions are untouched
    other = await auth.issue_tokens("alice")
    assert (await auth.verify(other.access_token)).subject == "alice"


async def test_revoked_jti_is_refused_on_the_next_verification(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store)
    token = auth.create_access_token("bob")
    verified = await auth.verify(token)
    await auth.revoke(verified)
    assert await reason(auth.verify(token)) is FailureReason.REVOKED
    assert (await auth.verify(auth.create_access_token("bob"))).subject == "bob"


async def test_logout_revokes_the_session(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store)
    pair = await auth.issue_tokens("carol")
    await auth.logout(await auth.verify(pair.access_token))
    assert await reason(auth.verify(pair.access_token)) is FailureReason.REVOKED
    assert await reason(auth.refresh(pair.refresh_token)) is FailureReason.REVOKED
    lone_token = auth.create_access_token("carol")
    await auth.logout(await auth.verify(lone_token))  # no family: only the token itself
    assert await reason(auth.verify(lone_token)) is FailureReason.REVOKED


async def test_revocation_records_expire_with_the_token(memory_store: MemoryStore) -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, store=memory_store, clock=clock, leeway=5)
    verified = await auth.verify(auth.create_access_token("d", expires_in=100))
    await auth.revoke(verified)
    ttl = await memory_store.ttl(f"covet-auth:revoked:{verified.jti}")
    assert ttl is not None
    assert 104 < ttl <= 105


async def test_refresh_token_without_family_is_refused(memory_store: MemoryStore) -> None:
    auth = JWTAuth(secret=SECRET, store=memory_store)
    token = auth.create_refresh_token("e")
    verified = auth.decode(token, expected_type="refresh")
    assert verified.family is not None
    # forge one without "fam" using the codec's own key
    import jwt

    key = auth.keys.signing_key
    assert key is not None
    assert isinstance(key.signing_key, bytes)
    claims = {k: v for k, v in verified.claims.items() if k != "fam"}
    bare = jwt.encode(claims, key.signing_key, algorithm="HS256", headers={"kid": key.kid})
    assert await reason(auth.refresh(bare)) is FailureReason.MISSING_CLAIM


async def test_store_operations_without_a_store_are_a_configuration_error() -> None:
    auth = JWTAuth(secret=SECRET)
    token = auth.create_access_token("f")
    assert (await auth.verify(token)).subject == "f"  # stateless verification still works
    with pytest.raises(AuthConfigurationError, match="need a store"):
        await auth.refresh(auth.create_refresh_token("f"))
    with pytest.raises(AuthConfigurationError, match="need a store"):
        await auth.revoke(auth.decode(token))


async def test_concurrent_refreshes_in_one_process_admit_exactly_one(store: Store) -> None:
    auth = JWTAuth(secret=SECRET, store=store)
    pair = await auth.issue_tokens("g")
    results = await asyncio.gather(
        *(auth.refresh(pair.refresh_token) for _ in range(20)), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    failed = [r for r in results if isinstance(r, AuthenticationFailed)]
    assert len(ok) == 1
    assert len(failed) == 19
    assert {f.reason for f in failed} <= {FailureReason.REFRESH_REUSED, FailureReason.REVOKED}


_WORKER = textwrap.dedent(
    """
    import asyncio, json, sys
    from covet.auth import AuthenticationFailed, JWTAuth
    from covet.middleware import RedisStore

    async def main(url, prefix):
        store = RedisStore(url, prefix=prefix)
        tokens = json.loads(await store.get("tokens"))
        auth = JWTAuth(secret="k" * 64, store=store)
        await store.incr("ready", ttl=60)
        while await store.get("go") is None:
            await asyncio.sleep(0.005)
        out = []
        for token in tokens:
            try:
                await auth.refresh(token)
                out.append("ok")
            except AuthenticationFailed as exc:
                out.append(exc.reason.value)
        revoked = await auth.revocations.is_jti_revoked("revoked-by-parent")
        await store.close()
        print(json.dumps({"results": out, "saw_revocation": revoked}))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_redis_store_from_two_processes_at_once(redis_store: RedisStore) -> None:
    auth = JWTAuth(secret=SECRET, store=redis_store)
    pairs = [await auth.issue_tokens(f"user{i}") for i in range(30)]
    await redis_store.set("tokens", json.dumps([p.refresh_token for p in pairs]), ttl=60)
    await redis_store.set("covet-auth:revoked:revoked-by-parent", b"1", ttl=60)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _WORKER,
            REDIS_URL,
            redis_store.prefix,
            stdout=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    # release both workers together, once both interpreters are up and connected
    for _ in range(3000):
        if await redis_store.get("ready") == b"2":
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the two worker processes did not start within 30 s")
    await redis_store.set("go", b"1", ttl=60)
    outputs = await asyncio.gather(*(p.communicate() for p in procs))
    assert all(p.returncode == 0 for p in procs)
    reports = [json.loads(stdout) for stdout, _ in outputs]
    assert all(r["saw_revocation"] for r in reports)
    for index in range(len(pairs)):
        answers = sorted(r["results"][index] for r in reports)
        # exactly one worker rotated each token; the other saw the replay (or the revoked family)
        assert answers.count("ok") == 1, answers
        assert {a for a in answers if a != "ok"} <= {"refresh_reused", "revoked"}
        # and the replay revoked the family for the parent process too
        assert await reason(auth.verify(pairs[index].access_token)) is FailureReason.REVOKED


async def test_family_revocation_outlives_every_token_of_the_family(
    memory_store: MemoryStore,
) -> None:
    auth = JWTAuth(secret=SECRET, store=memory_store, leeway=7, refresh_ttl=1000)
    pair = await auth.issue_tokens("h")
    await auth.refresh(pair.refresh_token)
    with pytest.raises(AuthenticationFailed):
        await auth.refresh(pair.refresh_token)
    family = auth.decode(pair.access_token).family
    ttl = await memory_store.ttl(f"covet-auth:family:{family}")
    assert ttl is not None
    assert 1006 < ttl <= 1007


async def test_family_revocation_outlives_a_long_access_token_of_the_family(
    memory_store: MemoryStore,
) -> None:
    # a family's revocation record must last as long as any token that carries the family
    auth = JWTAuth(secret=SECRET, store=memory_store, access_ttl=600, refresh_ttl=100)
    pair = await auth.issue_tokens("i")
    verified = await auth.verify(pair.access_token)
    assert verified.family is not None
    await auth.logout(verified)
    ttl = await memory_store.ttl(f"covet-auth:family:{verified.family}")
    assert ttl is not None
    assert ttl > 599
    with pytest.raises(ValueError, match="outlive"):
        auth.create_access_token("i", expires_in=601, family=verified.family)
    assert auth.decode(auth.create_access_token("i", expires_in=601)).expires_at > 0

from __future__ import annotations

import asyncio

import pytest

from covet.middleware import MemoryStore, RedisStore, Store


async def test_get_set_delete(store: Store) -> None:
    assert await store.get("k") is None
    await store.set("k", b"v1")
    assert await store.get("k") == b"v1"
    await store.set("k", "v2")
    assert await store.get("k") == b"v2"
    assert await store.delete("k") is True
    assert await store.delete("k") is False
    assert await store.get("k") is None


async def test_ttl_expires_keys(store: Store) -> None:
    await store.set("short", b"x", ttl=0.05)
    await store.set("forever", b"y")
    remaining = await store.ttl("short")
    assert remaining is not None
    assert 0 < remaining <= 0.05
    assert await store.ttl("forever") is None
    await asyncio.sleep(0.1)
    assert await store.get("short") is None
    assert await store.get("forever") == b"y"
    assert await store.ttl("short") is None


async def test_expire_sets_a_new_ttl(store: Store) -> None:
    assert await store.expire("missing", 10) is False
    await store.set("k", b"v")
    assert await store.expire("k", 0.05) is True
    await asyncio.sleep(0.1)
    assert await store.get("k") is None


async def test_add_is_set_if_absent(store: Store) -> None:
    assert await store.add("lock", b"a", ttl=10) is True
    assert await store.add("lock", b"b", ttl=10) is False
    assert await store.get("lock") == b"a"
    results = await asyncio.gather(*(store.add("race", str(i)) for i in range(50)))
    assert results.count(True) == 1


async def test_incr_is_atomic_and_sets_ttl_on_create(store: Store) -> None:
    values = await asyncio.gather(*(store.incr("counter", ttl=30) for _ in range(200)))
    assert sorted(values) == list(range(1, 201))
    assert await store.incr("counter", 5) == 205
    remaining = await store.ttl("counter")
    assert remaining is not None
    assert 0 < remaining <= 30
    assert await store.get("counter") == b"205"


async def test_incr_rejects_non_integers(store: Store) -> None:
    await store.set("text", b"abc")
    with pytest.raises(Exception):  # noqa: B017,PT011 - redis and memory raise different types
        await store.incr("text")


async def test_prefixed_views_do_not_collide(store: Store) -> None:
    a, b = store.prefixed("a:"), store.prefixed("b:")
    await a.set("k", b"from-a")
    await b.set("k", b"from-b")
    assert await a.get("k") == b"from-a"
    assert await b.get("k") == b"from-b"
    assert await store.get("a:k") == b"from-a"


async def test_fixed_window_admits_exactly_limit(store: Store) -> None:
    results = await asyncio.gather(*(store.hit_fixed_window("fw", 10, 30) for _ in range(40)))
    assert sum(r.allowed for r in results) == 10
    refused = [r for r in results if not r.allowed]
    assert all(r.remaining == 0 for r in refused)
    assert all(0 < r.retry_after <= 30 for r in refused)


async def test_fixed_window_resets(store: Store) -> None:
    assert (await store.hit_fixed_window("fw", 1, 0.05)).allowed
    assert not (await store.hit_fixed_window("fw", 1, 0.05)).allowed
    await asyncio.sleep(0.1)
    assert (await store.hit_fixed_window("fw", 1, 0.05)).allowed


async def test_sliding_window_admits_exactly_limit_and_frees_slots(store: Store) -> None:
    results = await asyncio.gather(*(store.hit_sliding_window("sw", 5, 0.2) for _ in range(20)))
    assert sum(r.allowed for r in results) == 5
    assert sorted(r.remaining for r in results if r.allowed) == [0, 1, 2, 3, 4]
    denied = next(r for r in results if not r.allowed)
    assert 0 < denied.retry_after <= 0.2
    await asyncio.sleep(0.25)
    assert (await store.hit_sliding_window("sw", 5, 0.2)).allowed


async def test_rate_limit_arguments_are_checked(store: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        await store.hit_fixed_window("x", 0, 1)
    with pytest.raises(ValueError, match="window"):
        await store.hit_sliding_window("x", 1, 0)


async def test_memory_store_sweeps_expired_keys() -> None:
    store = MemoryStore()
    for i in range(10):
        await store.set(f"k{i}", b"v", ttl=0.01)
    await store.set("keep", b"v")
    await asyncio.sleep(0.05)
    assert store.sweep() == 10
    assert len(store) == 1


async def test_redis_store_shares_state_between_clients(redis_store: RedisStore) -> None:
    other = RedisStore(client=redis_store.client, prefix=redis_store.prefix)
    await redis_store.set("shared", b"1")
    assert await other.get("shared") == b"1"
    await other.close()  # does not close a client it did not create
    assert await redis_store.get("shared") == b"1"


def test_redis_store_needs_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        RedisStore()


async def test_memory_store_is_bounded_by_max_keys() -> None:
    # Attacker-chosen keys (addresses, user names in a login limit) must not grow memory without
    # bound while their windows are open: past max_keys the oldest keys are dropped.
    store = MemoryStore(max_keys=100)
    for i in range(1000):
        await store.hit_sliding_window(f"client-{i}", 5, 3600)
        assert len(store) <= 100
    assert (await store.hit_sliding_window("client-999", 5, 3600)).remaining == 3
    await store.set("session", b"v", ttl=3600)
    assert await store.get("session") == b"v"


async def test_memory_store_evicts_idle_rate_limit_keys_first() -> None:
    # Flooding new keys must not evict (and so reset) the bucket of a client that keeps hitting.
    store = MemoryStore(max_keys=100)
    for i in range(1000):
        await store.hit_fixed_window("busy", 10_000, 3600)
        await store.hit_fixed_window(f"flood-{i}", 5, 3600)
    assert (await store.hit_fixed_window("busy", 10_000, 3600)).remaining == 10_000 - 1001


async def test_memory_store_drops_expired_keys_before_live_ones() -> None:
    store = MemoryStore(max_keys=10)
    for i in range(5):
        await store.set(f"live-{i}", b"v", ttl=3600)
    for i in range(5):
        await store.set(f"short-{i}", b"v", ttl=0.01)
    await asyncio.sleep(0.05)
    await store.set("new", b"v")
    assert len(store) == 6
    assert all([await store.get(f"live-{i}") == b"v" for i in range(5)])


def test_memory_store_max_keys_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_keys"):
        MemoryStore(max_keys=0)

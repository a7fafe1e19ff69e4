from __future__ import annotations

import asyncio

import pytest

from covet.auth import AuthConfigurationError, LoginThrottle, TooManyAttempts
from covet.middleware import Store


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Store:
    name = "memory_store" if request.param == "memory" else "redis_store"
    value: Store = request.getfixturevalue(name)
    return value


async def test_back_off_doubles_after_the_free_attempts_and_is_capped(store: Store) -> None:
    throttle = LoginThrottle(store, free_attempts=2, base_delay=10, max_delay=35)
    delays = [await throttle.failure("Alice", None) for _ in range(6)]
    assert delays == [0, 0, 10, 20, 35, 35]
    with pytest.raises(TooManyAttempts) as info:
        await throttle.check("alice ", None)  # the account name is normalised
    assert 34 <= info.value.retry_after <= 35
    await throttle.check("bob", None)


async def test_success_clears_the_account(store: Store) -> None:
    throttle = LoginThrottle(store, free_attempts=1, base_delay=60)
    await throttle.failure("carol", "10.0.0.1")
    await throttle.failure("carol", "10.0.0.1")
    with pytest.raises(TooManyAttempts):
        await throttle.check("carol", "10.0.0.2")
    await throttle.success("carol", "10.0.0.1")
    await throttle.check("carol", "10.0.0.2")
    assert await throttle.failure("carol", "10.0.0.1") == 0


async def test_address_is_locked_across_accounts(store: Store) -> None:
    throttle = LoginThrottle(store, free_attempts=50, free_attempts_per_address=3, base_delay=5)
    for n in range(4):
        await throttle.failure(f"user{n}", "192.0.2.1")
    with pytest.raises(TooManyAttempts):
        await throttle.check("someone-else", "192.0.2.1")
    await throttle.check("someone-else", "192.0.2.2")


async def test_concurrent_failures_are_all_counted(store: Store) -> None:
    throttle = LoginThrottle(store, free_attempts=10, base_delay=1, max_delay=10_000)
    delays = await asyncio.gather(*(throttle.failure("dave", None) for _ in range(20)))
    assert sorted(delays)[-1] == 2**9  # the 20th failure: 10 past the free ones


@pytest.mark.parametrize(
    "kwargs",
    [
        {"free_attempts": 0},
        {"free_attempts_per_address": 0},
        {"base_delay": 0},
        {"base_delay": 10, "max_delay": 5},
        {"window": 0},
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], memory_store: Store) -> None:
    with pytest.raises(AuthConfigurationError):
        LoginThrottle(memory_store, **kwargs)  # type: ignore[arg-type]

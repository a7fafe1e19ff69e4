from __future__ import annotations

import asyncio
import hashlib

import pytest

from covet.auth import AuthConfigurationError, LoginThrottle, TooManyAttempts
from covet.middleware import Store


async def attempt(throttle: LoginThrottle, username: str, address: str | None) -> int:
    """One failed login: reserve it, then report the failure; answer the lock it left."""
    await throttle.check(username, address)
    return await throttle.failure(username, address)


async def expire_account_lock(store: Store, throttle: LoginThrottle, username: str) -> None:
    """Stand in for the passing of time: drop the account's lock (its counter stays)."""
    account = hashlib.sha256(username.encode()).hexdigest()[:32]
    assert await store.delete(f"{throttle.prefix}account:{account}:lock")


async def test_back_off_doubles_after_the_free_attempts_and_is_capped(store: Store) -> None:
    throttle = LoginThrottle(store, free_attempts=2, base_delay=10, max_delay=35)
    assert [throttle.delay_after(n, 2) for n in range(1, 7)] == [0, 0, 10, 20, 35, 35]
    delays = []
    for _ in range(5):
        delays.append(await attempt(throttle, "Alice", None))
        if delays[-1]:
            with pytest.raises(TooManyAttempts) as info:
                await throttle.check("alice ", None)  # the account name is normalised
            assert delays[-1] - 1 <= info.value.retry_after <= delays[-1]
            await expire_account_lock(store, throttle, "alice")
    assert delays == [0, 0, 10, 20, 35]
    await throttle.check("bob", None)


async def test_success_clears_the_account(store: Store) -> None:
    throttle = LoginThrottle(store, free_attempts=1, base_delay=60)
    assert await attempt(throttle, "carol", "10.0.0.1") == 0
    assert await attempt(throttle, "carol", "10.0.0.1") == 60
    with pytest.raises(TooManyAttempts):
        await throttle.check("carol", "10.0.0.2")
    await throttle.success("carol", "10.0.0.1")
    assert await attempt(throttle, "carol", "10.0.0.2") == 0


async def test_address_is_locked_across_accounts(store: Store) -> None:
    throttle = LoginThrottle(store, free_attempts=50, free_attempts_per_address=3, base_delay=5)
    for n in range(4):
        await attempt(throttle, f"user{n}", "192.0.2.1")
    with pytest.raises(TooManyAttempts):
        await throttle.check("someone-else", "192.0.2.1")
    await throttle.check("someone-else", "192.0.2.2")


async def test_concurrent_attempts_cannot_slip_past_the_throttle(store: Store) -> None:
    # Twenty guesses sent at once all passed check() before the first failure was recorded;
    # check() now reserves the attempt atomically, so at most free + 1 of them run.
    throttle = LoginThrottle(store, free_attempts=3, base_delay=60)

    async def guess() -> bool:
        try:
            await throttle.check("erin", "198.51.100.7")
        except TooManyAttempts:
            return False
        await asyncio.sleep(0.01)  # the password hash runs here
        await throttle.failure("erin", "198.51.100.7")
        return True

    ran = await asyncio.gather(*(guess() for _ in range(20)))
    assert sum(ran) == 4


async def test_successful_logins_do_not_use_up_the_address_allowance(store: Store) -> None:
    # an office behind one NAT address logs in all day
    throttle = LoginThrottle(store, free_attempts_per_address=3, base_delay=60)
    for n in range(10):
        await throttle.check(f"user{n}", "192.0.2.50")
        await throttle.success(f"user{n}", "192.0.2.50")
    await throttle.check("late-comer", "192.0.2.50")


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


async def test_account_key_folds_compatibility_variants_of_the_name(store: Store) -> None:
    # MariaDB's default collations find "alice" for its fullwidth and upper-case variants;
    # each variant must not be a fresh counter for guessing the same account.
    throttle = LoginThrottle(store, free_attempts=2, base_delay=60)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in "ALICE")
    for name in ("alice", fullwidth, fullwidth.lower() + " "):
        await attempt(throttle, name, None)
    with pytest.raises(TooManyAttempts):
        await throttle.check("Alice", None)


async def test_exact_arithmetic_free_plus_one_back_to_back_then_one_per_lock(
    store: Store,
) -> None:
    # the sentence in docs/auth.md: attempts 1..N run freely, attempt N+k runs too and starts
    # a lock of base_delay * 2**(k-1) s; attempts refused during a lock are not counted
    throttle = LoginThrottle(store, free_attempts=3, base_delay=7, max_delay=20)
    assert [await attempt(throttle, "frank", None) for _ in range(4)] == [0, 0, 0, 7]
    for _ in range(10):  # hammering a locked account does not lengthen the lock
        with pytest.raises(TooManyAttempts) as info:
            await throttle.check("frank", None)
        assert info.value.retry_after == 7
    await expire_account_lock(store, throttle, "frank")
    assert await attempt(throttle, "frank", None) == 14  # k=2, not k=12
    await expire_account_lock(store, throttle, "frank")
    assert await attempt(throttle, "frank", None) == 20  # k=3: 28, capped at max_delay

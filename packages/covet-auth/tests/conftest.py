from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from covet.middleware import MemoryStore, RedisStore

REDIS_URL = os.environ.get("COVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisStore]:
    """A RedisStore under a prefix of its own; its keys are deleted afterwards."""
    prefix = f"covet-auth-test:{uuid.uuid4().hex}:"
    store = RedisStore(REDIS_URL, prefix=prefix)
    try:
        await store.client.ping()
    except Exception as exc:  # any connection failure
        await store.close()
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis unreachable at COVET_TEST_REDIS_URL={REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable; set COVET_TEST_REDIS_URL (tried {REDIS_URL})")
    try:
        yield store
    finally:
        keys = [key async for key in store.client.scan_iter(match=prefix + "*")]
        if keys:
            await store.client.delete(*keys)
        await store.close()

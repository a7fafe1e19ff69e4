from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from covet.middleware import MemoryStore, RedisStore, Store

REDIS_URL = os.environ.get("COVET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Store:
    """Each store the token revocations run on: memory, then the real Redis."""
    name = "memory_store" if request.param == "memory" else "redis_store"
    value: Store = request.getfixturevalue(name)
    return value


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


# ---- Redis that is down ----------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL where nothing listens: every connection is refused."""
    return f"redis://:hunter2-redis@127.0.0.1:{_free_port()}/0"


class PrivateRedis:
    """A ``redis-server`` of the test's own on a free port, which the test may kill."""

    def __init__(self) -> None:
        import shutil
        import subprocess

        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI") == "true":
                pytest.fail("redis-server is not on PATH")
            pytest.skip("redis-server is not on PATH; install Redis to run the outage tests")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        options = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), *options, "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )

    async def ready(self) -> None:
        import asyncio
        import time

        deadline = time.monotonic() + 10
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                assert self.process.poll() is None, "redis-server exited"
                assert time.monotonic() < deadline, "redis-server did not start in 10 s"
                await asyncio.sleep(0.05)
                continue
            writer.write(b"PING\r\n")
            answer = await reader.readline()
            writer.close()
            await writer.wait_closed()
            if answer == b"+PONG\r\n":
                return

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    try:
        await server.ready()
        yield server
    finally:
        server.kill()

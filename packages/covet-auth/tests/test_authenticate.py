from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass

import pytest

from covet.auth import PasswordHasher, authenticate


@dataclass
class User:
    username: str
    password_hash: str | None
    is_active: bool = True


class CountingHasher(PasswordHasher):
    """Counts how many times the password hash function really runs (a verify, or the one
    hash that makes the dummy hash on the first unknown user)."""

    def __init__(self) -> None:
        base = PasswordHasher.for_testing()
        super().__init__(base.schemes)
        self.verifications = 0

    def verify(self, password: str, encoded: str) -> bool:
        self.verifications += 1
        return super().verify(password, encoded)

    def hash(self, password: str) -> str:
        self.verifications += 1
        return super().hash(password)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def users(hasher: CountingHasher) -> dict[str, User]:
    legacy = hashlib.pbkdf2_hmac("sha256", b"old-pw", b"salt", 1000)
    return {
        "alice": User("alice", hasher.hash("alice-pw")),
        "bob": User("bob", hasher.hash("bob-pw"), is_active=False),
        "carol": User("carol", f"pbkdf2_sha256$1000$salt${base64.b64encode(legacy).decode()}"),
        "dave": User("dave", None),
        "eve": User("eve", "garbage-hash"),
    }


async def test_correct_password_returns_the_user(
    hasher: CountingHasher, users: dict[str, User]
) -> None:
    user = await authenticate("alice", "alice-pw", get_user=users.get, hasher=hasher)
    assert user is users["alice"]


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice", "wrong"),
        ("nobody", "alice-pw"),
        ("bob", "bob-pw"),  # inactive, even with the right password
        ("bob", "wrong"),
        ("dave", "anything"),  # no usable password
        ("eve", "anything"),  # unreadable stored hash
    ],
)
async def test_every_failure_returns_none_and_still_runs_the_hasher(
    hasher: CountingHasher, users: dict[str, User], username: str, password: str
) -> None:
    for _ in range(2):  # the first unknown user makes the dummy hash, later ones verify it
        before = hasher.verifications
        assert await authenticate(username, password, get_user=users.get, hasher=hasher) is None
        assert hasher.verifications > before


async def test_async_loader_and_hash_upgrade_after_login(
    hasher: CountingHasher, users: dict[str, User]
) -> None:
    saved: list[tuple[str, str]] = []

    async def get_user(name: str) -> User | None:
        return users.get(name)

    async def save(user: User, new_hash: str) -> None:
        saved.append((user.username, new_hash))
        user.password_hash = new_hash

    user = await authenticate(
        "carol", "old-pw", get_user=get_user, hasher=hasher, save_password_hash=save
    )
    assert user is users["carol"]
    assert saved
    assert saved[0][0] == "carol"
    assert saved[0][1].startswith("$argon2id$")
    assert users["carol"].password_hash == saved[0][1]
    # the next login verifies against the new hash and does not rewrite it again
    assert await authenticate(
        "carol", "old-pw", get_user=get_user, hasher=hasher, save_password_hash=save
    )
    assert len(saved) == 1


async def test_wrong_password_or_inactive_user_never_upgrades(
    hasher: CountingHasher, users: dict[str, User]
) -> None:
    saved: list[str] = []
    users["carol"].is_active = False
    for password in ("old-pw", "nope"):
        await authenticate(
            "carol",
            password,
            get_user=users.get,
            hasher=hasher,
            save_password_hash=lambda user, new: saved.append(new),
        )
    assert saved == []


async def test_unreadable_hash_is_logged(
    hasher: CountingHasher, users: dict[str, User], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="covet.auth"):
        await authenticate("eve", "x", get_user=users.get, hasher=hasher)
    assert "unreadable password hash" in caplog.text

"""``PasswordHasher``: hash with the current scheme, verify any known one, upgrade on login."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence

import anyio.to_thread
from anyio import CapacityLimiter

from covet.auth._exceptions import AuthConfigurationError, InvalidPasswordHash, PasswordTooLong
from covet.auth._hashers import (
    ARGON2_AVAILABLE,
    Argon2Hasher,
    HashScheme,
    PBKDF2Hasher,
    ScryptHasher,
)

DEFAULT_MAX_PASSWORD_BYTES = 1024
DEFAULT_HASHING_THREADS = 2


def default_schemes(*, unsafe_for_testing: bool = False) -> list[HashScheme]:
    """Argon2id (when argon2-cffi is installed), then scrypt, then PBKDF2-SHA256 for legacy hashes.

    ``unsafe_for_testing=True`` picks the cheapest parameters each scheme accepts, for test suites.
    """
    schemes: list[HashScheme] = []
    if unsafe_for_testing:
        if ARGON2_AVAILABLE:
            schemes.append(
                Argon2Hasher(time_cost=1, memory_cost=64, parallelism=1, unsafe_for_testing=True)
            )
        schemes.append(ScryptHasher(log2_n=4, r=1, p=1, unsafe_for_testing=True))
        schemes.append(PBKDF2Hasher(iterations=1000, unsafe_for_testing=True))
        return schemes
    if ARGON2_AVAILABLE:
        schemes.append(Argon2Hasher())
    schemes.append(ScryptHasher())
    schemes.append(PBKDF2Hasher())
    return schemes


class PasswordHasher:
    """Hashes new passwords with the first scheme and verifies hashes made by any of them.

    ``verify`` compares in constant time; ``needs_rehash`` says whether a stored hash was made by an
    older scheme or with a weaker parameter; ``verify_and_update`` returns the replacement hash to
    store after a successful login. Passwords longer than ``max_bytes`` (UTF-8) are refused before
    any hashing, so a huge password cannot be used to burn CPU. Passwords are hashed as given,
    without Unicode normalisation (the bytes Django and passlib hash; see docs/auth.md). The
    ``a``-prefixed methods run the work on a small dedicated thread limit, off the event loop.
    """

    def __init__(
        self,
        schemes: Sequence[HashScheme] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_PASSWORD_BYTES,
        threads: int = DEFAULT_HASHING_THREADS,
    ) -> None:
        self.schemes: tuple[HashScheme, ...] = tuple(
            default_schemes() if schemes is None else schemes
        )
        if not self.schemes:
            raise AuthConfigurationError("PasswordHasher needs at least one scheme")
        if max_bytes < 8:
            raise AuthConfigurationError("max_bytes must be at least 8")
        if threads < 1:
            raise AuthConfigurationError("threads must be at least 1")
        self.max_bytes = max_bytes
        self.threads = threads
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )
        self._dummy_hash: str | None = None

    @classmethod
    def for_testing(cls, *, max_bytes: int = DEFAULT_MAX_PASSWORD_BYTES) -> PasswordHasher:
        """A hasher with deliberately cheap parameters: fast tests, worthless protection."""
        return cls(default_schemes(unsafe_for_testing=True), max_bytes=max_bytes)

    @property
    def current(self) -> HashScheme:
        return self.schemes[0]

    def _encode(self, password: str) -> bytes:
        if not isinstance(password, str):
            raise TypeError(f"password must be str, not {type(password).__name__}")
        # "surrogatepass": a JSON parser can hand over lone surrogates ("\ud800"), which plain
        # UTF-8 refuses with an exception; they hash as their (deterministic) surrogate bytes
        data = password.encode("utf-8", "surrogatepass")
        if len(data) > self.max_bytes:
            raise PasswordTooLong(len(data), self.max_bytes)
        return data

    def _scheme_for(self, encoded: str) -> HashScheme:
        if isinstance(encoded, str):
            for scheme in self.schemes:
                if scheme.identify(encoded):
                    return scheme
        raise InvalidPasswordHash("the stored password hash uses no configured scheme")

    def hash(self, password: str) -> str:
        """Hash ``password`` with the current scheme; raises PasswordTooLong over the limit."""
        return self.current.hash(self._encode(password))

    def verify(self, password: str, encoded: str) -> bool:
        """True when ``password`` matches ``encoded``; False for a wrong or over-long password.

        Raises InvalidPasswordHash when ``encoded`` is not a hash any configured scheme can read.
        """
        scheme = self._scheme_for(encoded)
        try:
            data = self._encode(password)
        except PasswordTooLong:
            return False
        return scheme.verify(data, encoded)

    def needs_rehash(self, encoded: str) -> bool:
        """True when ``encoded`` was made by another scheme, or by the current one with any cost
        parameter weaker than the hasher's. A stored hash at least as strong in every parameter
        is kept, so a hasher configured weaker (``for_testing()``, a misconfiguration) never
        downgrades it on login. Costs of different schemes do not compare: another scheme's
        hash is always replaced by the current scheme's."""
        scheme = self._scheme_for(encoded)
        outdated = scheme.needs_rehash(encoded)  # also validates the hash
        return scheme is not self.current or outdated

    def verify_and_update(self, password: str, encoded: str) -> tuple[bool, str | None]:
        """``(matched, new_hash)``: ``new_hash`` is set when the stored hash should be replaced."""
        if not self.verify(password, encoded):
            return False, None
        if self.needs_rehash(encoded):
            return True, self.hash(password)
        return True, None

    def dummy_verify(self, password: str) -> None:
        """Spend the same time as a real verification, for users that do not exist."""
        if self._dummy_hash is None:
            # the first time, making the dummy hash is the work (a hash costs what a verify
            # does); verifying on top would make the first unknown user twice as slow
            self._dummy_hash = self.hash("covet-auth dummy password for timing equalisation")
            return
        self.verify(password, self._dummy_hash)

    def _limiter(self) -> CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = CapacityLimiter(self.threads)
        return limiter

    async def ahash(self, password: str) -> str:
        """:meth:`hash` on the hasher's thread limit."""
        return await anyio.to_thread.run_sync(self.hash, password, limiter=self._limiter())

    async def averify(self, password: str, encoded: str) -> bool:
        """:meth:`verify` on the hasher's thread limit."""
        return await anyio.to_thread.run_sync(
            self.verify, password, encoded, limiter=self._limiter()
        )

    async def averify_and_update(self, password: str, encoded: str) -> tuple[bool, str | None]:
        """:meth:`verify_and_update` on the hasher's thread limit."""
        return await anyio.to_thread.run_sync(
            self.verify_and_update, password, encoded, limiter=self._limiter()
        )

    async def adummy_verify(self, password: str) -> None:
        """:meth:`dummy_verify` on the hasher's thread limit."""
        await anyio.to_thread.run_sync(self.dummy_verify, password, limiter=self._limiter())

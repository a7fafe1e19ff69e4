"""Password hashing schemes: Argon2id, scrypt and PBKDF2-SHA256.

Each scheme writes its parameters into the hash string, so a hash made with old parameters stays
verifiable after the defaults change, and ``needs_rehash`` can tell that it is out of date: it is
when any stored cost is weaker than the hasher's own (never merely different, so a hasher
configured weaker than the stored data never downgrades it).
Parameters read back from a stored hash are bounded (by a few times OWASP's figures, or by the
hasher's own parameters when those are higher), so a tampered or hostile row cannot make ``verify``
allocate a gigabyte or burn seconds of CPU per login attempt. Numbers are parsed as ASCII digits
only (``str.isdigit`` also accepts digits ``int`` refuses).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from typing import Protocol

from covet.auth._exceptions import AuthConfigurationError, InvalidPasswordHash

try:  # the `argon2` extra
    import argon2
    import argon2.exceptions
except ImportError:  # pragma: no cover - exercised only where argon2-cffi is absent
    argon2 = None  # type: ignore[assignment]

ARGON2_AVAILABLE = argon2 is not None


class HashScheme(Protocol):
    """One password hashing scheme; the hasher holds several and hashes with the first."""

    name: str

    def identify(self, encoded: str) -> bool: ...

    def hash(self, password: bytes) -> str: ...

    def verify(self, password: bytes, encoded: str) -> bool: ...

    def needs_rehash(self, encoded: str) -> bool:
        """True when any cost stored in ``encoded`` is below this scheme's (never when above)."""
        ...


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidPasswordHash("password hash contains invalid base64") from exc


class Argon2Hasher:
    """Argon2id through argon2-cffi; defaults are OWASP's minimum (m=19 MiB, t=2, p=1)."""

    name = "argon2"
    MIN_MEMORY_KIB = 19 * 1024
    MIN_TIME_COST = 2
    # the most a stored hash may ask for (unless this hasher is configured higher)
    MAX_MEMORY_KIB = 256 * 1024
    MAX_TIME_COST = 16
    MAX_PARALLELISM = 16

    def __init__(
        self,
        *,
        time_cost: int = 2,
        memory_cost: int = 19 * 1024,
        parallelism: int = 1,
        unsafe_for_testing: bool = False,
    ) -> None:
        if argon2 is None:  # pragma: no cover - needs an environment without argon2-cffi
            raise AuthConfigurationError(
                "Argon2Hasher needs argon2-cffi: pip install 'covet-auth[argon2]'"
            )
        if parallelism < 1 or time_cost < 1 or memory_cost < 8 * parallelism:
            raise AuthConfigurationError("argon2 parameters must be positive (m >= 8 * p)")
        if not unsafe_for_testing and (
            memory_cost < self.MIN_MEMORY_KIB or time_cost < self.MIN_TIME_COST
        ):
            raise AuthConfigurationError(
                f"argon2id below OWASP's minimum (m >= {self.MIN_MEMORY_KIB} KiB, "
                f"t >= {self.MIN_TIME_COST}); pass unsafe_for_testing=True only in tests"
            )
        self._max_memory = max(self.MAX_MEMORY_KIB, memory_cost)
        self._max_time = max(self.MAX_TIME_COST, time_cost)
        self._max_parallelism = max(self.MAX_PARALLELISM, parallelism)
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )

    def identify(self, encoded: str) -> bool:
        return encoded.startswith("$argon2")

    def hash(self, password: bytes) -> str:
        return self._hasher.hash(password)

    def verify(self, password: bytes, encoded: str) -> bool:
        try:
            params = argon2.extract_parameters(encoded)
        except argon2.exceptions.InvalidHashError as exc:
            raise InvalidPasswordHash("malformed argon2 hash") from exc
        if (
            params.memory_cost > self._max_memory
            or params.time_cost > self._max_time
            or params.parallelism > self._max_parallelism
        ):
            raise InvalidPasswordHash("argon2 hash parameters are out of the accepted range")
        try:
            return self._hasher.verify(encoded, password)
        except argon2.exceptions.VerifyMismatchError:
            return False
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError) as exc:
            raise InvalidPasswordHash("unreadable argon2 hash") from exc

    def needs_rehash(self, encoded: str) -> bool:
        try:
            params = argon2.extract_parameters(encoded)
        except argon2.exceptions.InvalidHashError as exc:
            raise InvalidPasswordHash("malformed argon2 hash") from exc
        current = self._hasher
        return (
            params.type is not argon2.Type.ID
            or params.version < argon2.low_level.ARGON2_VERSION
            or params.memory_cost < current.memory_cost
            or params.time_cost < current.time_cost
            or params.parallelism < current.parallelism
            or params.hash_len < current.hash_len
            or params.salt_len < current.salt_len
        )


_SCRYPT_RE = re.compile(
    r"\$scrypt\$ln=([0-9]{1,2}),r=([0-9]{1,2}),p=([0-9]{1,2})\$([^$]+)\$([^$]+)", re.ASCII
)
_PBKDF2_RE = re.compile(r"pbkdf2_sha256\$([1-9][0-9]{0,7})\$([!-#%-~]+)\$([^$]+)", re.ASCII)


def _scrypt_cost(log2_n: int, r: int, p: int) -> int:
    """Bytes of memory times passes: 128 * r * N * p (N=2**17, r=8, p=1 is 128 MiB)."""
    return 128 * r * (1 << log2_n) * p


class ScryptHasher:
    """scrypt from the standard library; the default is N=2**17, r=8, p=1 (OWASP)."""

    name = "scrypt"
    MAX_COST = 256 * 1024 * 1024  # the most a stored hash may ask for (see _scrypt_cost)

    def __init__(
        self,
        *,
        log2_n: int = 17,
        r: int = 8,
        p: int = 1,
        unsafe_for_testing: bool = False,
    ) -> None:
        if not (1 <= log2_n <= 24 and 1 <= r <= 32 and 1 <= p <= 16):
            raise AuthConfigurationError(
                "scrypt needs 1 <= log2_n <= 24, 1 <= r <= 32, 1 <= p <= 16"
            )
        if not unsafe_for_testing and (log2_n < 17 or r < 8):
            raise AuthConfigurationError(
                "scrypt below OWASP's minimum (N >= 2**17, r >= 8); "
                "pass unsafe_for_testing=True only in tests"
            )
        self.log2_n, self.r, self.p = log2_n, r, p
        self._max_cost = max(self.MAX_COST, _scrypt_cost(log2_n, r, p))

    def identify(self, encoded: str) -> bool:
        return encoded.startswith("$scrypt$")

    @staticmethod
    def _derive(password: bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
        n = 1 << log2_n
        maxmem = 128 * r * (n + p + 2) + (1 << 20)
        return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=32)

    def hash(self, password: bytes) -> str:
        salt = secrets.token_bytes(16)
        digest = self._derive(password, salt, self.log2_n, self.r, self.p)
        return (
            f"$scrypt$ln={self.log2_n},r={self.r},p={self.p}"
            f"${_b64encode(salt)}${_b64encode(digest)}"
        )

    def _parse(self, encoded: str) -> tuple[int, int, int, bytes, bytes]:
        match = _SCRYPT_RE.fullmatch(encoded)
        if match is None:
            raise InvalidPasswordHash("malformed scrypt hash")
        log2_n, r, p = int(match[1]), int(match[2]), int(match[3])
        if min(log2_n, r, p) < 1 or _scrypt_cost(log2_n, r, p) > self._max_cost:
            raise InvalidPasswordHash("scrypt hash parameters are out of the accepted range")
        return log2_n, r, p, _b64decode(match[4]), _b64decode(match[5])

    def verify(self, password: bytes, encoded: str) -> bool:
        log2_n, r, p, salt, expected = self._parse(encoded)
        digest = self._derive(password, salt, log2_n, r, p)
        return hmac.compare_digest(digest, expected)

    def needs_rehash(self, encoded: str) -> bool:
        log2_n, r, p, _salt, _digest = self._parse(encoded)
        return log2_n < self.log2_n or r < self.r or p < self.p


class PBKDF2Hasher:
    """PBKDF2-HMAC-SHA256 in Django's format (``pbkdf2_sha256$iterations$salt$hash``).

    Kept so hashes imported from older systems keep working until the user next logs in; as a
    hashing scheme it needs at least 600,000 iterations (OWASP).
    """

    name = "pbkdf2_sha256"
    MIN_ITERATIONS = 600_000
    MAX_ITERATIONS = 10_000_000  # the most this hasher may be configured with
    MAX_STORED_ITERATIONS = 2_000_000  # the most a stored hash may ask for (unless configured)

    def __init__(self, *, iterations: int = 600_000, unsafe_for_testing: bool = False) -> None:
        if iterations < 1 or iterations > self.MAX_ITERATIONS:
            raise AuthConfigurationError(f"pbkdf2 iterations must be 1..{self.MAX_ITERATIONS}")
        if not unsafe_for_testing and iterations < self.MIN_ITERATIONS:
            raise AuthConfigurationError(
                f"pbkdf2_sha256 needs >= {self.MIN_ITERATIONS} iterations; "
                "pass unsafe_for_testing=True only in tests"
            )
        self.iterations = iterations
        self._max_stored = max(self.MAX_STORED_ITERATIONS, iterations)

    def identify(self, encoded: str) -> bool:
        return encoded.startswith("pbkdf2_sha256$")

    def hash(self, password: bytes) -> str:
        salt = secrets.token_urlsafe(16)
        digest = hashlib.pbkdf2_hmac("sha256", password, salt.encode("ascii"), self.iterations)
        return f"pbkdf2_sha256${self.iterations}${salt}${base64.b64encode(digest).decode('ascii')}"

    def _parse(self, encoded: str) -> tuple[int, str, bytes]:
        match = _PBKDF2_RE.fullmatch(encoded)
        if match is None:
            raise InvalidPasswordHash("malformed pbkdf2_sha256 hash")
        iterations = int(match[1])
        if iterations > self._max_stored:
            raise InvalidPasswordHash("pbkdf2_sha256 iteration count is out of the accepted range")
        return iterations, match[2], _b64decode(match[3])

    def verify(self, password: bytes, encoded: str) -> bool:
        iterations, salt, expected = self._parse(encoded)
        digest = hashlib.pbkdf2_hmac("sha256", password, salt.encode("ascii"), iterations)
        return hmac.compare_digest(digest, expected)

    def needs_rehash(self, encoded: str) -> bool:
        return self._parse(encoded)[0] < self.iterations

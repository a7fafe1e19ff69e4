"""HMAC signing with key rotation, shared by signed session cookies and CSRF tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from covet.http import ConfigurationError

__all__ = ["BadSignature", "Signer"]

MIN_KEY_BYTES = 32


class BadSignature(Exception):
    """A signed value was tampered with, truncated, or signed by a key no longer accepted."""


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise BadSignature("value is not valid base64") from None


def secret_keys(keys: str | bytes | Sequence[str | bytes], *, owner: str) -> list[bytes]:
    """Normalise one key or a rotation list (newest first) and refuse keys under 32 bytes."""
    items: Sequence[str | bytes] = [keys] if isinstance(keys, (str, bytes)) else keys
    result = [key.encode() if isinstance(key, str) else bytes(key) for key in items]
    if not result:
        raise ConfigurationError(f"{owner}: at least one secret key is required")
    for key in result:
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"{owner}: secret keys must be at least {MIN_KEY_BYTES} bytes (got {len(key)}); "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
    return result


class Signer:
    """Sign with the first key; accept a signature made by any key (rotation, newest first).

    ``salt`` separates uses of the same secret (a session signature is not a CSRF token).
    """

    def __init__(
        self, keys: str | bytes | Sequence[str | bytes], *, salt: str, owner: str = "Signer"
    ) -> None:
        self._keys = [
            hashlib.sha256(salt.encode() + b"\x00" + key).digest()
            for key in secret_keys(keys, owner=owner)
        ]

    def signature(self, value: bytes, key: bytes | None = None) -> str:
        digest = hmac.new(key or self._keys[0], value, hashlib.sha256).digest()
        return b64encode(digest)

    def sign(self, value: bytes) -> str:
        """``base64(value).signature``."""
        return f"{b64encode(value)}.{self.signature(value)}"

    def unsign(self, signed: str) -> bytes:
        """The value inside ``signed``; raises ``BadSignature`` unless a current key signed it."""
        encoded, _, signature = signed.rpartition(".")
        if not encoded or not signature:
            raise BadSignature("value is not signed")
        value = b64decode(encoded)
        # Compare bytes: compare_digest refuses non-ASCII str, and cookies can carry any byte.
        given = signature.encode("utf-8", "surrogateescape")
        valid = False
        for key in self._keys:
            # Check every key so the time taken does not say which one matched.
            valid |= hmac.compare_digest(self.signature(value, key).encode(), given)
        if not valid:
            raise BadSignature("signature does not match")
        return value

"""Where session data lives: in a signed cookie, an encrypted cookie, or a server-side ``Store``."""

from __future__ import annotations

import abc
import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

from covet.middleware._signing import BadSignature, Signer, b64decode, b64encode
from covet.middleware._signing import secret_keys as _secret_keys
from covet.middleware._stores import Store

__all__ = [
    "EncryptedCookieBackend",
    "SessionBackend",
    "SignedCookieBackend",
    "StoreBackend",
]

Keys = str | bytes | Sequence[str | bytes]
MAX_COOKIE_BYTES = 4000


def _dump(data: dict[str, Any], issued: int) -> bytes:
    return json.dumps({"d": data, "t": issued}, separators=(",", ":")).encode()


def _load(raw: bytes, max_age: int) -> tuple[dict[str, Any], int] | None:
    try:
        document = json.loads(raw)
        data, issued = document["d"], int(document["t"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(data, dict) or issued + max_age <= time.time():
        return None
    return data, issued


class SessionBackend(abc.ABC):
    """Loads and saves session data behind the cookie value.

    ``server_side`` backends keep data away from the client: the cookie holds only a random id, and
    deleting the record (logout) makes a captured cookie worthless.
    """

    server_side = False

    @abc.abstractmethod
    async def load(
        self, cookie: str, max_age: int
    ) -> tuple[str | None, dict[str, Any], int] | None:
        """``(session_id, data, issued_at)`` for a valid, unexpired cookie, else ``None``."""

    @abc.abstractmethod
    async def save(
        self, session_id: str | None, data: dict[str, Any], issued: int, max_age: int
    ) -> tuple[str | None, str]:
        """Persist ``data``; return ``(session_id, cookie_value)``."""

    async def delete(self, session_id: str) -> None:  # noqa: B027 - cookies have nothing to delete
        """Forget a server-side session."""


def _check_size(value: str) -> str:
    if len(value) > MAX_COOKIE_BYTES:
        raise ValueError(
            f"session cookie would be {len(value)} bytes, over the {MAX_COOKIE_BYTES}-byte browser "
            "limit: store less in the session or use a server-side StoreBackend"
        )
    return value


class SignedCookieBackend(SessionBackend):
    """Session data in the cookie, JSON, signed with HMAC-SHA256 (readable by the client).

    ``secret_keys`` is one key or a list, newest first: the first signs, all verify, so keys can be
    rotated without logging everyone out.
    """

    def __init__(self, secret_keys: Keys) -> None:
        self.signer = Signer(secret_keys, salt="covet.session", owner="SignedCookieBackend")

    async def load(
        self, cookie: str, max_age: int
    ) -> tuple[str | None, dict[str, Any], int] | None:
        try:
            raw = self.signer.unsign(cookie)
        except BadSignature:
            return None
        loaded = _load(raw, max_age)
        return None if loaded is None else (None, *loaded)

    async def save(
        self, session_id: str | None, data: dict[str, Any], issued: int, max_age: int
    ) -> tuple[str | None, str]:
        return None, _check_size(self.signer.sign(_dump(data, issued)))


class EncryptedCookieBackend(SessionBackend):
    """Session data in the cookie, encrypted and authenticated with AES-256-GCM.

    Needs ``cryptography`` (``pip install 'covet-middleware[cryptography]'``). Keys rotate like
    ``SignedCookieBackend``: the first encrypts, all decrypt.
    """

    def __init__(self, secret_keys: Keys) -> None:
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "EncryptedCookieBackend needs cryptography: "
                "pip install 'covet-middleware[cryptography]'"
            ) from exc
        keys = _secret_keys(secret_keys, owner="EncryptedCookieBackend")
        self._ciphers = [
            AESGCM(hashlib.sha256(b"covet.session.aes\x00" + k).digest()) for k in keys
        ]

    async def load(
        self, cookie: str, max_age: int
    ) -> tuple[str | None, dict[str, Any], int] | None:
        from cryptography.exceptions import InvalidTag

        try:
            blob = b64decode(cookie)
        except BadSignature:
            return None
        if len(blob) < 13:
            return None
        nonce, ciphertext = blob[:12], blob[12:]
        for cipher in self._ciphers:
            try:
                raw = cipher.decrypt(nonce, ciphertext, b"covet.session")
            except InvalidTag:
                continue
            loaded = _load(raw, max_age)
            return None if loaded is None else (None, *loaded)
        return None

    async def save(
        self, session_id: str | None, data: dict[str, Any], issued: int, max_age: int
    ) -> tuple[str | None, str]:
        nonce = secrets.token_bytes(12)
        ciphertext = self._ciphers[0].encrypt(nonce, _dump(data, issued), b"covet.session")
        return None, _check_size(b64encode(nonce + ciphertext))


class StoreBackend(SessionBackend):
    """Session data on the server in a ``Store`` (``MemoryStore``, ``RedisStore``, ...).

    The cookie holds a random 256-bit id. Clearing the session deletes the record, so a cookie
    captured before logout no longer opens it; ``session.cycle()`` moves the data to a new id.
    """

    server_side = True

    def __init__(self, store: Store, *, prefix: str = "session:") -> None:
        self.store = store.prefixed(prefix)

    async def load(
        self, cookie: str, max_age: int
    ) -> tuple[str | None, dict[str, Any], int] | None:
        if not 20 <= len(cookie) <= 128:
            return None
        raw = await self.store.get(cookie)
        loaded = None if raw is None else _load(raw, max_age)
        return None if loaded is None else (cookie, *loaded)

    async def save(
        self, session_id: str | None, data: dict[str, Any], issued: int, max_age: int
    ) -> tuple[str | None, str]:
        session_id = session_id or secrets.token_urlsafe(32)
        await self.store.set(session_id, _dump(data, issued), ttl=max_age)
        return session_id, session_id

    async def delete(self, session_id: str) -> None:
        await self.store.delete(session_id)

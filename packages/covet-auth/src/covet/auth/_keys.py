"""Signing keys for JWTs: each key has a ``kid`` and is pinned to exactly one algorithm.

Keys are checked when they are built, so a weak or mismatched key fails at start-up rather than
at the first request: HMAC secrets must be at least as long as the hash (32/48/64 bytes) and must
not be PEM, SSH or JWK text (the classic algorithm-confusion mistake); RSA keys need 2048 bits or
more; ECDSA keys must be on the curve their algorithm names; EdDSA takes Ed25519 or Ed448.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from covet.auth._exceptions import AuthConfigurationError

HMAC_MIN_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
EC_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ES256": ec.SECP256R1,
    "ES384": ec.SECP384R1,
    "ES512": ec.SECP521R1,
}
SUPPORTED_ALGORITHMS = frozenset({*HMAC_MIN_BYTES, *RSA_ALGORITHMS, *EC_CURVES, "EdDSA"})
MIN_RSA_BITS = 2048
_KEY_TEXT_MARKERS = ("-----BEGIN", "ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-")

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
PublicKey = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)


def algorithm_family(alg: str) -> str:
    """``"hmac"`` for HS*, ``"asymmetric"`` for everything else."""
    return "hmac" if alg in HMAC_MIN_BYTES else "asymmetric"


def _check_public_key(alg: str, key: PublicKey) -> None:
    if alg in RSA_ALGORITHMS:
        if not isinstance(key, rsa.RSAPublicKey):
            raise AuthConfigurationError(f"{alg} needs an RSA key, not {type(key).__name__}")
        if key.key_size < MIN_RSA_BITS:
            raise AuthConfigurationError(
                f"RSA key is {key.key_size} bits; {alg} needs at least {MIN_RSA_BITS}"
            )
    elif alg in EC_CURVES:
        curve = EC_CURVES[alg]
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, curve):
            raise AuthConfigurationError(f"{alg} needs an EC key on curve {curve.name}")
    elif alg == "EdDSA":
        if not isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            raise AuthConfigurationError("EdDSA needs an Ed25519 or Ed448 key")
    else:
        raise AuthConfigurationError(
            f"unsupported JWT algorithm {alg!r}; use one of {sorted(SUPPORTED_ALGORITHMS)}"
        )


def _looks_like_key_text(data: bytes) -> bool:
    """PEM, OpenSSH or JWK text: an asymmetric key someone is about to use as an HMAC secret.

    A JWK is recognised by parsing as a JSON object, not by a leading ``{``: one random 64-byte
    secret in about 200 starts with that byte, and refusing those made ``generate`` fail at random.
    """
    head = data.lstrip()
    if head.startswith(tuple(marker.encode("ascii") for marker in _KEY_TEXT_MARKERS)):
        return True
    if not head.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(head), dict)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
        return False


def _public_kid(key: PublicKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


@dataclass(frozen=True)
class JWTKey:
    """One key: its ``kid``, its single algorithm, and the material to sign and/or verify.

    Build it with :meth:`hmac`, :meth:`from_pem`, :meth:`from_key` or :meth:`generate`.
    ``signing_key`` is None for a verify-only key (a public key from another service).
    """

    kid: str
    alg: str
    verification_key: bytes | PublicKey = field(repr=False)
    signing_key: bytes | PrivateKey | None = field(repr=False, default=None)

    @property
    def family(self) -> str:
        return algorithm_family(self.alg)

    @property
    def can_sign(self) -> bool:
        return self.signing_key is not None

    @classmethod
    def hmac(cls, secret: str | bytes, *, alg: str = "HS256", kid: str | None = None) -> JWTKey:
        """A shared-secret key; the secret must be at least 32/48/64 bytes for HS256/384/512."""
        if alg not in HMAC_MIN_BYTES:
            raise AuthConfigurationError(f"{alg!r} is not an HMAC algorithm (HS256/HS384/HS512)")
        data = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(data) < HMAC_MIN_BYTES[alg]:
            raise AuthConfigurationError(
                f"{alg} secret is {len(data)} bytes; it must be at least {HMAC_MIN_BYTES[alg]} "
                "random bytes (secrets.token_urlsafe(64) is a good source)"
            )
        if _looks_like_key_text(data):
            raise AuthConfigurationError(
                "the HMAC secret looks like a PEM, SSH or JWK key; an asymmetric key must be used "
                "with its own algorithm (RS256/ES256/EdDSA), never as an HMAC secret"
            )
        if kid is None:
            kid = hashlib.sha256(b"covet-auth kid\x00" + data).hexdigest()[:16]
        return cls(kid=kid, alg=alg, verification_key=data, signing_key=data)

    @classmethod
    def from_key(cls, key: PrivateKey | PublicKey, *, alg: str, kid: str | None = None) -> JWTKey:
        """A key from a `cryptography` key object: a private key signs and verifies, a public
        key only verifies."""
        private: PrivateKey | None = None
        if isinstance(
            key,
            rsa.RSAPrivateKey
            | ec.EllipticCurvePrivateKey
            | ed25519.Ed25519PrivateKey
            | ed448.Ed448PrivateKey,
        ):
            private, public = key, key.public_key()
        elif isinstance(
            key,
            rsa.RSAPublicKey
            | ec.EllipticCurvePublicKey
            | ed25519.Ed25519PublicKey
            | ed448.Ed448PublicKey,
        ):
            public = key
        else:
            raise AuthConfigurationError(f"unsupported key type {type(key).__name__}")
        _check_public_key(alg, public)
        return cls(
            kid=kid or _public_kid(public), alg=alg, verification_key=public, signing_key=private
        )

    @classmethod
    def from_pem(
        cls,
        pem: str | bytes,
        *,
        alg: str,
        kid: str | None = None,
        password: bytes | None = None,
    ) -> JWTKey:
        """A key from PEM text: a private key (signs and verifies) or a public key (verifies)."""
        data = pem.encode("ascii") if isinstance(pem, str) else pem
        loaded: Any
        try:
            if b"PRIVATE KEY" in data:
                loaded = serialization.load_pem_private_key(data, password=password)
            else:
                loaded = serialization.load_pem_public_key(data)
        except (ValueError, TypeError) as exc:
            raise AuthConfigurationError(f"cannot load the PEM key: {exc}") from exc
        return cls.from_key(loaded, alg=alg, kid=kid)

    @classmethod
    def generate(cls, alg: str, *, kid: str | None = None) -> JWTKey:
        """A fresh random key for ``alg`` (HS* secrets are 64 bytes, RSA keys 2048 bits)."""
        import secrets

        if alg in HMAC_MIN_BYTES:
            return cls.hmac(secrets.token_bytes(64), alg=alg, kid=kid)
        private: PrivateKey
        if alg in RSA_ALGORITHMS:
            private = rsa.generate_private_key(public_exponent=65537, key_size=MIN_RSA_BITS)
        elif alg in EC_CURVES:
            private = ec.generate_private_key(EC_CURVES[alg]())
        elif alg == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            raise AuthConfigurationError(f"unsupported JWT algorithm {alg!r}")
        return cls.from_key(private, alg=alg, kid=kid)


class KeyRing:
    """The keys a :class:`JWTAuth` signs with and accepts, looked up by ``kid``.

    New tokens are signed with ``signing_kid``, which is required when more than one key has
    private material (otherwise the one key that has it signs); older keys stay for verification
    so rotating keys does not log everybody out. All keys must be of one family: a verifier that
    accepts both HMAC and asymmetric algorithms is refused.
    """

    def __init__(self, keys: Sequence[JWTKey], *, signing_kid: str | None = None) -> None:
        if not keys:
            raise AuthConfigurationError("a key ring needs at least one key")
        self._keys: dict[str, JWTKey] = {}
        for key in keys:
            if not isinstance(key, JWTKey):
                raise AuthConfigurationError(f"expected JWTKey, got {type(key).__name__}")
            if key.kid in self._keys:
                raise AuthConfigurationError(f"duplicate key id {key.kid!r} in the key ring")
            self._keys[key.kid] = key
        families = {key.family for key in keys}
        if len(families) > 1:
            raise AuthConfigurationError(
                "the key ring mixes HMAC and asymmetric algorithms; one verifier accepting both "
                "invites algorithm confusion — use one family per JWTAuth"
            )
        self.family = families.pop()
        self.signing_key: JWTKey | None
        if signing_kid is not None:
            if signing_kid not in self._keys:
                raise AuthConfigurationError(f"signing_kid {signing_kid!r} is not in the key ring")
            self.signing_key = self._keys[signing_kid]
            if not self.signing_key.can_sign:
                raise AuthConfigurationError(f"key {signing_kid!r} has no private material")
        else:
            signers = [key.kid for key in keys if key.can_sign]
            if len(signers) > 1:
                raise AuthConfigurationError(
                    f"keys {signers} can all sign: pass signing_kid=... to say which one signs "
                    "new tokens (KeyRing(keys, signing_kid=...)); the others only verify"
                )
            self.signing_key = self._keys[signers[0]] if signers else None

    def get(self, kid: str) -> JWTKey | None:
        return self._keys.get(kid)

    @property
    def sole_key(self) -> JWTKey | None:
        """The ring's only key, which verifies tokens that name no ``kid``; None with several."""
        if len(self._keys) != 1:
            return None
        return next(iter(self._keys.values()))

    def __iter__(self) -> Iterator[JWTKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

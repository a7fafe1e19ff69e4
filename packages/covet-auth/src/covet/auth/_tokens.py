"""``JWTAuth``: issue and verify access and refresh tokens with PyJWT.

PyJWT checks the signature with the one algorithm the key (chosen by ``kid``; a token without
one is tried only when the ring holds a single key) is pinned to. Header
policy (no ``alg: none``, no key-carrying headers, no ``crit``) is applied before, and the claims
are checked after, against an injectable clock so expiry can be tested without sleeping. Every
refusal is an :class:`AuthenticationFailed` carrying a :class:`FailureReason`.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import jwt
from jwt.utils import base64url_decode

from covet.auth._exceptions import AuthConfigurationError, AuthenticationFailed, FailureReason
from covet.auth._keys import JWTKey, KeyRing
from covet.auth._store import AuthStore

TokenType = Literal["access", "refresh"]
RESERVED_CLAIMS = frozenset(
    {"exp", "iat", "nbf", "jti", "sub", "iss", "aud", "type", "scope", "fam", "auth_time"}
)
FORBIDDEN_HEADERS = frozenset({"jku", "x5u", "jwk", "x5c", "b64"})
# RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by single spaces
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")

_R = FailureReason
_PYJWT_REASONS: dict[type[jwt.PyJWTError], FailureReason] = {
    jwt.InvalidSignatureError: _R.INVALID_SIGNATURE,
    jwt.InvalidAlgorithmError: _R.ALGORITHM_MISMATCH,
    jwt.InvalidKeyError: _R.INVALID_KEY,
    jwt.ExpiredSignatureError: _R.EXPIRED,
    jwt.ImmatureSignatureError: _R.NOT_YET_VALID,
    jwt.InvalidIssuerError: _R.INVALID_ISSUER,
    jwt.InvalidAudienceError: _R.INVALID_AUDIENCE,
    jwt.MissingRequiredClaimError: _R.MISSING_CLAIM,
    jwt.DecodeError: _R.MALFORMED,
}


def failure_from_pyjwt(exc: jwt.PyJWTError) -> AuthenticationFailed:
    """Map any PyJWT error (``InvalidKeyError`` included, which is no ``InvalidTokenError``)."""
    for cls in type(exc).__mro__:
        reason = _PYJWT_REASONS.get(cls)
        if reason is not None:
            return AuthenticationFailed(reason, str(exc))
    return AuthenticationFailed(_R.INVALID_TOKEN, str(exc))


@dataclass(frozen=True)
class VerifiedToken:
    """A token that passed every check: who it is for, what it allows, and all of its claims."""

    subject: str
    type: str
    jti: str
    issued_at: float
    expires_at: float
    scopes: frozenset[str]
    claims: Mapping[str, Any] = field(repr=False)
    kid: str = ""
    family: str | None = None


@dataclass(frozen=True)
class TokenPair:
    """An access token and its refresh token, as answered by a login or refresh endpoint."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**53) < value < 2**53
    return isinstance(value, float) and math.isfinite(value)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise AuthenticationFailed(_R.INVALID_HEADER, f"duplicate header parameter {key!r}")
        result[key] = value
    return result


class TokenCodec:
    """Signing and stateless verification; :class:`JWTAuth` adds the store-backed parts."""

    def __init__(
        self,
        keys: KeyRing | Sequence[JWTKey] | None = None,
        *,
        secret: str | bytes | None = None,
        algorithm: str = "HS256",
        issuer: str | None = None,
        audience: str | None = None,
        access_ttl: float | timedelta = timedelta(minutes=15),
        refresh_ttl: float | timedelta = timedelta(days=14),
        leeway: float | timedelta = 0,
        clock: Callable[[], float] = time.time,
        max_token_bytes: int = 8192,
        store: AuthStore | None = None,
    ) -> None:
        if (keys is None) == (secret is None):
            raise AuthConfigurationError("pass either keys=... or secret=... (exactly one)")
        if secret is not None:
            keys = [JWTKey.hmac(secret, alg=algorithm)]
        self.keys = keys if isinstance(keys, KeyRing) else KeyRing(keys or ())
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = _seconds(access_ttl)
        self.refresh_ttl = _seconds(refresh_ttl)
        self.leeway = _seconds(leeway)
        if self.access_ttl <= 0 or self.refresh_ttl <= 0:
            raise AuthConfigurationError("token lifetimes must be positive")
        if not 0 <= self.leeway <= 300:
            raise AuthConfigurationError("leeway must be between 0 and 300 seconds")
        self.clock = clock
        self.max_token_bytes = max_token_bytes
        self.store = store

    @property
    def family_ttl(self) -> float:
        """The longest any token of a session family lives (its revocation lasts as long)."""
        return max(self.access_ttl, self.refresh_ttl)

    # -- issuing -------------------------------------------------------------------------------

    def _encode(
        self,
        subject: str | int,
        token_type: TokenType,
        ttl: float,
        *,
        scopes: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        family: str | None = None,
        session_start: float | None = None,
    ) -> str:
        key = self.keys.signing_key
        if key is None:
            raise AuthConfigurationError("the key ring has no private key to sign tokens with")
        if isinstance(subject, bool) or not isinstance(subject, str | int) or subject == "":
            raise ValueError("subject must be a non-empty str (or an int id)")
        extra = dict(claims or {})
        clash = RESERVED_CLAIMS.intersection(extra)
        if clash:
            raise ValueError(f"claims may not set reserved claims {sorted(clash)}")
        scope_list = sorted(set(scopes))
        if any(not isinstance(s, str) or SCOPE_TOKEN.fullmatch(s) is None for s in scope_list):
            raise ValueError(
                "scopes must be non-empty printable ASCII without spaces, quotes or backslashes"
            )
        issued = self.clock()
        now = int(issued)
        payload: dict[str, Any] = {
            **extra,
            "sub": str(subject),
            "type": token_type,
            "jti": uuid.uuid4().hex,
            # the exact issue time (a JSON number may have a fraction): a subject revocation
            # orders tokens issued in the same second as itself (see JWTAuth.revoke_subject)
            "iat": now if issued == now else issued,
            "nbf": now,
            "exp": now + math.ceil(ttl),
        }
        if scope_list:
            payload["scope"] = " ".join(scope_list)
        if family is not None:
            payload["fam"] = family
        if session_start is not None:  # when the login happened; refreshes carry it unchanged
            payload["auth_time"] = (
                int(session_start) if session_start.is_integer() else session_start
            )
        if self.issuer is not None:
            payload["iss"] = self.issuer
        if self.audience is not None:
            payload["aud"] = self.audience
        assert key.signing_key is not None
        return jwt.encode(
            payload, key.signing_key, algorithm=key.alg, headers={"kid": key.kid, "typ": "JWT"}
        )

    def create_access_token(
        self,
        subject: str | int,
        *,
        scopes: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        expires_in: float | timedelta | None = None,
        family: str | None = None,
        session_start: float | None = None,
    ) -> str:
        """A short-lived access token for ``subject`` (default lifetime ``access_ttl``);
        ``session_start`` (the login's time, the ``auth_time`` claim) is what
        ``JWTAuth.revoke_subject`` compares with."""
        ttl = self.access_ttl if expires_in is None else _seconds(expires_in)
        if family is not None and ttl > self.family_ttl:
            raise ValueError(
                f"an access token of a session family may not outlive its revocation record "
                f"({self.family_ttl:g} s, the longer of access_ttl and refresh_ttl)"
            )
        return self._encode(
            subject,
            "access",
            ttl,
            scopes=scopes,
            claims=claims,
            family=family,
            session_start=session_start,
        )

    def create_refresh_token(
        self,
        subject: str | int,
        *,
        scopes: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        family: str | None = None,
        session_start: float | None = None,
    ) -> str:
        """A long-lived, one-time refresh token; ``family`` links it to the tokens it replaces."""
        return self._encode(
            subject,
            "refresh",
            self.refresh_ttl,
            scopes=scopes,
            claims=claims,
            family=family or uuid.uuid4().hex,
            session_start=session_start,
        )

    # -- verifying -----------------------------------------------------------------------------

    def _header(self, token: object) -> tuple[dict[str, Any], JWTKey]:
        if not isinstance(token, str) or not token:
            raise AuthenticationFailed(_R.MALFORMED, "the token must be a non-empty string")
        if len(token) > self.max_token_bytes:
            raise AuthenticationFailed(_R.TOKEN_TOO_LARGE, f"over {self.max_token_bytes} bytes")
        if not token.isascii() or token.count(".") != 2:
            raise AuthenticationFailed(
                _R.MALFORMED, "not a compact JWS (three dot-separated parts)"
            )
        try:
            header = json.loads(
                base64url_decode(token.split(".", 1)[0]), object_pairs_hook=_no_duplicates
            )
        except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: [[[[...
            raise AuthenticationFailed(_R.MALFORMED, "the header is not base64url JSON") from exc
        if not isinstance(header, dict):
            raise AuthenticationFailed(_R.MALFORMED, "the header is not a JSON object")
        alg = header.get("alg")
        if not isinstance(alg, str):
            raise AuthenticationFailed(_R.INVALID_HEADER, "missing or non-string alg")
        if alg.strip().lower() == "none":
            raise AuthenticationFailed(_R.ALG_NONE, "unsigned tokens are never accepted")
        forbidden = FORBIDDEN_HEADERS.intersection(header)
        if forbidden:
            raise AuthenticationFailed(
                _R.FORBIDDEN_HEADER, f"header parameters {sorted(forbidden)} are not accepted"
            )
        if "crit" in header:
            raise AuthenticationFailed(_R.UNSUPPORTED_CRIT, "no critical extensions are supported")
        typ = header.get("typ", "JWT")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise AuthenticationFailed(_R.INVALID_HEADER, "typ must be JWT")
        kid = header.get("kid")
        if kid is None:
            # RFC 7515 makes kid optional: with one verification key there is no choice to
            # make, so the token is tried against it (with its algorithm pinned, below)
            key = self.keys.sole_key
            if key is None:
                raise AuthenticationFailed(
                    _R.MISSING_KID, "the token names no key id and several keys could verify it"
                )
        elif not isinstance(kid, str):
            raise AuthenticationFailed(_R.INVALID_HEADER, "kid must be a string")
        else:
            found = self.keys.get(kid)
            if found is None:
                raise AuthenticationFailed(_R.UNKNOWN_KID, "the key id is not in the key ring")
            key = found
        if alg != key.alg:
            raise AuthenticationFailed(
                _R.ALGORITHM_MISMATCH, f"key {key.kid!r} is pinned to {key.alg}, token says {alg}"
            )
        return header, key

    def decode(self, token: str, *, expected_type: TokenType = "access") -> VerifiedToken:
        """Verify signature and claims without consulting any store (see JWTAuth.verify)."""
        _header, key = self._header(token)
        try:
            payload = jwt.decode(
                token,
                key.verification_key,
                algorithms=[key.alg],
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                    "require": [],
                },
            )
        except jwt.PyJWTError as exc:
            raise failure_from_pyjwt(exc) from exc
        return self._check_claims(payload, key, expected_type)

    def _check_claims(
        self, payload: dict[str, Any], key: JWTKey, expected_type: TokenType
    ) -> VerifiedToken:
        required = ["exp", "iat", "sub", "jti", "type"]
        if self.issuer is not None:
            required.append("iss")
        if self.audience is not None:
            required.append("aud")
        for claim in required:
            if payload.get(claim) is None:
                raise AuthenticationFailed(_R.MISSING_CLAIM, f"missing claim {claim!r}")
        for claim in ("exp", "iat", "nbf"):
            if claim in payload and not _is_number(payload[claim]):
                raise AuthenticationFailed(_R.INVALID_CLAIM, f"{claim} must be a number")
        subject, jti = payload["sub"], payload["jti"]
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            raise AuthenticationFailed(_R.INVALID_SUBJECT, "sub must be a non-empty string")
        if not isinstance(jti, str) or not jti or len(jti) > 128:
            raise AuthenticationFailed(_R.INVALID_CLAIM, "jti must be a non-empty string")
        for claim in ("scope", "fam"):
            if claim in payload and not isinstance(payload[claim], str):
                raise AuthenticationFailed(_R.INVALID_CLAIM, f"{claim} must be a string")
        now = self.clock()
        if now >= payload["exp"] + self.leeway:
            raise AuthenticationFailed(_R.EXPIRED, "the token has expired")
        if "nbf" in payload and payload["nbf"] > now + self.leeway:
            raise AuthenticationFailed(_R.NOT_YET_VALID, "the token is not valid yet (nbf)")
        if payload["iat"] > now + self.leeway:
            raise AuthenticationFailed(_R.ISSUED_IN_FUTURE, "the token was issued in the future")
        if self.issuer is not None and payload["iss"] != self.issuer:
            raise AuthenticationFailed(_R.INVALID_ISSUER, "the issuer does not match")
        self._check_audience(payload.get("aud"))
        if payload["type"] != expected_type:
            article = "an" if expected_type[:1] in "aeiou" else "a"
            raise AuthenticationFailed(
                _R.WRONG_TOKEN_TYPE,
                f"expected {article} {expected_type} token, got {payload['type']!r}",
            )
        return VerifiedToken(
            subject=subject,
            type=expected_type,
            jti=jti,
            issued_at=payload["iat"],
            expires_at=payload["exp"],
            scopes=frozenset(scope for scope in payload.get("scope", "").split(" ") if scope),
            claims=payload,
            kid=key.kid,
            family=payload.get("fam"),
        )

    def _check_audience(self, aud: object) -> None:
        if self.audience is None:
            if aud is not None:
                raise AuthenticationFailed(
                    _R.INVALID_AUDIENCE, "the token names an audience; none is configured"
                )
            return
        values = aud if isinstance(aud, list) else [aud]
        if not all(isinstance(value, str) for value in values) or self.audience not in values:
            raise AuthenticationFailed(_R.INVALID_AUDIENCE, "the audience does not match")

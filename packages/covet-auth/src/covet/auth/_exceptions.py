"""Exceptions raised by covet.auth.

AuthError                      root of every error this package raises on purpose
├── AuthConfigurationError     unsafe or impossible configuration, raised at start-up
├── PasswordTooLong            a password over the hasher's byte limit (checked before hashing)
├── InvalidPasswordHash        a stored hash string that no configured scheme can read
├── AuthenticationFailed       a credential was refused; ``reason`` says exactly why
└── TooManyAttempts            login throttled; ``retry_after`` is in whole seconds
"""

from __future__ import annotations

import enum


class AuthError(Exception):
    """Root of the covet.auth exception hierarchy."""


class AuthConfigurationError(AuthError, ValueError):
    """The authentication setup is unsafe or cannot work; the message says how to fix it."""


class PasswordTooLong(AuthError, ValueError):
    """The password is longer than the hasher accepts; refused before any hashing work."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"password is {length} bytes; the limit is {limit} bytes")


class InvalidPasswordHash(AuthError, ValueError):
    """A stored password hash is malformed or uses a scheme this hasher does not know."""


class FailureReason(enum.StrEnum):
    """Why a token was refused. Stable strings, safe to log and to assert in tests."""

    MALFORMED = "malformed"
    TOKEN_TOO_LARGE = "token_too_large"  # noqa: S105 - a reason code, not a secret
    ALG_NONE = "alg_none"
    ALGORITHM_MISMATCH = "algorithm_mismatch"
    FORBIDDEN_HEADER = "forbidden_header"
    UNSUPPORTED_CRIT = "unsupported_crit"
    INVALID_HEADER = "invalid_header"
    MISSING_KID = "missing_kid"
    UNKNOWN_KID = "unknown_kid"
    INVALID_KEY = "invalid_key"
    INVALID_SIGNATURE = "invalid_signature"
    MISSING_CLAIM = "missing_claim"
    INVALID_CLAIM = "invalid_claim"
    INVALID_SUBJECT = "invalid_subject"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    ISSUED_IN_FUTURE = "issued_in_future"
    INVALID_ISSUER = "invalid_issuer"
    INVALID_AUDIENCE = "invalid_audience"
    WRONG_TOKEN_TYPE = "wrong_token_type"  # noqa: S105
    UNTRUSTED_ORIGIN = "untrusted_origin"
    REVOKED = "revoked"
    SUBJECT_REVOKED = "subject_revoked"
    REFRESH_REUSED = "refresh_reused"
    INVALID_TOKEN = "invalid_token"  # noqa: S105
    INVALID_CREDENTIALS = "invalid_credentials"


class AuthenticationFailed(AuthError):
    """A credential was refused. Answered as 401; ``reason`` is a :class:`FailureReason`."""

    def __init__(self, reason: FailureReason, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail or reason.value.replace("_", " ")
        super().__init__(f"{reason.value}: {self.detail}")


class TooManyAttempts(AuthError):
    """Login attempts are throttled; retry after ``retry_after`` seconds (answered as 429)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"too many login attempts; retry after {retry_after} {unit}")

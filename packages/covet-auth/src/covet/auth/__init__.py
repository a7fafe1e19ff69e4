"""covet.auth: password hashing, JWT access and refresh tokens, and route protection."""

from covet.auth.__about__ import __version__
from covet.auth._authenticate import PasswordUser, authenticate
from covet.auth._exceptions import (
    AuthConfigurationError,
    AuthenticationFailed,
    AuthError,
    FailureReason,
    InvalidPasswordHash,
    PasswordTooLong,
    TooManyAttempts,
)
from covet.auth._hashers import Argon2Hasher, HashScheme, PBKDF2Hasher, ScryptHasher
from covet.auth._jwt_auth import JWTAuth
from covet.auth._keys import JWTKey, KeyRing
from covet.auth._passwords import PasswordHasher
from covet.auth._store import AuthStore, TokenRevocations
from covet.auth._tokens import TokenPair, VerifiedToken

__all__ = [
    "Argon2Hasher",
    "AuthConfigurationError",
    "AuthError",
    "AuthStore",
    "AuthenticationFailed",
    "FailureReason",
    "HashScheme",
    "InvalidPasswordHash",
    "JWTAuth",
    "JWTKey",
    "KeyRing",
    "PBKDF2Hasher",
    "PasswordHasher",
    "PasswordTooLong",
    "PasswordUser",
    "ScryptHasher",
    "TokenPair",
    "TokenRevocations",
    "TooManyAttempts",
    "VerifiedToken",
    "__version__",
    "authenticate",
]

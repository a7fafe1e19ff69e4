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
from covet.auth._guards import (
    CurrentUser,
    Guard,
    OptionalUser,
    login_required,
    requires,
    requires_role,
)
from covet.auth._hashers import Argon2Hasher, HashScheme, PBKDF2Hasher, ScryptHasher
from covet.auth._jwt_auth import JWTAuth
from covet.auth._keys import JWTKey, KeyRing
from covet.auth._middleware import AuthCookie, AuthenticationMiddleware, www_authenticate
from covet.auth._passwords import PasswordHasher
from covet.auth._routes import auth_router
from covet.auth._store import AuthStore, TokenRevocations
from covet.auth._throttle import LoginThrottle
from covet.auth._tokens import TokenPair, VerifiedToken
from covet.auth._users import AnonymousUser, AuthCredentials, BaseUser, TokenUser

__all__ = [
    "AnonymousUser",
    "Argon2Hasher",
    "AuthConfigurationError",
    "AuthCookie",
    "AuthCredentials",
    "AuthError",
    "AuthStore",
    "AuthenticationFailed",
    "AuthenticationMiddleware",
    "BaseUser",
    "CurrentUser",
    "FailureReason",
    "Guard",
    "HashScheme",
    "InvalidPasswordHash",
    "JWTAuth",
    "JWTKey",
    "KeyRing",
    "LoginThrottle",
    "OptionalUser",
    "PBKDF2Hasher",
    "PasswordHasher",
    "PasswordTooLong",
    "PasswordUser",
    "ScryptHasher",
    "TokenPair",
    "TokenRevocations",
    "TokenUser",
    "TooManyAttempts",
    "VerifiedToken",
    "__version__",
    "auth_router",
    "authenticate",
    "login_required",
    "requires",
    "requires_role",
    "www_authenticate",
]

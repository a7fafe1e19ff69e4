"""covet.middleware: pure-ASGI middleware for CovetPy, Starlette, FastAPI or any ASGI app.

Also home of the shared-state ``Store`` interface (``MemoryStore``, ``RedisStore``), CSRF
protection and trusted-proxy resolution that covet-auth builds on.
"""

from covet.middleware.__about__ import __version__
from covet.middleware._compression import CompressionMiddleware
from covet.middleware._cors import CORSMiddleware
from covet.middleware._csrf import CrossSiteRequestRejected, CSRFMiddleware, get_csrf_token
from covet.middleware._errors import ErrorMiddleware
from covet.middleware._orm_sessions import DatabaseSessionBackend
from covet.middleware._proxy import ProxyHeadersMiddleware, client_host
from covet.middleware._ratelimit import RateLimit, RateLimiter, RateLimitMiddleware
from covet.middleware._redis_store import RedisStore
from covet.middleware._request_id import RequestIDLogFilter, RequestIDMiddleware, get_request_id
from covet.middleware._responses import send_problem
from covet.middleware._security import (
    HTTPSRedirectMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
)
from covet.middleware._session_backends import (
    EncryptedCookieBackend,
    SessionBackend,
    SignedCookieBackend,
    StoreBackend,
)
from covet.middleware._sessions import Session, SessionMiddleware
from covet.middleware._signing import BadSignature, Signer
from covet.middleware._stores import (
    MemoryStore,
    OutageLog,
    RateLimitResult,
    Store,
    StoreUnavailable,
)
from covet.middleware._timeout import TimeoutMiddleware

__all__ = [
    "BadSignature",
    "CORSMiddleware",
    "CSRFMiddleware",
    "CompressionMiddleware",
    "CrossSiteRequestRejected",
    "DatabaseSessionBackend",
    "EncryptedCookieBackend",
    "ErrorMiddleware",
    "HTTPSRedirectMiddleware",
    "MemoryStore",
    "OutageLog",
    "ProxyHeadersMiddleware",
    "RateLimit",
    "RateLimitMiddleware",
    "RateLimitResult",
    "RateLimiter",
    "RedisStore",
    "RequestIDLogFilter",
    "RequestIDMiddleware",
    "SecurityHeadersMiddleware",
    "Session",
    "SessionBackend",
    "SessionMiddleware",
    "SignedCookieBackend",
    "Signer",
    "Store",
    "StoreBackend",
    "StoreUnavailable",
    "TimeoutMiddleware",
    "TrustedHostMiddleware",
    "__version__",
    "client_host",
    "get_csrf_token",
    "get_request_id",
    "send_problem",
]

"""``SessionMiddleware`` and the dict-like ``Session`` it puts in ``scope["session"]``."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from covet.http import (
    ASGIApp,
    Message,
    Receive,
    SameSite,
    Scope,
    Send,
    format_set_cookie,
    parse_cookies,
)
from covet.middleware._responses import send_problem
from covet.middleware._session_backends import SessionBackend, SignedCookieBackend
from covet.middleware._stores import OutageLog, StoreUnavailable

__all__ = ["Session", "SessionMiddleware"]

logger = logging.getLogger("covet.middleware.sessions")
UNAVAILABLE = "Sessions are temporarily unavailable; retry later."


class Session(dict[str, Any]):
    """The session of one request: a dict that remembers whether it changed.

    ``cycle()`` gives the session a new id (call it at login, against session fixation);
    ``invalidate()`` empties it and drops the server-side record (call it at logout).
    """

    def __init__(
        self, data: dict[str, Any] | None = None, *, session_id: str | None = None, issued: int = 0
    ) -> None:
        super().__init__(data or {})
        self.id = session_id
        self.issued = issued
        self.modified = False
        self.cycled = False

    def cycle(self) -> None:
        """Keep the data, issue a new session id (and cookie) with this response."""
        self.cycled = True
        self.modified = True

    def invalidate(self) -> None:
        """Drop all data and the server-side record; the next write starts a new session."""
        self.clear()
        self.cycled = True

    def __setitem__(self, key: str, value: Any) -> None:
        self.modified = True
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.modified = True
        super().__delitem__(key)

    def clear(self) -> None:
        self.modified = True
        super().clear()

    def pop(self, key: str, *default: Any) -> Any:
        self.modified = True
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self.modified = True
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.modified = True
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.modified = True
        super().update(*args, **kwargs)


class SessionMiddleware:
    """Load ``scope["session"]`` from a cookie and save it with the response.

    ``backend`` is a ``SignedCookieBackend`` (the default, built from ``secret_key``),
    ``EncryptedCookieBackend`` or ``StoreBackend(MemoryStore() | RedisStore(...))``. Cookies are
    ``Secure``, ``HttpOnly`` and ``SameSite=Lax`` by default; sessions expire ``max_age`` seconds
    after they were last written, and with ``sliding=True`` an active session is re-issued once a
    tenth of ``max_age`` has passed, so it expires only after ``max_age`` of inactivity.

    When a server-side store is down (``StoreUnavailable``) the request is answered 503 problem
    details with ``Retry-After`` -- before the handler runs if the session cannot be loaded (it
    must not run as if the user were logged out), or instead of the handler's response if the
    session cannot be saved -- and a warning goes to ``covet.middleware.sessions`` (at most one
    per 30 seconds). A websocket handshake is closed with code 1013 (try again later).
    """

    def __init__(
        self,
        app: ASGIApp,
        secret_key: str | bytes | Iterable[str | bytes] | None = None,
        *,
        backend: SessionBackend | None = None,
        cookie_name: str = "session",
        max_age: int = 14 * 24 * 3600,
        sliding: bool = True,
        path: str = "/",
        domain: str | None = None,
        secure: bool = True,
        httponly: bool = True,
        samesite: SameSite = "lax",
    ) -> None:
        if backend is None:
            if secret_key is None:
                raise TypeError("SessionMiddleware needs secret_key= or backend=")
            keys = [secret_key] if isinstance(secret_key, (str, bytes)) else list(secret_key)
            backend = SignedCookieBackend(keys)
        if max_age <= 0:
            raise ValueError("max_age must be a positive number of seconds")
        self.app = app
        self.backend = backend
        self.cookie_name = cookie_name
        self.max_age = max_age
        self.renew_after = max_age // 10 if sliding else None
        self.cookie_options: dict[str, Any] = {
            "path": path,
            "domain": domain,
            "secure": secure,
            "httponly": httponly,
            "samesite": samesite,
        }
        format_set_cookie(cookie_name, "x", **self.cookie_options)  # refuse bad options now
        self.outages = OutageLog(logger)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        lines = [value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"]
        # One Cookie header, or several (HTTP/2): read them as one, as the app's request does.
        cookie = parse_cookies("; ".join(lines)).get(self.cookie_name) if lines else None
        try:
            loaded = await self.backend.load(cookie, self.max_age) if cookie else None
        except StoreUnavailable as exc:
            self.outages.warning("session store unavailable; answering 503", exc)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013, "reason": "try again later"})
            else:
                await send_problem(send, 503, UNAVAILABLE, headers=_retry(exc))
            return
        if loaded is None:
            session = Session()
        else:
            session = Session(loaded[1], session_id=loaded[0], issued=loaded[2])
        scope["session"] = session
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        had_cookie = cookie is not None
        replaced = False

        async def send_with_session(message: Message) -> None:
            nonlocal replaced
            if replaced:  # the 503 went out instead of this response: drop the rest of it
                return
            if message["type"] == "http.response.start":
                try:
                    set_cookie = await self.commit(session, had_cookie, loaded is not None)
                except StoreUnavailable as exc:
                    # the handler's changes (a login, a logout) were not saved: say so
                    self.outages.warning("session store unavailable; answering 503", exc)
                    replaced = True
                    await send_problem(send, 503, UNAVAILABLE, headers=_retry(exc))
                    return
                if set_cookie is not None:
                    message["headers"] = [*message.get("headers", ()), (b"set-cookie", set_cookie)]
            await send(message)

        await self.app(scope, receive, send_with_session)

    async def commit(self, session: Session, had_cookie: bool, was_valid: bool) -> bytes | None:
        """Persist the session if needed; return the ``Set-Cookie`` value to send, if any."""
        if session.cycled and session.id is not None and self.backend.server_side:
            await self.backend.delete(session.id)
            session.id = None
        if not session:
            if session.id is not None and session.modified:
                await self.backend.delete(session.id)
            if had_cookie and (session.modified or session.cycled or not was_valid):
                return self._cookie("", max_age=0)
            return None
        now = int(time.time())
        renew = self.renew_after is not None and now - session.issued >= self.renew_after
        if not (session.modified or renew):
            return None
        session.id, value = await self.backend.save(session.id, dict(session), now, self.max_age)
        return self._cookie(value, max_age=self.max_age)

    def _cookie(self, value: str, *, max_age: int) -> bytes:
        header = format_set_cookie(self.cookie_name, value, max_age=max_age, **self.cookie_options)
        return header.encode("latin-1")


def _retry(exc: StoreUnavailable) -> list[tuple[bytes, bytes]]:
    return [(b"retry-after", str(exc.retry_after).encode())]

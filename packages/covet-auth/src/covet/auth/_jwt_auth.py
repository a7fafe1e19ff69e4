"""``JWTAuth``: token issuing and verification plus revocation and refresh rotation in a store."""

from __future__ import annotations

import datetime as dt
import functools
import math
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from covet.auth._exceptions import AuthConfigurationError, AuthenticationFailed, FailureReason
from covet.auth._keys import JWTKey, KeyRing
from covet.auth._store import AuthStore, TokenRevocations, ttl_until
from covet.auth._tokens import (
    RESERVED_CLAIMS,
    TokenCodec,
    TokenPair,
    TokenType,
    VerifiedToken,
    _seconds,
)

MAX_REFRESH_REUSE_INTERVAL = 60.0


class JWTAuth(TokenCodec):
    """Issues and verifies JWTs; with a ``store``, also revokes them and rotates refresh tokens.

    ``JWTAuth(secret=..., algorithm="HS256")`` for one shared secret, or
    ``JWTAuth(keys=[JWTKey.from_pem(...), ...])`` for a key ring. Each refresh token is good for
    one use: :meth:`refresh` spends it atomically and answers a new pair in the same family; a
    second use of a spent refresh token means it was stolen, so the whole family (every refresh and
    access token descended from the same login) is revoked.

    ``refresh_reuse_interval`` (seconds, default 0: strict) forgives a second use that comes
    within that long of the first, as two browser tabs or a retried request produce: it answers
    another pair in the same family and revokes nothing. It may be at most 60 seconds and a
    tenth of ``refresh_ttl``.
    """

    def __init__(
        self,
        keys: KeyRing | Sequence[JWTKey] | None = None,
        *,
        secret: str | bytes | None = None,
        algorithm: str = "HS256",
        issuer: str | None = None,
        audience: str | None = None,
        access_ttl: float | dt.timedelta = dt.timedelta(minutes=15),
        refresh_ttl: float | dt.timedelta = dt.timedelta(days=14),
        leeway: float | dt.timedelta = 0,
        clock: Callable[[], float] = time.time,
        max_token_bytes: int = 8192,
        store: AuthStore | None = None,
        refresh_reuse_interval: float | dt.timedelta = 0.0,
    ) -> None:
        super().__init__(
            keys,
            secret=secret,
            algorithm=algorithm,
            issuer=issuer,
            audience=audience,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
            leeway=leeway,
            clock=clock,
            max_token_bytes=max_token_bytes,
            store=store,
        )
        interval = _seconds(refresh_reuse_interval)
        if not 0 <= interval <= MAX_REFRESH_REUSE_INTERVAL:
            raise AuthConfigurationError(
                f"refresh_reuse_interval must be between 0 and {MAX_REFRESH_REUSE_INTERVAL:g} "
                f"seconds, not {interval!r}: a few seconds covers concurrent tabs and retries"
            )
        if interval > self.refresh_ttl / 10:
            raise AuthConfigurationError(
                f"refresh_reuse_interval ({interval:g} s) must be well below refresh_ttl "
                f"({self.refresh_ttl:g} s): at most a tenth of it"
            )
        self.refresh_reuse_interval = interval

    @functools.cached_property
    def revocations(self) -> TokenRevocations | None:
        return TokenRevocations(self.store) if self.store is not None else None

    def _require_store(self) -> TokenRevocations:
        if self.revocations is None:
            raise AuthConfigurationError(
                "revocation and refresh rotation need a store: JWTAuth(..., store=MemoryStore()) "
                "for one process, a RedisStore for several"
            )
        return self.revocations

    async def verify(self, token: str, *, expected_type: TokenType = "access") -> VerifiedToken:
        """:meth:`decode`, then (with a store) refuse a revoked ``jti``, a revoked family, or a
        token issued before its subject's :meth:`revoke_subject` cut-off.

        When the store cannot be reached this raises covet.middleware's ``StoreUnavailable``
        (503): a token whose revocation cannot be checked is never accepted."""
        verified = self.decode(token, expected_type=expected_type)
        if self.revocations is not None:
            if await self.revocations.is_jti_revoked(verified.jti):
                raise AuthenticationFailed(FailureReason.REVOKED, "the token has been revoked")
            if verified.family is not None and await self.revocations.is_family_revoked(
                verified.family
            ):
                raise AuthenticationFailed(FailureReason.REVOKED, "the session has been revoked")
            cutoff = await self.revocations.subject_cutoff(verified.subject)
            if cutoff is not None and _session_start(verified) < cutoff:
                raise AuthenticationFailed(
                    FailureReason.SUBJECT_REVOKED,
                    "every session of this user issued before a revocation has ended",
                )
        return verified

    async def issue_tokens(
        self,
        subject: str | int,
        *,
        scopes: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
    ) -> TokenPair:
        """A new access/refresh pair starting a new family (call this after a login)."""
        return self._pair(subject, scopes, claims, uuid.uuid4().hex, self.clock())

    def _pair(
        self,
        subject: str | int,
        scopes: Iterable[str],
        claims: Mapping[str, Any] | None,
        family: str,
        session_start: float,
    ) -> TokenPair:
        scopes = tuple(scopes)
        common: dict[str, Any] = {
            "scopes": scopes, "claims": claims, "family": family, "session_start": session_start
        }  # fmt: skip
        access = self.create_access_token(subject, **common)
        refresh = self.create_refresh_token(subject, **common)
        return TokenPair(access, refresh, expires_in=int(self.access_ttl))

    async def refresh(
        self,
        refresh_token: str,
        *,
        scopes: Iterable[str] | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> TokenPair:
        """Spend ``refresh_token`` and answer a new pair; a reused token revokes its family,
        unless it comes within ``refresh_reuse_interval`` of the first use (then it gets a pair
        in the same family too). A revoked token or family is refused before any of that.

        The new pair carries the old token's scopes and extra claims, or ``scopes`` / ``claims``
        when given (for instance reloaded from the user, so a role taken away does not survive
        the next refresh)."""
        revocations = self._require_store()
        verified = await self.verify(refresh_token, expected_type="refresh")
        family = verified.family
        if family is None:
            raise AuthenticationFailed(FailureReason.MISSING_CLAIM, "missing claim 'fam'")
        now = self.clock()
        ttl = ttl_until(verified.expires_at + self.leeway, now)
        if not await revocations.spend_refresh(verified.jti, ttl, at=now) and not (
            await self._reused_within_interval(revocations, verified.jti, family, now)
        ):
            await self.revoke_family(family)
            raise AuthenticationFailed(
                FailureReason.REFRESH_REUSED,
                "this refresh token was already used; every token of its session is revoked",
            )
        if claims is None:
            claims = {
                name: value
                for name, value in verified.claims.items()
                if name not in RESERVED_CLAIMS
            }
        # the session's login time travels unchanged: a refresh racing revoke_subject() cannot
        # mint tokens that look newer than the cut-off
        return self._pair(
            verified.subject,
            verified.scopes if scopes is None else scopes,
            claims,
            family,
            _session_start(verified),
        )

    async def _reused_within_interval(
        self, revocations: TokenRevocations, jti: str, family: str, now: float
    ) -> bool:
        """Whether a spent refresh token is presented again within the reuse interval of its
        first use (never re-spent, so a third use is measured from the first one too)."""
        if self.refresh_reuse_interval <= 0:
            return False
        spent_at = await revocations.refresh_spent_at(jti)
        # abs(): a worker whose clock runs a little behind the spender's sees a negative age
        if spent_at is None or abs(now - spent_at) >= self.refresh_reuse_interval:
            return False
        # a few racing tabs or retries per session, not a stolen token minting pairs by the
        # thousand (counted per family: every forgiven reuse mints a token of its own)
        ttl = max(1.0, self.refresh_reuse_interval * 2)
        return await revocations.count_forgiven_reuse(family, ttl) <= MAX_FORGIVEN_REUSES

    async def revoke(self, token: VerifiedToken) -> None:
        """Refuse this token (by ``jti``) from now until it would have expired."""
        revocations = self._require_store()
        now = self.clock()
        await revocations.revoke_jti(token.jti, ttl_until(token.expires_at + self.leeway, now))

    async def revoke_family(self, family: str) -> None:
        """Refuse every token of one login session (all access and refresh tokens in it)."""
        revocations = self._require_store()
        now = self.clock()
        await revocations.revoke_family(family, ttl_until(now + self.family_ttl + self.leeway, now))

    async def logout(self, token: VerifiedToken) -> None:
        """Revoke ``token`` and, when it belongs to a session family, the whole session."""
        await self.revoke(token)
        if token.family is not None:
            await self.revoke_family(token.family)

    async def revoke_subject(
        self, subject: str | int, *, before: float | dt.datetime | None = None
    ) -> None:
        """End every session of ``subject``: refuse its access and refresh tokens issued before
        ``before`` (default: now, by this object's clock). Call it after a password change.

        A token is refused when its session began strictly earlier than the cut-off: the
        ``auth_time`` claim, the login's exact time, which every refresh copies unchanged (so a
        refresh racing this call cannot mint tokens that pass as newer), or ``iat`` for tokens
        without it. A login at or after the revocation (in the same second included) stays
        valid. The record lasts until every token of such a session has expired
        (``max(access_ttl, refresh_ttl)`` plus ``leeway`` plus a minute for refreshes in flight),
        is written in one atomic store call, and never moves an existing cut-off earlier.
        """
        revocations = self._require_store()
        if isinstance(subject, bool) or not isinstance(subject, str | int) or subject == "":
            raise ValueError("subject must be a non-empty str (or an int id)")
        now = self.clock()
        if before is None:
            cutoff = now
        elif isinstance(before, dt.datetime):
            cutoff = before.timestamp()
        else:
            cutoff = float(before)
        if not math.isfinite(cutoff) or cutoff > now:
            raise ValueError("before must be a finite moment, not in the future")
        # a token issued before the cut-off has exp = floor(iat) + ceil(ttl) < cutoff + ceil(ttl)
        ttl = ttl_until(cutoff + math.ceil(self.family_ttl) + self.leeway + 60, now)
        await revocations.revoke_subject(str(subject), cutoff, ttl)


#: reuses forgiven per session within ``refresh_reuse_interval`` (and twice that after the
#: last one); the next is theft
MAX_FORGIVEN_REUSES = 3


def _session_start(token: VerifiedToken) -> float:
    """When the token's session began: its ``auth_time`` claim, or (tokens issued before that
    claim existed, and tokens made outside a session) its ``iat``."""
    started = token.claims.get("auth_time")
    if isinstance(started, int | float) and not isinstance(started, bool):
        return float(started)
    return token.issued_at

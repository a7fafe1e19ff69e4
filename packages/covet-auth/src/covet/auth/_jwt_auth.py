"""``JWTAuth``: token issuing and verification plus revocation and refresh rotation in a store."""

from __future__ import annotations

import datetime as dt
import functools
import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from covet.auth._exceptions import AuthConfigurationError, AuthenticationFailed, FailureReason
from covet.auth._store import TokenRevocations, ttl_until
from covet.auth._tokens import RESERVED_CLAIMS, TokenCodec, TokenPair, TokenType, VerifiedToken


class JWTAuth(TokenCodec):
    """Issues and verifies JWTs; with a ``store``, also revokes them and rotates refresh tokens.

    ``JWTAuth(secret=..., algorithm="HS256")`` for one shared secret, or
    ``JWTAuth(keys=[JWTKey.from_pem(...), ...])`` for a key ring. Each refresh token is good for
    one use: :meth:`refresh` spends it atomically and answers a new pair in the same family; a
    second use of a spent refresh token means it was stolen, so the whole family (every refresh and
    access token descended from the same login) is revoked.
    """

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
            if cutoff is not None and verified.issued_at < cutoff:
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
        return self._pair(subject, scopes, claims, uuid.uuid4().hex)

    def _pair(
        self,
        subject: str | int,
        scopes: Iterable[str],
        claims: Mapping[str, Any] | None,
        family: str,
    ) -> TokenPair:
        scopes = tuple(scopes)
        access = self.create_access_token(subject, scopes=scopes, claims=claims, family=family)
        refresh = self.create_refresh_token(subject, scopes=scopes, claims=claims, family=family)
        return TokenPair(access, refresh, expires_in=int(self.access_ttl))

    async def refresh(
        self,
        refresh_token: str,
        *,
        scopes: Iterable[str] | None = None,
        claims: Mapping[str, Any] | None = None,
    ) -> TokenPair:
        """Spend ``refresh_token`` and answer a new pair; a reused token revokes its family.

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
        if not await revocations.spend_refresh(verified.jti, ttl):
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
        return self._pair(
            verified.subject, verified.scopes if scopes is None else scopes, claims, family
        )

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

        A token is refused when its ``iat`` is strictly earlier than the cut-off; ``iat``
        carries the exact issue time, so a token issued at or after the revocation (in the same
        second included) stays valid. The record lasts until every token issued before the
        cut-off has expired (``max(access_ttl, refresh_ttl)`` plus ``leeway``), is written in
        one atomic store call, and never moves an existing cut-off earlier.
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
        ttl = ttl_until(cutoff + math.ceil(self.family_ttl) + self.leeway, now)
        await revocations.revoke_subject(str(subject), cutoff, ttl)

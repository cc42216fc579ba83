"""Short-lived JWT access tokens and rotating opaque refresh tokens.

Refresh tokens are random strings stored only as SHA-256 hashes. Each use rotates it (the old one is
revoked, a new one issued in the same family); presenting an already-revoked token revokes the whole
family, since that means a copy is in someone else's hands.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from ground_station.auth.clock import Clock, SystemClock
from ground_station.auth.roles import Role
from ground_station.store.models import RefreshTokenRecord, User
from ground_station.store.repositories import RefreshTokenRepository, UserRepository

ALGORITHM = "HS256"
ISSUER = "borderwatch"


class TokenError(Exception):
    """A token that is missing, malformed, expired, revoked or not of the expected kind."""


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by a valid access token and the current user record."""

    user_id: int
    username: str
    organisation: str
    role: Role


@dataclass(frozen=True)
class AccessGrant:
    """A verified access token: who, and until when (the WebSocket closes its session then)."""

    principal: Principal
    expires_at: datetime
    family_id: str | None = None
    """The login (refresh-token family) the token was issued for; revoking it ends the token too."""


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in_s: int


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    def __init__(
        self,
        secret: str,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        users: UserRepository,
        refresh_tokens: RefreshTokenRepository,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self._secret = secret
        self._access_ttl = access_ttl
        self._refresh_ttl = refresh_ttl
        self._users = users
        self._refresh_tokens = refresh_tokens

    def issue_access(self, user: User, now: datetime | None = None, family_id: str | None = None) -> str:
        now = now or self.clock.now()
        claims: dict[str, object] = {
            "iss": ISSUER,
            "sub": str(user.id),
            "name": user.username,
            "org": user.organisation,
            "role": user.role.value,
            "typ": "access",
            "iat": int(now.timestamp()),
            "exp": int((now + self._access_ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if family_id is not None:
            claims["fam"] = family_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    async def issue(self, user: User, family_id: str | None = None) -> IssuedTokens:
        now = self.clock.now()
        refresh = secrets.token_urlsafe(32)
        family_id = family_id or uuid.uuid4().hex
        await self._refresh_tokens.add(
            RefreshTokenRecord(
                token_hash=_hash(refresh),
                user_id=user.id,
                family_id=family_id,
                issued_at=now,
                expires_at=now + self._refresh_ttl,
                revoked_at=None,
            )
        )
        return IssuedTokens(
            self.issue_access(user, now, family_id), refresh, int(self._access_ttl.total_seconds())
        )

    async def principal(self, access_token: str) -> Principal:
        """Verifies the token and re-reads the user, so disabled users and role changes apply at once."""
        return (await self.grant(access_token)).principal

    async def grant(self, access_token: str) -> AccessGrant:
        """As :meth:`principal`, with the expiry. Expiry is judged on the injected clock, not PyJWT's."""
        try:
            claims = jwt.decode(
                access_token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={
                    "require": ["exp", "iat", "sub", "typ", "iss"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
            expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        except jwt.PyJWTError as exc:
            raise TokenError(f"invalid access token ({exc})") from None
        except (TypeError, ValueError, OverflowError):
            raise TokenError("invalid access token expiry") from None
        if expires_at <= self.clock.now():
            raise TokenError("access token expired; use /api/auth/refresh")
        if claims.get("typ") != "access":
            raise TokenError("not an access token")
        try:
            user_id = int(claims["sub"])
        except (TypeError, ValueError):
            raise TokenError("invalid access token subject") from None
        user = await self._users.by_id(user_id)
        if user is None or user.disabled:
            raise TokenError("user no longer exists or is disabled")
        family = claims.get("fam")
        family_id = family if isinstance(family, str) else None
        grant = AccessGrant(
            Principal(user.id, user.username, user.organisation, user.role), expires_at, family_id
        )
        if not await self.session_active(grant):
            raise TokenError(
                "this login was ended (sessions revoked or a refresh token reused); log in again"
            )
        return grant

    async def session_active(self, grant: AccessGrant) -> bool:
        """False once every refresh token of the grant's login is revoked or expired ("log out
        everywhere", or reuse detected): its access tokens then stop working at once, not at expiry."""
        if grant.family_id is None:
            return True  # tokens minted without a login (bench, tools) end only at expiry
        return await self._refresh_tokens.family_active(grant.family_id, self.clock.now())

    async def current(self, user_id: int) -> Principal | None:
        """The user as stored now, or None when deleted or disabled (open sessions re-check this)."""
        user = await self._users.by_id(user_id)
        if user is None or user.disabled:
            return None
        return Principal(user.id, user.username, user.organisation, user.role)

    async def rotate(self, refresh_token: str) -> tuple[User, IssuedTokens]:
        now = self.clock.now()
        record = await self._refresh_tokens.get(_hash(refresh_token))
        if record is None:
            raise TokenError("unknown refresh token")
        if record.revoked_at is not None:
            await self._refresh_tokens.revoke_family(record.family_id, now)
            raise TokenError("refresh token already used; all tokens of this login are revoked")
        if record.expires_at <= now:
            raise TokenError("refresh token expired; log in again")
        user = await self._users.by_id(record.user_id)
        if user is None or user.disabled:
            raise TokenError("user no longer exists or is disabled")
        # The new token is stored before the old one is revoked, so the login never has a moment without
        # a live refresh token (access tokens check that: ``session_active``). If another request won
        # the revocation, this was a reuse: the whole family, the new token included, is revoked.
        issued = await self.issue(user, record.family_id)
        if not await self._refresh_tokens.revoke(record.token_hash, now):
            await self._refresh_tokens.revoke_family(record.family_id, now)
            raise TokenError("refresh token already used; all tokens of this login are revoked")
        return user, issued

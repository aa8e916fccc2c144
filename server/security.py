"""Passwords (Argon2id), access tokens (HS256 JWT) and the checks on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.config import Settings
from server.errors import AuthenticationRequired
from server.ids import new_id

ALGORITHM = "HS256"
ISSUER = "ellaai"


class Passwords:
    """Argon2id hashing with the configured cost; rehashes when the cost changes."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )
        # Verified against when the account is unknown, so both paths cost the same.
        self._dummy = self._hasher.hash("not-a-real-password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    expires_at: datetime


def issue_access_token(settings: Settings, *, user_id: str, session_id: str) -> tuple[str, int]:
    """A short-lived token naming the user and the login session it belongs to."""
    now = datetime.now(UTC)
    ttl = settings.access_token_ttl_seconds
    claims = {
        "iss": ISSUER,
        "sub": user_id,
        "sid": session_id,
        "jti": new_id("tok"),
        "typ": "access",
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), ttl


def read_access_token(settings: Settings, token: str) -> AccessClaims:
    """Verify signature, algorithm, issuer, type and expiry; anything off is a 401.

    A token's signature is checked once per process (a client presents the same token on every
    request until it expires); its expiry is checked on every call.
    """
    claims = _verified_claims(settings.secret_key, token)
    if claims.expires_at <= datetime.now(UTC):
        raise AuthenticationRequired("Token has expired", details={"reason": "token_expired"})
    return claims


@lru_cache(maxsize=8192)
def _verified_claims(secret_key: str, token: str) -> AccessClaims:
    """Raises (and so caches nothing) for a token that is not valid now."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "sid", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationRequired(
            "Token has expired", details={"reason": "token_expired"}
        ) from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationRequired("Token is invalid") from exc
    if claims.get("typ") != "access":
        raise AuthenticationRequired("Token is not an access token")
    return AccessClaims(
        user_id=str(claims["sub"]),
        session_id=str(claims["sid"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )

"""Type-prefixed identifiers (`company_…`, `user_…`) and opaque secrets."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    """An ID that says what it names: `company_3f9c…` (80 random bits)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` IDs like `new_id`'s, from one read of the system's random source."""
    raw = secrets.token_bytes(10 * count)
    return [f"{prefix}_{raw[i : i + 10].hex()}" for i in range(0, 10 * count, 10)]


def new_secret(prefix: str) -> str:
    """A bearer secret (API key, invitation or refresh token) with 256 random bits."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """How a high-entropy secret is stored: its SHA-256, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()

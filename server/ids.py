"""Type-prefixed identifiers (`company_…`, `user_…`) and opaque secrets."""

from __future__ import annotations

import hashlib
import secrets
import time


def new_id(prefix: str) -> str:
    """An ID that says what it names: `company_3f9c…` (80 random bits)."""
    return f"{prefix}_{secrets.token_hex(10)}"


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` IDs shaped like `new_id`'s (80 bits), ordered by time and consecutive: the
    milliseconds since 1970 in the top 44 bits, then a random start counted up.

    For rows inserted in bulk (a sync batch's events): random keys put every row on its own
    index page, and SQLite then writes all of those pages at each commit (1.3 ms of CPU and
    3.5 ms of wall time per 100 rows against 0.4 and 0.8 ms, measured here); these land side
    by side. They are names, not secrets: unguessability is not needed.
    """
    millis = time.time_ns() // 1_000_000
    start = secrets.randbits(_ID_RANDOM_BITS)
    return [
        f"{prefix}_{millis << _ID_RANDOM_BITS | (start + i) & _ID_RANDOM_MASK:020x}"
        for i in range(count)
    ]


_ID_RANDOM_BITS = 36
_ID_RANDOM_MASK = (1 << _ID_RANDOM_BITS) - 1


def new_secret(prefix: str) -> str:
    """A bearer secret (API key, invitation or refresh token) with 256 random bits."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """How a high-entropy secret is stored: its SHA-256, never the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()

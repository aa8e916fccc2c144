"""`Idempotency-Key` handling (Stripe's semantics, brandur's `idempotency_keys` table).

The first response to a key is stored in the transaction of the change it reports. A replay with
the same key and the same body gets that response again; the same key with another body is a 409.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import Conflict
from server.idempotency.models import IdempotencyKey
from server.ids import new_id


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def replay(db: Session, *, scope: str, key: str, body_hash: str) -> dict[str, Any] | None:
    """The stored response for this key, or None when the key is new."""
    record = db.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    )
    if record is None:
        return None
    if record.request_hash != body_hash:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body",
            code="IDEMPOTENCY_KEY_REUSED",
            details={"idempotencyKey": key},
        )
    return record.response


def remember(
    db: Session, *, scope: str, key: str, body_hash: str, response: dict[str, Any]
) -> None:
    db.add(
        IdempotencyKey(
            id=new_id("idem"), scope=scope, key=key, request_hash=body_hash, response=response
        )
    )

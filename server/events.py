"""Domain events: what happened, recorded in the transaction that made it happen.

`emit` is the one seam for side effects outside the database. Today it only collects the
events on the session (`pending(db)` reads them, tests look at them); the webhooks issue turns
it into an outbox-table write, in the same transaction, so an event exists exactly when its change
was committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

_KEY = "domain_events"


@dataclass(frozen=True)
class DomainEvent:
    """A spec webhook event type (`assessment.completed`, `candidate.invited`) and its data."""

    type: str
    company_id: str
    data: dict[str, Any]
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def emit(db: Session, event: DomainEvent) -> None:
    db.info.setdefault(_KEY, []).append(event)


def pending(db: Session) -> list[DomainEvent]:
    events: list[DomainEvent] = db.info.get(_KEY, [])
    return list(events)

"""Proctoring sessions and their events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class ProctorSession(Base):
    __tablename__ = "proctor_sessions"
    __table_args__ = (Index("ix_proctor_sessions_company_risk", "company_id", "risk_score"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Indexed with risk_score (below): the proctors' list filters on one and sorts on the other.
    company_id: Mapped[str] = mapped_column(String(40))
    assessment_id: Mapped[str] = mapped_column(String(40), index=True)
    candidate_id: Mapped[str] = mapped_column(String(40), index=True)
    attempt_id: Mapped[str | None] = mapped_column(String(40), index=True, default=None)
    created_by: Mapped[str] = mapped_column(String(40))
    # active | ended
    status: Mapped[str] = mapped_column(String(16), default="active")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    # The chain's last seq as the client announced it when the session ended.
    announced_last_seq: Mapped[int | None] = mapped_column(default=None)
    event_count: Mapped[int] = mapped_column(default=0)
    # Recomputed from the stored events; `risk_stale` marks new events since the last computation.
    risk_score: Mapped[float] = mapped_column(default=0.0, index=True)
    risk_level: Mapped[str] = mapped_column(String(8), default="low", index=True)
    risk_stale: Mapped[bool] = mapped_column(default=False)
    # pending | cleared | flagged
    review_status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(40), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)


class ProctorEventRecord(Base):
    """An event as received: chained ones (`seq`, hashes) from the client's journal, one-off ones
    from `POST .../events`, and the server's own (`journal_tampered`)."""

    __tablename__ = "proctor_events"
    __table_args__ = (UniqueConstraint("session_id", "seq"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Indexed by the (session_id, seq) unique constraint.
    session_id: Mapped[str] = mapped_column(ForeignKey("proctor_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int | None] = mapped_column(default=None)
    type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(8))
    occurred_at: Mapped[datetime]
    # Seconds since the session started, on the client's monotonic clock (chained events).
    offset: Mapped[float | None] = mapped_column(default=None)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # client | api | server
    source: Mapped[str] = mapped_column(String(8))
    snapshot_key: Mapped[str | None] = mapped_column(String(200), default=None)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

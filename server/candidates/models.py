"""Candidates, recruiters' notes on them, invitations and their reminders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("company_id", "email"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    position_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Copied out of `profile` for filtering.
    experience: Mapped[float | None] = mapped_column(default=None)
    skill_index: Mapped[str] = mapped_column(String(2000), default="")
    source: Mapped[str | None] = mapped_column(String(100), default=None)
    referred_by: Mapped[str | None] = mapped_column(String(320), default=None)
    # invited -> started -> completed -> reviewed
    status: Mapped[str] = mapped_column(String(16), default="invited", index=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    rating: Mapped[float | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CandidateNote(Base):
    __tablename__ = "candidate_notes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(Base):
    """An invitation to take one assessment; its token opens one candidate login session."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[str] = mapped_column(String(40), index=True)
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    due_date: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by: Mapped[str | None] = mapped_column(String(40), default=None)
    # Set when the token opened a login session: it cannot open another.
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    session_id: Mapped[str | None] = mapped_column(String(40), index=True, default=None)


class InvitationReminder(Base):
    __tablename__ = "invitation_reminders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(
        ForeignKey("invitations.id", ondelete="CASCADE"), index=True
    )
    interval: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime] = mapped_column(index=True)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)

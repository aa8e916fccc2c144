"""Questions and their versions.

`Question` is what assessments refer to (its ID never changes) and carries the current version's
filterable and summary fields; `QuestionVersion` holds each version's full content, never modified
once an attempt may use it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Question(Base):
    __tablename__ = "questions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(300))
    difficulty: Mapped[str] = mapped_column(String(10), index=True)
    skill_index: Mapped[str] = mapped_column(String(2000), default="")
    points: Mapped[float]
    time_limit: Mapped[int | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(default=1)
    current_version_id: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class QuestionVersion(Base):
    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    question_id: Mapped[str] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    # The validated body in its wire form (camelCase), as `QuestionCreate` reads it back.
    content: Mapped[dict[str, Any]]
    created_by: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

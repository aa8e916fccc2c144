"""Assessments, their questions, attempts, answers and the history of changed answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Assessment(Base):
    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[str] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    position_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    time_limit: Mapped[int | None] = mapped_column(default=None)
    difficulty: Mapped[str] = mapped_column(String(10))
    skills: Mapped[list[str]] = mapped_column(default=list)
    skill_index: Mapped[str] = mapped_column(String(2000), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # draft -> active -> archived
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_by: Mapped[str | None] = mapped_column(String(40), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AssessmentQuestion(Base):
    """An assessment's question, by the question's stable ID, at a position."""

    __tablename__ = "assessment_questions"

    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(
        ForeignKey("questions.id"), primary_key=True, index=True
    )
    position: Mapped[int]


class Attempt(Base):
    __tablename__ = "attempts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), index=True
    )
    candidate_id: Mapped[str] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[str] = mapped_column(String(40), index=True)
    # in_progress | completed
    status: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    # The order this attempt shows its questions in (shuffled once when randomised).
    question_ids: Mapped[list[str]]
    # question ID -> the QuestionVersion ID this attempt is graded against.
    question_versions: Mapped[dict[str, Any]]
    current_question_index: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    completed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    # submitted | expired
    completion_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    total_score: Mapped[float | None] = mapped_column(default=None)
    max_score: Mapped[float] = mapped_column(default=0.0)
    percentage: Mapped[float | None] = mapped_column(default=None)
    time_spent: Mapped[int | None] = mapped_column(default=None)


class AttemptAnswer(Base):
    """The current answer of an attempt to a question; earlier ones are in `AnswerRevision`."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    attempt_id: Mapped[str] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(40))
    question_version_id: Mapped[str] = mapped_column(String(40))
    answer: Mapped[Any] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(20), default=None)
    # graded | pending_review | grading_unavailable
    status: Mapped[str] = mapped_column(String(24))
    score: Mapped[float | None] = mapped_column(default=None)
    max_score: Mapped[float]
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    # Test outcomes of a coding answer, keyword matches of a free-text one.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    time_spent: Mapped[int | None] = mapped_column(default=None)
    revision: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerRevision(Base):
    """Every answer ever submitted, in order: a changed answer keeps its history."""

    __tablename__ = "answer_revisions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    attempt_id: Mapped[str] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(40))
    revision: Mapped[int]
    answer: Mapped[Any] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(20), default=None)
    score: Mapped[float | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

"""Candidate bodies: create, list, details, update (status, notes, tags, rating), invitations."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import EmailStr, Field, field_validator

from server.schemas.common import OutModel, WireModel

CandidateStatus = Literal["invited", "started", "completed", "reviewed"]
Tag = Annotated[str, Field(min_length=1, max_length=50)]

# `1_day`, `2_hours`, `30_minutes`, `1_week`: how long before the due date a reminder goes out.
INTERVAL_PATTERN = re.compile(r"^([1-9][0-9]{0,3})_(minute|hour|day|week)s?$")


class CandidateProfile(WireModel):
    phone: str | None = Field(default=None, max_length=40)
    linked_in: str | None = Field(default=None, max_length=500)
    github: str | None = Field(default=None, max_length=500)
    # Years of professional experience.
    experience: float | None = Field(default=None, ge=0, le=80)
    skills: list[Annotated[str, Field(min_length=1, max_length=50)]] = Field(
        default_factory=list, max_length=50
    )
    resume: str | None = Field(default=None, max_length=2000)
    location: str | None = Field(default=None, max_length=200)


class CandidateCreate(WireModel):
    email: EmailStr
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    company_id: str | None = Field(default=None, max_length=64)
    position_id: str | None = Field(default=None, max_length=64)
    profile: CandidateProfile = Field(default_factory=CandidateProfile)
    source: str | None = Field(default=None, max_length=100)
    referred_by: str | None = Field(default=None, max_length=320)
    # Beyond the spec: invite at once to this assessment, so the response carries an
    # `inviteToken`. Without it, `inviteToken` is null and `POST /candidates/{id}/invite` follows.
    assessment_id: str | None = Field(default=None, max_length=64)
    due_date: datetime | None = None


class CandidateCreated(OutModel):
    id: str
    email: str
    first_name: str
    last_name: str
    status: str
    invite_token: str | None
    invitation_id: str | None
    created_at: datetime


class CandidateAssessment(OutModel):
    """One attempt of the candidate's history."""

    id: str
    attempt_id: str
    title: str
    status: str
    score: float | None
    max_score: float | None
    percentage: float | None
    time_spent: int | None
    started_at: datetime
    completed_at: datetime | None


class Note(OutModel):
    id: str
    content: str
    author: str
    created_at: datetime


class CandidateSummary(OutModel):
    id: str
    email: str
    first_name: str
    last_name: str
    status: str
    company_id: str
    position_id: str | None
    profile: CandidateProfile
    tags: list[str]
    rating: float | None
    assessments: list[CandidateAssessment]
    created_at: datetime


class ReminderOut(OutModel):
    interval: str
    due_at: datetime
    sent_at: datetime | None


class InvitationOut(OutModel):
    invitation_id: str
    assessment_id: str
    candidate_id: str
    invite_link: str
    sent_at: datetime
    due_date: datetime | None
    expires_at: datetime
    # sent | opened (the candidate signed in with it) | expired
    status: str
    reminders: list[ReminderOut]


class CandidateDetail(CandidateSummary):
    notes: list[Note]
    invitations: list[InvitationOut]
    source: str | None
    referred_by: str | None
    updated_at: datetime


class CandidateUpdate(WireModel):
    status: CandidateStatus | None = None
    # Appended as a new note, signed by the caller.
    notes: str | None = Field(default=None, min_length=1, max_length=10_000)
    tags: list[Tag] | None = Field(default=None, max_length=50)
    rating: float | None = Field(default=None, ge=0, le=5)
    position_id: str | None = Field(default=None, max_length=64)
    profile: CandidateProfile | None = None


class ReminderSchedule(WireModel):
    enabled: bool = True
    intervals: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("intervals")
    @classmethod
    def _intervals(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not INTERVAL_PATTERN.match(v)]
        if bad:
            raise ValueError(f"intervals look like '1_day', '2_hours', '30_minutes': {bad}")
        return value


class InviteRequest(WireModel):
    assessment_id: str = Field(min_length=1, max_length=64)
    message: str | None = Field(default=None, max_length=5000)
    due_date: datetime | None = None
    reminder_schedule: ReminderSchedule | None = None

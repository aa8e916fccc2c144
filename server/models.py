"""Every feature's models, imported so that `Base.metadata` is complete (Alembic, tests)."""

from server.admin.models import SystemConfig
from server.assessments.models import (
    AnswerRevision,
    Assessment,
    AssessmentQuestion,
    Attempt,
    AttemptAnswer,
)
from server.audit.models import AuditEntry
from server.auth.models import AuthSession, IdentityLink, MemberInvite, RefreshToken, User
from server.candidates.models import Candidate, CandidateNote, Invitation, InvitationReminder
from server.companies.models import ApiKey, Company
from server.db import Base
from server.execution.models import Execution
from server.idempotency.models import IdempotencyKey, IdempotentRequest
from server.mail.models import MailMessage
from server.proctoring.models import ProctorEventRecord, ProctorSession
from server.questions.models import Question, QuestionVersion
from server.sync.models import SyncDevice, SyncEntry

__all__ = [
    "AnswerRevision",
    "ApiKey",
    "Assessment",
    "AssessmentQuestion",
    "Attempt",
    "AttemptAnswer",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Candidate",
    "CandidateNote",
    "Company",
    "Execution",
    "IdempotencyKey",
    "IdempotentRequest",
    "IdentityLink",
    "Invitation",
    "InvitationReminder",
    "MailMessage",
    "MemberInvite",
    "ProctorEventRecord",
    "ProctorSession",
    "Question",
    "QuestionVersion",
    "RefreshToken",
    "SyncDevice",
    "SyncEntry",
    "SystemConfig",
    "User",
]

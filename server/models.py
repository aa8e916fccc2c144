"""Every feature's models, imported so that `Base.metadata` is complete (Alembic, tests)."""

from server.admin.models import SystemConfig
from server.audit.models import AuditEntry
from server.auth.models import AuthSession, IdentityLink, MemberInvite, RefreshToken, User
from server.companies.models import ApiKey, Company
from server.db import Base
from server.mail.models import MailMessage
from server.proctoring.models import ProctorEventRecord, ProctorSession
from server.sync.models import SyncDevice, SyncEntry

__all__ = [
    "ApiKey",
    "AuditEntry",
    "AuthSession",
    "Base",
    "Company",
    "IdentityLink",
    "MailMessage",
    "MemberInvite",
    "ProctorEventRecord",
    "ProctorSession",
    "RefreshToken",
    "SyncDevice",
    "SyncEntry",
    "SystemConfig",
    "User",
]

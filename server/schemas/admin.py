"""Admin bodies: users, roles, suspensions, configuration, audit entries, statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from server.schemas.auth import GrantablePermission, RoleName
from server.schemas.common import OutModel, WireModel

SuspensionDuration = Literal["1_day", "7_days", "30_days", "90_days", "permanent"]


class UserSummary(OutModel):
    uid: str
    email: str
    role: str
    company_id: str | None
    status: str
    permissions: list[str]
    suspended_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime


class RoleUpdate(WireModel):
    role: RoleName
    # `*` is accepted for the admin role (whose defaults it is), as the spec's example sends.
    permissions: list[GrantablePermission | Literal["*"]] | None = Field(
        default=None, max_length=50
    )
    company_id: str | None = None


class Suspension(WireModel):
    reason: str = Field(min_length=1, max_length=500)
    duration: SuspensionDuration = "permanent"


class SystemConfigUpdate(WireModel):
    maintenance_mode: bool | None = None
    max_file_size: int | None = Field(default=None, ge=0)
    allowed_domains: list[str] | None = Field(default=None, max_length=500)


class SystemConfigOut(OutModel):
    maintenance_mode: bool
    max_file_size: int | None = None
    allowed_domains: list[str] = Field(default_factory=list)
    updated_at: datetime
    updated_by: str | None


class AuditEntryOut(OutModel):
    id: str
    at: datetime
    action: str
    actor_id: str | None
    actor_email: str | None
    company_id: str | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    request_id: str | None
    details: dict[str, Any]


class Counts(OutModel):
    total: int
    active: int
    new_this_month: int


class Stats(OutModel):
    users: Counts
    companies: Counts
    assessments: dict[str, int] = Field(default_factory=dict)
    candidates: dict[str, int] = Field(default_factory=dict)

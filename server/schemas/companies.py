"""Company bodies: create, update settings, members, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import EmailStr, Field

from server.schemas.auth import GrantablePermission
from server.schemas.common import OutModel, WireModel

Plan = Literal["free", "pro", "enterprise"]
CompanyStatus = Literal["active", "suspended"]


class Address(WireModel):
    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    zip_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=2)


class Billing(WireModel):
    address: Address | None = None
    payment_method: str | None = Field(default=None, max_length=200)


class CompanyCreate(WireModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    domain: str | None = Field(default=None, max_length=255)
    plan: Plan = "free"
    # Free-form company settings (`maxAssessments`, `customBranding`, ...), merged on update.
    settings: dict[str, Any] = Field(default_factory=dict)
    billing: Billing | None = None


class CompanyUpdate(WireModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    domain: str | None = Field(default=None, max_length=255)
    plan: Plan | None = None
    status: CompanyStatus | None = None
    settings: dict[str, Any] | None = None
    billing: Billing | None = None


class CompanyCreated(OutModel):
    id: str
    name: str
    domain: str | None
    plan: str
    status: str
    api_key: str = Field(description="Shown once; store it now.")
    created_at: datetime
    setup_complete: bool


class CompanySummary(OutModel):
    id: str
    name: str
    email: str
    domain: str | None
    plan: str
    status: str
    created_at: datetime
    updated_at: datetime


class Member(OutModel):
    user_id: str
    email: str
    role: str
    status: str
    permissions: list[str]
    joined_at: datetime


class Usage(OutModel):
    members: int
    # Assessments that are not archived.
    assessments: int = 0
    candidates: int = 0
    # Invitations sent since the first of this month (UTC).
    monthly_invites: int = 0


class CompanyDetail(CompanySummary):
    settings: dict[str, Any]
    billing: dict[str, Any]
    usage: Usage
    members: list[Member]
    setup_complete: bool


class MemberCreate(WireModel):
    email: EmailStr
    role: Literal["recruiter", "hiring_manager"]
    permissions: list[GrantablePermission] = Field(default_factory=list, max_length=50)
    send_invitation: bool = True
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)


class MemberCreated(Member):
    invitation_sent: bool


class ApiKeyIssued(OutModel):
    api_key: str = Field(description="Shown once; store it now.")
    prefix: str
    created_at: datetime

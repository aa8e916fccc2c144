"""Authentication bodies: login (password, OIDC ID token, invitation), tokens, the current user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from server.schemas.common import OutModel, WireModel

RoleName = Literal["admin", "ella_recruiter", "recruiter", "hiring_manager", "candidate"]

# A permission that may be granted on top of a role: `resource:action` (never `*`).
PERMISSION_RESOURCES = (
    "assessments",
    "questions",
    "candidates",
    "analytics",
    "proctoring",
    "execution",
    "webhooks",
    "company",
    "members",
    "support",
)
PERMISSION_ACTIONS = ("create", "read", "update", "delete", "manage", "run", "review", "invite")
GrantablePermission = Annotated[
    str,
    Field(
        pattern=f"^({'|'.join(PERMISSION_RESOURCES)}):({'|'.join(PERMISSION_ACTIONS)})$",
        examples=["assessments:create", "candidates:manage"],
    ),
]


class LoginRequest(WireModel):
    """Exactly one way to sign in: `email` + `password`, `idToken`, or `inviteToken`."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["email", "password"]},
                {"required": ["idToken"]},
                {"required": ["inviteToken"]},
            ]
        }
    )

    # Not format-checked: a login only looks the address up.
    email: str | None = Field(default=None, min_length=3, max_length=320)
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    id_token: str | None = Field(default=None, min_length=1, max_length=16384)
    invite_token: str | None = Field(default=None, min_length=1, max_length=512)

    @model_validator(mode="after")
    def _one_method(self) -> LoginRequest:
        password_login = self.email is not None or self.password is not None
        methods = [password_login, self.id_token is not None, self.invite_token is not None]
        if sum(methods) != 1:
            raise ValueError("send either email and password, or idToken, or inviteToken")
        if password_login and (self.email is None or self.password is None):
            raise ValueError("email and password are both required")
        return self


class RefreshRequest(WireModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(WireModel):
    token: str | None = Field(default=None, max_length=4096)
    refresh_token: str | None = Field(default=None, max_length=512)


class AcceptInviteRequest(WireModel):
    token: str = Field(min_length=1, max_length=512)
    password: str = Field(min_length=10, max_length=1024)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)


class SessionUser(OutModel):
    uid: str
    email: str | None
    role: RoleName
    company_id: str | None
    permissions: list[str]
    candidate_id: str | None = None
    # A candidate's: the assessment their invitation is for (what the desktop app starts).
    assessment_id: str | None = None


class TokenPair(OutModel):
    token: str
    refresh_token: str
    expires_in: int
    user: SessionUser


class VerifyResult(OutModel):
    valid: bool
    uid: str
    role: RoleName
    company_id: str | None
    expires_at: datetime | None


class Profile(OutModel):
    first_name: str | None = None
    last_name: str | None = None
    avatar: str | None = None
    timezone: str | None = None


class CurrentUser(SessionUser):
    profile: Profile | dict[str, Any] | None = None
    last_login_at: datetime | None = None
    created_at: datetime | None = None


class LoggedOut(OutModel):
    logged_out: Literal[True] = True

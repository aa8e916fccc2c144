"""System administration: users and roles, suspensions, system configuration, statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.admin.models import SYSTEM_CONFIG_ID, SystemConfig
from server.audit import service as audit
from server.auth.models import User
from server.auth.service import revoke_all_sessions
from server.companies.models import Company
from server.deps import Actor, forget_maintenance_mode
from server.errors import Conflict, ValidationFailed, not_found
from server.pagination import PageParams, paginate
from server.permissions import ROLE_PERMISSIONS, Role, effective_permissions, ungrantable
from server.schemas.admin import (
    Counts,
    RoleUpdate,
    Stats,
    Suspension,
    SystemConfigOut,
    SystemConfigUpdate,
    UserSummary,
)
from server.schemas.common import Pagination

SUSPENSION_DAYS = {"1_day": 1, "7_days": 7, "30_days": 30, "90_days": 90}
COMPANY_ROLES = {Role.RECRUITER, Role.HIRING_MANAGER}


def user_summary(user: User) -> UserSummary:
    return UserSummary(
        uid=user.id,
        email=user.email,
        role=user.role,
        company_id=user.company_id,
        status=user.status,
        permissions=effective_permissions(Role(user.role), user.extra_permissions),
        suspended_until=user.suspended_until,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


def list_users(
    db: Session,
    params: PageParams,
    *,
    role: str | None,
    company_id: str | None,
    status: str | None,
    search: str | None,
) -> tuple[list[User], Pagination]:
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if company_id:
        stmt = stmt.where(User.company_id == company_id)
    if status:
        stmt = stmt.where(User.status == status)
    if search:
        pattern = f"%{search.lower()}%"
        stmt = stmt.where(
            or_(
                User.email.like(pattern),
                func.lower(User.first_name).like(pattern),
                func.lower(User.last_name).like(pattern),
            )
        )
    return paginate(db, stmt, params, order_by=User.created_at, id_column=User.id)


def _user(db: Session, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise not_found("User", user_id)
    return user


def change_role(db: Session, *, actor: Actor, user_id: str, data: RoleUpdate) -> UserSummary:
    user = _user(db, user_id)
    role = Role(data.role)
    if role is Role.CANDIDATE:
        raise ValidationFailed(
            "Candidates sign in with invitations; staff accounts cannot become candidates",
            details={"field": "role", "value": data.role},
        )
    if user.id == actor.id and role is not Role.ADMIN:
        raise Conflict("You cannot remove your own administrator role", code="SELF_DEMOTION")
    role_defaults = set(ROLE_PERMISSIONS[role])
    extra = [p for p in data.permissions or [] if p not in role_defaults]
    refused = ungrantable(extra)
    if refused:
        raise ValidationFailed(
            "Some permissions cannot be granted",
            details={"field": "permissions", "message": "not grantable", "value": refused},
        )
    company_id = data.company_id or user.company_id
    if role in COMPANY_ROLES:
        if company_id is None:
            raise ValidationFailed(
                f"A {role.value} belongs to a company: send companyId",
                details={"field": "companyId", "message": "required for this role"},
            )
        if db.get(Company, company_id) is None:
            raise not_found("Company", company_id)
    else:
        company_id = None
    before = {
        "role": user.role,
        "companyId": user.company_id,
        "permissions": user.extra_permissions,
    }
    user.role, user.company_id, user.extra_permissions = role.value, company_id, extra
    audit.record(
        db,
        "USER_ROLE_CHANGED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=company_id,
        target_type="user",
        target_id=user.id,
        details={
            "before": before,
            "after": {"role": role.value, "companyId": company_id, "permissions": extra},
        },
    )
    db.commit()
    return user_summary(user)


def suspend(db: Session, *, actor: Actor, user_id: str, data: Suspension) -> UserSummary:
    user = _user(db, user_id)
    if user.id == actor.id:
        raise Conflict("You cannot suspend yourself", code="SELF_SUSPENSION")
    days = SUSPENSION_DAYS.get(data.duration)
    user.status = "suspended"
    user.suspended_until = datetime.now(UTC) + timedelta(days=days) if days else None
    user.suspension_reason = data.reason
    # Tokens already issued stop working now, not when they expire.
    revoke_all_sessions(db, user.id, reason="suspended")
    audit.record(
        db,
        "USER_SUSPENDED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=user.company_id,
        target_type="user",
        target_id=user.id,
        details={"reason": data.reason, "duration": data.duration},
    )
    db.commit()
    return user_summary(user)


def reinstate(db: Session, *, actor: Actor, user_id: str) -> UserSummary:
    user = _user(db, user_id)
    if user.status != "suspended":
        raise Conflict("This user is not suspended", code="NOT_SUSPENDED")
    user.status = "active" if user.password_hash else "invited"
    user.suspended_until = None
    user.suspension_reason = None
    audit.record(
        db,
        "USER_REINSTATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=user.company_id,
        target_type="user",
        target_id=user.id,
    )
    db.commit()
    return user_summary(user)


def system_config(db: Session) -> SystemConfig:
    config = db.get(SystemConfig, SYSTEM_CONFIG_ID)
    if config is None:
        config = SystemConfig(id=SYSTEM_CONFIG_ID, maintenance_mode=False, settings={})
        db.add(config)
        db.flush()
    return config


def config_out(config: SystemConfig) -> SystemConfigOut:
    return SystemConfigOut(
        maintenance_mode=config.maintenance_mode,
        max_file_size=config.settings.get("maxFileSize"),
        allowed_domains=config.settings.get("allowedDomains", []),
        updated_at=config.updated_at,
        updated_by=config.updated_by,
    )


def update_config(db: Session, *, actor: Actor, data: SystemConfigUpdate) -> SystemConfigOut:
    config = system_config(db)
    changes = data.model_dump(exclude_unset=True, by_alias=True)
    if data.maintenance_mode is not None:
        config.maintenance_mode = data.maintenance_mode
    config.settings = {
        **config.settings,
        **{k: v for k, v in changes.items() if k != "maintenanceMode"},
    }
    config.updated_at = datetime.now(UTC)
    config.updated_by = actor.id
    audit.record(
        db,
        "SYSTEM_CONFIG_UPDATED",
        actor_id=actor.id,
        actor_email=actor.email,
        target_type="system_config",
        details={"changes": changes},
    )
    db.commit()
    forget_maintenance_mode(db)
    return config_out(config)


def stats(db: Session) -> Stats:
    month_start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def count(model: type[User] | type[Company], *conditions: object) -> int:
        return db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0  # type: ignore[arg-type]

    return Stats(
        users=Counts(
            total=count(User),
            active=count(User, User.status == "active"),
            new_this_month=count(User, User.created_at >= month_start),
        ),
        companies=Counts(
            total=count(Company),
            active=count(Company, Company.status == "active"),
            new_this_month=count(Company, Company.created_at >= month_start),
        ),
    )

"""`/api/admin/*`: users, roles, suspensions, configuration, audit log, statistics (admins only)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from server.admin import service
from server.audit import service as audit
from server.deps import AdminActor, DbSession, require_admin
from server.http import ok
from server.pagination import PageParams, page_params
from server.schemas.admin import (
    AuditEntryOut,
    RoleUpdate,
    Stats,
    Suspension,
    SystemConfigOut,
    SystemConfigUpdate,
    UserSummary,
)
from server.schemas.auth import RoleName
from server.schemas.common import Envelope

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])

Page = Annotated[PageParams, Depends(page_params)]


@router.get("/users", summary="List users")
def list_users(
    _: AdminActor,
    db: DbSession,
    page: Page,
    role: Annotated[RoleName | None, Query()] = None,
    company_id: Annotated[str | None, Query(alias="companyId")] = None,
    status: Annotated[Literal["active", "invited", "suspended"] | None, Query()] = None,
    search: Annotated[str | None, Query(max_length=200)] = None,
) -> Envelope[list[UserSummary]]:
    rows, pagination = service.list_users(
        db, page, role=role, company_id=company_id, status=status, search=search
    )
    return ok([service.user_summary(u) for u in rows], pagination=pagination)


@router.put("/users/{user_id}/role", summary="Change a user's role and granted permissions")
def change_role(
    user_id: str, body: RoleUpdate, actor: AdminActor, db: DbSession
) -> Envelope[UserSummary]:
    return ok(service.change_role(db, actor=actor, user_id=user_id, data=body))


@router.post(
    "/users/{user_id}/suspend", summary="Suspend a user; their tokens stop working at once"
)
def suspend(
    user_id: str, body: Suspension, actor: AdminActor, db: DbSession
) -> Envelope[UserSummary]:
    return ok(service.suspend(db, actor=actor, user_id=user_id, data=body))


@router.post("/users/{user_id}/reinstate", summary="Lift a suspension")
def reinstate(user_id: str, actor: AdminActor, db: DbSession) -> Envelope[UserSummary]:
    return ok(service.reinstate(db, actor=actor, user_id=user_id))


@router.get("/config", summary="System configuration")
def get_config(_: AdminActor, db: DbSession) -> Envelope[SystemConfigOut]:
    config = service.system_config(db)
    db.commit()
    return ok(service.config_out(config))


@router.put("/config", summary="Update system configuration (maintenance mode, limits)")
def update_config(
    body: SystemConfigUpdate, actor: AdminActor, db: DbSession
) -> Envelope[SystemConfigOut]:
    return ok(service.update_config(db, actor=actor, data=body))


@router.get("/stats", summary="System-wide statistics")
def stats(_: AdminActor, db: DbSession) -> Envelope[Stats]:
    return ok(service.stats(db))


@router.get("/audit", summary="The audit log, newest first")
def audit_log(
    _: AdminActor,
    db: DbSession,
    page: Page,
    start_date: Annotated[date | datetime | None, Query(alias="startDate")] = None,
    end_date: Annotated[date | datetime | None, Query(alias="endDate")] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    user_id: Annotated[str | None, Query(alias="userId")] = None,
    company_id: Annotated[str | None, Query(alias="companyId")] = None,
) -> Envelope[list[AuditEntryOut]]:
    rows, pagination = audit.list_entries(
        db,
        page,
        start=_bound(start_date, time.min),
        end=_bound(end_date, time.max),
        action=action,
        actor_id=user_id,
        company_id=company_id,
    )
    return ok([AuditEntryOut.model_validate(e) for e in rows], pagination=pagination)


def _bound(value: date | datetime | None, at: time) -> datetime | None:
    """A bare date covers the whole day (UTC): endDate=2024-01-31 includes that day."""
    from datetime import UTC

    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.combine(value, at, tzinfo=UTC)

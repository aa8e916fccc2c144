"""Recording and reading audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.http import current_request_id
from server.ids import new_id
from server.pagination import PageParams, paginate
from server.schemas.common import Pagination


def record(
    db: Session,
    action: str,
    *,
    actor_id: str | None = None,
    actor_email: str | None = None,
    company_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction: it commits (or not) with the change it audits."""
    entry = AuditEntry(
        id=new_id("audit"),
        action=action,
        actor_id=actor_id,
        actor_email=actor_email,
        company_id=company_id,
        target_type=target_type,
        target_id=target_id,
        ip=ip,
        request_id=current_request_id(),
        details=details or {},
    )
    db.add(entry)
    return entry


def list_entries(
    db: Session,
    params: PageParams,
    *,
    start: datetime | None,
    end: datetime | None,
    action: str | None,
    actor_id: str | None,
    company_id: str | None,
) -> tuple[list[AuditEntry], Pagination]:
    stmt = select(AuditEntry)
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEntry.at <= end)
    if action:
        stmt = stmt.where(AuditEntry.action == action.upper())
    if actor_id:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if company_id:
        stmt = stmt.where(AuditEntry.company_id == company_id)
    return paginate(db, stmt, params, order_by=AuditEntry.at, id_column=AuditEntry.id)

"""The tenant rules every company-owned resource follows.

Naming another company explicitly (a `companyId` in a body or filter) is a 403; fetching another
company's resource by its ID is a 404, so IDs leak nothing. System administrators see every company.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.companies.models import Company
from server.deps import Actor
from server.errors import ValidationFailed, not_found


def company_for_write(db: Session, actor: Actor, company_id: str | None) -> str:
    """The company a new resource belongs to: the one named, or the caller's own."""
    if company_id is None:
        if actor.company_id is None:
            raise ValidationFailed(
                "companyId is required for callers outside a company",
                details={"field": "companyId", "message": "required", "value": None},
            )
        return actor.company_id
    actor.require_company(company_id)
    if db.get(Company, company_id) is None:
        raise not_found("Company", company_id)
    return company_id


def scoped(
    stmt: Select[Any], actor: Actor, column: InstrumentedAttribute[str], company_id: str | None
) -> Select[Any]:
    """Limit a list to the named company (which the caller must belong to) or the caller's own."""
    if company_id is not None:
        actor.require_company(company_id)
        return stmt.where(column == company_id)
    if actor.is_admin:
        return stmt
    return stmt.where(column == actor.company_id)


def visible(actor: Actor, company_id: str) -> bool:
    return actor.can_access_company(company_id)

"""`/api/companies`: create (admin), list, get, update settings, members, API key rotation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from server.companies import service
from server.deps import Actor, AdminActor, Context, DbSession, require
from server.http import ok
from server.pagination import PageParams, page_params
from server.schemas.common import Envelope
from server.schemas.companies import (
    ApiKeyIssued,
    CompanyCreate,
    CompanyCreated,
    CompanyDetail,
    CompanySummary,
    CompanyUpdate,
    MemberCreate,
    MemberCreated,
)

router = APIRouter(prefix="/companies", tags=["companies"])

Reader = Annotated[Actor, Depends(require("company:read"))]
Manager = Annotated[Actor, Depends(require("company:manage"))]
MemberManager = Annotated[Actor, Depends(require("members:manage"))]


@router.post("", status_code=201, summary="Create a company (system administrators)")
def create_company(
    body: CompanyCreate, actor: AdminActor, db: DbSession, ctx: Context
) -> Envelope[CompanyCreated]:
    return ok(
        service.create_company(db, actor=actor, data=body, settings=ctx.settings, mail=ctx.mail)
    )


@router.get("", summary="List companies (administrators see all; others their own)")
def list_companies(
    actor: Reader,
    db: DbSession,
    page: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Literal["active", "suspended"] | None, Query()] = None,
    plan: Annotated[Literal["free", "pro", "enterprise"] | None, Query()] = None,
) -> Envelope[list[CompanySummary]]:
    rows, pagination = service.list_companies(
        db, actor=actor, params=page, status=status, plan=plan
    )
    return ok([CompanySummary.model_validate(c) for c in rows], pagination=pagination)


@router.get("/{company_id}", summary="A company with its members and usage")
def get_company(company_id: str, actor: Reader, db: DbSession) -> Envelope[CompanyDetail]:
    company = service.get_company(db, actor=actor, company_id=company_id)
    return ok(service.company_detail(db, company))


@router.patch("/{company_id}", summary="Update a company's settings (merged)")
def update_company(
    company_id: str, body: CompanyUpdate, actor: Manager, db: DbSession
) -> Envelope[CompanyDetail]:
    return ok(service.update_company(db, actor=actor, company_id=company_id, data=body))


@router.post(
    "/{company_id}/members", status_code=201, summary="Add a member; they get an invitation"
)
def add_member(
    company_id: str, body: MemberCreate, actor: MemberManager, db: DbSession, ctx: Context
) -> Envelope[MemberCreated]:
    return ok(
        service.add_member(
            db, actor=actor, company_id=company_id, data=body, settings=ctx.settings, mail=ctx.mail
        )
    )


@router.post(
    "/{company_id}/api-key/rotate", status_code=201, summary="Replace the company's API key"
)
def rotate_api_key(company_id: str, actor: Manager, db: DbSession) -> Envelope[ApiKeyIssued]:
    return ok(service.rotate_api_key(db, actor=actor, company_id=company_id))

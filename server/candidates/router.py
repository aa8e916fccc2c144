"""`/api/candidates`: create, list, details, update (status, notes, tags, rating), invite."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from server.candidates import service
from server.deps import Context, CurrentActor, DbSession
from server.http import ok
from server.pagination import PageParams, page_params
from server.schemas.candidates import (
    CandidateCreate,
    CandidateCreated,
    CandidateDetail,
    CandidateStatus,
    CandidateSummary,
    CandidateUpdate,
    InvitationOut,
    InviteRequest,
)
from server.schemas.common import Envelope
from server.skills import parse_filter

router = APIRouter(prefix="/candidates", tags=["candidates"])


@router.post("", status_code=201, summary="Create a candidate (and invite them, with assessmentId)")
def create_candidate(
    body: CandidateCreate, actor: CurrentActor, db: DbSession, ctx: Context
) -> Envelope[CandidateCreated]:
    return ok(
        service.create_candidate(db, actor=actor, settings=ctx.settings, mail=ctx.mail, data=body)
    )


@router.get("", summary="List candidates: search, status, position, skills, experience")
def list_candidates(
    actor: CurrentActor,
    db: DbSession,
    page: Annotated[PageParams, Depends(page_params)],
    company_id: Annotated[str | None, Query(alias="companyId", max_length=64)] = None,
    status: Annotated[CandidateStatus | None, Query()] = None,
    position_id: Annotated[str | None, Query(alias="positionId", max_length=64)] = None,
    search: Annotated[str | None, Query(max_length=200, description="Name or email")] = None,
    skills: Annotated[list[str] | None, Query(description="All of these; comma-separated")] = None,
    experience_min: Annotated[float | None, Query(alias="experienceMin", ge=0)] = None,
    experience_max: Annotated[float | None, Query(alias="experienceMax", ge=0)] = None,
) -> Envelope[list[CandidateSummary]]:
    rows, pagination = service.list_candidates(
        db,
        actor=actor,
        params=page,
        company_id=company_id,
        status=status,
        position_id=position_id,
        search=search,
        skills=parse_filter(skills),
        experience_min=experience_min,
        experience_max=experience_max,
    )
    return ok(rows, pagination=pagination)


@router.get("/{candidate_id}", summary="A candidate with assessment history, notes and tags")
def get_candidate(
    candidate_id: str, actor: CurrentActor, db: DbSession, ctx: Context
) -> Envelope[CandidateDetail]:
    candidate = service.get_candidate(db, actor=actor, candidate_id=candidate_id)
    return ok(service.candidate_detail(db, actor=actor, settings=ctx.settings, candidate=candidate))


@router.patch("/{candidate_id}", summary="Update status, add a note, set tags and rating")
def update_candidate(
    candidate_id: str, body: CandidateUpdate, actor: CurrentActor, db: DbSession, ctx: Context
) -> Envelope[CandidateDetail]:
    return ok(
        service.update_candidate(
            db, actor=actor, settings=ctx.settings, candidate_id=candidate_id, data=body
        )
    )


@router.post(
    "/{candidate_id}/invite",
    status_code=201,
    summary="Invite to an assessment (201), or get the open invitation to it (200)",
)
def invite(
    candidate_id: str,
    body: InviteRequest,
    actor: CurrentActor,
    db: DbSession,
    ctx: Context,
    response: Response,
) -> Envelope[InvitationOut]:
    invitation, created = service.invite_candidate(
        db, actor=actor, settings=ctx.settings, mail=ctx.mail, candidate_id=candidate_id, data=body
    )
    if not created:
        response.status_code = 200
    return ok(invitation)

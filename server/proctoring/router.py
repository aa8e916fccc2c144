"""`/api/proctor/sessions`: create, list (by risk), read, report events, end, review, snapshots."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from server.deps import Blobs, Context, CurrentActor, DbSession
from server.http import ok
from server.pagination import PageParams, page_params
from server.proctoring import service
from server.schemas.common import Envelope
from server.schemas.proctoring import (
    ProctorEventCreate,
    ProctorEventOut,
    ProctorReviewCreate,
    ProctorSessionCreate,
    ProctorSessionCreated,
    ProctorSessionDetail,
    ProctorSessionEnd,
    ProctorSessionSummary,
    ReviewStatus,
    RiskLevel,
)

router = APIRouter(prefix="/proctor/sessions", tags=["proctoring"])


@router.post("", status_code=201, summary="Open a proctoring session for an assessment")
def create_session(
    body: ProctorSessionCreate, actor: CurrentActor, db: DbSession, ctx: Context
) -> Envelope[ProctorSessionCreated]:
    return ok(service.create_session(db, actor=actor, data=body, settings=ctx.settings))


@router.get("", summary="Sessions for proctors, highest risk first")
def list_sessions(
    actor: CurrentActor,
    db: DbSession,
    page: Annotated[PageParams, Depends(page_params)],
    assessment_id: Annotated[str | None, Query(alias="assessmentId", max_length=40)] = None,
    candidate_id: Annotated[str | None, Query(alias="candidateId", max_length=40)] = None,
    risk_level: Annotated[RiskLevel | None, Query(alias="riskLevel")] = None,
    review_status: Annotated[ReviewStatus | None, Query(alias="reviewStatus")] = None,
    company_id: Annotated[str | None, Query(alias="companyId", max_length=40)] = None,
) -> Envelope[list[ProctorSessionSummary]]:
    filters = service.SessionFilters(
        assessment_id=assessment_id,
        candidate_id=candidate_id,
        risk_level=risk_level,
        review_status=review_status,
        company_id=company_id,
    )
    rows, pagination = service.list_sessions(db, actor=actor, params=page, filters=filters)
    return ok([service.summary(s) for s in rows], pagination=pagination)


@router.get("/{session_id}", summary="A session: events, risk with its explanation, integrity")
def get_session(
    session_id: str, actor: CurrentActor, db: DbSession
) -> Envelope[ProctorSessionDetail]:
    session = service.get_session(db, actor=actor, session_id=session_id)
    return ok(service.detail(db, session, for_staff=actor.kind != "candidate"))


@router.post("/{session_id}/events", status_code=201, summary="Report one proctoring event")
def report_event(
    session_id: str, body: ProctorEventCreate, actor: CurrentActor, db: DbSession
) -> Envelope[ProctorEventOut]:
    return ok(service.report_event(db, actor=actor, session_id=session_id, data=body))


@router.post("/{session_id}/end", summary="End a session; returns the final report")
def end_session(
    session_id: str,
    actor: CurrentActor,
    db: DbSession,
    body: ProctorSessionEnd | None = None,
) -> Envelope[ProctorSessionDetail]:
    data = body or ProctorSessionEnd()
    session = service.end_session(db, actor=actor, session_id=session_id, data=data)
    return ok(service.detail(db, session, for_staff=actor.kind != "candidate"))


@router.post("/{session_id}/review", summary="A proctor's verdict: cleared or flagged")
def review_session(
    session_id: str, body: ProctorReviewCreate, actor: CurrentActor, db: DbSession
) -> Envelope[ProctorSessionSummary]:
    return ok(service.summary(service.review(db, actor=actor, session_id=session_id, data=body)))


@router.get(
    "/{session_id}/snapshots/{event_id}",
    summary="A snapshot image (proctors only)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_snapshot(
    session_id: str, event_id: str, actor: CurrentActor, db: DbSession, blobs: Blobs
) -> Response:
    data = service.snapshot(db, actor=actor, session_id=session_id, event_id=event_id, blobs=blobs)
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private"})

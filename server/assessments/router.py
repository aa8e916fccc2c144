"""`/api/assessments` (create, list, details, update, archive, batch, results, and the attempt
endpoints start, submit-answer, complete) and `/api/attempts/{id}` for reloading an attempt."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from server.assessments import attempts, service
from server.assessments.code_runner import code_runner
from server.deps import Context, CurrentActor, DbSession
from server.http import ok
from server.pagination import PageParams, page_params
from server.schemas.assessments import (
    AnswerResult,
    AssessmentCreate,
    AssessmentCreated,
    AssessmentDetail,
    AssessmentStatus,
    AssessmentSummary,
    AssessmentUpdate,
    AttemptOut,
    AttemptResult,
    BatchRequest,
    BatchResponse,
    CompleteRequest,
    CompletionOut,
    ReviewRequest,
    SavedAnswer,
    StartRequest,
    SubmitAnswerRequest,
)
from server.schemas.common import Envelope
from server.schemas.questions import Difficulty
from server.skills import parse_filter

router = APIRouter(prefix="/assessments", tags=["assessments"])
attempts_router = APIRouter(prefix="/attempts", tags=["assessments"])

Page = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, summary="Create an assessment from the question bank")
def create_assessment(
    body: AssessmentCreate, actor: CurrentActor, db: DbSession
) -> Envelope[AssessmentCreated]:
    return ok(service.create_assessment(db, actor=actor, data=body))


@router.get("", summary="List assessments with filters, sorting and cursor pagination")
def list_assessments(
    actor: CurrentActor,
    db: DbSession,
    page: Page,
    company_id: Annotated[str | None, Query(alias="companyId", max_length=64)] = None,
    status: Annotated[AssessmentStatus | None, Query()] = None,
    difficulty: Annotated[Difficulty | None, Query()] = None,
    position_id: Annotated[str | None, Query(alias="positionId", max_length=64)] = None,
    skills: Annotated[list[str] | None, Query(description="All of these; comma-separated")] = None,
    sort: Annotated[
        str | None, Query(max_length=40, description="createdAt|updatedAt|title, ':asc'|':desc'")
    ] = None,
) -> Envelope[list[AssessmentSummary]]:
    rows, pagination = service.list_assessments(
        db,
        actor=actor,
        params=page,
        company_id=company_id,
        status=status,
        difficulty=difficulty,
        position_id=position_id,
        skills=parse_filter(skills),
        sort=sort,
    )
    return ok(rows, pagination=pagination)


@router.post("/batch", summary="Create, update and archive several assessments")
def batch(body: BatchRequest, actor: CurrentActor, db: DbSession) -> Envelope[BatchResponse]:
    return ok(service.run_batch(db, actor=actor, batch=body))


@router.get("/{assessment_id}", summary="An assessment with its questions and analytics")
def get_assessment(
    assessment_id: str, actor: CurrentActor, db: DbSession
) -> Envelope[AssessmentDetail]:
    assessment = service.get_assessment(db, actor=actor, assessment_id=assessment_id)
    return ok(service.assessment_detail(db, actor=actor, assessment=assessment))


@router.put("/{assessment_id}", summary="Update an assessment (settings are merged)")
def update_assessment(
    assessment_id: str, body: AssessmentUpdate, actor: CurrentActor, db: DbSession
) -> Envelope[AssessmentDetail]:
    return ok(service.update_assessment(db, actor=actor, assessment_id=assessment_id, data=body))


@router.delete("/{assessment_id}", summary="Archive an assessment; its results stay")
def archive_assessment(
    assessment_id: str, actor: CurrentActor, db: DbSession
) -> Envelope[AssessmentDetail]:
    return ok(service.archive_assessment(db, actor=actor, assessment_id=assessment_id))


@router.get("/{assessment_id}/results", summary="Every attempt with candidate and score")
def results(
    assessment_id: str, actor: CurrentActor, db: DbSession, page: Page
) -> Envelope[list[AttemptResult]]:
    rows, pagination = service.results(db, actor=actor, assessment_id=assessment_id, params=page)
    return ok(rows, pagination=pagination)


@router.post(
    "/{assessment_id}/start",
    status_code=201,
    summary="Start an attempt (201), or get the one in progress (200)",
)
def start(
    assessment_id: str,
    actor: CurrentActor,
    db: DbSession,
    ctx: Context,
    response: Response,
    body: StartRequest | None = None,
) -> Envelope[AttemptOut]:
    attempt, created = attempts.start_attempt(
        db,
        actor=actor,
        settings=ctx.settings,
        assessment_id=assessment_id,
        candidate_id=body.candidate_id if body else None,
    )
    if not created:
        response.status_code = 200
    return ok(attempt)


@router.post("/{assessment_id}/submit-answer", summary="Save and grade an answer")
def submit_answer(
    assessment_id: str,
    body: SubmitAnswerRequest,
    actor: CurrentActor,
    db: DbSession,
    ctx: Context,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Envelope[AnswerResult]:
    return ok(
        attempts.submit_answer(
            db,
            actor=actor,
            settings=ctx.settings,
            runner=lambda: code_runner(ctx),
            assessment_id=assessment_id,
            body=body,
            idempotency_key=idempotency_key,
        )
    )


@router.post("/{assessment_id}/complete", summary="Finish an attempt: totals and ranking")
def complete(
    assessment_id: str, body: CompleteRequest, actor: CurrentActor, db: DbSession, ctx: Context
) -> Envelope[CompletionOut]:
    return ok(
        attempts.complete_attempt(
            db,
            actor=actor,
            settings=ctx.settings,
            assessment_id=assessment_id,
            attempt_id=body.attempt_id,
        )
    )


@attempts_router.get("/{attempt_id}", summary="Reload an attempt: questions, answers, time left")
def get_attempt(
    attempt_id: str, actor: CurrentActor, db: DbSession, ctx: Context
) -> Envelope[AttemptOut]:
    return ok(attempts.get_attempt(db, actor=actor, settings=ctx.settings, attempt_id=attempt_id))


@attempts_router.get("/{attempt_id}/result", summary="A completed attempt's totals and ranking")
def get_result(attempt_id: str, actor: CurrentActor, db: DbSession) -> Envelope[CompletionOut]:
    return ok(attempts.get_completion(db, actor=actor, attempt_id=attempt_id))


@attempts_router.post(
    "/{attempt_id}/answers/{question_id}/review", summary="A reviewer scores an answer"
)
def review_answer(
    attempt_id: str, question_id: str, body: ReviewRequest, actor: CurrentActor, db: DbSession
) -> Envelope[SavedAnswer]:
    return ok(
        attempts.review_answer(
            db,
            actor=actor,
            attempt_id=attempt_id,
            question_id=question_id,
            score=body.score,
            feedback=body.feedback,
        )
    )

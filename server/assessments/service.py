"""Assessments: create from the question bank, list, details with analytics, update, archive,
batches, and the results of every attempt."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.assessments.models import Assessment, AssessmentQuestion, Attempt
from server.audit import service as audit
from server.candidates.models import Candidate
from server.companies.models import Company
from server.deps import Actor
from server.errors import AppError, Conflict, ValidationFailed, not_found
from server.ids import new_id
from server.pagination import PageParams, paginate
from server.questions.models import Question
from server.schemas.assessments import (
    AssessmentAnalytics,
    AssessmentCreate,
    AssessmentCreated,
    AssessmentDetail,
    AssessmentSettings,
    AssessmentSummary,
    AssessmentUpdate,
    AttemptResult,
    BatchError,
    BatchRequest,
    BatchResponse,
    BatchResult,
    CandidateRef,
    Ranking,
)
from server.schemas.common import Pagination
from server.schemas.questions import QuestionSummary
from server.skills import has_all, skill_index
from server.tenancy import company_for_write, scoped

# Minutes an attempt lasts when neither the assessment nor its questions set a time limit.
DEFAULT_DURATION_MINUTES = 60

TRANSITIONS = {("draft", "active"), ("draft", "archived"), ("active", "archived")}

SORTABLE: dict[str, InstrumentedAttribute[Any]] = {
    "createdAt": Assessment.created_at,
    "updatedAt": Assessment.updated_at,
    "title": Assessment.title,
}


# -- reading -----------------------------------------------------------------------------------


def get_assessment(db: Session, *, actor: Actor, assessment_id: str) -> Assessment:
    """An assessment the caller may see: staff of its company, or the candidate invited to it."""
    assessment = db.get(Assessment, assessment_id)
    if actor.kind == "candidate":
        if assessment is None or actor.assessment_id != assessment.id:
            raise not_found("Assessment", assessment_id)
        return assessment
    actor.require("assessments:read")
    if assessment is None or not actor.can_access_company(assessment.company_id):
        raise not_found("Assessment", assessment_id)
    return assessment


def bank_questions(db: Session, assessment_id: str) -> list[Question]:
    """The assessment's questions in order, as the bank holds them now."""
    return list(
        db.scalars(
            select(Question)
            .join(AssessmentQuestion, AssessmentQuestion.question_id == Question.id)
            .where(AssessmentQuestion.assessment_id == assessment_id)
            .order_by(AssessmentQuestion.position)
        )
    )


def duration_minutes(assessment: Assessment, questions: Sequence[Question]) -> int:
    if assessment.time_limit:
        return assessment.time_limit
    return sum(q.time_limit or 0 for q in questions) or DEFAULT_DURATION_MINUTES


@dataclass(frozen=True)
class _Stats:
    total: int = 0
    completed: int = 0
    average_score: float | None = None
    average_seconds: float | None = None


def _stats(db: Session, assessment_ids: list[str]) -> dict[str, _Stats]:
    completed = Attempt.status == "completed"
    rows = db.execute(
        select(
            Attempt.assessment_id,
            func.count(),
            func.sum(case((completed, 1), else_=0)),
            func.avg(case((completed, Attempt.percentage), else_=None)),
            func.avg(case((completed, Attempt.time_spent), else_=None)),
        )
        .where(Attempt.assessment_id.in_(assessment_ids))
        .group_by(Attempt.assessment_id)
    )
    return {
        aid: _Stats(
            int(total),
            int(done or 0),
            None if score is None else round(float(score), 2),
            None if seconds is None else float(seconds),
        )
        for aid, total, done, score, seconds in rows
    }


def _summary_fields(
    assessment: Assessment, questions: Sequence[Question], stats: _Stats
) -> dict[str, Any]:
    return {
        "id": assessment.id,
        "title": assessment.title,
        "description": assessment.description,
        "company_id": assessment.company_id,
        "position_id": assessment.position_id,
        "status": assessment.status,
        "difficulty": assessment.difficulty,
        "time_limit": assessment.time_limit,
        "skills": assessment.skills,
        "question_count": len(questions),
        "estimated_duration": duration_minutes(assessment, questions),
        "completion_count": stats.completed,
        "average_score": stats.average_score,
        "created_at": assessment.created_at,
        "updated_at": assessment.updated_at,
    }


def summaries(db: Session, assessments: Sequence[Assessment]) -> list[AssessmentSummary]:
    ids = [a.id for a in assessments]
    stats = _stats(db, ids)
    questions: dict[str, list[Question]] = {i: [] for i in ids}
    for link, question in db.execute(
        select(AssessmentQuestion, Question)
        .join(Question, Question.id == AssessmentQuestion.question_id)
        .where(AssessmentQuestion.assessment_id.in_(ids))
        .order_by(AssessmentQuestion.position)
    ):
        questions[link.assessment_id].append(question)
    return [
        AssessmentSummary(**_summary_fields(a, questions[a.id], stats.get(a.id, _Stats())))
        for a in assessments
    ]


def assessment_detail(db: Session, *, actor: Actor, assessment: Assessment) -> AssessmentDetail:
    questions = bank_questions(db, assessment.id)
    stats = _stats(db, [assessment.id]).get(assessment.id, _Stats())
    analytics = None
    if actor.kind != "candidate":
        analytics = AssessmentAnalytics(
            total_attempts=stats.total,
            completed_attempts=stats.completed,
            average_score=stats.average_score,
            average_time_spent=None
            if stats.average_seconds is None
            else round(stats.average_seconds / 60, 1),
            completion_rate=round(stats.completed / stats.total, 4) if stats.total else 0.0,
        )
    company = db.get(Company, assessment.company_id)
    return AssessmentDetail(
        **_summary_fields(assessment, questions, stats),
        company_name=company.name if company else "",
        questions=[
            QuestionSummary(
                id=q.id,
                type=q.type,
                title=q.title,
                difficulty=q.difficulty,
                points=q.points,
                time_limit=q.time_limit,
                version=q.version,
            )
            for q in questions
        ],
        settings=AssessmentSettings.model_validate(assessment.settings),
        analytics=analytics,
    )


def list_assessments(
    db: Session,
    *,
    actor: Actor,
    params: PageParams,
    company_id: str | None,
    status: str | None,
    difficulty: str | None,
    position_id: str | None,
    skills: list[str],
    sort: str | None,
) -> tuple[list[AssessmentSummary], Pagination]:
    actor.require("assessments:read")
    order_by, descending = _sort(sort)
    stmt = scoped(select(Assessment), actor, Assessment.company_id, company_id)
    if status:
        stmt = stmt.where(Assessment.status == status)
    if difficulty:
        stmt = stmt.where(Assessment.difficulty == difficulty)
    if position_id:
        stmt = stmt.where(Assessment.position_id == position_id)
    if skills:
        stmt = stmt.where(has_all(Assessment.skill_index, skills))
    rows, pagination = paginate(
        db, stmt, params, order_by=order_by, id_column=Assessment.id, descending=descending
    )
    return summaries(db, rows), pagination


def _sort(sort: str | None) -> tuple[InstrumentedAttribute[Any], bool]:
    if not sort:
        return Assessment.created_at, True
    field, _, direction = sort.partition(":")
    direction = direction or "asc"
    if field not in SORTABLE or direction not in ("asc", "desc"):
        raise ValidationFailed(
            "sort is 'field:direction' with field one of "
            f"{', '.join(SORTABLE)} and direction asc or desc",
            details={"field": "sort", "message": "unsupported sort", "value": sort},
        )
    return SORTABLE[field], direction == "desc"


# -- writing -----------------------------------------------------------------------------------


def _checked_questions(db: Session, company_id: str, question_ids: list[str]) -> list[str]:
    """The IDs, once each, all of live questions of this company; otherwise a 422 naming them."""
    duplicates = sorted({q for q in question_ids if question_ids.count(q) > 1})
    if duplicates:
        raise ValidationFailed(
            "A question appears more than once",
            details={"field": "questions", "message": "duplicate question", "value": duplicates},
        )
    found = set(
        db.scalars(
            select(Question.id).where(
                Question.id.in_(question_ids),
                Question.company_id == company_id,
                Question.deleted_at.is_(None),
            )
        )
    )
    unknown = [q for q in question_ids if q not in found]
    if unknown:
        raise ValidationFailed(
            "Some questions are not in this company's question bank",
            details={"field": "questions", "message": "unknown question", "value": unknown},
        )
    return question_ids


def _set_questions(db: Session, assessment: Assessment, question_ids: list[str]) -> None:
    db.execute(delete(AssessmentQuestion).where(AssessmentQuestion.assessment_id == assessment.id))
    db.add_all(
        AssessmentQuestion(assessment_id=assessment.id, question_id=qid, position=i)
        for i, qid in enumerate(question_ids)
    )


def _require_questions_to_activate(question_ids: list[str]) -> None:
    if not question_ids:
        raise ValidationFailed(
            "An assessment needs at least one question to be active",
            details={"field": "questions", "message": "empty", "value": []},
        )


def _create(db: Session, actor: Actor, data: AssessmentCreate) -> Assessment:
    """Checks everything before adding anything, so a failure leaves the session untouched."""
    actor.require("assessments:create")
    owner = company_for_write(db, actor, data.company_id)
    question_ids = _checked_questions(db, owner, data.questions)
    if data.status == "active":
        _require_questions_to_activate(question_ids)
    now = datetime.now(UTC)
    assessment = Assessment(
        id=new_id("assessment"),
        company_id=owner,
        title=data.title,
        description=data.description,
        position_id=data.position_id,
        time_limit=data.time_limit,
        difficulty=data.difficulty,
        skills=data.skills,
        skill_index=skill_index(data.skills),
        settings=data.settings.model_dump(),
        status=data.status,
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    db.add(assessment)
    db.flush()
    _set_questions(db, assessment, question_ids)
    _audit(db, actor, "ASSESSMENT_CREATED", assessment)
    return assessment


def create_assessment(db: Session, *, actor: Actor, data: AssessmentCreate) -> AssessmentCreated:
    assessment = _create(db, actor, data)
    db.commit()
    questions = bank_questions(db, assessment.id)
    return AssessmentCreated(
        id=assessment.id,
        title=assessment.title,
        status=assessment.status,
        created_at=assessment.created_at,
        question_count=len(questions),
        estimated_duration=duration_minutes(assessment, questions),
    )


def _update(db: Session, actor: Actor, assessment_id: str, data: AssessmentUpdate) -> Assessment:
    actor.require("assessments:update")
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id)
    changes = data.model_dump(exclude_unset=True)
    status = changes.get("status") or assessment.status
    if assessment.status == "archived" and set(changes) - {"status"}:
        raise Conflict(
            "An archived assessment cannot be changed",
            code="ASSESSMENT_ARCHIVED",
            details={"id": assessment.id},
        )
    if status != assessment.status and (assessment.status, status) not in TRANSITIONS:
        raise Conflict(
            f"An assessment cannot go from {assessment.status} to {status}",
            code="INVALID_STATUS_TRANSITION",
            details={"from": assessment.status, "to": status},
        )
    question_ids = None
    if data.questions is not None:
        question_ids = _checked_questions(db, assessment.company_id, data.questions)
    if status == "active":
        current = [q.id for q in bank_questions(db, assessment.id)]
        _require_questions_to_activate(question_ids if question_ids is not None else current)

    # Fields that cannot be empty ignore an explicit null; these two may be cleared.
    for field in ("position_id", "time_limit"):
        if field in changes:
            setattr(assessment, field, changes[field])
    for field in ("title", "description", "difficulty"):
        if changes.get(field) is not None:
            setattr(assessment, field, changes[field])
    if data.skills is not None:
        assessment.skills = data.skills
        assessment.skill_index = skill_index(data.skills)
    if data.settings is not None:
        assessment.settings = {
            **assessment.settings,
            **data.settings.model_dump(exclude_unset=True, exclude_none=True),
        }
    if question_ids is not None:
        _set_questions(db, assessment, question_ids)
    assessment.status = status
    assessment.updated_at = datetime.now(UTC)
    _audit(db, actor, "ASSESSMENT_UPDATED", assessment, {"fields": sorted(changes)})
    return assessment


def update_assessment(
    db: Session, *, actor: Actor, assessment_id: str, data: AssessmentUpdate
) -> AssessmentDetail:
    assessment = _update(db, actor, assessment_id, data)
    db.commit()
    return assessment_detail(db, actor=actor, assessment=assessment)


def _archive(db: Session, actor: Actor, assessment_id: str) -> Assessment:
    """DELETE archives: attempts and results stay readable."""
    actor.require("assessments:delete")
    return _update(db, actor, assessment_id, AssessmentUpdate(status="archived"))


def archive_assessment(db: Session, *, actor: Actor, assessment_id: str) -> AssessmentDetail:
    assessment = _archive(db, actor, assessment_id)
    db.commit()
    return assessment_detail(db, actor=actor, assessment=assessment)


def _audit(
    db: Session,
    actor: Actor,
    action: str,
    assessment: Assessment,
    details: dict[str, Any] | None = None,
) -> None:
    audit.record(
        db,
        action,
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=assessment.company_id,
        target_type="assessment",
        target_id=assessment.id,
        details=details,
    )


def run_batch(db: Session, *, actor: Actor, batch: BatchRequest) -> BatchResponse:
    """Apply each operation; a failed one is reported and the others applied, unless atomic.

    Every operation checks all it needs before it writes, so a failure leaves nothing behind and
    no savepoint is needed (SQLite's driver handles those poorly).
    """
    results: list[BatchResult] = []
    applied: list[tuple[BatchResult, Assessment]] = []
    for index, op in enumerate(batch.operations):
        try:
            assessment = _batch_operation(db, actor, op.action, op.id, op.data or {})
        except AppError as error:
            results.append(
                BatchResult(
                    index=index,
                    action=op.action,
                    id=op.id,
                    status="failed",
                    error=BatchError(code=error.code, message=error.message, details=error.details),
                )
            )
            continue
        result = BatchResult(index=index, action=op.action, id=assessment.id, status="applied")
        results.append(result)
        applied.append((result, assessment))
    failed = sum(r.status == "failed" for r in results)
    if batch.atomic and failed:
        db.rollback()
        for result in results:
            if result.status == "applied":
                result.status = "rolled_back"
        return BatchResponse(
            atomic=True, committed=False, applied=0, failed=failed, results=results
        )
    db.commit()
    for (result, _), summary in zip(applied, summaries(db, [a for _, a in applied]), strict=True):
        result.data = summary
    return BatchResponse(
        atomic=batch.atomic,
        committed=True,
        applied=len(applied),
        failed=failed,
        results=results,
    )


def _batch_operation(
    db: Session, actor: Actor, action: str, assessment_id: str | None, data: dict[str, Any]
) -> Assessment:
    handlers: dict[str, Callable[[], Assessment]] = {
        "create": lambda: _create(db, actor, _parse(AssessmentCreate, data)),
        "update": lambda: _update(db, actor, str(assessment_id), _parse(AssessmentUpdate, data)),
        "delete": lambda: _archive(db, actor, str(assessment_id)),
    }
    return handlers[action]()


def _parse(model: type[AssessmentCreate] | type[AssessmentUpdate], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            {
                "field": ".".join(str(p) for p in e["loc"]) or "data",
                "message": e["msg"],
                "value": None if e["type"] == "missing" else e.get("input"),
            }
            for e in exc.errors(include_url=False)
        ]
        raise ValidationFailed(
            "Operation data is not valid", details={**problems[0], "errors": problems}
        ) from exc


# -- results -----------------------------------------------------------------------------------


def ranking(percentage: float, completed: Sequence[float]) -> Ranking:
    """The band of `percentage` among the completed attempts' percentages (itself included)."""
    if not completed:
        return "top_10_percent"
    above = sum(p > percentage for p in completed) / len(completed)
    if above < 0.10:
        return "top_10_percent"
    if above < 0.25:
        return "top_25_percent"
    if above < 0.50:
        return "top_50_percent"
    return "bottom_50_percent"


def completed_percentages(db: Session, assessment_id: str) -> list[float]:
    return [
        p
        for p in db.scalars(
            select(Attempt.percentage).where(
                Attempt.assessment_id == assessment_id, Attempt.status == "completed"
            )
        )
        if p is not None
    ]


def results(
    db: Session, *, actor: Actor, assessment_id: str, params: PageParams
) -> tuple[list[AttemptResult], Pagination]:
    actor.require("assessments:read")
    if actor.kind == "candidate":
        raise not_found("Assessment", assessment_id)
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id)
    attempts, pagination = paginate(
        db,
        select(Attempt).where(Attempt.assessment_id == assessment.id),
        params,
        order_by=Attempt.started_at,
        id_column=Attempt.id,
    )
    candidates = {
        c.id: c
        for c in db.scalars(
            select(Candidate).where(Candidate.id.in_({a.candidate_id for a in attempts}))
        )
    }
    done = completed_percentages(db, assessment.id)
    return [
        AttemptResult(
            attempt_id=a.id,
            candidate=CandidateRef.model_validate(candidates[a.candidate_id]),
            status=a.status,
            score=a.total_score,
            max_score=a.max_score,
            percentage=a.percentage,
            time_spent=a.time_spent,
            started_at=a.started_at,
            completed_at=a.completed_at,
            ranking=ranking(a.percentage, done) if a.percentage is not None else None,
        )
        for a in attempts
    ], pagination

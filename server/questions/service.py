"""The question bank: create, version on edit, list with filters, soft delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.assessments.models import Assessment, AssessmentQuestion
from server.audit import service as audit
from server.deps import Actor
from server.errors import Conflict, not_found
from server.ids import new_id
from server.pagination import PageParams, paginate
from server.questions.models import Question, QuestionVersion
from server.schemas.common import Pagination
from server.schemas.questions import QuestionBody, QuestionCreate, QuestionOut
from server.skills import has_all, skill_index
from server.tenancy import company_for_write, scoped

_content = TypeAdapter[QuestionBody](QuestionCreate)


def parse(content: dict[str, Any]) -> QuestionBody:
    """A stored version's content as the typed question it was validated as."""
    return _content.validate_python(content)


def _wire(data: QuestionBody) -> dict[str, Any]:
    return data.model_dump(mode="json", by_alias=True, exclude_none=True)


def create_question(
    db: Session, *, actor: Actor, data: QuestionBody, company_id: str | None = None
) -> QuestionOut:
    actor.require("questions:create")
    owner = company_for_write(db, actor, company_id)
    question_id = new_id("question")
    version = QuestionVersion(
        id=new_id("qversion"),
        question_id=question_id,
        version=1,
        content=_wire(data),
        created_by=actor.id,
    )
    question = Question(
        id=question_id,
        company_id=owner,
        current_version_id=version.id,
        created_by=actor.id,
        **_denormalised(data),
    )
    db.add(question)
    db.flush()
    db.add(version)
    audit.record(
        db,
        "QUESTION_CREATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=owner,
        target_type="question",
        target_id=question_id,
    )
    db.commit()
    return question_out(question, version)


def _denormalised(data: QuestionBody) -> dict[str, Any]:
    return {
        "type": data.type,
        "title": data.title,
        "difficulty": data.difficulty,
        "points": data.points,
        "time_limit": data.time_limit,
        "skill_index": skill_index(data.skills),
    }


def get_question(db: Session, *, actor: Actor, question_id: str) -> Question:
    actor.require("questions:read")
    question = db.get(Question, question_id)
    if question is None or question.deleted_at is not None:
        raise not_found("Question", question_id)
    if not actor.can_access_company(question.company_id):
        raise not_found("Question", question_id)
    return question


def current_version(db: Session, question: Question) -> QuestionVersion:
    version = db.get(QuestionVersion, question.current_version_id)
    assert version is not None, "a question always has its current version"
    return version


def replace_question(
    db: Session, *, actor: Actor, question_id: str, data: QuestionBody
) -> QuestionOut:
    """PUT: the body replaces the question. Unchanged content keeps the version; anything else
    becomes a new version, so attempts that started on the old one keep grading against it."""
    actor.require("questions:update")
    question = get_question(db, actor=actor, question_id=question_id)
    previous = current_version(db, question)
    content = _wire(data)
    if content == previous.content:
        return question_out(question, previous)
    version = QuestionVersion(
        id=new_id("qversion"),
        question_id=question.id,
        version=question.version + 1,
        content=content,
        created_by=actor.id,
    )
    db.add(version)
    for name, value in _denormalised(data).items():
        setattr(question, name, value)
    question.version = version.version
    question.current_version_id = version.id
    question.updated_at = datetime.now(UTC)
    audit.record(
        db,
        "QUESTION_UPDATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=question.company_id,
        target_type="question",
        target_id=question.id,
        details={"version": version.version},
    )
    db.commit()
    return question_out(question, version)


def delete_question(db: Session, *, actor: Actor, question_id: str) -> None:
    """Soft delete: attempts that used it still grade; assessments still open must drop it first."""
    actor.require("questions:delete")
    question = get_question(db, actor=actor, question_id=question_id)
    in_use = list(
        db.scalars(
            select(Assessment.id)
            .join(AssessmentQuestion, AssessmentQuestion.assessment_id == Assessment.id)
            .where(AssessmentQuestion.question_id == question.id, Assessment.status != "archived")
        )
    )
    if in_use:
        raise Conflict(
            "This question is used by assessments that are not archived",
            code="QUESTION_IN_USE",
            details={"assessments": in_use},
        )
    question.deleted_at = datetime.now(UTC)
    audit.record(
        db,
        "QUESTION_DELETED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=question.company_id,
        target_type="question",
        target_id=question.id,
    )
    db.commit()


def list_questions(
    db: Session,
    *,
    actor: Actor,
    params: PageParams,
    company_id: str | None,
    type: str | None,
    difficulty: str | None,
    skills: list[str],
    search: str | None,
) -> tuple[list[QuestionOut], Pagination]:
    actor.require("questions:read")
    stmt = scoped(select(Question), actor, Question.company_id, company_id).where(
        Question.deleted_at.is_(None)
    )
    if type:
        stmt = stmt.where(Question.type == type)
    if difficulty:
        stmt = stmt.where(Question.difficulty == difficulty)
    if skills:
        stmt = stmt.where(has_all(Question.skill_index, skills))
    if search:
        stmt = stmt.where(Question.title.ilike(f"%{search}%"))
    rows, pagination = paginate(
        db, stmt, params, order_by=Question.created_at, id_column=Question.id
    )
    versions = {
        v.id: v
        for v in db.scalars(
            select(QuestionVersion).where(
                QuestionVersion.id.in_([q.current_version_id for q in rows])
            )
        )
    }
    return [question_out(q, versions[q.current_version_id]) for q in rows], pagination


def question_out(question: Question, version: QuestionVersion) -> QuestionOut:
    body = parse(version.content)
    return QuestionOut(
        id=question.id,
        company_id=question.company_id,
        version=version.version,
        created_at=question.created_at,
        updated_at=question.updated_at,
        **body.model_dump(),
    )

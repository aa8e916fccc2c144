"""`/api/questions`: the company's question bank (beyond the spec: assessments name these IDs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from server.deps import CurrentActor, DbSession
from server.http import ok
from server.pagination import PageParams, page_params
from server.questions import service
from server.schemas.common import Envelope
from server.schemas.questions import Difficulty, QuestionCreate, QuestionOut, QuestionType
from server.skills import parse_filter

router = APIRouter(prefix="/questions", tags=["questions"])

QuestionBodyParam = Annotated[QuestionCreate, Body()]


@router.post("", status_code=201, summary="Add a question to the bank")
def create_question(
    body: QuestionBodyParam,
    actor: CurrentActor,
    db: DbSession,
    company_id: Annotated[str | None, Query(alias="companyId", max_length=64)] = None,
) -> Envelope[QuestionOut]:
    return ok(service.create_question(db, actor=actor, data=body, company_id=company_id))


@router.get("", summary="List questions, filtered by type, difficulty and skills")
def list_questions(
    actor: CurrentActor,
    db: DbSession,
    page: Annotated[PageParams, Depends(page_params)],
    company_id: Annotated[str | None, Query(alias="companyId", max_length=64)] = None,
    type: Annotated[QuestionType | None, Query()] = None,
    difficulty: Annotated[Difficulty | None, Query()] = None,
    skills: Annotated[list[str] | None, Query(description="All of these; comma-separated")] = None,
    search: Annotated[str | None, Query(max_length=200, description="In the title")] = None,
) -> Envelope[list[QuestionOut]]:
    rows, pagination = service.list_questions(
        db,
        actor=actor,
        params=page,
        company_id=company_id,
        type=type,
        difficulty=difficulty,
        skills=parse_filter(skills),
        search=search,
    )
    return ok(rows, pagination=pagination)


@router.get("/{question_id}", summary="A question, answers and hidden tests included")
def get_question(question_id: str, actor: CurrentActor, db: DbSession) -> Envelope[QuestionOut]:
    question = service.get_question(db, actor=actor, question_id=question_id)
    return ok(service.question_out(question, service.current_version(db, question)))


@router.put("/{question_id}", summary="Replace a question; a change makes a new version")
def replace_question(
    question_id: str, body: QuestionBodyParam, actor: CurrentActor, db: DbSession
) -> Envelope[QuestionOut]:
    return ok(service.replace_question(db, actor=actor, question_id=question_id, data=body))


@router.delete("/{question_id}", summary="Remove a question from the bank")
def delete_question(
    question_id: str, actor: CurrentActor, db: DbSession
) -> Envelope[dict[str, str]]:
    service.delete_question(db, actor=actor, question_id=question_id)
    return ok({"id": question_id, "status": "deleted"})

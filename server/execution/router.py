"""`/api/execution/*`: languages, run, read a result, submit an attempt's solution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header

from server.deps import Actor, Context, CurrentActor, DbSession, require
from server.execution import service
from server.http import ok
from server.schemas.assessments import AnswerResult
from server.schemas.common import Envelope
from server.schemas.execution import (
    ExecutionOut,
    ExecutionRunRequest,
    ExecutionSubmitRequest,
    LanguageOut,
)

router = APIRouter(prefix="/execution", tags=["execution"])

Runner = Annotated[Actor, Depends(require("execution:run"))]


@router.get("/languages", summary="Languages the sandbox runs, with versions")
def languages(_: CurrentActor) -> Envelope[list[LanguageOut]]:
    return ok(service.languages())


@router.post("/run", summary="Run code against test cases in the WebAssembly sandbox")
async def run(
    body: ExecutionRunRequest, actor: Runner, db: DbSession, ctx: Context
) -> Envelope[ExecutionOut]:
    return ok(await service.run(db, actor=actor, context=ctx, data=body))


@router.post("/submit", summary="Grade an attempt's coding answer against its hidden tests")
def submit(
    body: ExecutionSubmitRequest,
    actor: CurrentActor,
    db: DbSession,
    ctx: Context,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> Envelope[AnswerResult]:
    return ok(
        service.submit(db, actor=actor, context=ctx, data=body, idempotency_key=idempotency_key)
    )


@router.get("/{execution_id}", summary="A stored execution result (whoever ran it)")
def get_execution(execution_id: str, actor: CurrentActor, db: DbSession) -> Envelope[ExecutionOut]:
    return ok(service.get(db, actor=actor, execution_id=execution_id))

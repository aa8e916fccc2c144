"""Running code for the Code Execution API, storing results, and grading an attempt's answer."""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sandbox import (
    ExecutionRequest,
    ExecutionResult,
    LanguageNotAvailable,
    Maxima,
    SandboxBusy,
    SandboxError,
    clamp_request,
    format_bytes,
    list_languages,
)
from sandbox import TestCase as SandboxTest
from sandbox.errors import InvalidRequest
from server.assessments import attempts
from server.assessments.code_runner import code_runner, sandbox_engine
from server.assessments.models import Attempt
from server.db import utcnow
from server.deps import Actor, ServerContext
from server.errors import ServiceUnavailable, ValidationFailed, not_found
from server.execution.models import Execution
from server.ids import new_id
from server.schemas.assessments import AnswerResult, SubmitAnswerRequest
from server.schemas.execution import (
    ClampedLimit,
    CodeAnalysisOut,
    ExecutionOut,
    ExecutionRunRequest,
    ExecutionSubmitRequest,
    LanguageOut,
    TestCaseResult,
)

# Seconds a caller refused by a full sandbox pool waits before trying again.
BUSY_RETRY_AFTER_S = 2


def languages() -> list[LanguageOut]:
    return [LanguageOut.model_validate(info.model_dump()) for info in list_languages()]


def _language_id(name: str) -> str:
    """The canonical ID of `name` (an ID or an alias); unknown names are a validation error."""
    wanted = name.strip().lower()
    for info in list_languages():
        if wanted == info.id or wanted in info.aliases:
            if not info.installed:
                raise ServiceUnavailable(
                    f"{info.name} is not installed on this server", code="LANGUAGE_UNAVAILABLE"
                )
            return info.id
    known = sorted(info.id for info in list_languages())
    raise ValidationFailed(
        f"Unknown language {name!r}; use one of {', '.join(known)}",
        details={"field": "language", "message": "unknown language", "value": name},
    )


# The sandbox's names for the limits it lowered, as the request spelled them.
_WIRE_NAMES = {
    "time_limit_ms": "timeLimit",
    "memory_limit_bytes": "memoryLimit",
    "output_limit_bytes": "outputLimit",
}


def _request(
    data: ExecutionRunRequest, limits: Maxima
) -> tuple[ExecutionRequest, list[ClampedLimit]]:
    """The sandbox request, lowered to the server's maxima, with what was lowered."""
    try:
        request = ExecutionRequest(
            language=_language_id(data.language),
            code=data.code,
            test_cases=[
                SandboxTest(
                    input=t.input,
                    stdin=t.stdin,
                    expected_output=t.expected_output,
                    timeout_ms=t.timeout,
                    comparison=t.comparison,
                    tolerance=t.tolerance,
                )
                for t in data.test_cases
            ],
            time_limit_ms=data.time_limit,
            memory_limit_bytes=data.memory_limit,
        )
        request, clamped = clamp_request(request, limits)
    except (ValidationError, InvalidRequest) as exc:
        field = "memoryLimit" if "memory" in str(exc).lower() else "body"
        raise ValidationFailed(
            f"Invalid execution request: {_first_line(exc)}",
            details={"field": field, "message": _first_line(exc), "value": None},
        ) from exc
    return request, [
        ClampedLimit(
            field=_WIRE_NAMES.get(c.field)
            or c.field.replace("test_cases", "testCases").replace("timeout_ms", "timeout"),
            requested=c.requested,
            applied=c.applied,
        )
        for c in clamped
    ]


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return str(exc.errors()[0].get("msg", "invalid"))
    return str(exc).splitlines()[0]


def maxima(context: ServerContext) -> Maxima:
    settings = context.settings
    return Maxima(
        time_limit_ms=settings.execution_max_time_limit_ms,
        test_timeout_ms=settings.execution_max_time_limit_ms,
        memory_limit_bytes=settings.execution_max_memory_mb * 1024 * 1024,
    )


async def run(
    db: Session, *, actor: Actor, context: ServerContext, data: ExecutionRunRequest
) -> ExecutionOut:
    """Awaits the sandbox holding neither a database connection (SQLite has one) nor a request
    thread; a full pool is a 503 at once."""
    request, clamped = _request(data, maxima(context))
    await run_in_threadpool(db.close)  # ends the caller's read transaction
    engine = await run_in_threadpool(sandbox_engine, context)
    try:
        result = await engine.execute_async(request)
    except SandboxBusy as exc:
        raise ServiceUnavailable(
            f"The code runner is busy ({exc.max_workers} runs in progress, {exc.max_queue}"
            " waiting); try again in a moment",
            retry_after=BUSY_RETRY_AFTER_S,
        ) from exc
    except LanguageNotAvailable as exc:
        raise ServiceUnavailable(str(exc), code="LANGUAGE_UNAVAILABLE") from exc
    except SandboxError as exc:
        raise ValidationFailed(
            f"Invalid execution request: {exc}", details={"field": "body", "message": str(exc)}
        ) from exc
    return await run_in_threadpool(_store, db, actor, result, clamped)


def _store(
    db: Session, actor: Actor, result: ExecutionResult, clamped: list[ClampedLimit]
) -> ExecutionOut:
    execution = Execution(
        id=new_id("exec"),
        company_id=actor.company_id,
        actor_id=actor.id,
        language=result.language,
        overall_status=result.overall_status.value,
        result={},
        created_at=utcnow(),
    )
    out = _out(execution, result, clamped)
    execution.result = out.model_dump(mode="json", by_alias=True)
    db.add(execution)
    db.commit()
    return out


def _out(row: Execution, result: ExecutionResult, clamped: list[ClampedLimit]) -> ExecutionOut:
    analysis = result.analysis
    return ExecutionOut(
        execution_id=row.id,
        language=result.language,
        runtime_version=result.runtime_version,
        results=[
            TestCaseResult(
                test_case=r.index + 1,
                status=r.status.value,
                verdict=r.verdict.value,
                output=r.output.removesuffix("\n"),
                expected_output=r.expected_output,
                error=r.error,
                output_truncated=r.output_truncated,
                execution_time=round(r.execution_time_ms, 2),
                memory_used=format_bytes(r.memory_used_bytes),
            )
            for r in result.results
        ],
        overall_status=result.overall_status.value,
        verdict=result.verdict.value,
        compile_error=result.compile_error,
        total_execution_time=round(result.total_execution_time_ms, 2),
        code_analysis=CodeAnalysisOut.model_validate(analysis.model_dump()) if analysis else None,
        clamped=clamped,
        created_at=row.created_at,
    )


def get(db: Session, *, actor: Actor, execution_id: str) -> ExecutionOut:
    """Whoever ran it, their company's staff, or an administrator; anyone else gets a 404."""
    execution = db.get(Execution, execution_id)
    if execution is None:
        raise not_found("Execution", execution_id)
    staff = actor.kind != "candidate" and actor.can_access_company(execution.company_id)
    if execution.actor_id != actor.id and not staff:
        raise not_found("Execution", execution_id)
    return ExecutionOut.model_validate(execution.result)


def submit(
    db: Session,
    *,
    actor: Actor,
    context: ServerContext,
    data: ExecutionSubmitRequest,
    idempotency_key: str | None,
) -> AnswerResult:
    """Grade the code as the attempt's answer to the question: the same path as submit-answer."""
    attempt = db.get(Attempt, data.attempt_id)
    if attempt is None:
        raise not_found("Attempt", data.attempt_id)
    return attempts.submit_answer(
        db,
        actor=actor,
        settings=context.settings,
        runner=lambda: code_runner(context),
        assessment_id=attempt.assessment_id,
        body=SubmitAnswerRequest(
            attempt_id=data.attempt_id,
            question_id=data.question_id,
            answer=data.code,
            language=data.language,
        ),
        idempotency_key=idempotency_key,
    )

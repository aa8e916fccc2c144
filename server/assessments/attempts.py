"""A candidate's attempt: start, reload, answer, complete; expiry and the sweep that enforces it.

The server's clock decides: `startedAt` and `expiresAt` are set here, answers later than
`expiresAt` plus `Settings.answer_grace_seconds` are refused, and an attempt left open past that is
completed with what was saved, on its next access or by `expire_overdue` (the periodic sweep).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.assessments import grading
from server.assessments.grading import AnswerStatus, CodeRunner, Graded
from server.assessments.models import AnswerRevision, Assessment, Attempt, AttemptAnswer
from server.assessments.service import (
    bank_questions,
    completed_percentages,
    duration_minutes,
    get_assessment,
    ranking,
)
from server.audit import service as audit
from server.candidates.models import Candidate, Invitation
from server.config import Settings
from server.deps import Actor
from server.errors import Conflict, Gone, PermissionDenied, ValidationFailed, not_found
from server.events import DomainEvent, emit
from server.idempotency import service as idempotency
from server.ids import new_id
from server.questions.models import QuestionVersion
from server.questions.service import parse
from server.schemas.assessments import (
    AnswerResult,
    AssessmentSettings,
    AttemptOut,
    AttemptQuestion,
    BreakdownItem,
    CompletionOut,
    PublicOption,
    SampleTest,
    SavedAnswer,
    SubmitAnswerRequest,
)
from server.schemas.questions import (
    CodingQuestion,
    FreeTextQuestion,
    MultipleChoiceQuestion,
    QuestionBody,
)


def _now() -> datetime:
    return datetime.now(UTC)


# -- access ------------------------------------------------------------------------------------


def _attempt_for(db: Session, actor: Actor, attempt_id: str, *, write: bool) -> Attempt:
    attempt = db.get(Attempt, attempt_id)
    owner = (attempt.candidate_id, attempt.company_id) if attempt is not None else None
    _check_reach(actor, attempt_id, owner, write=write)
    assert attempt is not None
    return attempt


def _check_reach(
    actor: Actor, attempt_id: str, owner: tuple[str, str] | None, *, write: bool
) -> None:
    """The candidate's own attempt, or one of the staff's company; anything else is a 404.
    `owner` is the attempt's (candidate ID, company ID), None when there is no such attempt.

    Only the candidate taking an attempt writes to it (answers, completion): staff who can see
    it get a 403, so a recruiter can never put words in a candidate's mouth."""
    if actor.kind == "candidate":
        if owner is None or owner[0] != actor.id:
            raise not_found("Attempt", attempt_id)
        return
    actor.require("assessments:read")
    if owner is None or not actor.can_access_company(owner[1]):
        raise not_found("Attempt", attempt_id)
    if write:
        raise PermissionDenied(
            "Only the candidate taking this attempt can answer or complete it",
            details={"attemptId": attempt_id},
        )


def _in_assessment(attempt: Attempt, assessment_id: str) -> None:
    if attempt.assessment_id != assessment_id:
        raise not_found("Attempt", attempt.id)


def _hides_results(db: Session, actor: Actor, attempt: Attempt) -> bool:
    """Candidates see no scores, feedback or ranking when the assessment's `showResults` is off."""
    if actor.kind != "candidate":
        return False
    assessment = db.get(Assessment, attempt.assessment_id)
    return assessment is not None and not assessment.settings.get("show_results", True)


def _overdue(attempt: Attempt | _Answering, settings: Settings, now: datetime) -> bool:
    grace = timedelta(seconds=settings.answer_grace_seconds)
    return attempt.status == "in_progress" and now > attempt.expires_at + grace


# -- start -------------------------------------------------------------------------------------


def start_attempt(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    assessment_id: str,
    candidate_id: str | None,
) -> tuple[AttemptOut, bool]:
    """The attempt in progress, or a new one; True when it was created."""
    assessment = get_assessment(db, actor=actor, assessment_id=assessment_id)
    candidate = _candidate_to_start(db, actor, assessment, candidate_id)
    if assessment.status != "active":
        raise Conflict(
            f"This assessment is {assessment.status}; only active assessments can be started",
            code="ASSESSMENT_NOT_ACTIVE",
            details={"status": assessment.status},
        )
    now = _now()
    attempts = list(
        db.scalars(
            select(Attempt)
            .where(Attempt.assessment_id == assessment.id, Attempt.candidate_id == candidate.id)
            .order_by(Attempt.started_at)
        )
    )
    for attempt in attempts:
        if attempt.status == "in_progress":
            if not _overdue(attempt, settings, now):
                return attempt_out(db, attempt, now, hide=_hides_results(db, actor, attempt)), False
            _finish(db, attempt, now, reason="expired")
    assessment_settings = AssessmentSettings.model_validate(assessment.settings)
    if attempts and not assessment_settings.allow_retakes:
        db.commit()  # keeps an expiry completed above
        raise Conflict(
            "This assessment has already been taken and does not allow retakes",
            code="RETAKE_NOT_ALLOWED",
            details={"attemptId": attempts[-1].id},
        )
    if actor.kind == "candidate":
        _refuse_expired_invitation(db, actor, now)
    questions = bank_questions(db, assessment.id)
    if not questions:
        raise Conflict("This assessment has no questions", code="ASSESSMENT_EMPTY")
    order = [q.id for q in questions]
    if assessment_settings.randomize_questions:
        # Shuffled once and stored: the order is stable for this attempt.
        random.SystemRandom().shuffle(order)
    attempt = Attempt(
        id=new_id("attempt"),
        assessment_id=assessment.id,
        candidate_id=candidate.id,
        company_id=assessment.company_id,
        question_ids=order,
        # Pinned: editing a question later makes a new version this attempt never sees.
        question_versions={q.id: q.current_version_id for q in questions},
        max_score=float(sum(q.points for q in questions)),
        started_at=now,
        expires_at=now + timedelta(minutes=duration_minutes(assessment, questions)),
    )
    db.add(attempt)
    if candidate.status == "invited":
        candidate.status = "started"
        candidate.updated_at = now
    audit.record(
        db,
        "ATTEMPT_STARTED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=assessment.company_id,
        target_type="attempt",
        target_id=attempt.id,
        details={"assessmentId": assessment.id, "candidateId": candidate.id},
    )
    db.commit()
    return attempt_out(db, attempt, now, hide=_hides_results(db, actor, attempt)), True


def _refuse_expired_invitation(db: Session, actor: Actor, now: datetime) -> None:
    """A new attempt needs the invitation still open: its due date is the last moment to start
    (an attempt already under way runs to its own end)."""
    invitation = db.scalar(select(Invitation).where(Invitation.session_id == actor.session_id))
    if invitation is not None and invitation.expires_at <= now:
        db.commit()  # keeps an expiry completed by the caller
        raise Gone(
            "The invitation's due date has passed; ask for a new invitation",
            code="INVITATION_EXPIRED",
            details={"expiresAt": invitation.expires_at.isoformat()},
        )


def _candidate_to_start(
    db: Session, actor: Actor, assessment: Assessment, candidate_id: str | None
) -> Candidate:
    if actor.kind == "candidate":
        if candidate_id is not None and candidate_id != actor.id:
            raise PermissionDenied("Candidates start their own attempts only")
        candidate_id = actor.id
    else:
        actor.require("assessments:update")
        if candidate_id is None:
            raise ValidationFailed(
                "candidateId is required",
                details={"field": "candidateId", "message": "required", "value": None},
            )
    # Locked (on PostgreSQL) so that two concurrent starts cannot both create an attempt.
    candidate = db.get(Candidate, candidate_id, with_for_update=True)
    if candidate is None or candidate.company_id != assessment.company_id:
        raise not_found("Candidate", candidate_id)
    return candidate


# -- reading -----------------------------------------------------------------------------------


def _versions(db: Session, attempt: Attempt) -> dict[str, QuestionBody]:
    """question ID -> the pinned version's content."""
    by_id = {
        v.id: v
        for v in db.scalars(
            select(QuestionVersion).where(
                QuestionVersion.id.in_(list(attempt.question_versions.values()))
            )
        )
    }
    return {qid: parse(by_id[vid].content) for qid, vid in attempt.question_versions.items()}


def _public(question_id: str, q: QuestionBody) -> AttemptQuestion:
    fields: dict[str, Any] = {
        "id": question_id,
        "type": q.type,
        "title": q.title,
        "description": q.description,
        "time_limit": q.time_limit,
        "points": q.points,
        "difficulty": q.difficulty,
    }
    if isinstance(q, MultipleChoiceQuestion):
        fields["options"] = [PublicOption(id=o.id, text=o.text) for o in q.options]
        fields["multiple_answers"] = sum(o.correct for o in q.options) > 1
    elif isinstance(q, FreeTextQuestion):
        fields["max_length"] = q.max_length
    elif isinstance(q, CodingQuestion):
        templates = {lang: q.templates.get(lang, "") for lang in q.languages}
        fields.update(
            languages=list(q.languages),
            template=templates[q.languages[0]],
            templates=templates,
            sample_tests=[
                SampleTest(input=t.input, stdin=t.stdin, expected_output=t.expected_output)
                for t in q.test_cases
                if t.visibility == "sample"
            ],
            time_limit_ms=q.time_limit_ms,
            memory_limit_mb=q.memory_limit_mb,
        )
    return AttemptQuestion(**fields)


def attempt_out(db: Session, attempt: Attempt, now: datetime, *, hide: bool) -> AttemptOut:
    versions = _versions(db, attempt)
    assessment = db.get(Assessment, attempt.assessment_id)
    assert assessment is not None
    answers = db.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))
    remaining = 0
    if attempt.status == "in_progress":
        remaining = max(0, int((attempt.expires_at - now).total_seconds()))
    return AttemptOut(
        attempt_id=attempt.id,
        assessment_id=attempt.assessment_id,
        candidate_id=attempt.candidate_id,
        started_at=attempt.started_at,
        expires_at=attempt.expires_at,
        time_remaining=remaining,
        status=attempt.status,
        current_question_index=attempt.current_question_index,
        proctoring_enabled=bool(assessment.settings.get("proctoring_enabled")),
        questions=[_public(qid, versions[qid]) for qid in attempt.question_ids],
        answers=[
            SavedAnswer(
                question_id=a.question_id,
                answer=a.answer,
                language=a.language,
                status=a.status,
                score=None if hide else a.score,
                max_score=a.max_score,
                feedback=None if hide else a.feedback,
                revision=a.revision,
                submitted_at=a.submitted_at,
            )
            for a in answers
        ],
    )


def get_attempt(db: Session, *, actor: Actor, settings: Settings, attempt_id: str) -> AttemptOut:
    attempt = _attempt_for(db, actor, attempt_id, write=False)
    now = _now()
    if _overdue(attempt, settings, now):
        _finish(db, attempt, now, reason="expired")
        db.commit()
    return attempt_out(db, attempt, now, hide=_hides_results(db, actor, attempt))


# -- answering ---------------------------------------------------------------------------------

ATTEMPTS = cast(Table, Attempt.__table__)
ANSWERS = cast(Table, AttemptAnswer.__table__)
ASSESSMENTS = cast(Table, Assessment.__table__)
VERSIONS = cast(Table, QuestionVersion.__table__)
# Built once, and plain rows rather than ORM objects: saving an answer is what candidates do most
# (every answer they change, through the sync push), and building these costs more than running
# them.
_CURRENT = ANSWERS.alias("current_answer")
_ANSWERING = (
    select(
        ATTEMPTS.c.id,
        ATTEMPTS.c.assessment_id,
        ATTEMPTS.c.candidate_id,
        ATTEMPTS.c.company_id,
        ATTEMPTS.c.status,
        ATTEMPTS.c.question_ids,
        ATTEMPTS.c.question_versions,
        ATTEMPTS.c.current_question_index,
        ATTEMPTS.c.expires_at,
        ASSESSMENTS.c.settings,
        select(func.count())
        .where(ANSWERS.c.attempt_id == ATTEMPTS.c.id)
        .scalar_subquery()
        .label("answered"),
        *(
            _CURRENT.c[name].label(f"current_{name}")
            for name in (
                "id",
                "answer",
                "language",
                "status",
                "score",
                "max_score",
                "feedback",
                "details",
                "revision",
            )
        ),
    )
    .select_from(
        ATTEMPTS.join(ASSESSMENTS).outerjoin(
            _CURRENT,
            and_(
                _CURRENT.c.attempt_id == ATTEMPTS.c.id,
                _CURRENT.c.question_id == bindparam("question"),
            ),
        )
    )
    .where(ATTEMPTS.c.id == bindparam("attempt"))
)
# Two first answers to one question at once: the second inserts nothing (CONCURRENT_ANSWER) and
# the transaction, the sync push's included, goes on.
_INSERT_ANSWER = {
    name: dialect_insert(ANSWERS)
    .on_conflict_do_nothing(index_elements=[ANSWERS.c.attempt_id, ANSWERS.c.question_id])
    # Without it an INSERT's row count is not kept: psycopg's read -1.
    .execution_options(preserve_rowcount=True)
    for name, dialect_insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
# The columns to set come with the values; `was` is the revision read, so that of two concurrent
# changes the second updates nothing (CONCURRENT_ANSWER) instead of both saving one revision.
_UPDATE_ANSWER = update(ANSWERS).where(
    ANSWERS.c.id == bindparam("answer_id"), ANSWERS.c.revision == bindparam("was")
)
_INSERT_REVISION = insert(cast(Table, AnswerRevision.__table__))
_MOVE_ON = (
    update(ATTEMPTS)
    .where(ATTEMPTS.c.id == bindparam("attempt"))
    .values(current_question_index=bindparam("index"))
)
_VERSION_CONTENT = select(VERSIONS.c.content).where(VERSIONS.c.id == bindparam("version"))
# Parsed question versions by ID. A version never changes once an attempt may use it
# (`server.questions.models`), so an entry never goes stale; the dict is emptied when full
# rather than tracking recency: far fewer versions than this are in use at once.
_QUESTIONS: dict[str, QuestionBody] = {}
_QUESTIONS_KEPT = 4096


@dataclass(frozen=True)
class _Saved:
    """The answer saved before to the question being answered."""

    id: str
    answer: Any
    language: str | None
    status: AnswerStatus
    score: float | None
    max_score: float
    feedback: str | None
    details: dict[str, Any]
    revision: int


@dataclass(frozen=True)
class _Answering:
    """An attempt as saving an answer to one of its questions reads it (`_ANSWERING`, one
    query)."""

    id: str
    assessment_id: str
    candidate_id: str
    company_id: str
    status: str
    question_ids: list[str]
    question_versions: dict[str, Any]
    current_question_index: int
    expires_at: datetime
    # Only the candidate answers (staff get a 403), so the assessment's `showResults` decides.
    hides_results: bool
    # How many of its questions have an answer saved.
    answered: int
    current: _Saved | None


def _answering(db: Session, attempt_id: str, question_id: str) -> _Answering | None:
    row = db.execute(_ANSWERING, {"attempt": attempt_id, "question": question_id}).first()
    if row is None:
        return None
    current = None
    if row.current_id is not None:
        current = _Saved(
            id=row.current_id,
            answer=row.current_answer,
            language=row.current_language,
            status=row.current_status,
            score=row.current_score,
            max_score=row.current_max_score,
            feedback=row.current_feedback,
            details=row.current_details,
            revision=row.current_revision,
        )
    return _Answering(
        id=row.id,
        assessment_id=row.assessment_id,
        candidate_id=row.candidate_id,
        company_id=row.company_id,
        status=row.status,
        question_ids=row.question_ids,
        question_versions=row.question_versions,
        current_question_index=row.current_question_index,
        expires_at=row.expires_at,
        hides_results=not row.settings.get("show_results", True),
        answered=row.answered,
        current=current,
    )


def _answerable(
    db: Session, actor: Actor, assessment_id: str, body: SubmitAnswerRequest
) -> _Answering:
    attempt = _answering(db, body.attempt_id, body.question_id)
    owner = (attempt.candidate_id, attempt.company_id) if attempt is not None else None
    _check_reach(actor, body.attempt_id, owner, write=True)
    assert attempt is not None
    if attempt.assessment_id != assessment_id:
        raise not_found("Attempt", attempt.id)
    return attempt


def _question(db: Session, version_id: str) -> QuestionBody:
    question = _QUESTIONS.get(version_id)
    if question is None:
        content = db.scalar(_VERSION_CONTENT, {"version": version_id})
        assert content is not None, "an attempt's pinned versions are never deleted"
        question = parse(content)
        if len(_QUESTIONS) >= _QUESTIONS_KEPT:
            _QUESTIONS.clear()
        _QUESTIONS[version_id] = question
    return question


Release = Callable[[], AbstractContextManager[object]]


def save_answer(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    runner: Callable[[], CodeRunner],
    assessment_id: str,
    body: SubmitAnswerRequest,
    release: Release,
) -> AnswerResult:
    """Save and grade an answer in the caller's transaction, uncommitted (the sync push commits it
    with its acknowledgement). A refusal has written nothing, except that an attempt found past
    its time was completed (`ATTEMPT_EXPIRED`), which the caller should keep.

    `release` lets go of the database while a coding answer runs in the sandbox: the transaction
    is ended on entering it (the caller commits what it must keep), and a new one is open on
    leaving; the attempt and its answer are then read again."""
    attempt = _answerable(db, actor, assessment_id, body)
    return _save(db, attempt, settings=settings, runner=runner, body=body, release=release)


def submit_answer(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    runner: Callable[[], CodeRunner],
    assessment_id: str,
    body: SubmitAnswerRequest,
    idempotency_key: str | None,
) -> AnswerResult:
    """`save_answer` in a transaction of its own, with `Idempotency-Key` semantics."""
    scope = f"answer:{body.attempt_id}"
    attempt = _answerable(db, actor, assessment_id, body)
    body_hash = ""
    if idempotency_key:
        body_hash = idempotency.request_hash(body.model_dump(mode="json"))
        stored = idempotency.replay(db, scope=scope, key=idempotency_key, body_hash=body_hash)
        if stored is not None:
            return AnswerResult.model_validate(stored)
    try:
        result = _save(
            db, attempt, settings=settings, runner=runner, body=body, release=lambda: _ended(db)
        )
    except Gone:
        db.commit()  # keeps the expired attempt's completion
        raise
    if idempotency_key:
        idempotency.remember(
            db,
            scope=scope,
            key=idempotency_key,
            body_hash=body_hash,
            response=result.model_dump(mode="json"),
        )
    try:
        db.commit()
    except IntegrityError as exc:
        # A concurrent request with the same key won.
        db.rollback()
        if idempotency_key:
            stored = idempotency.replay(db, scope=scope, key=idempotency_key, body_hash=body_hash)
            if stored is not None:
                return AnswerResult.model_validate(stored)
        raise _concurrent_answer() from exc
    return result


def _concurrent_answer() -> Conflict:
    return Conflict(
        "Another answer to this question was saved at the same moment; send it again",
        code="CONCURRENT_ANSWER",
    )


@contextmanager
def _ended(db: Session) -> Iterator[None]:
    """submit_answer's `release`: its transaction has only read so far."""
    db.commit()
    yield


def _save(
    db: Session,
    attempt: _Answering,
    *,
    settings: Settings,
    runner: Callable[[], CodeRunner],
    body: SubmitAnswerRequest,
    release: Release,
) -> AnswerResult:
    """Checks first, writes last: a refused answer writes nothing (but an expired attempt's
    completion)."""
    _refuse_closed(db, attempt, settings)
    version_id = attempt.question_versions.get(body.question_id)
    if version_id is None:
        raise not_found("Question", body.question_id)
    question = _question(db, str(version_id))
    answer = grading.normalised_answer(question, body.answer)
    language = grading.answer_language(question, body.language)
    current = attempt.current
    if (
        current is not None
        and current.answer == answer
        and current.language == language
        and current.status != "grading_unavailable"
    ):
        graded = grading.stored(current.status, current.score, current.feedback, current.details)
        return _answer_result(
            attempt, body.question_id, graded, current.max_score, current.revision, first=False
        )
    if isinstance(question, MultipleChoiceQuestion | FreeTextQuestion):
        graded = _grade(question, answer, language, runner)
    else:
        # The sandbox may take a while: nothing of the database is held meanwhile.
        with release():
            graded = _grade(question, answer, language, runner)
        again = _answering(db, attempt.id, body.question_id)
        assert again is not None, "attempts are not deleted while they run"
        attempt, current = again, again.current
        _refuse_closed(db, attempt, settings)
    revision = _store_answer(db, attempt, body, str(version_id), question, answer, language, graded)
    max_score = question.points if current is None else current.max_score
    return _answer_result(
        attempt, body.question_id, graded, max_score, revision, first=current is None
    )


def _refuse_closed(db: Session, attempt: _Answering, settings: Settings) -> None:
    if attempt.status == "completed":
        raise Conflict(
            "This attempt is completed; answers can no longer change",
            code="ATTEMPT_COMPLETED",
            details={"attemptId": attempt.id},
        )
    now = _now()
    if _overdue(attempt, settings, now):
        _finish(db, db.get_one(Attempt, attempt.id), now, reason="expired")
        raise Gone(
            "Time is up: this attempt expired and was completed with the answers saved before",
            code="ATTEMPT_EXPIRED",
            details={
                "attemptId": attempt.id,
                "expiresAt": attempt.expires_at.isoformat(),
                "graceSeconds": settings.answer_grace_seconds,
            },
        )


def _grade(
    question: QuestionBody,
    answer: str | list[str],
    language: str | None,
    runner: Callable[[], CodeRunner],
) -> Graded:
    if isinstance(question, MultipleChoiceQuestion):
        assert isinstance(answer, list)
        return grading.grade_choice(question, answer)
    assert isinstance(answer, str)
    if isinstance(question, FreeTextQuestion):
        return grading.grade_text(question, answer)
    assert language is not None
    return grading.grade_code(question, answer, language, runner())


def _store_answer(
    db: Session,
    attempt: _Answering,
    body: SubmitAnswerRequest,
    version_id: str,
    question: QuestionBody,
    answer: str | list[str],
    language: str | None,
    graded: Graded,
) -> int:
    """Writes the answer as the next revision of the attempt's current one; its number."""
    current = attempt.current
    now = _now()
    values = {
        "answer": answer,
        "language": language,
        "status": graded.status,
        "score": graded.score,
        "feedback": graded.feedback,
        "details": graded.details,
        "time_spent": body.time_spent,
        "submitted_at": now,
    }
    if current is None:
        revision = 1
        statement = _INSERT_ANSWER[db.get_bind().dialect.name]
        written = db.execute(
            statement,
            {
                **values,
                "id": new_id("answer"),
                "attempt_id": attempt.id,
                "question_id": body.question_id,
                "question_version_id": version_id,
                "max_score": question.points,
                "revision": revision,
            },
        )
    else:
        revision = current.revision + 1
        written = db.execute(
            _UPDATE_ANSWER,
            {**values, "answer_id": current.id, "was": current.revision, "revision": revision},
        )
    if cast(CursorResult[Any], written).rowcount != 1:
        raise _concurrent_answer()
    db.execute(
        _INSERT_REVISION,
        {
            "id": new_id("revision"),
            "attempt_id": attempt.id,
            "question_id": body.question_id,
            "revision": revision,
            "answer": answer,
            "language": language,
            "score": graded.score,
            "submitted_at": now,
        },
    )
    position = attempt.question_ids.index(body.question_id)
    following = min(position + 1, len(attempt.question_ids) - 1)
    if following != attempt.current_question_index:
        db.execute(_MOVE_ON, {"attempt": attempt.id, "index": following})
    return revision


def _answer_result(
    attempt: _Answering,
    question_id: str,
    graded: Graded,
    max_score: float,
    revision: int,
    *,
    first: bool,
) -> AnswerResult:
    """What the candidate is told of their answer (`first`: to a question not answered before)."""
    position = attempt.question_ids.index(question_id)
    following = attempt.question_ids[position + 1 :]
    answered = attempt.answered + first
    hide = attempt.hides_results
    return AnswerResult(
        question_id=question_id,
        status=graded.status,
        score=None if hide else graded.score,
        max_score=max_score,
        feedback=None if hide else graded.feedback,
        tests=None if hide else graded.tests,
        revision=revision,
        next_question_id=following[0] if following else None,
        progress_percentage=round(100 * answered / len(attempt.question_ids)),
    )


# -- completing --------------------------------------------------------------------------------


def complete_attempt(
    db: Session, *, actor: Actor, settings: Settings, assessment_id: str, attempt_id: str
) -> CompletionOut:
    """Completing twice returns the first completion."""
    attempt = finish_attempt(
        db, actor=actor, settings=settings, assessment_id=assessment_id, attempt_id=attempt_id
    )
    db.commit()
    return completion_out(db, attempt, hide=_hides_results(db, actor, attempt))


def finish_attempt(
    db: Session, *, actor: Actor, settings: Settings, assessment_id: str, attempt_id: str
) -> Attempt:
    """Complete the candidate's attempt in the caller's transaction, uncommitted (the sync push
    commits it with its acknowledgement); an attempt completed already is left as it is."""
    attempt = _attempt_for(db, actor, attempt_id, write=True)
    _in_assessment(attempt, assessment_id)
    if attempt.status != "completed":
        now = _now()
        _finish(
            db, attempt, now, reason="expired" if _overdue(attempt, settings, now) else "submitted"
        )
    return attempt


def _finish(db: Session, attempt: Attempt, now: datetime, *, reason: str) -> None:
    """Total what was saved and close the attempt (the caller commits)."""
    answers = list(db.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)))
    end = min(now, attempt.expires_at)
    attempt.status = "completed"
    attempt.completion_reason = reason
    attempt.completed_at = now
    attempt.time_spent = max(0, int((end - attempt.started_at).total_seconds()))
    attempt.total_score = round(sum(a.score or 0.0 for a in answers), 2)
    attempt.percentage = (
        round(100 * attempt.total_score / attempt.max_score, 2) if attempt.max_score else 0.0
    )
    candidate = db.get(Candidate, attempt.candidate_id)
    if candidate is not None and candidate.status in ("invited", "started"):
        candidate.status = "completed"
        candidate.updated_at = now
    audit.record(
        db,
        "ATTEMPT_COMPLETED",
        company_id=attempt.company_id,
        target_type="attempt",
        target_id=attempt.id,
        details={"reason": reason, "percentage": attempt.percentage},
    )
    emit(
        db,
        DomainEvent(
            "assessment.completed",
            attempt.company_id,
            {
                "assessmentId": attempt.assessment_id,
                "candidateId": attempt.candidate_id,
                "attemptId": attempt.id,
                "score": attempt.percentage,
                "completedAt": now.isoformat(),
            },
        ),
    )
    # Saving an answer reads its attempt with a plain statement, which does not flush the
    # session: a later answer in the same transaction (a sync push) must see it completed.
    db.flush()


def completion_out(db: Session, attempt: Attempt, *, hide: bool = False) -> CompletionOut:
    assert attempt.completed_at is not None and attempt.percentage is not None
    answers = {
        a.question_id: a
        for a in db.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))
    }
    versions = _versions(db, attempt)
    breakdown = {}
    for qid in attempt.question_ids:
        answer = answers.get(qid)
        breakdown[qid] = BreakdownItem(
            score=answer.score if answer else 0.0,
            max_score=versions[qid].points,
            status=answer.status if answer else "unanswered",
        )
    completion = CompletionOut(
        attempt_id=attempt.id,
        submitted_at=attempt.completed_at,
        status=attempt.status,
        completion_reason=attempt.completion_reason or "submitted",
        total_score=attempt.total_score or 0.0,
        max_score=attempt.max_score,
        percentage=attempt.percentage,
        time_spent=attempt.time_spent or 0,
        breakdown=breakdown,
        ranking=ranking(attempt.percentage, completed_percentages(db, attempt.assessment_id)),
        pending_review=sum(
            a.status in ("pending_review", "grading_unavailable") for a in answers.values()
        ),
    )
    if hide:
        hidden = {"total_score": None, "percentage": None, "breakdown": None, "ranking": None}
        return completion.model_copy(update={**hidden, "results_hidden": True})
    return completion


def expire_overdue(db: Session, *, settings: Settings, now: datetime | None = None) -> int:
    """The sweep: complete every attempt left open past its expiry (and grace). Returns how many."""
    now = now or _now()
    cutoff = now - timedelta(seconds=settings.answer_grace_seconds)
    overdue = list(
        db.scalars(
            select(Attempt).where(Attempt.status == "in_progress", Attempt.expires_at < cutoff)
        )
    )
    for attempt in overdue:
        _finish(db, attempt, now, reason="expired")
    db.commit()
    return len(overdue)


def regrade_unavailable(db: Session, *, runner: Callable[[], CodeRunner], limit: int = 50) -> int:
    """Grade coding answers saved while the sandbox could not run them. Returns how many."""
    waiting = list(
        db.scalars(
            select(AttemptAnswer)
            .where(AttemptAnswer.status == "grading_unavailable")
            .order_by(AttemptAnswer.submitted_at)
            .limit(limit)
        )
    )
    graded = 0
    for answer in waiting:
        question = _question(db, answer.question_version_id)
        assert isinstance(question, CodingQuestion) and answer.language is not None
        result = grading.grade_code(question, answer.answer, answer.language, runner())
        if result.status == "grading_unavailable":
            break  # still not possible; the next sweep tries again
        answer.status, answer.score, answer.feedback = result.status, result.score, result.feedback
        answer.details = result.details
        attempt = db.get(Attempt, answer.attempt_id)
        if attempt is not None and attempt.status == "completed":
            db.flush()
            _retotal(db, attempt)
        graded += 1
    db.commit()
    return graded


def _retotal(db: Session, attempt: Attempt) -> None:
    total = sum(
        a.score or 0.0
        for a in db.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))
    )
    attempt.total_score = round(total, 2)
    attempt.percentage = round(100 * total / attempt.max_score, 2) if attempt.max_score else 0.0


# -- review ------------------------------------------------------------------------------------


def review_answer(
    db: Session,
    *,
    actor: Actor,
    attempt_id: str,
    question_id: str,
    score: float,
    feedback: str | None,
) -> SavedAnswer:
    """A reviewer scores an answer (free text above all); a completed attempt is re-totalled."""
    actor.require("assessments:review")
    attempt = _attempt_for(db, actor, attempt_id, write=False)
    answer = db.scalar(
        select(AttemptAnswer).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_id == question_id
        )
    )
    if answer is None:
        raise not_found("Answer", question_id)
    if score > answer.max_score:
        raise ValidationFailed(
            f"The score cannot exceed the question's {answer.max_score} points",
            details={"field": "score", "message": "too high", "value": score},
        )
    answer.score = score
    answer.status = "graded"
    if feedback is not None:
        answer.feedback = feedback
    answer.details = {**answer.details, "reviewedBy": actor.email or actor.id}
    if attempt.status == "completed":
        db.flush()
        _retotal(db, attempt)
    audit.record(
        db,
        "ANSWER_REVIEWED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=attempt.company_id,
        target_type="attempt",
        target_id=attempt.id,
        details={"questionId": question_id, "score": score},
    )
    db.commit()
    return SavedAnswer.model_validate(answer)


def get_completion(db: Session, *, actor: Actor, attempt_id: str) -> CompletionOut:
    attempt = _attempt_for(db, actor, attempt_id, write=False)
    if attempt.status != "completed":
        raise Conflict(
            "This attempt is still in progress",
            code="ATTEMPT_IN_PROGRESS",
            details={"attemptId": attempt.id},
        )
    return completion_out(db, attempt, hide=_hides_results(db, actor, attempt))

"""Candidates: create, list, details with history, status/notes/tags/rating updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.assessments.models import Assessment, Attempt
from server.audit import service as audit
from server.candidates import invitations
from server.candidates.models import Candidate, CandidateNote, Invitation
from server.config import Settings
from server.deps import Actor
from server.errors import Conflict, not_found
from server.ids import new_id
from server.mail.service import MailSender
from server.pagination import PageParams, paginate
from server.schemas.candidates import (
    CandidateAssessment,
    CandidateCreate,
    CandidateCreated,
    CandidateDetail,
    CandidateProfile,
    CandidateSummary,
    CandidateUpdate,
    InvitationOut,
    InviteRequest,
    Note,
)
from server.schemas.common import Pagination
from server.skills import has_all, skill_index
from server.tenancy import company_for_write, scoped

# PATCH may only move a candidate to `reviewed`, from `completed`; the other statuses follow the
# journey (invitation, start, completion) and are set by it.
REVIEWABLE = {"completed", "reviewed"}


def _duplicate(email: str) -> Conflict:
    return Conflict(
        "A candidate with this email already exists in this company",
        code="CANDIDATE_EXISTS",
        details={"field": "email", "value": email},
    )


def create_candidate(
    db: Session, *, actor: Actor, settings: Settings, mail: MailSender, data: CandidateCreate
) -> CandidateCreated:
    actor.require("candidates:create")
    owner = company_for_write(db, actor, data.company_id)
    email = data.email.lower()
    if db.scalar(
        select(Candidate.id).where(Candidate.company_id == owner, Candidate.email == email)
    ):
        raise _duplicate(email)
    candidate = Candidate(
        id=new_id("candidate"),
        company_id=owner,
        email=email,
        first_name=data.first_name,
        last_name=data.last_name,
        position_id=data.position_id,
        profile=data.profile.model_dump(mode="json", exclude_none=True),
        experience=data.profile.experience,
        skill_index=skill_index(data.profile.skills),
        source=data.source,
        referred_by=data.referred_by,
    )
    db.add(candidate)
    db.flush()
    token = invitation_id = None
    if data.assessment_id is not None:
        invitation, token, _ = invitations.invite(
            db,
            actor=actor,
            settings=settings,
            mail=mail,
            candidate=candidate,
            data=InviteRequest(assessment_id=data.assessment_id, due_date=data.due_date),
        )
        invitation_id = invitation.id
    audit.record(
        db,
        "CANDIDATE_CREATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=owner,
        target_type="candidate",
        target_id=candidate.id,
    )
    try:
        db.commit()
    except IntegrityError as exc:  # a concurrent create with the same email won
        db.rollback()
        raise _duplicate(email) from exc
    return CandidateCreated(
        id=candidate.id,
        email=candidate.email,
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        status=candidate.status,
        invite_token=token,
        invitation_id=invitation_id,
        created_at=candidate.created_at,
    )


def get_candidate(db: Session, *, actor: Actor, candidate_id: str) -> Candidate:
    """Staff see their company's candidates; a candidate sees only their own record."""
    candidate = db.get(Candidate, candidate_id)
    if actor.kind == "candidate":
        if candidate is None or candidate.id != actor.id:
            raise not_found("Candidate", candidate_id)
        return candidate
    actor.require("candidates:read")
    if candidate is None or not actor.can_access_company(candidate.company_id):
        raise not_found("Candidate", candidate_id)
    return candidate


def _history(db: Session, candidate_ids: Sequence[str]) -> dict[str, list[CandidateAssessment]]:
    history: dict[str, list[CandidateAssessment]] = {c: [] for c in candidate_ids}
    rows = db.execute(
        select(Attempt, Assessment.title)
        .join(Assessment, Assessment.id == Attempt.assessment_id)
        .where(Attempt.candidate_id.in_(candidate_ids))
        .order_by(Attempt.started_at)
    )
    for attempt, title in rows:
        history[attempt.candidate_id].append(
            CandidateAssessment(
                id=attempt.assessment_id,
                attempt_id=attempt.id,
                title=title,
                status=attempt.status,
                score=attempt.total_score,
                max_score=attempt.max_score,
                percentage=attempt.percentage,
                time_spent=attempt.time_spent,
                started_at=attempt.started_at,
                completed_at=attempt.completed_at,
            )
        )
    return history


def _summary_fields(candidate: Candidate, history: list[CandidateAssessment]) -> dict[str, object]:
    return {
        "id": candidate.id,
        "email": candidate.email,
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "status": candidate.status,
        "company_id": candidate.company_id,
        "position_id": candidate.position_id,
        "profile": CandidateProfile.model_validate(candidate.profile),
        "tags": candidate.tags,
        "rating": candidate.rating,
        "assessments": history,
        "created_at": candidate.created_at,
    }


def candidate_detail(
    db: Session, *, actor: Actor, settings: Settings, candidate: Candidate
) -> CandidateDetail:
    history = _history(db, [candidate.id])[candidate.id]
    fields = _summary_fields(candidate, history)
    notes: list[Note] = []
    sent: list[Invitation] = []
    if actor.kind == "candidate":
        # Recruiters' notes, tags and rating are theirs, not the candidate's.
        fields.update(tags=[], rating=None)
    else:
        notes = [
            Note.model_validate(n)
            for n in db.scalars(
                select(CandidateNote)
                .where(CandidateNote.candidate_id == candidate.id)
                .order_by(CandidateNote.created_at)
            )
        ]
        sent = list(
            db.scalars(
                select(Invitation)
                .where(Invitation.candidate_id == candidate.id)
                .order_by(Invitation.sent_at)
            )
        )
    return CandidateDetail(
        **fields,
        notes=notes,
        invitations=[invitations.invitation_out(db, settings, i) for i in sent],
        source=candidate.source,
        referred_by=candidate.referred_by,
        updated_at=candidate.updated_at,
    )


def list_candidates(
    db: Session,
    *,
    actor: Actor,
    params: PageParams,
    company_id: str | None,
    status: str | None,
    position_id: str | None,
    search: str | None,
    skills: list[str],
    experience_min: float | None,
    experience_max: float | None,
) -> tuple[list[CandidateSummary], Pagination]:
    actor.require("candidates:read")
    stmt = scoped(select(Candidate), actor, Candidate.company_id, company_id)
    if status:
        stmt = stmt.where(Candidate.status == status)
    if position_id:
        stmt = stmt.where(Candidate.position_id == position_id)
    if search:
        pattern = f"%{search.strip()}%"
        full_name = Candidate.first_name + " " + Candidate.last_name
        stmt = stmt.where(
            or_(
                Candidate.email.ilike(pattern),
                Candidate.first_name.ilike(pattern),
                Candidate.last_name.ilike(pattern),
                full_name.ilike(pattern),
            )
        )
    if skills:
        stmt = stmt.where(has_all(Candidate.skill_index, skills))
    if experience_min is not None:
        stmt = stmt.where(Candidate.experience >= experience_min)
    if experience_max is not None:
        stmt = stmt.where(Candidate.experience <= experience_max)
    rows, pagination = paginate(
        db, stmt, params, order_by=Candidate.created_at, id_column=Candidate.id
    )
    history = _history(db, [c.id for c in rows])
    return [CandidateSummary(**_summary_fields(c, history[c.id])) for c in rows], pagination


def update_candidate(
    db: Session, *, actor: Actor, settings: Settings, candidate_id: str, data: CandidateUpdate
) -> CandidateDetail:
    actor.require("candidates:update")
    candidate = get_candidate(db, actor=actor, candidate_id=candidate_id)
    now = datetime.now(UTC)
    if data.status is not None and data.status != candidate.status:
        if data.status != "reviewed" or candidate.status not in REVIEWABLE:
            raise Conflict(
                f"A candidate cannot be moved from {candidate.status} to {data.status}; "
                "only a completed candidate can be marked reviewed",
                code="INVALID_STATUS_TRANSITION",
                details={"from": candidate.status, "to": data.status},
            )
        candidate.status = data.status
    if data.notes is not None:
        db.add(
            CandidateNote(
                id=new_id("note"),
                candidate_id=candidate.id,
                content=data.notes,
                author=actor.email or actor.id,
                created_at=now,
            )
        )
    if data.tags is not None:
        candidate.tags = list(dict.fromkeys(data.tags))
    if data.rating is not None:
        candidate.rating = data.rating
    if "position_id" in data.model_fields_set:
        candidate.position_id = data.position_id
    if data.profile is not None:
        candidate.profile = data.profile.model_dump(mode="json", exclude_none=True)
        candidate.experience = data.profile.experience
        candidate.skill_index = skill_index(data.profile.skills)
    candidate.updated_at = now
    audit.record(
        db,
        "CANDIDATE_UPDATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=candidate.company_id,
        target_type="candidate",
        target_id=candidate.id,
        details={"fields": sorted(data.model_fields_set)},
    )
    db.commit()
    return candidate_detail(db, actor=actor, settings=settings, candidate=candidate)


def invite_candidate(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    mail: MailSender,
    candidate_id: str,
    data: InviteRequest,
) -> tuple[InvitationOut, bool]:
    """A new invitation (True), or the open one to the same assessment (False)."""
    actor.require("candidates:invite")
    candidate = get_candidate(db, actor=actor, candidate_id=candidate_id)
    invitation, _, created = invitations.invite(
        db, actor=actor, settings=settings, mail=mail, candidate=candidate, data=data
    )
    db.commit()
    return invitations.invitation_out(db, settings, invitation), created

"""Invitations to take an assessment, their single-use tokens, and reminders before the due date.

The token is derived from the invitation's ID with the server's secret (HMAC-SHA256) and stored
only as a digest: the server can show the same link again (a re-invite returns the open
invitation) without keeping the secret. Rotating `ELLA_SECRET_KEY` invalidates open invitations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.assessments.models import Assessment, Attempt
from server.audit import service as audit
from server.candidates.models import Candidate, Invitation, InvitationReminder
from server.companies.models import Company
from server.config import Settings
from server.deps import Actor
from server.errors import Conflict, ValidationFailed, not_found
from server.events import DomainEvent, emit
from server.ids import digest, new_id
from server.mail.service import MailSender
from server.schemas.candidates import INTERVAL_PATTERN, InvitationOut, InviteRequest, ReminderOut

TOKEN_PREFIX = "ellaai_inv_"
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}


def invite_token(settings: Settings, invitation_id: str) -> str:
    mac = hmac.new(settings.secret_key.encode(), f"invite:{invitation_id}".encode(), hashlib.sha256)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def invite_link(settings: Settings, invitation: Invitation) -> str:
    token = invite_token(settings, invitation.id)
    return f"{settings.public_url.rstrip('/')}/take/{invitation.assessment_id}?token={token}"


def interval_seconds(interval: str) -> int:
    match = INTERVAL_PATTERN.match(interval)
    assert match is not None, "validated by ReminderSchedule"
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


def is_open(invitation: Invitation, now: datetime) -> bool:
    return invitation.used_at is None and invitation.expires_at > now


def invite(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    mail: MailSender,
    candidate: Candidate,
    data: InviteRequest,
) -> tuple[Invitation, str, bool]:
    """The open invitation to this assessment, or a new one mailed to the candidate.

    Returns the invitation, its token, and whether it was created. The caller commits.
    """
    actor.require("candidates:invite")
    now = datetime.now(UTC)
    assessment = db.get(Assessment, data.assessment_id)
    if assessment is None or assessment.company_id != candidate.company_id:
        raise not_found("Assessment", data.assessment_id)
    if assessment.status != "active":
        raise Conflict(
            f"This assessment is {assessment.status}; candidates are invited to active ones",
            code="ASSESSMENT_NOT_ACTIVE",
            details={"status": assessment.status},
        )
    if data.due_date is not None and data.due_date <= now:
        raise ValidationFailed(
            "dueDate must be in the future",
            details={"field": "dueDate", "message": "in the past", "value": str(data.due_date)},
        )
    existing = db.scalar(
        select(Invitation)
        .where(
            Invitation.candidate_id == candidate.id,
            Invitation.assessment_id == assessment.id,
            Invitation.used_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.sent_at.desc())
    )
    if existing is not None:
        return existing, invite_token(settings, existing.id), False

    expires_at = data.due_date or now + timedelta(seconds=settings.candidate_invite_ttl_seconds)
    invitation = Invitation(
        id=new_id("invitation"),
        company_id=candidate.company_id,
        candidate_id=candidate.id,
        assessment_id=assessment.id,
        message=data.message,
        due_date=data.due_date,
        expires_at=expires_at,
        sent_at=now,
        created_by=actor.id,
    )
    token = invite_token(settings, invitation.id)
    invitation.token_hash = digest(token)
    db.add(invitation)
    db.flush()
    schedule = data.reminder_schedule
    if schedule is not None and schedule.enabled:
        for interval in dict.fromkeys(schedule.intervals):
            due_at = expires_at - timedelta(seconds=interval_seconds(interval))
            if due_at > now:  # a reminder whose moment has passed would only arrive late
                db.add(
                    InvitationReminder(
                        id=new_id("reminder"),
                        invitation_id=invitation.id,
                        interval=interval,
                        due_at=due_at,
                    )
                )
    if candidate.status != "started":
        candidate.status = "invited"
    _mail(db, settings, mail, invitation, candidate, assessment, reminder=False)
    audit.record(
        db,
        "CANDIDATE_INVITED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=candidate.company_id,
        target_type="invitation",
        target_id=invitation.id,
        details={"candidateId": candidate.id, "assessmentId": assessment.id},
    )
    emit(
        db,
        DomainEvent(
            "candidate.invited",
            candidate.company_id,
            {
                "candidateId": candidate.id,
                "assessmentId": assessment.id,
                "invitationId": invitation.id,
                "dueDate": data.due_date.isoformat() if data.due_date else None,
            },
        ),
    )
    return invitation, token, True


def _mail(
    db: Session,
    settings: Settings,
    mail: MailSender,
    invitation: Invitation,
    candidate: Candidate,
    assessment: Assessment,
    *,
    reminder: bool,
) -> None:
    company = db.get(Company, candidate.company_id)
    company_name = company.name if company else "EllaAI"
    due = invitation.due_date or invitation.expires_at
    lines = [f"Hi {candidate.first_name},", ""]
    if reminder:
        lines.append(f"A reminder: {assessment.title} is due {due:%Y-%m-%d %H:%M} UTC.")
    else:
        lines.append(f"{company_name} invites you to take {assessment.title}.")
        if invitation.message:
            lines += ["", invitation.message]
        lines.append(f"Please complete it by {due:%Y-%m-%d %H:%M} UTC.")
    lines += [
        "",
        f"Open it here: {invite_link(settings, invitation)}",
        "The link signs you in once; keep the desktop app open to resume.",
    ]
    mail.send(
        db,
        to=candidate.email,
        subject=("Reminder: " if reminder else "") + f"{assessment.title} ({company_name})",
        body="\n".join(lines) + "\n",
        kind="candidate_reminder" if reminder else "candidate_invite",
        company_id=candidate.company_id,
    )


def invitation_out(db: Session, settings: Settings, invitation: Invitation) -> InvitationOut:
    now = datetime.now(UTC)
    reminders = db.scalars(
        select(InvitationReminder)
        .where(InvitationReminder.invitation_id == invitation.id)
        .order_by(InvitationReminder.due_at)
    )
    if invitation.used_at is not None:
        status = "opened"
    elif invitation.expires_at <= now:
        status = "expired"
    else:
        status = "sent"
    return InvitationOut(
        invitation_id=invitation.id,
        assessment_id=invitation.assessment_id,
        candidate_id=invitation.candidate_id,
        invite_link=invite_link(settings, invitation),
        sent_at=invitation.sent_at,
        due_date=invitation.due_date,
        expires_at=invitation.expires_at,
        status=status,
        reminders=[ReminderOut.model_validate(r) for r in reminders],
    )


def send_due_reminders(
    db: Session, *, settings: Settings, mail: MailSender, now: datetime | None = None
) -> int:
    """Mail every reminder whose time has come; for the periodic task or `python -m server sweep`.

    A reminder is dropped, not sent, once the candidate has completed the assessment or the
    invitation has expired. Returns how many were sent.
    """
    now = now or datetime.now(UTC)
    due = db.execute(
        select(InvitationReminder, Invitation)
        .join(Invitation, Invitation.id == InvitationReminder.invitation_id)
        .where(InvitationReminder.sent_at.is_(None), InvitationReminder.due_at <= now)
        .order_by(InvitationReminder.due_at)
    )
    sent = 0
    for reminder, invitation in due:
        reminder.sent_at = now
        completed = db.scalar(
            select(Attempt.id).where(
                Attempt.candidate_id == invitation.candidate_id,
                Attempt.assessment_id == invitation.assessment_id,
                Attempt.status == "completed",
            )
        )
        candidate = db.get(Candidate, invitation.candidate_id)
        assessment = db.get(Assessment, invitation.assessment_id)
        if completed or invitation.expires_at <= now or candidate is None or assessment is None:
            continue
        _mail(db, settings, mail, invitation, candidate, assessment, reminder=True)
        sent += 1
    db.commit()
    return sent

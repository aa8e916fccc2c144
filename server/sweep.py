"""The periodic sweep: send due invitation reminders, complete attempts whose time ran out, and
grade coding answers the sandbox could not run when they arrived.

Run it from cron or a scheduler with `python -m server sweep` (once) or
`python -m server sweep --every 60`; each run is safe to repeat and to run on several hosts
(an attempt completed or a reminder sent once is skipped afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from server.assessments.attempts import expire_overdue, regrade_unavailable
from server.assessments.code_runner import code_runner
from server.candidates.invitations import send_due_reminders
from server.deps import ServerContext


@dataclass(frozen=True)
class SweepReport:
    reminders_sent: int
    attempts_expired: int
    answers_graded: int


def sweep(context: ServerContext, now: datetime | None = None) -> SweepReport:
    now = now or datetime.now(UTC)
    with context.sessions() as db:
        reminders = send_due_reminders(db, settings=context.settings, mail=context.mail, now=now)
        # Graded before expiring, so that attempts completed now total the new scores.
        graded = regrade_unavailable(db, runner=lambda: code_runner(context))
        expired = expire_overdue(db, settings=context.settings, now=now)
    return SweepReport(reminders_sent=reminders, attempts_expired=expired, answers_graded=graded)

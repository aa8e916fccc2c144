"""The periodic sweep: send due invitation reminders and complete attempts whose time ran out.

Run it from cron or a scheduler with `python -m server sweep` (once) or
`python -m server sweep --every 60`; each run is safe to repeat and to run on several hosts
(an attempt completed or a reminder sent once is skipped afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from server.assessments.attempts import expire_overdue
from server.candidates.invitations import send_due_reminders
from server.deps import ServerContext


@dataclass(frozen=True)
class SweepReport:
    reminders_sent: int
    attempts_expired: int


def sweep(context: ServerContext, now: datetime | None = None) -> SweepReport:
    now = now or datetime.now(UTC)
    with context.sessions() as db:
        reminders = send_due_reminders(db, settings=context.settings, mail=context.mail, now=now)
        expired = expire_overdue(db, settings=context.settings, now=now)
    return SweepReport(reminders_sent=reminders, attempts_expired=expired)

"""Sending mail through the configured sender. Development and tests use the mailbox table."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from server.ids import new_id
from server.mail.models import MailMessage


class MailSender(Protocol):
    def send(
        self, db: Session, *, to: str, subject: str, body: str, kind: str, company_id: str | None
    ) -> None: ...


class MailboxSender:
    """Keeps every message in the `mailbox` table, in the sender's transaction."""

    def send(
        self, db: Session, *, to: str, subject: str, body: str, kind: str, company_id: str | None
    ) -> None:
        db.add(
            MailMessage(
                id=new_id("mail"),
                to=to,
                subject=subject,
                body=body,
                kind=kind,
                company_id=company_id,
            )
        )

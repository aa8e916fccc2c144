"""Stored executions, readable again by whoever ran them (and their company)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class Execution(Base):
    __tablename__ = "executions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[str | None] = mapped_column(String(40), index=True, default=None)
    # The user, API key or candidate that ran it.
    actor_id: Mapped[str] = mapped_column(String(40), index=True)
    language: Mapped[str] = mapped_column(String(32))
    overall_status: Mapped[str] = mapped_column(String(16))
    # The response body as first returned (camelCase), so a read returns exactly that.
    result: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

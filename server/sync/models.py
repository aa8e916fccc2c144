"""Devices and the ledger of outbox entries each has had applied."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class SyncDevice(Base):
    """A client installation, named by the ID it made up; it belongs to whoever pushed first."""

    __tablename__ = "sync_devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), index=True)
    # Every entry up to this seq has been applied (or rejected for good).
    last_seq: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_push_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncEntry(Base):
    """One applied (device, seq): written in the transaction of the change it made."""

    __tablename__ = "sync_entries"

    device_id: Mapped[str] = mapped_column(
        ForeignKey("sync_devices.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # applied | rejected
    status: Mapped[str] = mapped_column(String(8))
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(String(500), default=None)

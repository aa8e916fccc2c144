"""Devices, what each has had acknowledged, and the ledger of its non-event entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, utcnow


class SyncDevice(Base):
    """A client installation, named by the ID it made up; it belongs to whoever pushed first."""

    __tablename__ = "sync_devices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(40), index=True)
    # Every entry up to this seq has been applied (or rejected for good).
    last_seq: Mapped[int] = mapped_column(default=0)
    # Entries above `last_seq` acknowledged out of order (a batch that overtook an earlier one):
    # with `last_seq`, the device's acknowledged set, so that no entry needs a row of its own.
    acked_seqs: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_push_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncEntry(Base):
    """One applied or rejected (device, seq) other than an event, written in the transaction of
    the change it made. Events have no row: the event table's unique (session, seq) makes them
    exactly-once, and `SyncDevice` keeps which seqs were acknowledged."""

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

"""The sync push protocol: a device's numbered outbox entries, and what the server did with each.

A push carries `schemaVersion`, the `deviceId` and entries numbered by the device (`seq`, from 1,
no gaps). The server applies each (device, seq) exactly once and answers per entry; `lastSeq` is
the highest seq up to which every entry is acknowledged, so the client can mark its outbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from server.schemas.common import ErrorBody, Moment, OutModel, WireModel
from server.schemas.proctoring import MAX_SEQ, EventTypeName, SessionSettings, Severity

SCHEMA_VERSION = 1
MAX_ENTRIES = 500
# One base64 JPEG snapshot; keeps a batch under the server's body cap.
MAX_SNAPSHOT_BASE64 = 1_400_000

DeviceId = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
Hash = Annotated[str, Field(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]


class ChainedEvent(WireModel):
    """`proctoring.events.ProctorEvent.to_dict(include_snapshot=True)`, checked.

    The timestamp (kept as the client wrote it: the hash covers these bytes) and the data are
    checked where ingest parses and encodes them anyway (`server.proctoring.service`), once."""

    type: EventTypeName
    severity: Severity
    timestamp: str = Field(max_length=40)
    offset: float = Field(allow_inf_nan=False)
    data: dict[str, Any] = Field(default_factory=dict)
    seq: int = Field(ge=0, le=MAX_SEQ)
    prev_hash: Hash
    hash: Hash
    snapshot_jpeg: str | None = Field(default=None, max_length=MAX_SNAPSHOT_BASE64)


class EntryBase(WireModel):
    seq: int = Field(ge=1, le=MAX_SEQ)


class EventEntry(EntryBase):
    kind: Literal["event"]
    session_id: str = Field(max_length=40)
    event: ChainedEvent


class AnswerEntry(EntryBase):
    """An answer as `submit-answer` takes it, saved on the device at `savedAt`."""

    kind: Literal["answer"]
    assessment_id: str = Field(max_length=40)
    attempt_id: str = Field(max_length=40)
    question_id: str = Field(max_length=40)
    answer: Any
    language: str | None = Field(default=None, max_length=20)
    time_spent: int | None = Field(default=None, ge=0, le=MAX_SEQ)
    saved_at: Moment


class CompleteEntry(EntryBase):
    kind: Literal["complete"]
    assessment_id: str = Field(max_length=40)
    attempt_id: str = Field(max_length=40)


class SessionOpenEntry(EntryBase):
    """A proctoring session the device named itself, so that it can start one offline."""

    kind: Literal["session_open"]
    session_id: str = Field(pattern=r"^proctor_session_[0-9a-f]{20}$")
    assessment_id: str = Field(max_length=40)
    candidate_id: str = Field(max_length=40)
    attempt_id: str | None = Field(default=None, max_length=40)
    settings: SessionSettings = Field(default_factory=SessionSettings)


class SessionEndEntry(EntryBase):
    kind: Literal["session_end"]
    session_id: str = Field(max_length=40)
    reason: str = Field(default="assessment_completed", max_length=64)
    last_event_seq: int = Field(ge=-1, le=MAX_SEQ)


Entry = Annotated[
    SessionOpenEntry | EventEntry | AnswerEntry | CompleteEntry | SessionEndEntry,
    Field(discriminator="kind"),
]


class PushRequest(WireModel):
    schema_version: int
    device_id: DeviceId
    entries: list[Entry] = Field(min_length=1, max_length=MAX_ENTRIES)

    @model_validator(mode="after")
    def _distinct_seqs(self) -> PushRequest:
        seqs = [e.seq for e in self.entries]
        if len(set(seqs)) != len(seqs):
            raise ValueError("every entry of a push needs its own seq")
        return self


class EntryResult(OutModel):
    seq: int
    status: Literal["applied", "duplicate", "rejected"]
    error: ErrorBody | None = None


class PushResult(OutModel):
    device_id: str
    # Every entry up to here is acknowledged (applied, duplicate or rejected).
    last_seq: int
    results: list[EntryResult]
    server_time: datetime


class DeviceState(OutModel):
    device_id: str
    last_seq: int
    server_time: datetime

"""Proctoring API bodies: sessions, events, risk explanation, review verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, Field

from proctoring.events import canonical_json
from server.schemas.common import Moment, OutModel, WireModel

# What the spec's examples use ("warning", "high") and what the event model emits ("info".."high").
InputSeverity = Literal["info", "low", "medium", "warning", "high", "critical"]
Severity = Literal["info", "low", "medium", "high"]
RiskLevel = Literal["low", "medium", "high"]
ReviewStatus = Literal["pending", "cleared", "flagged"]
EventTypeName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
# Sequence numbers are stored as 32-bit integers (PostgreSQL's INTEGER).
MAX_SEQ = 2**31 - 1
MAX_EVENT_DATA = 16_384  # bytes of JSON: what an event says about itself, not a payload


def event_data_json(data: Mapping[str, Any]) -> str:
    """`data` as the JSON it is hashed over and stored as (`canonical_json`). Event data must
    be finite numbers only, and small; a ValueError saying which rule it breaks."""
    try:
        encoded = canonical_json(data)
    except ValueError as exc:
        raise ValueError("event data may hold only finite numbers (no NaN or Infinity)") from exc
    size = len(encoded) if encoded.isascii() else len(encoded.encode())
    if size > MAX_EVENT_DATA:
        raise ValueError(f"event data is {size} bytes of JSON; at most {MAX_EVENT_DATA}")
    return encoded


def _storable_data(data: dict[str, Any]) -> dict[str, Any]:
    event_data_json(data)
    return data


EventData = Annotated[dict[str, Any], AfterValidator(_storable_data)]


class SessionSettings(WireModel):
    record_video: bool = True
    record_screen: bool = False
    detect_face_movement: bool = True
    block_navigation: bool = True
    lockdown_browser: bool = False
    ai_monitoring: bool = True


class ProctorSessionCreate(WireModel):
    assessment_id: str = Field(min_length=1, max_length=40)
    candidate_id: str = Field(min_length=1, max_length=40)
    # Not in the spec's example: ties the session to the attempt it watches.
    attempt_id: str | None = Field(default=None, max_length=40)
    settings: SessionSettings = Field(default_factory=SessionSettings)


class IceServer(OutModel):
    urls: str
    username: str | None = None
    credential: str | None = None


class WebRTCConfig(OutModel):
    ice_servers: list[IceServer]


class MediaPermissions(OutModel):
    camera: bool
    microphone: bool
    screen: bool


class ProctorSessionCreated(OutModel):
    session_id: str
    token: str
    webrtc_config: WebRTCConfig
    permissions: MediaPermissions
    expires_at: datetime


class ProctorEventCreate(WireModel):
    """`POST /sessions/{id}/events`: one event outside the client's hash chain."""

    type: EventTypeName
    severity: InputSeverity = "medium"
    data: EventData = Field(default_factory=dict)
    timestamp: Moment | None = None


class ProctorEventOut(OutModel):
    id: str
    type: str
    timestamp: datetime
    severity: Severity
    data: dict[str, Any]
    # Position in the client's hash chain; None for events reported one by one or by the server.
    seq: int | None
    source: Literal["client", "api", "server"]
    snapshot_url: str | None = None


class RiskContribution(OutModel):
    seq: int | None
    type: str
    severity: Severity
    offset: float
    duration_ms: int
    points: float


class RiskExplanation(OutModel):
    """Why the score is what it is: points per event type and per episode, largest first."""

    total_points: float
    by_type: dict[str, float]
    contributions: list[RiskContribution]
    summary: str


class ChainBreakOut(OutModel):
    seq: int
    kind: str
    detail: str


class Integrity(OutModel):
    """Whether the client's event chain arrived whole and unaltered."""

    chain_intact: bool
    last_seq: int | None
    breaks: list[ChainBreakOut]


class Review(OutModel):
    status: ReviewStatus
    note: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


class ProctorSessionSummary(OutModel):
    session_id: str
    assessment_id: str
    candidate_id: str
    attempt_id: str | None
    status: Literal["active", "ended"]
    started_at: datetime
    ended_at: datetime | None
    event_count: int
    risk_score: float
    risk_level: RiskLevel
    # null for the candidate: a proctor's verdict and note are the company's, not theirs
    review: Review | None


class ProctorSessionDetail(ProctorSessionSummary):
    settings: SessionSettings
    events: list[ProctorEventOut]
    recordings: dict[str, str]
    # null for the candidate: how each event is weighed would teach them to game the score
    risk: RiskExplanation | None
    integrity: Integrity
    end_reason: str | None = None


class ProctorSessionEnd(WireModel):
    reason: str = Field(default="assessment_completed", max_length=64)
    final_report: bool = True
    # The chain's last seq as the client knows it: events cut off the end show as a gap.
    last_event_seq: int | None = Field(default=None, ge=-1, le=MAX_SEQ)


class ProctorReviewCreate(WireModel):
    # Read as the `review.status` it becomes, too.
    verdict: Literal["cleared", "flagged"] = Field(
        validation_alias=AliasChoices("verdict", "status")
    )
    note: str | None = Field(default=None, max_length=4000)

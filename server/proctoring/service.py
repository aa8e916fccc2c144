"""Proctoring sessions: creation, access, event ingest with hash-chain checks, risk, review.

The risk score is always recomputed here from the stored events with `proctoring.risk`; a score
sent by a client is never read. Chained events (from the desktop app's journal) are checked
against their neighbours as they arrive; a break becomes a `journal_tampered` event of the
server's own, which weighs heavily in the risk. Missing events (a gap) are decided when the
session ends, because batches may arrive late or out of order until then.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

import jwt
from sqlalchemy import Table, bindparam, insert, select, true, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from proctoring.events import (
    ProctorEvent,
    Severity,
    format_timestamp,
    verify_chain,
)
from proctoring.risk import RiskAssessment, RiskWeights, assess
from server.assessments.models import Assessment, Attempt
from server.audit import service as audit
from server.candidates.models import Candidate
from server.config import Settings
from server.db import DriverStatement, result_processor
from server.deps import Actor
from server.errors import (
    AppError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    not_found,
)
from server.ids import new_id, new_ids
from server.pagination import PageParams, paginate
from server.proctoring.models import ProctorEventRecord, ProctorSession
from server.schemas.common import Pagination, plausible_moment
from server.schemas.proctoring import (
    ChainBreakOut,
    IceServer,
    Integrity,
    MediaPermissions,
    ProctorEventCreate,
    ProctorEventOut,
    ProctorReviewCreate,
    ProctorSessionCreate,
    ProctorSessionCreated,
    ProctorSessionDetail,
    ProctorSessionEnd,
    ProctorSessionSummary,
    Review,
    RiskContribution,
    RiskExplanation,
    SessionSettings,
    WebRTCConfig,
    event_data_json,
)
from server.schemas.sync import ChainedEvent
from server.storage import BlobStore

TAMPER_TYPE = "journal_tampered"
SESSION_TTL = timedelta(hours=12)
PROCTOR_TOKEN_TYPE = "proctor"

# The spec's examples say "warning"; the event model ranks info < low < medium < high.
SEVERITY_OF = {"warning": "medium", "critical": "high"}

# Core inserts: the ORM's bulk path costs more than the database on the ingest hot path.
EVENTS_TABLE = cast(Table, ProctorEventRecord.__table__)

# A broken chain outweighs any single behaviour: one break alone makes the session high risk.
RISK_WEIGHTS = RiskWeights(type_weights={**RiskWeights().type_weights, TAMPER_TYPE: 1.0})


# --- access -----------------------------------------------------------------------------------


def _can_see(actor: Actor, session: ProctorSession | SessionAccess) -> bool:
    if actor.kind == "candidate":
        return actor.can("proctoring:own") and session.candidate_id == actor.id
    return actor.can("proctoring:read") and actor.can_access_company(session.company_id)


def get_session(
    db: Session, *, actor: Actor, session_id: str, write: bool = False
) -> ProctorSession:
    """The session if `actor` may see it (404 otherwise); `write` also asks to change it."""
    stmt = select(ProctorSession).where(ProctorSession.id == session_id)
    session = db.scalar(stmt.with_for_update() if write else stmt)
    if session is None or not _can_see(actor, session):
        raise not_found("Proctoring session", session_id)
    if write and actor.kind != "candidate":
        actor.require("proctoring:manage")
    return session


@dataclass(frozen=True)
class SessionAccess:
    """What a sync push reads of a session it writes to (the ORM object costs more to load)."""

    id: str
    company_id: str
    candidate_id: str
    status: str


_SESSION_ACCESS = DriverStatement(
    select(
        ProctorSession.id,
        ProctorSession.company_id,
        ProctorSession.candidate_id,
        ProctorSession.status,
    ).where(ProctorSession.id == bindparam("id"))
)


def writable_sessions(
    db: Session, *, actor: Actor, session_ids: set[str]
) -> dict[str, SessionAccess | AppError]:
    """For a sync batch: each named session, or why `actor` may not add to it."""
    verdicts: dict[str, SessionAccess | AppError] = {}
    # One query a session: a push names one or two.
    for session_id in session_ids:
        row = _SESSION_ACCESS.first(db, {"id": session_id})
        session = SessionAccess(*row) if row is not None else None
        if session is None or not _can_see(actor, session):
            verdicts[session_id] = not_found("Proctoring session", session_id)
        elif actor.kind != "candidate" and not actor.can("proctoring:manage"):
            verdicts[session_id] = PermissionDenied(
                "This action needs the 'proctoring:manage' permission"
            )
        else:
            verdicts[session_id] = session
    return verdicts


# --- sessions ---------------------------------------------------------------------------------


def open_session(
    db: Session, *, actor: Actor, data: ProctorSessionCreate, session_id: str | None = None
) -> ProctorSession:
    """A new session in the caller's transaction; `session_id` when the client named it."""
    if actor.kind == "candidate":
        actor.require("proctoring:own")
        if data.candidate_id != actor.id or data.assessment_id != actor.assessment_id:
            raise PermissionDenied(
                "Candidates may open proctoring sessions only for their own assessment"
            )
    else:
        actor.require("proctoring:manage")
    assessment = db.get(Assessment, data.assessment_id)
    if assessment is None or not actor.can_access_company(assessment.company_id):
        raise not_found("Assessment", data.assessment_id)
    candidate = db.get(Candidate, data.candidate_id)
    if candidate is None or candidate.company_id != assessment.company_id:
        # another company's candidate must not be watched, nor reach this company's session
        raise not_found("Candidate", data.candidate_id)
    if data.attempt_id is not None:
        attempt = db.get(Attempt, data.attempt_id)
        if (
            attempt is None
            or attempt.assessment_id != assessment.id
            or attempt.candidate_id != data.candidate_id
        ):
            raise not_found("Attempt", data.attempt_id)
    now = datetime.now(UTC)
    session = ProctorSession(
        id=session_id or new_id("proctor_session"),
        company_id=assessment.company_id,
        assessment_id=data.assessment_id,
        candidate_id=data.candidate_id,
        attempt_id=data.attempt_id,
        created_by=actor.id,
        settings=data.settings.model_dump(),
        started_at=now,
        expires_at=now + SESSION_TTL,
    )
    db.add(session)
    db.flush()
    return session


def create_session(
    db: Session, *, actor: Actor, data: ProctorSessionCreate, settings: Settings
) -> ProctorSessionCreated:
    session = open_session(db, actor=actor, data=data)
    db.commit()
    recording = data.settings.record_video or data.settings.ai_monitoring
    return ProctorSessionCreated(
        session_id=session.id,
        token=_session_token(settings, session),
        webrtc_config=WebRTCConfig(
            ice_servers=[IceServer.model_validate(s.model_dump()) for s in settings.ice_servers]
        ),
        permissions=MediaPermissions(
            camera=recording,
            microphone=data.settings.record_video,
            screen=data.settings.record_screen,
        ),
        expires_at=session.expires_at,
    )


def _session_token(settings: Settings, session: ProctorSession) -> str:
    """A credential naming one session, for the media channel (WebRTC) that streams into it."""
    claims = {
        "iss": "ellaai",
        "sub": session.candidate_id,
        "sid": session.id,
        "typ": PROCTOR_TOKEN_TYPE,
        "iat": session.started_at,
        "exp": session.expires_at,
    }
    return jwt.encode(claims, settings.secret_key, algorithm="HS256")


def report_event(
    db: Session, *, actor: Actor, session_id: str, data: ProctorEventCreate
) -> ProctorEventOut:
    session = get_session(db, actor=actor, session_id=session_id, write=True)
    _require_active(session)
    record = ProctorEventRecord(
        id=new_id("event"),
        session_id=session.id,
        type=data.type,
        severity=SEVERITY_OF.get(data.severity, data.severity),
        occurred_at=data.timestamp or datetime.now(UTC),
        data=data.data,
        source="api",
    )
    db.add(record)
    session.event_count += 1
    session.risk_stale = True
    db.commit()
    return _event_out(record)


def _require_active(session: ProctorSession) -> None:
    if session.status != "active":
        raise Conflict("This proctoring session has ended", code="SESSION_ENDED")


def end_session(
    db: Session, *, actor: Actor, session_id: str, data: ProctorSessionEnd
) -> ProctorSession:
    session = get_session(db, actor=actor, session_id=session_id, write=True)
    if session.status == "active":
        close(db, session, reason=data.reason, last_event_seq=data.last_event_seq)
        db.commit()
    return session


def close(db: Session, session: ProctorSession, *, reason: str, last_event_seq: int | None) -> None:
    """End `session` in the caller's transaction, recording any events missing from its chain."""
    # Read afresh: the transaction may have counted events with a Core update (`ingest_chained`).
    db.refresh(session)
    session.status = "ended"
    session.ended_at = datetime.now(UTC)
    session.end_reason = reason
    session.announced_last_seq = last_event_seq
    seqs = db.scalars(
        select(ProctorEventRecord.seq)
        .where(ProctorEventRecord.session_id == session.id, ProctorEventRecord.seq.is_not(None))
        .order_by(ProctorEventRecord.seq)
    ).all()
    present = {s for s in seqs if s is not None}
    last = max([*present, last_event_seq if last_event_seq is not None else -1])
    _record_breaks(db, session.id, [_gap(a, b) for a, b in _missing_ranges(present, last)])
    _refresh_risk(db, session)


def _missing_ranges(present: set[int], last: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    for seq in range(last + 1):
        if seq not in present and start is None:
            start = seq
        elif seq in present and start is not None:
            ranges.append((start, seq - 1))
            start = None
    if start is not None:
        ranges.append((start, last))
    return ranges


@dataclass(frozen=True)
class _Break:
    seq: int
    kind: str
    detail: str


def _gap(first: int, last: int) -> _Break:
    span = f"{first}" if first == last else f"{first}..{last}"
    return _Break(first, "gap", f"seq {span} never arrived")


def review(
    db: Session, *, actor: Actor, session_id: str, data: ProctorReviewCreate
) -> ProctorSession:
    if actor.kind == "candidate":
        raise not_found("Proctoring session", session_id)
    session = get_session(db, actor=actor, session_id=session_id, write=True)
    session.review_status = data.verdict
    session.review_note = data.note
    session.reviewed_by = actor.id
    session.reviewed_at = datetime.now(UTC)
    audit.record(
        db,
        "PROCTOR_SESSION_REVIEWED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=session.company_id,
        target_type="proctor_session",
        target_id=session.id,
        details={"verdict": data.verdict},
    )
    db.commit()
    return session


@dataclass(frozen=True)
class SessionFilters:
    assessment_id: str | None = None
    candidate_id: str | None = None
    risk_level: str | None = None
    review_status: str | None = None
    company_id: str | None = None


def list_sessions(
    db: Session, *, actor: Actor, params: PageParams, filters: SessionFilters
) -> tuple[list[ProctorSession], Pagination]:
    """Sessions of the caller's company (any, for administrators), highest risk first."""
    if actor.kind == "candidate":
        raise PermissionDenied("Only proctors list proctoring sessions")
    actor.require("proctoring:read")
    if filters.company_id is not None:
        actor.require_company(filters.company_id)
    stmt = select(ProctorSession)
    company_id = filters.company_id or (None if actor.is_admin else actor.company_id)
    if company_id is not None or not actor.is_admin:
        stmt = stmt.where(ProctorSession.company_id == company_id)
    for column, value in (
        (ProctorSession.assessment_id, filters.assessment_id),
        (ProctorSession.candidate_id, filters.candidate_id),
        (ProctorSession.review_status, filters.review_status),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    # Scores must be current before they are sorted and filtered on.
    stale = db.scalars(stmt.where(ProctorSession.risk_stale.is_(True))).all()
    if stale:
        for session in stale:
            _refresh_risk(db, session)
        db.commit()
    if filters.risk_level is not None:
        stmt = stmt.where(ProctorSession.risk_level == filters.risk_level)
    return paginate(
        db, stmt, params, order_by=ProctorSession.risk_score, id_column=ProctorSession.id
    )


# --- chained events from the sync engine ----------------------------------------------------


def snapshot_key(session_id: str, sha256: str) -> str:
    return f"snapshots/{session_id}/{sha256}.jpg"


@dataclass(frozen=True)
class Ingested:
    """What `ingest_chained` did: the seqs it stored (the others were stored before:
    duplicates), and the events it refused, by their index in the batch, with why."""

    stored: set[int]
    refused: dict[int, AppError]


def ingest_chained(
    db: Session, *, session_id: str, events: Sequence[ChainedEvent], blobs: BlobStore
) -> Ingested:
    """Store a batch of one session's chained events in the caller's transaction.

    Events already stored (same seq) are skipped; every new event is checked against its stored
    or arriving neighbours, and each break found is recorded once as a tamper event. A batch
    racing another with the same events stores each once (`_insert_client_events`).
    An event whose snapshot is unusable is refused alone: the rest of the batch is stored.
    """
    seqs = [e.seq for e in events]
    dialect = db.connection().dialect
    # One query, plain rows: the stored events in the batch's range and its two neighbours.
    around = _STORED_AROUND.all(
        db, {"session": session_id, "low": min(seqs) - 1, "high": max(seqs) + 1}
    )
    stored = {row[5]: _stored_event(row, dialect) for row in around}
    arriving: dict[int, _Arriving] = {}
    refused: dict[int, AppError] = {}
    for index, wire in enumerate(events):
        if wire.seq not in stored and wire.seq not in arriving:
            try:
                arriving[wire.seq] = _arriving(wire)
            except ValidationFailed as error:
                refused[index] = error
    if not arriving:
        return Ingested(set(), refused)
    window = sorted([*stored.values(), *(a.event for a in arriving.values())], key=lambda e: e.seq)
    # Stored events were verified when they arrived: linked by their stored hashes, not re-hashed.
    # Arriving ones are hashed here over the data's JSON made for the column; one that does not
    # match is hashed again by `verify_chain`, which reports it altered.
    hashed = {s for s, a in arriving.items() if a.event.compute_hash(a.data_json) == a.event.hash}
    breaks = [
        _Break(b.seq, b.kind, b.detail)
        for b in verify_chain(window, session_id=session_id, verified=stored.keys() | hashed)
        if b.kind != "gap" and (b.seq in arriving or b.seq - 1 in arriving)
    ]
    event_insert = _client_event_insert(dialect)
    received_at = event_insert.stored_time(datetime.now(UTC))
    rows: list[tuple[Any, ...]] = []
    for (event, occurred_at, data_json), event_id in zip(
        arriving.values(), new_ids("event", len(arriving)), strict=True
    ):
        key = None
        if event.snapshot is not None:
            digest = hashlib.sha256(event.snapshot).hexdigest()
            key = snapshot_key(session_id, digest)
            blobs.put(key, event.snapshot)
        # In `_CLIENT_EVENT_COLUMNS` order.
        rows.append(
            (
                event_id,
                session_id,
                event.seq,
                event.type,
                event.severity,
                event_insert.stored_time(occurred_at),
                event.offset,
                data_json,
                event.prev_hash,
                event.hash,
                "client",
                key,
                received_at,
            )
        )
    inserted = _insert_client_events(db, event_insert, rows)
    if inserted:
        _COUNT_EVENTS.run(db, {"session": session_id, "added": len(inserted)})
    kept = [b for b in breaks if b.seq in inserted or b.seq - 1 in inserted]
    _record_breaks(db, session_id, kept)
    return Ingested(inserted, refused)


# Built once, run on the driver's cursor (ingest's hot path). `_COUNT_EVENTS` is not the ORM's
# update on purpose: that would evaluate it against the loaded session objects too, which
# nothing reads in the transaction.
_CHAIN_COLUMNS = ("type", "severity", "occurred_at", "offset", "data", "seq", "prev_hash", "hash")
_STORED_AROUND = DriverStatement(
    select(*(EVENTS_TABLE.c[name] for name in _CHAIN_COLUMNS)).where(
        EVENTS_TABLE.c.session_id == bindparam("session"),
        EVENTS_TABLE.c.seq.between(bindparam("low"), bindparam("high")),
    )
)
SESSIONS_TABLE = cast(Table, ProctorSession.__table__)
_COUNT_EVENTS = DriverStatement(
    update(SESSIONS_TABLE)
    .where(SESSIONS_TABLE.c.id == bindparam("session"))
    .values(
        event_count=SESSIONS_TABLE.c.event_count + bindparam("added"),
        risk_stale=true(),
    )
)


def _insert_client_events(db: Session, how: _EventInsert, rows: list[tuple[Any, ...]]) -> set[int]:
    """Insert a session's new chained events; the seqs this call stored.

    Driver-level, with ready-made tuples: SQLAlchemy's per-row statement work cost several
    times the database's on the ingest path. PostgreSQL takes them by binary `COPY` (a third of
    `executemany`'s CPU in this process and half of it in the database's, per 100 events; the
    binary form a further fifth of this process's share). COPY knows no `ON CONFLICT`: an event
    stored meanwhile by a racing push (the candidate's other device; the device's own pushes are
    serialised by its row lock) is a unique violation, raised as `IntegrityError`, and the push
    is answered "send it again"; its retry finds the event stored. Elsewhere an `executemany` of
    `INSERT ... ON CONFLICT DO NOTHING`.
    """
    connection = db.connection()
    cursor = connection.connection.cursor()
    try:
        if how.copy_sql is not None:
            with cursor.copy(how.copy_sql) as copy:
                copy.set_types(how.copy_types)
                for row in rows:
                    copy.write_row(row)
            return {row[2] for row in rows}
        cursor.executemany(how.insert_sql, rows)
        stored = cursor.rowcount
    except connection.dialect.loaded_dbapi.IntegrityError as error:
        raise IntegrityError(how.copy_sql or how.insert_sql, None, error) from error
    finally:
        cursor.close()
    if stored == len(rows):
        return {row[2] for row in rows}
    # Some seqs were taken meanwhile: ours are the rows carrying the IDs made here.
    ids = [row[0] for row in rows]
    return set(db.scalars(select(ProctorEventRecord.seq).where(ProctorEventRecord.id.in_(ids))))


# The columns a chained event fills, with each one's PostgreSQL type for the binary `COPY`.
# `data` goes as the JSON text the size check made: the binary form of `json` is its text. The
# times go as `timestamptz`, whose binary form (microseconds since 2000 in UTC) is that of the
# naive UTC time the columns keep (`UTCDateTime`): aware times go as they are.
_CLIENT_EVENT_COLUMNS = (
    ("id", "varchar"),
    ("session_id", "varchar"),
    ("seq", "int4"),
    ("type", "varchar"),
    ("severity", "varchar"),
    ("occurred_at", "timestamptz"),
    ("offset", "float8"),
    ("data", "text"),
    ("prev_hash", "varchar"),
    ("hash", "varchar"),
    ("source", "varchar"),
    ("snapshot_key", "varchar"),
    ("received_at", "timestamptz"),
)


@dataclass(frozen=True)
class _EventInsert:
    """How `_insert_client_events` writes rows of `_CLIENT_EVENT_COLUMNS`: binary `COPY` on
    PostgreSQL, on SQLite (the app's other database) `INSERT ... ON CONFLICT (session_id, seq)
    DO NOTHING` in the driver's parameter style; and what a time becomes in a row, so that rows
    are stored exactly as an ORM or Core insert stores them."""

    copy_sql: str | None
    copy_types: list[str]
    insert_sql: str
    stored_time: Callable[[datetime], Any]


_EVENT_INSERTS: dict[str, _EventInsert] = {}


def _client_event_insert(dialect: Dialect) -> _EventInsert:
    made = _EVENT_INSERTS.get(dialect.name)
    if made is not None:
        return made
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    preparer = dialect.identifier_preparer
    table = preparer.format_table(EVENTS_TABLE)
    columns = ", ".join(preparer.format_column(EVENTS_TABLE.c[c]) for c, _ in _CLIENT_EVENT_COLUMNS)
    insert_sql = (
        f"INSERT INTO {table} ({columns}) "
        f"VALUES ({', '.join([marker] * len(_CLIENT_EVENT_COLUMNS))}) "
        "ON CONFLICT (session_id, seq) DO NOTHING"
    )
    if dialect.name == "postgresql":
        copy_sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        copy_types = [pg_type for _, pg_type in _CLIENT_EVENT_COLUMNS]
        made = _EventInsert(copy_sql, copy_types, insert_sql, _as_copied)
    else:
        made = _EventInsert(None, [], insert_sql, _as_sqlite_text)
    _EVENT_INSERTS[dialect.name] = made
    return made


def _as_copied(moment: datetime) -> datetime:
    """An aware time, as the binary `COPY` takes it (`_CLIENT_EVENT_COLUMNS`)."""
    return moment


def _as_sqlite_text(moment: datetime) -> str:
    """An aware time as SQLAlchemy's SQLite `DATETIME` stores the naive UTC time that
    `UTCDateTime` binds (`2026-12-03 17:00:05.250000`): the same text in half the time of
    SQLAlchemy's bind processors, on every event's row."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _stored_event(row: tuple[Any, ...], dialect: Dialect) -> ProctorEvent:
    """A `_STORED_AROUND` row as the chain sees it."""
    type_, severity, occurred_at, offset, data, seq, prev_hash, hash_ = row
    moment = result_processor(EVENTS_TABLE.c.occurred_at, dialect)(occurred_at)
    return ProctorEvent(
        type=type_,
        severity=cast(Severity, severity),
        timestamp=format_timestamp(moment),
        offset=offset or 0.0,
        data=result_processor(EVENTS_TABLE.c.data, dialect)(data),
        seq=seq,
        prev_hash=prev_hash or "",
        hash=hash_ or "",
    )


JPEG_MAGIC = b"\xff\xd8\xff"


class _Arriving(NamedTuple):
    """A chained event as ingest stores it: checked, its time parsed, its data encoded."""

    event: ProctorEvent
    occurred_at: datetime
    data_json: str


def _arriving(wire: ChainedEvent) -> _Arriving:
    """Check what the body's schema leaves to ingest, which parses the time and encodes the data
    anyway: each once. A `ValidationFailed` naming the field refuses this event alone."""
    try:
        occurred_at = datetime.fromisoformat(wire.timestamp.replace("Z", "+00:00"))
        if occurred_at.tzinfo is None:
            raise ValueError("timestamp needs a UTC offset or Z")
        plausible_moment(occurred_at)
    except ValueError as exc:
        raise _bad_event("timestamp", "timestamp is not an ISO 8601 time", str(exc)) from exc
    try:
        data_json = event_data_json(wire.data)
    except ValueError as exc:
        raise _bad_event("data", "event data cannot be stored", str(exc)) from exc
    snapshot = None
    if wire.snapshot_jpeg is not None:
        try:
            snapshot = base64.b64decode(wire.snapshot_jpeg, validate=True)
        except binascii.Error as exc:
            why = "invalid base64"
            raise _bad_event("snapshotJpeg", "snapshotJpeg is not base64", why) from exc
        # Served back as image/jpeg (nosniff): anything else stored there would be a lie.
        if not snapshot.startswith(JPEG_MAGIC):
            raise _bad_event(
                "snapshotJpeg", "snapshotJpeg is not a JPEG image", "not a JPEG (FF D8 FF)"
            )
    event = ProctorEvent(
        type=wire.type,
        severity=wire.severity,
        timestamp=wire.timestamp,
        offset=wire.offset,
        data=wire.data,
        seq=wire.seq,
        prev_hash=wire.prev_hash,
        hash=wire.hash,
        snapshot=snapshot,
    )
    return _Arriving(event, occurred_at, data_json)


def _bad_event(field: str, message: str, why: str) -> ValidationFailed:
    return ValidationFailed(
        message, details={"field": f"event.{field}", "message": why, "value": None}
    )


def _record_breaks(db: Session, session_id: str, breaks: Sequence[_Break]) -> None:
    """One server event per break: the chain is evidence, so breaks are kept, never fixed."""
    if not breaks:
        return
    now = datetime.now(UTC)
    db.execute(
        insert(EVENTS_TABLE),
        [
            {
                "id": new_id("event"),
                "session_id": session_id,
                "type": TAMPER_TYPE,
                "severity": "high",
                "occurred_at": now,
                "data": {"kind": b.kind, "seq": b.seq, "detail": b.detail},
                "source": "server",
                "received_at": now,
            }
            for b in breaks
        ],
    )
    db.execute(
        update(ProctorSession)
        .where(ProctorSession.id == session_id)
        .values(event_count=ProctorSession.event_count + len(breaks), risk_stale=True)
    )


# --- reading ----------------------------------------------------------------------------------


def _model_event(record: ProctorEventRecord) -> ProctorEvent:
    return ProctorEvent(
        type=record.type,
        severity=cast(Severity, record.severity),
        timestamp=format_timestamp(record.occurred_at),
        offset=record.offset or 0.0,
        data=record.data,
        seq=-1 if record.seq is None else record.seq,
        prev_hash=record.prev_hash or "",
        hash=record.hash or "",
    )


def _events(db: Session, session: ProctorSession) -> list[ProctorEventRecord]:
    return list(
        db.scalars(
            select(ProctorEventRecord)
            .where(ProctorEventRecord.session_id == session.id)
            .order_by(ProctorEventRecord.occurred_at, ProctorEventRecord.id)
        )
    )


def _assess(session: ProctorSession, records: Sequence[ProctorEventRecord]) -> RiskAssessment:
    """The shared risk function over the stored events; unchained events count as one-offs."""
    end = session.ended_at or datetime.now(UTC)
    events = []
    for index, record in enumerate(records):
        event = _model_event(record)
        if record.seq is None:
            # Outside the chain: placed by wall clock, numbered apart from chained seqs.
            offset = max((record.occurred_at - session.started_at).total_seconds(), 0.0)
            event = ProctorEvent(**{**event.__dict__, "offset": offset, "seq": -1 - index})
        events.append(event)
    return assess(events, RISK_WEIGHTS, until=(end - session.started_at).total_seconds())


def _refresh_risk(db: Session, session: ProctorSession) -> None:
    db.flush()
    _store_risk(session, _assess(session, _events(db, session)))


def _store_risk(session: ProctorSession, risk: RiskAssessment) -> bool:
    """Cache the score on the row (lists sort on it); True when it changed."""
    score = round(risk.score, 4)
    changed = session.risk_stale or session.risk_score != score
    session.risk_score, session.risk_level, session.risk_stale = score, risk.level, False
    return changed


def summary(session: ProctorSession) -> ProctorSessionSummary:
    return ProctorSessionSummary(
        session_id=session.id,
        assessment_id=session.assessment_id,
        candidate_id=session.candidate_id,
        attempt_id=session.attempt_id,
        status=session.status,
        started_at=session.started_at,
        ended_at=session.ended_at,
        event_count=session.event_count,
        risk_score=session.risk_score,
        risk_level=session.risk_level,
        review=Review(
            status=session.review_status,
            note=session.review_note,
            reviewed_by=session.reviewed_by,
            reviewed_at=session.reviewed_at,
        ),
    )


def detail(db: Session, session: ProctorSession, *, for_staff: bool) -> ProctorSessionDetail:
    """Everything a proctor reads, with the risk recomputed now (saved when it changed).

    The candidate (`for_staff` False) reads their events and score without the snapshots, the
    review, or the risk's explanation."""
    records = _events(db, session)
    risk = _assess(session, records)
    if _store_risk(session, risk):
        db.commit()
    tampered = [r for r in records if r.source == "server" and r.type == TAMPER_TYPE]
    chained = [r.seq for r in records if r.seq is not None]
    overview = summary(session).model_dump()
    if not for_staff:
        overview["review"] = None
    return ProctorSessionDetail(
        **overview,
        settings=SessionSettings.model_validate(session.settings),
        events=[_event_out(r, with_snapshot=for_staff) for r in records],
        # Video and screen recordings arrive with the WebRTC receiver; snapshots are on events.
        recordings={},
        risk=_explanation(risk) if for_staff else None,
        integrity=Integrity(
            chain_intact=not tampered,
            last_seq=max(chained) if chained else None,
            breaks=[
                ChainBreakOut(seq=r.data["seq"], kind=r.data["kind"], detail=r.data["detail"])
                for r in tampered
            ],
        ),
        end_reason=session.end_reason,
    )


def _explanation(risk: RiskAssessment) -> RiskExplanation:
    return RiskExplanation(
        total_points=round(risk.total_points, 4),
        by_type={k: round(v, 4) for k, v in risk.by_type().items()},
        contributions=[
            RiskContribution(
                seq=c.seq if c.seq >= 0 else None,
                type=c.type,
                severity=c.severity,
                offset=c.offset,
                duration_ms=c.duration_ms,
                points=round(c.points, 4),
            )
            for c in risk.contributions
        ],
        summary=risk.explain(),
    )


def _snapshot_url(record: ProctorEventRecord) -> str:
    return f"/api/proctor/sessions/{record.session_id}/snapshots/{record.id}"


def _event_out(record: ProctorEventRecord, *, with_snapshot: bool = False) -> ProctorEventOut:
    return ProctorEventOut(
        id=record.id,
        type=record.type,
        timestamp=record.occurred_at,
        severity=record.severity,
        data=record.data,
        seq=record.seq,
        source=record.source,
        snapshot_url=_snapshot_url(record) if with_snapshot and record.snapshot_key else None,
    )


def snapshot(
    db: Session, *, actor: Actor, session_id: str, event_id: str, blobs: BlobStore
) -> bytes:
    """A snapshot image, for proctors only: candidates never get images back."""
    if actor.kind == "candidate":
        raise not_found("Proctoring session", session_id)
    session = get_session(db, actor=actor, session_id=session_id)
    record = db.get(ProctorEventRecord, event_id)
    if record is None or record.session_id != session.id or record.snapshot_key is None:
        raise not_found("Snapshot", event_id)
    data = blobs.get(record.snapshot_key)
    if data is None:
        raise NotFound("The snapshot's file is missing from storage", details={"id": event_id})
    return data

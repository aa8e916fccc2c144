"""Applying a device's outbox entries exactly once (Replicache's push).

A device's acknowledged seqs are kept on its row: a watermark (`last_seq`, every seq up to it
acknowledged) and the few seqs above it acknowledged out of order (`acked_seqs`). A replayed,
late or reordered batch answers `duplicate` for those and applies the rest, in the transaction
that moves the watermark (the device row is locked for it).

Events need no more: the event table's unique (session, seq) and `ON CONFLICT DO NOTHING` store
each once, so an event the table already holds is a duplicate too. The other entries also get a
ledger row in `sync_entries` (their outcome, with the refusal). Answers and completions are
applied by the assessments service (`save_answer`, `finish_attempt`) in the push's own
transaction, so each commits with its ledger row and the acknowledgement, or not at all. A coding
answer lets go of the transaction while the sandbox runs it: what was applied before it is
acknowledged and committed first.

An entry the server refuses (a session that is not the caller's, an answer to a finished
attempt, a malformed entry) is acknowledged as rejected once, never retried forever.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.assessments import attempts
from server.assessments.code_runner import code_runner
from server.db import DriverStatement, bind_processor, result_processor
from server.deps import Actor, ServerContext
from server.errors import (
    AppError,
    Conflict,
    PermissionDenied,
    ServiceUnavailable,
    ValidationFailed,
)
from server.proctoring import service as proctoring
from server.proctoring.models import ProctorSession
from server.proctoring.service import SessionAccess
from server.schemas.assessments import SubmitAnswerRequest
from server.schemas.common import ErrorBody
from server.schemas.proctoring import MAX_SEQ, ProctorSessionCreate
from server.schemas.sync import (
    SCHEMA_VERSION,
    AnswerEntry,
    CompleteEntry,
    DeviceState,
    Entry,
    EntryResult,
    EventEntry,
    PushRequest,
    PushResult,
    SessionEndEntry,
    SessionOpenEntry,
)
from server.storage import BlobStore
from server.sync.models import SyncDevice, SyncEntry

DEVICES = cast(Table, SyncDevice.__table__)
# Built once and run on the driver's cursor: on every push, SQLAlchemy's work per statement
# cost more than the database's.
_LOCK_DEVICE = DriverStatement(
    select(DEVICES.c.owner_id, DEVICES.c.last_seq, DEVICES.c.acked_seqs)
    .where(DEVICES.c.id == bindparam("device"))
    .with_for_update()
)
_ACKNOWLEDGE = DriverStatement(
    update(DEVICES)
    .where(DEVICES.c.id == bindparam("device"))
    .values(
        last_seq=bindparam("seq"),
        acked_seqs=bindparam("above", type_=DEVICES.c.acked_seqs.type),
        last_push_at=bindparam("at", type_=DEVICES.c.last_push_at.type),
    )
)
PUSH_ADAPTER: TypeAdapter[PushRequest] = TypeAdapter(PushRequest)
ENTRY_ADAPTER: TypeAdapter[Entry] = TypeAdapter(Entry)
_RAW_ADAPTER: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


def parse_push(body: bytes) -> tuple[PushRequest, list[EntryResult]]:
    """Validate the raw body once (twice as fast as letting FastAPI parse it, FACTS.md).

    A batch with a malformed entry is not refused whole: that entry comes back rejected and the
    others are applied, so one bad entry cannot block a device's outbox.
    """
    try:
        return PUSH_ADAPTER.validate_json(body), []
    except ValidationError as whole:
        envelope = _RAW_ADAPTER.validate_json(body) if _is_envelope_ok(whole) else None
        if envelope is None:
            raise _validation_failed(whole) from whole
    entries: list[Entry] = []
    rejected: list[EntryResult] = []
    for raw in envelope["entries"]:
        try:
            entries.append(ENTRY_ADAPTER.validate_python(raw))
        except ValidationError as exc:
            seq = raw.get("seq") if isinstance(raw, dict) else None
            if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
                raise _validation_failed(exc) from exc  # no seq to answer for it
            rejected.append(_rejected(seq, _validation_failed(exc)))
    seqs = [e.seq for e in entries] + [r.seq for r in rejected]
    if len(set(seqs)) != len(seqs):
        raise ValidationFailed(
            "Request validation failed",
            details={
                "field": "entries",
                "message": "every entry of a push needs its own seq",
                "value": None,
            },
        )
    request = PushRequest.model_construct(
        schema_version=envelope["schemaVersion"], device_id=envelope["deviceId"], entries=entries
    )
    return request, rejected


def _is_envelope_ok(error: ValidationError) -> bool:
    """True when every problem lies inside an entry (loc `entries.<i>.…`)."""
    return all(
        len(p["loc"]) > 2 and p["loc"][0] == "entries" and isinstance(p["loc"][1], int)
        for p in error.errors()
    )


def _validation_failed(error: ValidationError) -> ValidationFailed:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return ValidationFailed(
        "Request validation failed",
        details={"field": field, "message": first["msg"], "value": None},
    )


def _rejected(seq: int, error: AppError) -> EntryResult:
    return EntryResult(
        seq=seq,
        status="rejected",
        error=ErrorBody(code=error.code, message=error.message, details=error.details),
    )


def push(
    db: Session,
    *,
    actor: Actor,
    context: ServerContext,
    request: PushRequest,
    rejected: Sequence[EntryResult],
    blobs: BlobStore,
    inline: bool = False,
) -> PushResult:
    """Apply the push; `inline` (on the event loop) raises `RunsCode` rather than run the
    sandbox, with nothing committed."""
    if request.schema_version != SCHEMA_VERSION:
        raise Conflict(
            f"Sync schema version {request.schema_version} is not supported; this server speaks "
            f"{SCHEMA_VERSION}",
            code="UNSUPPORTED_SCHEMA_VERSION",
            details={"supported": [SCHEMA_VERSION]},
        )
    device_id = request.device_id
    try:
        last_seq, acked = _lock_device(db, actor=actor, device_id=device_id)
        seen = {
            s
            for s in {e.seq for e in request.entries} | {r.seq for r in rejected}
            if s <= last_seq or s in acked
        }
        results = {s: EntryResult(seq=s, status="duplicate") for s in seen}
        invalid = [r for r in rejected if r.seq not in seen]
        results.update({r.seq: r for r in invalid})
        fresh = sorted((e for e in request.entries if e.seq not in seen), key=lambda e: e.seq)
        applier = _Applier(
            db, actor=actor, context=context, device_id=device_id, blobs=blobs, inline=inline
        )
        applier.record([(r, "invalid") for r in invalid])
        applier.apply(fresh)
        results.update(applier.results)
        if applier.committed:
            # An answer committed on the way, which let go of the device's lock: read it again.
            last_seq, acked = _lock_device(db, actor=actor, device_id=device_id)
        last_seq = _store_acknowledged(db, device_id, last_seq, acked | set(results))
        db.commit()
    except IntegrityError as exc:
        # A concurrent push (a retry racing its first attempt, or the candidate's other device
        # sending the same events) stored some of these first: the retry finds them stored.
        db.rollback()
        raise ServiceUnavailable(
            "Another push is storing some of these entries; send it again", retry_after=1
        ) from exc
    return PushResult(
        device_id=device_id,
        last_seq=last_seq,
        results=[results[s] for s in sorted(results)],
        server_time=datetime.now(UTC),
    )


def _store_acknowledged(db: Session, device_id: str, last_seq: int, acked: set[int]) -> int:
    """Move the device's watermark over `acked` (in the caller's transaction); the new one."""
    last_seq, still_above = _acknowledge(last_seq, acked)
    dialect = db.connection().dialect
    _ACKNOWLEDGE.run(
        db,
        {
            "device": device_id,
            "seq": last_seq,
            "above": bind_processor(DEVICES.c.acked_seqs, dialect)(still_above),
            "at": bind_processor(DEVICES.c.last_push_at, dialect)(datetime.now(UTC)),
        },
    )
    return last_seq


def _acknowledge(last_seq: int, acked: set[int]) -> tuple[int, list[int]]:
    """The new watermark, and the acknowledged seqs still above it."""
    while last_seq + 1 in acked:
        last_seq += 1
    return last_seq, sorted(s for s in acked if s > last_seq)


def _lock_device(db: Session, *, actor: Actor, device_id: str) -> tuple[int, set[int]]:
    """Lock the caller's device row (made on its first push): its watermark and the seqs
    acknowledged above it. Plain rows, not ORM objects: this runs on every push."""
    row = _LOCK_DEVICE.first(db, {"device": device_id})
    if row is None:
        db.execute(insert(DEVICES).values(id=device_id, owner_id=actor.id, acked_seqs=[]))
        return 0, set()
    owner_id, last_seq, acked_seqs = row
    if owner_id != actor.id:
        raise _foreign_device(device_id)
    acked: list[int] = result_processor(DEVICES.c.acked_seqs, db.connection().dialect)(acked_seqs)
    return last_seq, set(acked)


def _foreign_device(device_id: str) -> PermissionDenied:
    return PermissionDenied(
        "This device is registered to another account", details={"deviceId": device_id}
    )


def device_state(db: Session, *, actor: Actor, device_id: str) -> DeviceState:
    device = db.get(SyncDevice, device_id)
    if device is not None and device.owner_id != actor.id:
        raise _foreign_device(device_id)
    return DeviceState(
        device_id=device_id,
        last_seq=device.last_seq if device else 0,
        server_time=datetime.now(UTC),
    )


class _Applier:
    """Applies one push's fresh entries, writing each one's ledger row with its change."""

    def __init__(
        self,
        db: Session,
        *,
        actor: Actor,
        context: ServerContext,
        device_id: str,
        blobs: BlobStore,
        inline: bool,
    ) -> None:
        self.db, self.actor, self.context = db, actor, context
        self.device_id, self.blobs, self.inline = device_id, blobs, inline
        self.results: dict[int, EntryResult] = {}
        # True once a coding answer committed the transaction (and let go of the device's lock).
        self.committed = False

    def apply(self, entries: Sequence[Entry]) -> None:
        """Sessions first (a device opens one offline and sends its events right behind it),
        then events in bulk per session, then the rest one by one in seq order."""
        for entry in entries:
            if isinstance(entry, SessionOpenEntry):
                self.record([(self._open_session(entry), entry.kind)])
        sessions = proctoring.writable_sessions(
            self.db,
            actor=self.actor,
            session_ids={
                e.session_id for e in entries if isinstance(e, EventEntry | SessionEndEntry)
            },
        )
        events: dict[str, list[EventEntry]] = defaultdict(list)
        for entry in entries:
            if isinstance(entry, EventEntry):
                events[entry.session_id].append(entry)
        for session_id, batch in events.items():
            # No ledger rows: the event table itself holds each event once.
            self.results.update({r.seq: r for r in self._events(sessions[session_id], batch)})
        for entry in entries:
            if isinstance(entry, SessionEndEntry):
                self.record([(self._end_session(entry, sessions[entry.session_id]), entry.kind)])
            elif isinstance(entry, AnswerEntry | CompleteEntry):
                self.record([(self._attempt_change(entry), entry.kind)])

    def record(self, outcomes: Sequence[tuple[EntryResult, str]]) -> None:
        self.results.update({r.seq: r for r, _ in outcomes})
        # A duplicate's ledger row was written by the push that applied it.
        outcomes = [(r, kind) for r, kind in outcomes if r.status != "duplicate"]
        if not outcomes:
            return
        self.db.execute(
            insert(cast(Table, SyncEntry.__table__)),
            [
                {
                    "device_id": self.device_id,
                    "seq": r.seq,
                    "kind": kind,
                    "status": "rejected" if r.status == "rejected" else "applied",
                    "error_code": r.error.code if r.error else None,
                    "error_message": r.error.message[:500] if r.error else None,
                }
                for r, kind in outcomes
            ],
        )

    def _open_session(self, entry: SessionOpenEntry) -> EntryResult:
        existing = self.db.get(ProctorSession, entry.session_id)
        if existing is not None:
            if existing.created_by == self.actor.id:
                return _applied(entry.seq)  # opened by an earlier push whose answer was lost
            return _rejected(
                entry.seq, Conflict("This session ID is taken", code="SESSION_ID_TAKEN")
            )
        fields = entry.model_dump(exclude={"seq", "kind", "session_id"})
        try:
            proctoring.open_session(
                self.db,
                actor=self.actor,
                data=ProctorSessionCreate.model_validate(fields),
                session_id=entry.session_id,
            )
        except AppError as error:
            return _rejected(entry.seq, error)
        return _applied(entry.seq)

    def _events(
        self, session: SessionAccess | AppError, batch: list[EventEntry]
    ) -> list[EntryResult]:
        # Late events are stored even after the session ended: they are evidence.
        if isinstance(session, AppError):
            return [_rejected(e.seq, session) for e in batch]
        ingested = proctoring.ingest_chained(
            self.db, session_id=session.id, events=[e.event for e in batch], blobs=self.blobs
        )
        # An entry whose event was stored before (by an earlier entry) is a duplicate; two
        # entries carrying one event in this batch: the first applied it.
        stored = ingested.stored
        results: list[EntryResult] = []
        for index, entry in enumerate(batch):
            refusal = ingested.refused.get(index)
            if refusal is not None:
                results.append(_rejected(entry.seq, refusal))
                continue
            applied = entry.event.seq in stored
            stored.discard(entry.event.seq)
            results.append(EntryResult(seq=entry.seq, status="applied" if applied else "duplicate"))
        return results

    def _end_session(
        self, entry: SessionEndEntry, session: SessionAccess | AppError
    ) -> EntryResult:
        if isinstance(session, AppError):
            return _rejected(entry.seq, session)
        if session.status == "active":
            proctoring.close(
                self.db,
                self.db.get_one(ProctorSession, session.id),
                reason=entry.reason,
                last_event_seq=entry.last_event_seq,
            )
        return _applied(entry.seq)

    def _attempt_change(self, entry: AnswerEntry | CompleteEntry) -> EntryResult:
        """In the push's transaction: the change, its ledger row and the device's acknowledgement
        commit together, so a push that fails or whose answer is lost leaves it applied once or
        not at all. A refusal has written nothing but what the service says to keep (an expired
        attempt's completion), so nothing is rolled back."""
        settings = self.context.settings
        try:
            if isinstance(entry, CompleteEntry):
                attempts.finish_attempt(
                    self.db,
                    actor=self.actor,
                    settings=settings,
                    assessment_id=entry.assessment_id,
                    attempt_id=entry.attempt_id,
                )
            else:
                attempts.save_answer(
                    self.db,
                    actor=self.actor,
                    settings=settings,
                    runner=lambda: code_runner(self.context),
                    assessment_id=entry.assessment_id,
                    body=_answer_request(entry),
                    release=lambda: self._released(entry.seq),
                )
        except _AppliedMeanwhile:
            return EntryResult(seq=entry.seq, status="duplicate")
        except AppError as error:
            return _rejected(entry.seq, error)
        except ValidationError as error:
            return _rejected(entry.seq, _validation_failed(error))
        return _applied(entry.seq)

    @contextmanager
    def _released(self, seq: int) -> Iterator[None]:
        """Lets go of the database (the device's lock, SQLite's one connection) while a coding
        answer runs in the sandbox. What this push applied so far is acknowledged in the commit
        that ends its transaction, so that no retry applies it again; afterwards the device is
        locked again, and the entry is dropped if another push applied it meanwhile."""
        if self.inline:
            raise RunsCode
        last_seq, acked = _lock_device(self.db, actor=self.actor, device_id=self.device_id)
        _store_acknowledged(self.db, self.device_id, last_seq, acked | set(self.results))
        self.db.commit()
        self.committed = True
        yield
        last_seq, acked = _lock_device(self.db, actor=self.actor, device_id=self.device_id)
        if seq <= last_seq or seq in acked:
            raise _AppliedMeanwhile


class RunsCode(Exception):
    """A push applied `inline` (on the event loop) reached a coding answer to grade: it must
    run again on a thread, since the sandbox may take seconds. Raised before anything of the
    push is committed."""


class _AppliedMeanwhile(Exception):
    """A concurrent push applied this entry while its code ran in the sandbox."""


def _answer_request(entry: AnswerEntry) -> SubmitAnswerRequest:
    return SubmitAnswerRequest.model_validate(
        {
            "attempt_id": entry.attempt_id,
            "question_id": entry.question_id,
            "answer": entry.answer,
            "language": entry.language,
            "time_spent": entry.time_spent,
        }
    )


def _applied(seq: int) -> EntryResult:
    return EntryResult(seq=seq, status="applied")

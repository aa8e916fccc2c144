"""The proctoring event model, its hash chain, and the episodes a timeline shows.

Pure standard library on purpose: the server imports this module (and `proctoring.risk`) to verify
a session's hash chain and recompute its risk, without OpenCV or mediapipe (DESIGN.md).

Wire form of one event (camelCase keys, what `ProctorEvent.to_dict` returns)::

    {"type": "face_not_detected", "severity": "medium",
     "timestamp": "2026-12-03T17:00:05.250Z",     # wall clock, ISO 8601 UTC, milliseconds
     "offset": 5.25,                               # monotonic seconds since session start
     "data": {"phase": "start", "startOffset": 2.25, "duration": 3000, "confidence": 0.9,
              "faceCount": 0},
     "seq": 7, "prevHash": "<64 hex>", "hash": "<64 hex>"}

Conditions that last (a face absent, looking away, focus lost, a blocked process running) are
*episodes*: one event with ``data.phase == "start"`` when the condition is confirmed (its
``startOffset`` says when it began, its ``duration`` how long it had lasted by then, in ms), and
one event of the same type with ``data.phase == "end"``, ``data.startSeq`` naming the start and
``data.duration`` the whole length in ms, when it clears. End events are ``info``: the start
carries the severity. Events never change once chained, so a live proctor sees the start at once
and the chain stays verifiable. `episodes()` pairs them into intervals for a timeline, for
`python -m proctoring analyze --json` and for `proctoring.risk`. One-off events (a paste) have no
phase.

Hash chain: ``hash = sha256(canonical JSON of every wire field except hash)``, prevHash included;
the first event's prevHash is `genesis_hash(session_id)`, which ties the chain to its session.
`verify_chain` reports removed (gap), altered and reordered events. A chain cannot reveal events
cut off its *end*: the server compares the last seq with what the client last announced.
Snapshot bytes travel beside the event (upload as media); ``data.snapshot.sha256`` is inside the
hashed fields, so a swapped image is detected too.
"""

from __future__ import annotations

import base64
import hashlib
import math
from _json import encode_basestring, make_encoder
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal, cast

Severity = Literal["info", "low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high")

Phase = Literal["start", "end"]

CHAIN_VERSION = "ellaai-proctoring-chain/1"


class EventType(StrEnum):
    """Event types this package emits; the wire keeps any string, so newer types pass through."""

    SESSION_STARTED = "session_started"
    SESSION_ENDED = "session_ended"
    CALIBRATION_COMPLETED = "calibration_completed"
    CAMERA_UNAVAILABLE = "camera_unavailable"
    FACE_NOT_DETECTED = "face_not_detected"
    MULTIPLE_FACES_DETECTED = "multiple_faces_detected"
    LOOKING_AWAY = "looking_away"
    FOCUS_LOST = "focus_lost"
    PROHIBITED_PROCESS = "prohibited_process_detected"
    MULTIPLE_DISPLAYS = "multiple_displays_detected"
    DISPLAY_COUNT_CHANGED = "display_count_changed"
    PASTE = "paste_detected"
    VIRTUAL_MACHINE = "virtual_machine_detected"
    REMOTE_SESSION = "remote_session_detected"


def severity_rank(severity: str) -> int:
    """0 for info up to 3 for high; unknown severities rank as info."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else 0


def genesis_hash(session_id: str) -> str:
    """The prevHash of a session's first event: ties the chain to that session."""
    return hashlib.sha256(f"{CHAIN_VERSION}:{session_id}".encode()).hexdigest()


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The C encoder that `json.dumps(value, sort_keys=True, separators=(",", ":"),
# ensure_ascii=False, allow_nan=False)` runs, made once: `json` makes one on every call, which
# costs more than encoding an event's data. Without the cycle check (a cycle recurses until
# `RecursionError`): the one check's memo would be shared by every call, and an encoding
# refused midway would leave it dirty.
_CANONICAL = make_encoder(None, _not_json, encode_basestring, None, ":", ",", True, False, False)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept, NaN refused: the bytes the hash is taken over."""
    return "".join(_CANONICAL(value, 0))


def _json_scalar(value: Any) -> str:
    """`canonical_json(value)`, without the encoder's set-up for the usual kinds of value."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return canonical_json(value)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z``: ``2026-12-03T17:00:05.250Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Inverse of `format_timestamp` (accepts any ISO 8601 form with an offset or ``Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class ProctorEvent:
    """One chained event. Build it through `EventChain.append`, never by hand, except in tests."""

    type: str
    severity: Severity
    timestamp: str
    offset: float
    data: Mapping[str, Any]
    seq: int
    prev_hash: str
    hash: str
    # The JPEG bytes of a snapshot: not on the wire dict (uploaded as media), pinned by
    # data["snapshot"]["sha256"], which is hashed.
    snapshot: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def phase(self) -> Phase | None:
        phase = self.data.get("phase")
        return cast(Phase, phase) if phase in ("start", "end") else None

    def hashed_fields(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "severity": self.severity,
            "timestamp": self.timestamp,
            "offset": self.offset,
            "data": dict(self.data),
            "seq": self.seq,
            "prevHash": self.prev_hash,
        }

    def compute_hash(self, data_json: str | None = None) -> str:
        """sha256 of `canonical_json(self.hashed_fields())`, written out field by field in its
        sorted key order: the same bytes without a dict and a sort per event (the server hashes
        every event it receives). `data_json`: `canonical_json` of the data, if already made."""
        if data_json is None:
            data_json = canonical_json(dict(self.data))
        hashed = (
            f'{{"data":{data_json},"offset":{_json_scalar(self.offset)},'
            f'"prevHash":{_json_scalar(self.prev_hash)},"seq":{_json_scalar(self.seq)},'
            f'"severity":{_json_scalar(self.severity)},'
            f'"timestamp":{_json_scalar(self.timestamp)},"type":{_json_scalar(self.type)}}}'
        )
        return hashlib.sha256(hashed.encode()).hexdigest()

    def to_dict(self, *, include_snapshot: bool = False) -> dict[str, Any]:
        """The wire form; ``snapshotJpeg`` (base64) only when asked and present."""
        wire = self.hashed_fields()
        wire["hash"] = self.hash
        if include_snapshot and self.snapshot is not None:
            wire["snapshotJpeg"] = base64.b64encode(self.snapshot).decode("ascii")
        return wire

    @classmethod
    def from_dict(cls, wire: Mapping[str, Any]) -> ProctorEvent:
        """Parse the wire form. Raises `ValueError` on a missing or mistyped field."""
        try:
            severity = wire["severity"]
            if severity not in SEVERITIES:
                raise ValueError(f"unknown severity {severity!r}")
            data = wire.get("data") or {}
            if not isinstance(data, Mapping):
                raise ValueError("data must be an object")
            snapshot = wire.get("snapshotJpeg")
            return cls(
                type=str(wire["type"]),
                severity=cast(Severity, severity),
                timestamp=str(wire["timestamp"]),
                offset=float(wire["offset"]),
                data=dict(data),
                seq=int(wire["seq"]),
                prev_hash=str(wire["prevHash"]),
                hash=str(wire["hash"]),
                snapshot=base64.b64decode(snapshot) if isinstance(snapshot, str) else None,
            )
        except KeyError as exc:
            raise ValueError(f"event is missing {exc.args[0]!r}") from exc
        except TypeError as exc:
            raise ValueError(f"event has a mistyped field: {exc}") from exc


def snapshot_descriptor(jpeg: bytes, width: int, height: int) -> dict[str, Any]:
    """What an event's ``data.snapshot`` says about its image (the hash pins the bytes)."""
    return {
        "sha256": hashlib.sha256(jpeg).hexdigest(),
        "bytes": len(jpeg),
        "width": width,
        "height": height,
        "mime": "image/jpeg",
    }


class EventChain:
    """Assigns seq, prevHash and hash; turns (offset, fields) into chained `ProctorEvent` s.

    Not thread-safe by itself: `proctoring.session.ProctoringSession` holds a lock around it.
    Offsets never go backwards: a late one (a frame analysed after a UI event) is raised to the
    last offset, so seq order and offset order agree on a timeline.
    """

    def __init__(self, session_id: str, started_at: datetime) -> None:
        if started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware")
        self.session_id = session_id
        self.started_at = started_at.astimezone(UTC)
        self._seq = 0
        self._last_hash = genesis_hash(session_id)
        self._last_offset = 0.0

    @property
    def next_seq(self) -> int:
        return self._seq

    def append(
        self,
        type: str,
        severity: Severity,
        offset: float,
        data: Mapping[str, Any] | None = None,
        *,
        snapshot: bytes | None = None,
    ) -> ProctorEvent:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}")
        if not math.isfinite(offset):
            raise ValueError("offset must be finite")
        offset = round(max(offset, self._last_offset), 3)
        self._last_offset = offset
        unhashed = ProctorEvent(
            type=str(type),
            severity=severity,
            timestamp=format_timestamp(self.started_at + timedelta(seconds=offset)),
            offset=offset,
            data=dict(data or {}),
            seq=self._seq,
            prev_hash=self._last_hash,
            hash="",
            snapshot=snapshot,
        )
        event = ProctorEvent(**{**unhashed.__dict__, "hash": unhashed.compute_hash()})
        self._seq += 1
        self._last_hash = event.hash
        return event


BreakKind = Literal["gap", "altered", "reordered", "duplicate", "bad_genesis", "snapshot_altered"]


@dataclass(frozen=True)
class ChainBreak:
    """One place a chain does not hold: which seq, what kind, and a sentence for a person."""

    seq: int
    kind: BreakKind
    detail: str


def verify_chain(
    events: Iterable[ProctorEvent],
    *,
    session_id: str | None = None,
    verified: Container[int] = (),
) -> list[ChainBreak]:
    """Every break in a chain, in seq order; an empty list means intact.

    ``events`` in the order they were received or stored; a server that accepts batches out of
    order (DESIGN.md) stores them by seq and verifies them in that order. Kinds:

    - ``reordered``: an event came after one with a higher seq, or its prevHash names an event
      of the chain other than its predecessor (content moved to another position);
    - ``gap``: seqs missing (events removed), including at the start (seq 0 missing);
    - ``duplicate``: two events with one seq;
    - ``altered``: an event's hash is not the hash of its fields, or its prevHash is not its
      predecessor's hash (the predecessor was replaced);
    - ``bad_genesis``: with ``session_id``, the first prevHash does not belong to that session;
    - ``snapshot_altered``: snapshot bytes present that do not match ``data.snapshot.sha256``.

    ``verified`` names seqs whose hash was checked against their fields before (a server's stored
    events): they are linked by their hashes only, not hashed again, so a stored event whose
    fields were reformatted (a timestamp stored as a datetime) cannot break the chain.
    """
    received = list(events)
    breaks: list[ChainBreak] = []
    highest = -1
    for event in received:
        if event.seq < highest:
            breaks.append(
                ChainBreak(event.seq, "reordered", f"seq {event.seq} came after seq {highest}")
            )
        highest = max(highest, event.seq)

    ordered = sorted(received, key=lambda e: e.seq)
    known_hashes = {e.hash: e.seq for e in ordered}
    previous: ProctorEvent | None = None
    for event in ordered:
        if event.seq not in verified and event.compute_hash() != event.hash:
            breaks.append(
                ChainBreak(event.seq, "altered", "hash does not match the event's fields")
            )
        descriptor = event.data.get("snapshot")
        if (
            event.snapshot is not None
            and isinstance(descriptor, Mapping)
            and hashlib.sha256(event.snapshot).hexdigest() != descriptor.get("sha256")
        ):
            breaks.append(
                ChainBreak(event.seq, "snapshot_altered", "snapshot bytes do not match sha256")
            )
        if previous is None:
            if event.seq != 0:
                breaks.append(ChainBreak(event.seq, "gap", f"seq 0..{event.seq - 1} missing"))
            elif session_id is not None and event.prev_hash != genesis_hash(session_id):
                breaks.append(
                    ChainBreak(event.seq, "bad_genesis", f"not the first event of {session_id}")
                )
        elif event.seq == previous.seq:
            breaks.append(ChainBreak(event.seq, "duplicate", f"seq {event.seq} appears twice"))
            continue
        elif event.seq > previous.seq + 1:
            missing = f"{previous.seq + 1}" + (
                f"..{event.seq - 1}" if event.seq - 1 > previous.seq + 1 else ""
            )
            breaks.append(ChainBreak(event.seq, "gap", f"seq {missing} missing"))
        elif event.prev_hash != previous.hash:
            other = known_hashes.get(event.prev_hash)
            if other is not None and other != previous.seq:
                breaks.append(
                    ChainBreak(
                        event.seq, "reordered", f"prevHash names seq {other}, not {previous.seq}"
                    )
                )
            else:
                breaks.append(
                    ChainBreak(
                        event.seq, "altered", f"prevHash does not match seq {previous.seq}'s hash"
                    )
                )
        previous = event
    breaks.sort(key=lambda b: b.seq)
    return breaks


@dataclass(frozen=True)
class Episode:
    """A condition over time (or a one-off event, duration 0) as a timeline shows it."""

    type: str
    severity: Severity
    start: float  # seconds since session start when the condition began
    duration_ms: int
    start_seq: int
    end_seq: int | None  # None: still going when the events stop
    data: Mapping[str, Any]

    @property
    def end(self) -> float:
        return self.start + self.duration_ms / 1000

    @property
    def ongoing(self) -> bool:
        return self.end_seq is None and self.data.get("phase") == "start"

    def to_dict(self) -> dict[str, Any]:
        """``offset`` in seconds (like events), ``duration`` in milliseconds (like event data)."""
        hidden = ("phase", "startOffset", "startSeq", "duration")
        data = {k: v for k, v in self.data.items() if k not in hidden}
        return {
            "type": self.type,
            "severity": self.severity,
            "offset": round(self.start, 3),
            "duration": self.duration_ms,
            "end": round(self.end, 3),
            "seq": self.start_seq,
            "endSeq": self.end_seq,
            "ongoing": self.ongoing,
            "data": data,
        }


def episodes(events: Sequence[ProctorEvent], *, until: float | None = None) -> list[Episode]:
    """Pair start and end events into intervals; one-off events become zero-length episodes.

    An episode without its end (the session stopped, or the end is not synced yet) lasts until
    ``until`` (seconds) when given, else until the last event's offset, and at least the duration
    its start reported. End events without their start are ignored. Sorted by start.
    """
    ordered = sorted(events, key=lambda e: e.seq)
    horizon = until if until is not None else (ordered[-1].offset if ordered else 0.0)
    ends: dict[int, ProctorEvent] = {}
    for event in ordered:
        start_seq = event.data.get("startSeq")
        if event.phase == "end" and isinstance(start_seq, int):
            ends[start_seq] = event
    found: list[Episode] = []
    for event in ordered:
        if event.phase == "end":
            continue
        if event.phase != "start":
            found.append(
                Episode(
                    event.type,
                    event.severity,
                    event.offset,
                    _reported_duration(event.data),
                    event.seq,
                    None,
                    event.data,
                )
            )
            continue
        began = _number(event.data.get("startOffset"), event.offset)
        end = ends.get(event.seq)
        if end is not None:
            duration = round(_number(end.data.get("duration"), (end.offset - began) * 1000))
            data = {**event.data, **{k: v for k, v in end.data.items() if k != "phase"}}
            data["phase"] = "start"
            found.append(
                Episode(event.type, event.severity, began, duration, event.seq, end.seq, data)
            )
        else:
            duration = max(_reported_duration(event.data), round((horizon - began) * 1000))
            found.append(
                Episode(event.type, event.severity, began, duration, event.seq, None, event.data)
            )
    found.sort(key=lambda e: (e.start, e.start_seq))
    return found


def _reported_duration(data: Mapping[str, Any]) -> int:
    """How long a report says it lasted, in ms (the spec's `tab_switch` carries `duration`)."""
    return max(round(_number(data.get("duration"), 0.0)), 0)


def _number(value: object, default: float) -> float:
    """Event data comes from clients: a field that is not a finite number counts as absent."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return float(value)

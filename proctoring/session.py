"""A proctoring session: the one place events are made, chained and handed to subscribers.

The desktop app creates one `ProctoringSession` per attempt, subscribes (the journal writes each
event, a proctor view shows it), and feeds it what only the UI knows::

    session = ProctoringSession("proctor_session_mno345", ProctoringConfig.for_assessment(s))
    unsubscribe = session.subscribe(journal.append)      # called on the emitting thread
    session.focus_changed(False) ... session.focus_changed(True)
    session.displays_changed(2)
    session.pasted(chars=812, lines=30)
    ...
    session.close()                                       # ends open episodes, session_ended

Camera frames reach it through `VisionPipeline` (driven by `proctoring.worker.AnalysisWorker`),
processes and virtual-machine signals through `proctoring.monitors`. Every method is thread-safe;
subscribers run on an emitting thread (the analysis or monitor thread, or the caller's),
outside the session's lock, one at a time and in seq order, so a Qt app should forward them to the
GUI thread with a queued signal.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import cv2

from proctoring.config import ProctoringConfig
from proctoring.events import (
    EventChain,
    EventType,
    ProctorEvent,
    Severity,
    severity_rank,
    snapshot_descriptor,
)
from proctoring.rules import Transition, VisionRules
from proctoring.sources import Frame, Image, as_image
from proctoring.vision import FaceAnalyzer, FaceObservation

log = logging.getLogger(__name__)

Subscriber = Callable[[ProctorEvent], None]


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def wall(self) -> datetime: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Simulated time for tests and offline analysis: only `advance`/`set` move it."""

    def __init__(self, start: float = 0.0, wall: datetime | None = None) -> None:
        self._t = start
        self._start = start
        self._wall = wall or datetime(2026, 1, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self._t

    def wall(self) -> datetime:
        return self._wall + timedelta(seconds=self._t - self._start)

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def set(self, t: float) -> None:
        self._t = max(self._t, t)


def encode_snapshot(image: Image, *, max_width: int, quality: int) -> tuple[bytes, int, int]:
    """A downscaled JPEG of a BGR frame: (bytes, width, height)."""
    height, width = image.shape[:2]
    if width > max_width:
        size = (max_width, max(1, round(height * max_width / width)))
        image = as_image(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buffer.tobytes(), image.shape[1], image.shape[0]


@dataclass
class _Open:
    event: ProctorEvent
    began: float  # session offset the condition began


class ProctoringSession:
    def __init__(
        self,
        session_id: str,
        config: ProctoringConfig | None = None,
        *,
        clock: Clock | None = None,
        announce: bool = True,
    ) -> None:
        self.session_id = session_id
        self.config = config or ProctoringConfig()
        self.clock: Clock = clock or SystemClock()
        self._t0 = self.clock.monotonic()
        self._chain = EventChain(session_id, self.clock.wall())
        self._lock = threading.RLock()
        self._depth = 0  # nesting of _locked() by the thread holding the lock
        self._dispatch_lock = threading.Lock()
        self._outbox: deque[ProctorEvent] = deque()
        self._events: list[ProctorEvent] = []
        self._subscribers: list[Subscriber] = []
        self._open: dict[str, _Open] = {}
        self._latest_frame: Image | None = None
        self._displays = 1
        self._focus_lost_at: float | None = None
        self.closed = False
        if announce:
            self.emit(EventType.SESSION_STARTED, "info", {"sessionId": session_id})

    # -- time ---------------------------------------------------------------------------------

    @property
    def started_at(self) -> datetime:
        return self._chain.started_at

    def now(self) -> float:
        """Seconds since the session started, on the session clock."""
        return self.clock.monotonic() - self._t0

    def offset_of(self, monotonic: float) -> float:
        return monotonic - self._t0

    # -- subscribers and history ---------------------------------------------------------------

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every event from now on; returns the unsubscribe."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    @property
    def events(self) -> list[ProctorEvent]:
        with self._lock:
            return list(self._events)

    def open_conditions(self) -> list[str]:
        with self._lock:
            return sorted(self._open)

    # -- making events ------------------------------------------------------------------------

    def note_frame(self, image: Image) -> None:
        """The latest camera frame, for snapshots of events that have no frame of their own."""
        with self._lock:
            self._latest_frame = image

    def emit(
        self,
        type_: str,
        severity: Severity | None = None,
        data: Mapping[str, Any] | None = None,
        *,
        offset: float | None = None,
        frame: Image | None = None,
    ) -> ProctorEvent:
        """Append a one-off event (or, through `start`/`end`, an episode's edge)."""
        sev: Severity = severity or self.config.severity_of(type_)
        with self._locked():
            if self.closed:
                raise RuntimeError("session is closed")
            payload = dict(data or {})
            jpeg = self._snapshot(sev, frame)
            if jpeg is not None:
                payload["snapshot"] = snapshot_descriptor(*jpeg)
            event = self._chain.append(
                type_,
                sev,
                self.now() if offset is None else offset,
                payload,
                snapshot=jpeg[0] if jpeg else None,
            )
            self._events.append(event)
            self._outbox.append(event)
        return event

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The state lock; leaving the outermost level hands queued events to subscribers."""
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                outermost = self._depth == 0
        if outermost:
            self._dispatch()

    def _dispatch(self) -> None:
        # Outside the state lock (a subscriber may call back in, or block on the GUI thread),
        # and in seq order across threads: one dispatcher at a time drains the queue; a thread
        # that finds one running leaves its events to it instead of waiting (no deadlock when a
        # subscriber waits for another thread that emits).
        while True:
            if not self._dispatch_lock.acquire(blocking=False):
                return
            try:
                while True:
                    with self._lock:
                        if not self._outbox:
                            break
                        event = self._outbox.popleft()
                        subscribers = list(self._subscribers)
                    for callback in subscribers:
                        try:
                            callback(event)
                        except Exception:  # a broken subscriber must not stop proctoring
                            log.exception("proctoring subscriber %r failed", callback)
            finally:
                self._dispatch_lock.release()
            with self._lock:  # an event queued while we were releasing: drain it too
                if not self._outbox:
                    return

    def start(
        self,
        key: str,
        type_: str,
        severity: Severity | None = None,
        data: Mapping[str, Any] | None = None,
        *,
        began: float | None = None,
        offset: float | None = None,
        frame: Image | None = None,
    ) -> ProctorEvent | None:
        """Open the episode ``key`` (None if already open). ``began``: when it first held."""
        with self._locked():
            if key in self._open or self.closed:
                return None
            at = self.now() if offset is None else offset
            since = at if began is None else min(began, at)
            payload = {
                "phase": "start",
                "startOffset": round(since, 3),
                "duration": round((at - since) * 1000),
                **(data or {}),
            }
            event = self.emit(type_, severity, payload, offset=at, frame=frame)
            self._open[key] = _Open(event, since)
            return event

    def end(
        self,
        key: str,
        data: Mapping[str, Any] | None = None,
        *,
        ended: float | None = None,
        offset: float | None = None,
    ) -> ProctorEvent | None:
        """Close the episode ``key`` (None if not open). ``ended``: when it stopped holding."""
        with self._locked():
            opened = self._open.pop(key, None)
            if opened is None:
                return None
            at = self.now() if offset is None else offset
            stop = at if ended is None else min(ended, at)
            payload = {
                **(data or {}),
                "phase": "end",
                "startSeq": opened.event.seq,
                "duration": max(0, round((stop - opened.began) * 1000)),
            }
            return self.emit(opened.event.type, "info", payload, offset=at)

    def _snapshot(self, severity: Severity, frame: Image | None) -> tuple[bytes, int, int] | None:
        snap = self.config.snapshots
        if not snap.enabled or severity_rank(severity) < severity_rank(snap.min_severity):
            return None
        image = frame if frame is not None else self._latest_frame
        if image is None:
            return None
        try:
            return encode_snapshot(image, max_width=snap.max_width, quality=snap.jpeg_quality)
        except (ValueError, cv2.error):
            log.exception("snapshot failed")
            return None

    # -- what the UI feeds --------------------------------------------------------------------

    def focus_changed(self, focused: bool, *, detail: str | None = None) -> None:
        """The assessment window lost or regained focus (the app's focus signal)."""
        if self.closed:
            return
        data = {"detail": detail} if detail else None
        grace = self.config.monitors.focus_grace_s
        with self._locked():
            if not focused:
                self._focus_lost_at = self.now()
                if grace <= 0:
                    self.start("focus", EventType.FOCUS_LOST, data=data)
                return
            lost_at, self._focus_lost_at = self._focus_lost_at, None
            if "focus" in self._open:
                self.end("focus", data)
            elif lost_at is not None and self.now() - lost_at >= grace > 0:
                # Lost longer than the grace: record it, late but with its true start.
                self.start("focus", EventType.FOCUS_LOST, data=data, began=lost_at)
                self.end("focus")

    def poll(self) -> None:
        """Let time-based rules fire without new input (a focus loss outlasting its grace)."""
        grace = self.config.monitors.focus_grace_s
        with self._locked():
            lost = self._focus_lost_at
            if lost is not None and grace > 0 and self.now() - lost >= grace:
                self.start("focus", EventType.FOCUS_LOST, began=lost)

    def displays_changed(self, count: int) -> None:
        """The number of connected displays (the app's screen-added/removed signal)."""
        with self._locked():
            previous, self._displays = self._displays, count
            if count == previous or self.closed:
                return
            data = {"displayCount": count, "previousCount": previous}
            if count > 1 and "displays" not in self._open:
                self.start("displays", EventType.MULTIPLE_DISPLAYS, data=data)
            elif count <= 1:
                self.end("displays", data)
            else:
                self.emit(EventType.DISPLAY_COUNT_CHANGED, data=data)

    def pasted(self, chars: int, *, lines: int | None = None, target: str = "editor") -> None:
        """Clipboard text pasted into the assessment (size only, never the content)."""
        if self.closed:  # the UI may still deliver one while the attempt is being closed
            return
        severity: Severity = "medium" if chars >= self.config.monitors.paste_medium_chars else "low"
        data: dict[str, Any] = {"chars": chars, "target": target}
        if lines is not None:
            data["lines"] = lines
        self.emit(EventType.PASTE, severity, data)

    # -- end ------------------------------------------------------------------------------------

    def close(self, reason: str = "assessment_completed") -> None:
        """End every open episode, then ``session_ended``. Idempotent."""
        with self._locked():
            if self.closed:
                return
            for key in list(self._open):
                self.end(key, {"reason": "session_ended"})
            self.emit(EventType.SESSION_ENDED, "info", {"reason": reason})
            self.closed = True


class VisionPipeline:
    """Frame -> `FaceAnalyzer` -> `VisionRules` -> session episodes. One per analysis thread."""

    def __init__(
        self,
        session: ProctoringSession,
        analyzer: FaceAnalyzer | None = None,
        rules: VisionRules | None = None,
    ) -> None:
        self.session = session
        self.analyzer = analyzer or FaceAnalyzer(session.config.vision)
        self.rules = rules or VisionRules(session.config.vision)
        self.frames = 0

    def process(self, frame: Frame, *, offset: float | None = None) -> FaceObservation:
        """Analyse one frame. ``offset``: its session time (default: from its timestamp)."""
        at = self.session.offset_of(frame.timestamp) if offset is None else offset
        observation = self.analyzer.analyze(frame.image)
        self.frames += 1
        self.session.note_frame(frame.image)
        for transition in self.rules.update(at, observation):
            self._apply(transition, frame)
        return observation

    def _apply(self, tr: Transition, frame: Frame) -> None:
        if tr.type == EventType.CALIBRATION_COMPLETED:
            self.session.emit(tr.type, "info", tr.data, offset=tr.at)
        elif tr.kind == "start":
            self.session.start(
                tr.type, tr.type, data=tr.data, began=tr.began, offset=tr.at, frame=frame.image
            )
        else:
            self.session.end(tr.type, tr.data, ended=tr.began, offset=tr.at)

    def close(self) -> None:
        self.analyzer.close()

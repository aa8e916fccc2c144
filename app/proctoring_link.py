"""The attempt's proctoring: `proctoring.Proctor` started with a proctored attempt, stopped with it.

`ProctoredService` wraps a `CandidateService`: when an attempt starts or resumes with proctoring
on, it starts a `Proctor` (camera, or the ``--video`` file; process monitor; environment report)
and journals every event it emits through the service; completing stops it. `ProctorSink` is the
window's `LockdownSink`: focus, display and paste observations go to the running session.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from proctoring.config import ProctoringConfig
from proctoring.events import ProctorEvent
from proctoring.proctor import Proctor
from proctoring.sources import VideoFileSource
from ui.ports import Answer, Attempt, Invitation, Result, RunReport, SyncStatus, Unsubscribe

log = logging.getLogger(__name__)


class JournalingService(Protocol):
    """A candidate service that can also journal proctoring events (`app.demo`, later `sync`)."""

    def open_invitation(self, token: str) -> Invitation: ...
    def resume(self) -> Attempt | None: ...
    def start(self, invitation: Invitation) -> Attempt: ...
    def save_answer(self, question_id: str, answer: Answer, *, index: int) -> None: ...
    def run_samples(self, question_id: str, language: str, code: str) -> RunReport: ...
    def complete(self) -> Result: ...
    def seconds_remaining(self) -> float: ...
    def subscribe_status(self, callback: Callable[[SyncStatus], None]) -> Unsubscribe: ...
    def status(self) -> SyncStatus: ...
    def record_event(self, kind: str, data: dict[str, Any]) -> None: ...


class ProctoredService:
    def __init__(
        self,
        inner: JournalingService,
        *,
        video: Path | None = None,
        camera: int = 0,
        make_proctor: Callable[[str], Proctor] | None = None,
    ) -> None:
        self.inner = inner
        self._video = video
        self._camera = camera
        self._make = make_proctor or self._default_proctor
        self._lock = threading.Lock()
        self.proctor: Proctor | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def _default_proctor(self, attempt_id: str) -> Proctor:
        source = VideoFileSource(self._video) if self._video is not None else None
        return Proctor(
            f"proctor_{attempt_id}", ProctoringConfig.for_assessment({}),
            camera=None if source is not None else self._camera, source=source,
        )  # fmt: skip

    # --- the CandidateService port, delegating ---
    def open_invitation(self, token: str) -> Invitation:
        return self.inner.open_invitation(token)

    def resume(self) -> Attempt | None:
        attempt = self.inner.resume()
        if attempt is not None and attempt.proctoring:
            self._begin(attempt.attempt_id)
        return attempt

    def start(self, invitation: Invitation) -> Attempt:
        attempt = self.inner.start(invitation)
        if attempt.proctoring:
            self._begin(attempt.attempt_id)
        return attempt

    def save_answer(self, question_id: str, answer: Answer, *, index: int) -> None:
        self.inner.save_answer(question_id, answer, index=index)

    def run_samples(self, question_id: str, language: str, code: str) -> RunReport:
        return self.inner.run_samples(question_id, language, code)

    def complete(self) -> Result:
        result = self.inner.complete()
        self.end()
        return result

    def seconds_remaining(self) -> float:
        return self.inner.seconds_remaining()

    def subscribe_status(self, callback: Callable[[SyncStatus], None]) -> Unsubscribe:
        return self.inner.subscribe_status(callback)

    def status(self) -> SyncStatus:
        return self.inner.status()

    # --- proctoring ---
    def _begin(self, attempt_id: str) -> None:
        with self._lock:
            if self.proctor is not None:
                return
            proctor = self._make(attempt_id)
            self._unsubscribe = proctor.subscribe(self._journal)
            proctor.start()
            self.proctor = proctor

    def _journal(self, event: ProctorEvent) -> None:
        # called on the proctoring threads; the journal serialises its own writes
        wire = event.to_dict(include_snapshot=True)
        self.inner.record_event(str(wire.get("type", "event")), wire)

    def end(self) -> None:
        with self._lock:
            proctor, self.proctor = self.proctor, None
        if proctor is not None:
            proctor.stop()
            if self._unsubscribe is not None:
                self._unsubscribe()


class ProctorSink:
    """Lockdown observations from the window into the running proctoring session."""

    def __init__(self, service: ProctoredService) -> None:
        self._service = service

    def focus_changed(self, focused: bool) -> None:
        if (p := self._service.proctor) is not None:
            p.session.focus_changed(focused)

    def displays_changed(self, count: int) -> None:
        if (p := self._service.proctor) is not None:
            p.session.displays_changed(count)

    def pasted(self, chars: int, lines: int, *, blocked: bool) -> None:
        if (p := self._service.proctor) is not None:
            p.session.pasted(chars, lines=lines, target="editor (blocked)" if blocked else "editor")

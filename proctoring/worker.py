"""Live analysis off the GUI thread: a capture thread and an analysis thread per source.

The capture thread reads the source as fast as it delivers (a camera must be drained) and keeps
only the newest frame in a one-slot mailbox; the analysis thread wakes at the configured rate
(default 5 fps) and analyses the newest frame. When analysis falls behind, older frames are
overwritten and counted as skipped: never a queue, so latency stays bounded.

A missing or busy camera becomes the ``camera_unavailable`` episode (and `status`), and the
capture thread retries opening it every ``retry_s``; frames arriving again end the episode.
A non-live source (a file, a synthetic scene) is paced to its timestamps so it plays like a
camera. Usage::

    worker = AnalysisWorker(CameraSource(0), session)
    worker.start()
    ...
    worker.stop()       # joins both threads, closes the source and the analyzer
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Literal

from proctoring.errors import EnvironmentProblem
from proctoring.events import EventType
from proctoring.session import ProctoringSession, VisionPipeline
from proctoring.sources import Frame, FrameSource

log = logging.getLogger(__name__)

Status = Literal["idle", "running", "source_unavailable", "ended", "stopped"]


@dataclass
class WorkerStats:
    captured: int = 0
    analysed: int = 0
    skipped: int = 0  # captured, then overwritten by a newer frame before analysis: never queued
    overruns: int = 0  # analyses that took longer than the frame interval
    busy_s: float = 0.0  # wall time spent analysing

    @property
    def mean_ms(self) -> float:
        return self.busy_s / self.analysed * 1000 if self.analysed else 0.0


class AnalysisWorker:
    def __init__(
        self,
        source: FrameSource,
        session: ProctoringSession,
        *,
        fps: float | None = None,
        pipeline: VisionPipeline | None = None,
        retry_s: float = 2.0,
    ) -> None:
        self.source = source
        self.session = session
        self.fps = fps or session.config.vision.fps
        self._pipeline = pipeline
        self.retry_s = retry_s
        self.stats = WorkerStats()
        self.status: Status = "idle"
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._slot: Frame | None = None
        self._slot_fresh = False
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._recalibrate = threading.Event()

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("already started")
        self.status = "running"
        self._threads = [
            threading.Thread(target=self._capture_loop, name="proctoring-capture", daemon=True),
            threading.Thread(target=self._analysis_loop, name="proctoring-analysis", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def recalibrate(self) -> None:
        """Take a new head-pose baseline from the next frames (applied on the analysis thread)."""
        self._recalibrate.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        if self.status == "running":
            self.status = "stopped"

    # -- capture --------------------------------------------------------------------------------

    def _open(self) -> bool:
        try:
            self.source.open()
        except EnvironmentProblem as exc:
            self.status, self.last_error = "source_unavailable", str(exc)
            self.session.start("camera", EventType.CAMERA_UNAVAILABLE, data={"reason": str(exc)})
            return False
        if self.status == "source_unavailable":
            self.status = "running"
        self.session.end("camera")
        return True

    def _capture_loop(self) -> None:
        opened = False
        wall0: float | None = None
        media0 = 0.0
        try:
            while not self._stop.is_set():
                if not opened:
                    opened = self._open()
                    if not opened:
                        self._stop.wait(self.retry_s)
                        continue
                try:
                    frame = self.source.read()
                except EnvironmentProblem as exc:
                    self.source.close()
                    opened = False
                    self.status, self.last_error = "source_unavailable", str(exc)
                    self.session.start(
                        "camera", EventType.CAMERA_UNAVAILABLE, data={"reason": str(exc)}
                    )
                    continue
                if frame is None:
                    self.status = "ended"
                    break
                if not self.source.live:
                    # Play files at their own speed, like a camera would deliver them.
                    if wall0 is None:
                        wall0, media0 = time.monotonic(), frame.timestamp
                    delay = (frame.timestamp - media0) - (time.monotonic() - wall0)
                    if delay > 0 and self._stop.wait(delay):
                        break
                stamped = replace(frame, timestamp=self.session.clock.monotonic())
                with self._cond:
                    if self._slot_fresh:
                        self.stats.skipped += 1
                    self._slot, self._slot_fresh = stamped, True
                    self.stats.captured += 1
                    self._cond.notify_all()
        finally:
            self.source.close()
            with self._cond:
                self._cond.notify_all()

    # -- analysis -------------------------------------------------------------------------------

    def _analysis_loop(self) -> None:
        pipeline = self._pipeline or VisionPipeline(self.session)
        interval = 1.0 / self.fps
        next_due = time.monotonic()
        try:
            while not self._stop.is_set():
                with self._cond:
                    while not self._slot_fresh and not self._stop.is_set():
                        if self.status == "ended":
                            return
                        self._cond.wait(0.5)
                    if self._stop.is_set():
                        return
                    frame, self._slot_fresh = self._slot, False
                if frame is None:
                    continue
                if self._recalibrate.is_set():
                    self._recalibrate.clear()
                    pipeline.rules.recalibrate()
                started = time.perf_counter()
                try:
                    pipeline.process(frame)
                except Exception:
                    log.exception("frame analysis failed")
                spent = time.perf_counter() - started
                self.stats.busy_s += spent
                self.stats.overruns += spent > interval
                self.stats.analysed += 1
                next_due = max(next_due + interval, time.monotonic())
                wait = next_due - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    return
        finally:
            if self._pipeline is None:
                pipeline.close()

"""`Proctor`: the one object the desktop app holds for an attempt's proctoring.

It composes a `ProctoringSession` (events, chain, UI feeds), an `AnalysisWorker` on a frame source
(a camera by default), a `ProcessMonitor`, and the one-off environment report::

    proctor = Proctor(session_id, ProctoringConfig.for_assessment(settings), camera=0)
    proctor.subscribe(on_event)          # called on worker threads: queue it to the GUI thread
    proctor.start()                      # threads start; a missing camera becomes an event
    proctor.recalibrate()                # the app's "look at the screen" step, any time
    proctor.session.focus_changed(False) # the UI feeds focus, displays, paste through the session
    ...
    proctor.stop()                       # joins threads, ends open episodes, session_ended

No Qt and no network here: the app wires signals to these methods and subscribers to the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from proctoring.config import ProctoringConfig
from proctoring.events import ProctorEvent
from proctoring.monitors.processes import ProcessMonitor
from proctoring.monitors.virtualization import Probe, Signal, report_environment
from proctoring.session import Clock, ProctoringSession
from proctoring.sources import CameraSource, FrameSource
from proctoring.worker import AnalysisWorker, Status, WorkerStats


@dataclass(frozen=True)
class ProctorStatus:
    camera: Status
    camera_error: str | None
    frames: WorkerStats | None
    open_conditions: list[str]
    events: int


class Proctor:
    def __init__(
        self,
        session_id: str,
        config: ProctoringConfig | None = None,
        *,
        camera: int | None = 0,
        source: FrameSource | None = None,
        monitor_processes: bool = True,
        probes: list[Probe] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """``source`` wins over ``camera``; ``camera=None`` and no source: no video at all."""
        self.session = ProctoringSession(session_id, config, clock=clock)
        frame_source = (
            source if source is not None else (CameraSource(camera) if camera is not None else None)
        )
        self.worker = AnalysisWorker(frame_source, self.session) if frame_source else None
        self.processes = ProcessMonitor(self.session) if monitor_processes else None
        self._probes = probes
        self.environment: list[Signal] = []
        self._started = False

    def subscribe(self, callback: Callable[[ProctorEvent], None]) -> Callable[[], None]:
        return self.session.subscribe(callback)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.environment = report_environment(self.session, self._probes)
        if self.processes is not None:
            self.processes.start()
        if self.worker is not None:
            self.worker.start()

    def recalibrate(self) -> None:
        if self.worker is not None:
            self.worker.recalibrate()

    def status(self) -> ProctorStatus:
        return ProctorStatus(
            camera=self.worker.status if self.worker else "idle",
            camera_error=self.worker.last_error if self.worker else None,
            frames=self.worker.stats if self.worker else None,
            open_conditions=self.session.open_conditions(),
            events=len(self.session.events),
        )

    def stop(self, reason: str = "assessment_completed") -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.processes is not None:
            self.processes.stop()
        self.session.close(reason)

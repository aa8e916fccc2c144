"""The `SystemCheck` port: camera, head pose, displays, blocked apps, network, sandbox.

The camera preview runs `proctoring`'s frame sources and face analysis on one worker thread at a
few frames per second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import cv2
from PySide6.QtGui import QGuiApplication

from proctoring.errors import EnvironmentProblem
from proctoring.sources import CameraSource, FrameSource, Image, VideoFileSource, as_image
from proctoring.vision import FaceAnalyzer, FaceObservation
from ui.ports import CheckResult, CheckStatus, Invitation, PreviewFrame

log = logging.getLogger(__name__)
PREVIEW_FPS = 8.0


class Preparable(Protocol):
    def prepare(self, progress: Callable[[float], None] | None = None) -> None: ...


class VisionFeed:
    """Frames from a camera index or a video file (looped), with faces and head pose per frame:
    `proctoring`'s own frame sources and face analysis, so the check sees what the exam will."""

    def __init__(self, source: int | Path) -> None:
        self.source = source
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._poses: list[tuple[float, float]] = []
        self.last: PreviewFrame | None = None

    def _open(self) -> FrameSource:
        source: FrameSource = (
            VideoFileSource(self.source)
            if isinstance(self.source, Path)
            else CameraSource(self.source)
        )
        source.open()
        return source

    def available(self) -> bool:
        try:
            source = self._open()
        except EnvironmentProblem:
            return False
        try:
            return source.read() is not None
        finally:
            source.close()

    def start(self, callback: Callable[[PreviewFrame | None], None]) -> bool:
        if self._thread is not None:
            return True
        if not self.available():
            return False
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(callback,), name="vision-preview", daemon=True
        )
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def baseline(self) -> tuple[float, float] | None:
        """Mean (yaw, pitch) over the recent frames with exactly one face."""
        recent = self._poses[-10:]
        if not recent:
            return None
        return (sum(p[0] for p in recent) / len(recent), sum(p[1] for p in recent) / len(recent))

    def _loop(self, callback: Callable[[PreviewFrame | None], None]) -> None:
        period = 1.0 / PREVIEW_FPS
        source = self._open()
        try:
            with FaceAnalyzer() as analyzer:
                while not self._stop.is_set():
                    started = time.monotonic()
                    frame = source.read()
                    if frame is None and not source.live:
                        source.close()  # a demo video loops
                        source = self._open()
                        frame = source.read()
                    if frame is None:
                        callback(None)
                        return
                    callback(self._preview(frame.image, analyzer.analyze(frame.image)))
                    self._stop.wait(max(0.0, period - (time.monotonic() - started)))
        finally:
            source.close()

    def _preview(self, bgr: Image, seen: FaceObservation) -> PreviewFrame:
        h, w = bgr.shape[:2]
        if w > 640:
            bgr = as_image(cv2.resize(bgr, (640, round(h * 640 / w))))
            h, w = bgr.shape[:2]
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        yaw = pitch = None
        if seen.face_count == 1 and seen.pose is not None:
            yaw, pitch = seen.pose.yaw, seen.pose.pitch
            self._poses.append((yaw, pitch))
            del self._poses[:-50]
        frame = PreviewFrame(w, h, rgb.tobytes(), seen.face_count, yaw, pitch)
        self.last = frame
        return frame


class MachineChecks:
    """Real checks of this machine; ``reach`` probes the server (network and API)."""

    def __init__(
        self,
        *,
        feed: VisionFeed | None,
        reach: Callable[[], str],
        sandbox: Preparable | None,
        process_names: Callable[[], set[str]] | None = None,
    ) -> None:
        self._feed = feed
        self._reach = reach
        self._sandbox = sandbox
        self._process_names = process_names or _process_names

    def planned(self, invitation: Invitation) -> list[CheckResult]:
        req = invitation.requirements
        proctored = invitation.proctoring

        def row(key: str, label: str, needed: bool, required: bool) -> CheckResult:
            status = CheckStatus.PENDING if needed else CheckStatus.NOT_NEEDED
            detail = "" if needed else "not needed for this assessment"
            return CheckResult(key, label, status, detail, required=needed and required)

        return [
            row("camera", "Camera", req.camera, True),
            row("displays", "Displays", proctored, req.single_display),
            row("processes", "Other applications", bool(req.blocked_apps), True),
            row("network", "Network and server", True, False),
            row("sandbox", "Code runner", True, False),
        ]

    def run(
        self, key: str, invitation: Invitation, progress: Callable[[float], None]
    ) -> CheckResult:
        label = {r.key: r for r in self.planned(invitation)}[key]
        method = getattr(self, f"_check_{key}")
        result: CheckResult = method(invitation, progress)
        return CheckResult(key, label.label, result.status, result.detail, label.required,
                           result.fix)  # fmt: skip

    def _check_camera(self, inv: Invitation, _p: Callable[[float], None]) -> CheckResult:
        if self._feed is None or not self._feed.available():
            return CheckResult(
                "camera", "", CheckStatus.FAILED, "No camera was found on this computer.",
                fix="Connect a camera (or close the app that is using it), then check again.",
            )  # fmt: skip
        what = (f"video file {self._feed.source.name}" if isinstance(self._feed.source, Path)
                else f"camera {self._feed.source}")  # fmt: skip
        return CheckResult("camera", "", CheckStatus.OK, f"Using {what}.")

    def _check_displays(self, inv: Invitation, _p: Callable[[float], None]) -> CheckResult:
        count = len(QGuiApplication.screens())
        if count > 1:
            status = CheckStatus.FAILED if inv.requirements.single_display else CheckStatus.WARNING
            return CheckResult(
                "displays", "", status, f"{count} displays are connected.",
                fix="Disconnect the extra displays: the assessment uses one.",
            )  # fmt: skip
        return CheckResult("displays", "", CheckStatus.OK, "One display.")

    def _check_processes(self, inv: Invitation, _p: Callable[[float], None]) -> CheckResult:
        running = self._process_names()
        found = sorted(
            app for app in inv.requirements.blocked_apps if any(app in name for name in running)
        )
        if found:
            return CheckResult(
                "processes", "", CheckStatus.FAILED, "Running now: " + ", ".join(found) + ".",
                fix="Close them (quit from their menu or tray icon), then check again.",
            )  # fmt: skip
        n = len(inv.requirements.blocked_apps)
        return CheckResult("processes", "", CheckStatus.OK, f"None of the {n} blocked apps runs.")

    def _check_network(self, inv: Invitation, _p: Callable[[float], None]) -> CheckResult:
        try:
            detail = self._reach()
        except Exception as exc:  # any failure to reach is the person's network, not a bug
            return CheckResult(
                "network", "", CheckStatus.WARNING, f"The server is not reachable ({exc}).",
                fix="You can still start; answers are kept on this computer until it is back.",
            )  # fmt: skip
        return CheckResult("network", "", CheckStatus.OK, detail)

    def _check_sandbox(self, inv: Invitation, progress: Callable[[float], None]) -> CheckResult:
        if self._sandbox is None:
            return CheckResult(
                "sandbox", "", CheckStatus.WARNING, "Not available in this build.",
                fix="Sample tests cannot run here; your code is still graded on the server.",
            )  # fmt: skip
        started = time.monotonic()
        try:
            self._sandbox.prepare(progress)
        except Exception as exc:  # a broken runtime must not stop the assessment
            log.exception("sandbox preparation failed")
            return CheckResult("sandbox", "", CheckStatus.WARNING, f"Could not load: {exc}")
        took = time.monotonic() - started
        # loading from the compiled cache takes well under a second; compiling takes seconds
        detail = f"Ready (first-use preparation took {took:.1f} s)." if took > 1.5 else "Ready."
        return CheckResult("sandbox", "", CheckStatus.OK, detail)

    # --- preview ---
    def start_preview(self, callback: Callable[[PreviewFrame | None], None]) -> bool:
        return self._feed is not None and self._feed.start(callback)

    def stop_preview(self) -> None:
        if self._feed is not None:
            self._feed.stop()

    def calibrate(self) -> str:
        if self._feed is None:
            return "No camera: nothing to calibrate."
        time.sleep(0.5)  # let a few frames with the person looking at the screen arrive
        base = self._feed.baseline()
        if base is None:
            return "No face seen: look at the screen, then calibrate again."
        return f"Calibrated: looking at the screen is your straight-ahead (±{abs(base[0]):.0f}°)."


def _process_names() -> set[str]:
    import psutil

    names = set()
    for proc in psutil.process_iter(["name"]):
        name = proc.info.get("name")
        if name:
            names.add(str(name).lower())
    return names

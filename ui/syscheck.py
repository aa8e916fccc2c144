"""The system check: every check the assessment needs, a camera preview, head-pose calibration.

Each check runs as its own background operation; the page says plainly what is required, what is
missing and what to do about it. An unproctored assessment marks the proctoring checks as not
needed.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.ports import CheckResult, CheckStatus, Invitation, PreviewFrame, SystemCheck
from ui.tasks import Lane, TaskManager
from ui.theme import FAIL_COLOR, OK_COLOR, WARN_COLOR
from ui.widgets import Relay, heading, paragraph

_MARK = {
    CheckStatus.PENDING: ("○", "#8a8f98"),
    CheckStatus.RUNNING: ("◌", WARN_COLOR),
    CheckStatus.OK: ("✔", OK_COLOR),
    CheckStatus.WARNING: ("!", WARN_COLOR),
    CheckStatus.FAILED: ("✘", FAIL_COLOR),
    CheckStatus.NOT_NEEDED: ("–", "#8a8f98"),
}


class _Row:
    def __init__(self, grid: QGridLayout, row: int, result: CheckResult) -> None:
        self.mark = QLabel()
        self.mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.label = QLabel()
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.detail = paragraph("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumHeight(self.label.sizeHint().height())
        self.progress.hide()
        grid.addWidget(self.mark, row, 0)
        box = QVBoxLayout()
        box.setSpacing(2)
        box.addWidget(self.label)
        box.addWidget(self.detail)
        box.addWidget(self.progress)
        grid.addLayout(box, row, 1)
        grid.setRowStretch(row + 1, 1)  # rows stay together at the top
        grid.setRowStretch(row, 0)
        self.set(result)

    def set(self, r: CheckResult) -> None:
        self.result = r
        mark, colour = _MARK[r.status]
        self.mark.setText(mark)
        self.mark.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.label.setText(f"<b>{r.label}</b>" + ("" if r.required else " <i>(optional)</i>"))
        detail = r.detail or {CheckStatus.PENDING: "waiting", CheckStatus.RUNNING: "checking…"}.get(
            r.status, ""
        )
        if r.fix and r.status in (CheckStatus.WARNING, CheckStatus.FAILED):
            detail += f"\n→ {r.fix}"
        self.detail.setText(detail)
        self.detail.setAccessibleName(f"{r.label}: {r.status.value}. {detail}")
        if r.status is not CheckStatus.RUNNING:
            self.progress.hide()

    def set_progress(self, fraction: float) -> None:
        self.progress.show()
        self.progress.setValue(round(fraction * 100))


class SystemCheckPage(QWidget):
    ready = Signal()  # the person pressed Start
    back = Signal()

    def __init__(self, checks: SystemCheck, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self._checks = checks
        self._tasks = tasks
        self._rows: dict[str, _Row] = {}
        self._invitation: Invitation | None = None
        self._frames = Relay(self._on_frame, self)
        self._previewing = False

        outer = QVBoxLayout(self)
        outer.addWidget(heading("System check"))
        self.intro = paragraph("")
        outer.addWidget(self.intro)
        body = QHBoxLayout()
        self._grid_host = QFrame()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setColumnStretch(1, 1)
        self._grid.setVerticalSpacing(10)
        body.addWidget(self._grid_host, 3)

        camera = QVBoxLayout()
        self.preview = QLabel("Camera preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 240)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setStyleSheet("background: #111; color: #ccc; border-radius: 6px;")
        self.preview.setAccessibleName("Camera preview")
        camera.addWidget(self.preview, 1)
        self.face = QLabel("")
        self.face.setAccessibleName("Face visible")
        camera.addWidget(self.face)
        self.calibrate_button = QPushButton("&Calibrate head position")
        self.calibrate_button.setToolTip("Look at the centre of the screen, then press this.")
        self.calibrate_button.clicked.connect(self._calibrate)
        self.calibrate_button.setEnabled(False)
        camera.addWidget(self.calibrate_button)
        self.calibration = paragraph("")
        camera.addWidget(self.calibration)
        self._camera_box = QWidget()
        self._camera_box.setLayout(camera)
        body.addWidget(self._camera_box, 2)
        outer.addLayout(body, 1)

        self.summary = paragraph("")
        self.summary.setAccessibleName("System check summary")
        outer.addWidget(self.summary)
        buttons = QHBoxLayout()
        self.back_button = QPushButton("&Back")
        self.back_button.clicked.connect(self._back)
        self.rerun_button = QPushButton("&Check again")
        self.rerun_button.clicked.connect(self.run_all)
        self.start_button = QPushButton("&Start assessment")
        self.start_button.setDefault(True)
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self._start)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.rerun_button)
        buttons.addWidget(self.start_button)
        outer.addLayout(buttons)

    @property
    def results(self) -> dict[str, CheckResult]:
        return {k: r.result for k, r in self._rows.items()}

    def begin(self, invitation: Invitation) -> None:
        self._invitation = invitation
        for row in self._rows.values():
            for w in (row.mark, row.label, row.detail, row.progress):
                w.deleteLater()
        self._rows.clear()
        planned = self._checks.planned(invitation)
        for i, result in enumerate(planned):
            self._rows[result.key] = _Row(self._grid, i, result)
        self.intro.setText(
            "We check that this computer has what the assessment needs before the timer starts."
            if invitation.proctoring
            else "This assessment is not proctored: no camera or screen checks are needed."
        )
        self._camera_box.setVisible(invitation.requirements.camera)
        self.run_all()

    def run_all(self) -> None:
        inv = self._invitation
        if inv is None:
            return
        for key, row in self._rows.items():
            if row.result.status is not CheckStatus.NOT_NEEDED:
                row.set(replace(row.result, status=CheckStatus.RUNNING, detail=""))
                self._run_one(key, inv)
        if inv.requirements.camera and not self._previewing:
            self._previewing = self._checks.start_preview(self._frames)
            if not self._previewing:
                self.preview.setText("No camera found")
                self.face.setText("")
        self._summarize()

    def _run_one(self, key: str, inv: Invitation) -> None:
        row = self._rows[key]
        progress = Relay(lambda f: row.set_progress(float(f)), self)

        def check() -> CheckResult:
            return self._checks.run(key, inv, progress)

        def failed(exc: BaseException) -> None:
            self._finished(replace(row.result, status=CheckStatus.FAILED, detail=str(exc)))

        lane = Lane.CPU if key == "sandbox" else Lane.IO
        self._tasks.op(self, check, lane=lane).success(self._finished).failure(failed).run()

    def _finished(self, result: CheckResult) -> None:
        if result.key in self._rows:
            self._rows[result.key].set(result)
        self._summarize()

    def _summarize(self) -> None:
        results = list(self.results.values())
        running = [r for r in results if r.status in (CheckStatus.PENDING, CheckStatus.RUNNING)]
        blocking = [r for r in results if r.blocks_start]
        warnings = [r for r in results if r.status is CheckStatus.WARNING or
                    (r.status is CheckStatus.FAILED and not r.required)]  # fmt: skip
        if running:
            text = f"Checking… {len(results) - len(running)} of {len(results)} done."
        elif blocking:
            names = ", ".join(r.label.lower() for r in blocking)
            text = f"The assessment requires what is missing: {names}. Fix it, then check again."
        elif warnings:
            names = ", ".join(r.label.lower() for r in warnings)
            text = f"Ready. Worth a look before you start: {names}."
        else:
            text = "Everything the assessment needs is ready."
        self.summary.setText(text)
        self.start_button.setEnabled(not running and not blocking)

    def _on_frame(self, frame: object) -> None:
        if not isinstance(frame, PreviewFrame):
            self.preview.setText("The camera stopped")
            self.calibrate_button.setEnabled(False)
            return
        image = QImage(frame.rgb, frame.width, frame.height, frame.width * 3,
                       QImage.Format.Format_RGB888)  # fmt: skip
        pixmap = QPixmap.fromImage(image).scaled(
            self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )  # fmt: skip
        self.preview.setPixmap(pixmap)
        if frame.faces == 1:
            self.face.setText("✔ Face visible")
            self.face.setStyleSheet(f"color: {OK_COLOR}; font-weight: bold;")
        elif frame.faces == 0:
            self.face.setText("✘ No face visible: sit in front of the camera, in good light")
            self.face.setStyleSheet(f"color: {FAIL_COLOR}; font-weight: bold;")
        else:
            self.face.setText(f"! {frame.faces} faces visible: only you should be in view")
            self.face.setStyleSheet(f"color: {WARN_COLOR}; font-weight: bold;")
        self.calibrate_button.setEnabled(frame.faces == 1)

    def _calibrate(self) -> None:
        self.calibrate_button.setEnabled(False)
        self._tasks.op(self, self._checks.calibrate).success(self._calibrated).run()

    def _calibrated(self, message: str) -> None:
        self.calibration.setText(message)
        self.calibrate_button.setEnabled(True)

    def stop(self) -> None:
        if self._previewing:
            self._checks.stop_preview()
            self._previewing = False

    def _start(self) -> None:
        self.stop()
        self.ready.emit()

    def _back(self) -> None:
        self.stop()
        self.back.emit()

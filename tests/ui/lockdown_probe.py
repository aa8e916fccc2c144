"""Child process of `test_lockdown_x11`: the candidate window on a real X server (xcb, openbox).

Takes the demo assessment to lockdown, watches what the sink records while lockdown settles,
then lets another application take the focus, and prints what it saw as one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication

from tests.ui.fakes import FakeChecks, FakeRunner, RecordingSink
from tests.ui.local_service import LocalCandidateService
from ui.candidate import CandidateWindow
from ui.tasks import TaskManager

# another application's window, shown and activated the way a candidate would switch to one
OTHER_APP = """
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
w = QLabel("another application")
w.resize(300, 100)
w.show()
w.raise_()
w.activateWindow()
from PySide6.QtCore import QTimer
QTimer.singleShot(4000, app.quit)
app.exec()
"""


def main() -> None:
    app = QApplication(sys.argv[:1])
    tasks = TaskManager(app)
    sink = RecordingSink()
    service = LocalCandidateService(Path(tempfile.mkdtemp()), FakeRunner())
    window = CandidateWindow(service, FakeChecks(), tasks, sink=sink)
    window.resize(1100, 750)
    window.show()

    def until(cond: Callable[[], bool], timeout: float = 20) -> bool:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                return False
            app.processEvents()
            time.sleep(0.01)
        return True

    report: dict[str, object] = {"active_before": until(window.isActiveWindow, 5)}
    window.begin()
    until(lambda: window.invite_page.field.isEnabled())
    window.open_invitation("demo")
    until(lambda: window.stack.currentWidget() is window.consent_page)
    window.consent_page.consent.setChecked(True)
    window.consent_page.continue_button.click()
    until(lambda: window.check_page.start_button.isEnabled())
    window.check_page.start_button.click()
    until(lambda: window.stack.currentWidget() is window.exam_page)
    report["locked"] = window.locked
    # the false flag came about a second in: watch well past that
    until(lambda: False, 2.5)
    report["active_after_lock"] = window.isActiveWindow()
    report["events_after_lock"] = list(sink.events)
    report["banner_after_lock"] = window.exam_page.banner.label.text()

    other = subprocess.Popen([sys.executable, "-c", OTHER_APP], env=os.environ.copy())
    report["left_recorded"] = until(lambda: ("focus", False) in sink.events, 10)
    report["banner_after_leaving"] = window.exam_page.banner.label.text()
    other.wait(10)
    print(json.dumps(report), flush=True)
    window.exam_page.stop()
    tasks.shutdown()
    os._exit(0)  # skip teardown, as scripts/screenshots.py does


if __name__ == "__main__":
    main()

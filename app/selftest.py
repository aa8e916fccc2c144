"""``ella-app --self-test``: prove a bundle (or a checkout) carries what it needs, then exit.

Loads the Qt platform plugin (a window is created and painted), the sandbox runtime (compiled or
read from the cache, then one trivial program run), and the face models (mediapipe's detector
built and run on one frame). Prints one line per part; exit status 0 only when all load.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from app import config as app_config


def _qt() -> str:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    label = QLabel("EllaAI self-test")
    label.show()
    app.processEvents()
    pixmap = label.grab()
    label.close()
    assert not pixmap.isNull()
    return f"platform {QApplication.platformName()}"


def _faces() -> str:
    import mediapipe as mp
    import numpy as np

    with mp.solutions.face_detection.FaceDetection(model_selection=1) as detector:
        detector.process(np.zeros((240, 320, 3), np.uint8))
    return "face detection model loaded"


def _sandbox(cache: Path) -> Callable[[], str]:
    def check() -> str:
        from app.interim_sandbox import InterimPythonRunner
        from ui.ports import SampleTest, Verdict

        runner = InterimPythonRunner(cache)
        report = runner.run("python", "def f():\n    return 42\n", (SampleTest("t", "f()", "42"),))
        assert report.outcomes and report.outcomes[0].verdict is Verdict.PASSED, report
        return "python runtime ran a test"

    return check


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--self-test"]
    cfg = app_config.parse(args)
    cache = cfg.cache_dir if cfg.data_dir.exists() else Path(tempfile.mkdtemp()) / "cache"
    failed = False
    for name, check in (("qt", _qt), ("faces", _faces), ("sandbox", _sandbox(cache))):
        started = time.monotonic()
        try:
            detail = check()
        except Exception as exc:  # report every part, then fail
            failed = True
            print(f"self-test {name}: FAILED {type(exc).__name__}: {exc}", flush=True)
        else:
            print(
                f"self-test {name}: ok ({detail}, {time.monotonic() - started:.1f} s)", flush=True
            )
    print("self-test: " + ("FAILED" if failed else "ok"), flush=True)
    return 1 if failed else 0

"""``ella-app --self-test``: prove a bundle (or a checkout) carries what it needs, then exit.

Loads the Qt platform plugin (a window is created and painted), the sandbox's Python and
JavaScript runtimes (compiled or read from the cache, then one trivial program each), and the face
models (mediapipe's detector built and run on one frame). Prints one line per part; exit status
0 only when all load.
"""

from __future__ import annotations

import sys
import time

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


def _sandbox() -> str:
    from app.samples import LocalSandbox
    from ui.ports import SampleTest, Verdict

    sandbox = LocalSandbox()
    try:
        ran = []
        for language, code, call in (
            ("python", "def f():\n    return 42\n", "f()"),
            ("javascript", "function f() { return 42; }", "f()"),
        ):
            report = sandbox.run(language, code, (SampleTest("t", call, "42"),))
            assert report.outcomes and report.outcomes[0].verdict is Verdict.ACCEPTED, report
            ran.append(language)
    finally:
        sandbox.close()
    return " and ".join(ran) + " runtimes ran a test"


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--self-test"]
    app_config.parse(args)  # the same options as the app; none changes what is checked
    failed = False
    for name, check in (("qt", _qt), ("faces", _faces), ("sandbox", _sandbox)):
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

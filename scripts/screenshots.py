"""Every screen as a PNG, under Xvfb, against the real server with demo data:
``python -m scripts.screenshots``.

Starts Xvfb (and openbox, for real focus behaviour) when there is no display, then runs one child
process per variant (light at 100%, dark, 125% and 150% scaling): each starts the server on a fresh
SQLite database seeded with `server.demo.seed_demo` (`scripts.demo_server`), builds the real
windows through `app.gui`, drives them like a person would (the offline screen: the server is
stopped, then started again) and saves PNGs into ``docs/screenshots/``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
SIZE = (1280, 800)

VARIANTS = (
    ("light", "1", "all"),
    ("dark", "1", "dark"),
    ("light", "1.25", "scaled"),
    ("light", "1.5", "scaled"),
)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m scripts.screenshots")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--variant", nargs=3, metavar=("THEME", "SCALE", "SET"))
    args = p.parse_args(argv)
    if args.variant:
        theme, scale, which = args.variant
        shoot(args.out, theme, float(scale), which)
        sys.stdout.flush()
        # skip interpreter teardown: PySide6 and mediapipe objects collected in arbitrary order
        # at exit have aborted the process after every PNG was written
        os._exit(0)
    args.out.mkdir(parents=True, exist_ok=True)
    with display() as env:
        for theme, scale, which in VARIANTS:
            cmd = [sys.executable, "-m", "scripts.screenshots", "--out", str(args.out),
                   "--variant", theme, scale, which]  # fmt: skip
            child_env = {**env, "QT_SCALE_FACTOR": scale, "QT_QPA_PLATFORM": "xcb"}
            subprocess.run(cmd, cwd=ROOT, env=child_env, check=True)
    print(f"screenshots in {args.out}")


class display:
    """The current display, or a private Xvfb with openbox for as long as the block runs
    (always a private one with ``private=True``: the tests of real focus behaviour)."""

    def __init__(self, *, private: bool = False) -> None:
        self.private = private

    def __enter__(self) -> dict[str, str]:
        self._procs: list[subprocess.Popen[bytes]] = []
        env = dict(os.environ)
        if env.get("DISPLAY") and not self.private:
            return env
        if shutil.which("Xvfb") is None:
            sys.exit("screenshots: no DISPLAY and no Xvfb (apt-get install -y xvfb openbox)")
        number = next(n for n in range(99, 140) if not Path(f"/tmp/.X{n}-lock").exists())
        env["DISPLAY"] = f":{number}"
        xvfb = subprocess.Popen(
            ["Xvfb", env["DISPLAY"], "-screen", "0", f"{SIZE[0]}x{SIZE[1]}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._procs.append(xvfb)
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if time.monotonic() > deadline:
                sys.exit("screenshots: Xvfb did not start")
            time.sleep(0.05)
        if shutil.which("openbox"):
            self._procs.append(
                subprocess.Popen(
                    ["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
            time.sleep(0.5)
        return env

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
            proc.wait(timeout=10)


def shoot(out: Path, theme: str, scale: float, which: str) -> None:
    """One variant, in this process (the child): build the windows, drive them, save PNGs."""
    from PySide6.QtWidgets import QWidget

    from app import config as app_config
    from app import gui
    from app.review import ServerReviewService
    from scripts.demo_server import DemoServer
    from ui.questions import CodingView, FreeTextView, MultipleChoiceView
    from ui.review import ReviewWindow
    from ui.tasks import TaskManager

    suffix = "" if (theme, scale) == ("light", 1.0) else f"-{theme}" if scale == 1.0 else (
        f"-{round(scale * 100)}"
    )  # fmt: skip
    app = gui.qt_app(theme)
    tasks = TaskManager(app)
    work = Path(tempfile.mkdtemp(prefix="ella-shots-"))
    server = DemoServer(work / "server")
    demo = server.seed()
    server.start()
    video = _face_video(work / "face.avi")
    cfg = app_config.AppConfig(
        video=video, data_dir=work / "data", theme="dark" if theme == "dark" else "light",
        server=server.url, invite=demo["invite_token"],
    )  # fmt: skip
    candidate = gui.build_candidate(cfg, tasks)
    w = candidate.window
    w.resize(*SIZE)
    w.show()

    def until(cond: Callable[[], bool], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"screenshots: waited {timeout} s")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def save(widget: QWidget, name: str) -> None:
        settle()
        path = out / f"{name}{suffix}.png"
        widget.window().grab().save(str(path))
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    w.begin()
    until(lambda: w.invite_page.field.isEnabled())
    w.invite_page.field.setText(f"{server.url}/take/invitation?token={cfg.invite}")
    if which == "all":
        save(w, "01-invitation")
    w.invite_page.open_button.click()
    until(lambda: w.stack.currentWidget() is w.consent_page)
    w.consent_page.consent.setChecked(True)
    if which in ("all", "scaled"):
        save(w, "02-consent")
    w.consent_page.continue_button.click()
    page = w.check_page
    until(lambda: page.start_button.isEnabled() and page.face.text() != "", 300)
    page.calibrate_button.click()
    until(lambda: page.calibration.text() != "")
    if which in ("all", "scaled"):
        save(w, "03-system-check")
    page.start_button.click()
    until(lambda: w.stack.currentWidget() is w.exam_page)
    exam = w.exam_page
    assert exam.attempt is not None
    titles = [q.title for q in exam.attempt.questions]

    def show(title: str) -> QWidget:
        exam.navigator.setCurrentRow(titles.index(title))
        return exam.view(titles.index(title))

    mc = show("Big-O of dict lookup")
    assert isinstance(mc, MultipleChoiceView)
    mc.buttons["a"].click()
    if which == "all":
        save(w, "04-multiple-choice")
    text = show("Designing a rate limiter")
    assert isinstance(text, FreeTextView)
    text.edit.setPlainText(
        "A token bucket per client in Redis: one key per client holding the tokens and the last "
        "refill time, refilled and taken in one atomic Lua script, so every server process sees "
        "the same budget."
    )
    if which == "all":
        save(w, "05-free-text")
    code = show("Fibonacci numbers")
    assert isinstance(code, CodingView)
    code.editor.setPlainText(
        "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
        "    return a\n"
    )
    code.run_button.click()
    until(lambda: code.run_button.isEnabled(), 300)
    code.editor.setFocus()
    save(w, "06-code-editor")
    if which != "all":
        w.close()
        candidate.close()
        server.stop()
        return
    server.stop()  # the network is gone
    code.editor.moveCursor(code.editor.textCursor().MoveOperation.End)
    code.editor.insertPlainText("\n# iterative: O(n) time, O(1) space\n")
    until(lambda: "Offline" in exam.sync.text(), 30)
    save(w, "07-offline")
    server.start()
    until(lambda: not exam.offline_banner.isVisible(), 60)
    until(lambda: exam.sync.text() == "● All changes saved", 60)
    # the 5-minute warning, as the countdown shows it: the server's clock moved 55 minutes on
    engine = candidate.service.conn.engine
    engine.stop()
    engine.clock.offset += candidate.service.seconds_remaining() - 299
    exam.tick()
    save(w, "08-five-minutes-left")
    engine.clock.offset = 0.0
    engine.start()
    exam.confirm_complete()
    settle()
    save(exam.confirm_box, "09-complete-confirmation")
    exam.confirm_box.done(int(exam.confirm_box.StandardButton.Yes))
    until(lambda: w.stack.currentWidget() is w.results_page, 60)
    save(w, "10-results")
    w.close()
    candidate.close()

    service = ServerReviewService(server.url)
    review = ReviewWindow(service, tasks)
    review.resize(*SIZE)
    review.show()
    review.login_page.email.setText(demo["recruiter_email"])
    review.login_page.password.setText(demo["recruiter_password"])
    save(review, "11-proctor-sign-in")
    review.login_page.button.click()
    until(lambda: review.list_page.model.rowCount() > 0)
    save(review, "12-proctor-sessions")
    review.list_page.table.setFocus()
    review.open_session(review.list_page.model.rows[0].session_id)
    until(lambda: review.stack.currentWidget() is review.session_page)
    sp = review.session_page
    sp.timeline.setFocus()
    sp.timeline._select(min(2, len(sp.timeline.items) - 1))
    save(review, "13-proctor-session")
    sp.tabs.setCurrentIndex(1)
    sp.note.setText("Looked away twice; the camera shows one person throughout. Cleared.")
    sp.clear_button.click()
    until(lambda: "Cleared" in sp.status.text())
    save(review, "14-proctor-reviewed")
    review.close()
    service.close()
    tasks.shutdown()
    server.stop()


def _face_video(path: Path, frames: int = 20) -> Path:
    import cv2
    from skimage import data

    astronaut: Callable[[], Any] = data.astronaut
    frame = cv2.resize(cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR), (640, 480))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 480))
    for _ in range(frames):
        writer.write(frame)
    writer.release()
    return path


if __name__ == "__main__":
    main()

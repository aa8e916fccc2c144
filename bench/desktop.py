"""Desktop app: cold start to the first window, memory with proctoring on, question-switch time.

Each measurement runs in a fresh child process (offscreen Qt) so imports and caches do not carry
over, against the real server with demo data (`scripts.demo_server`, a fresh invitation for each
child): ``python -m bench desktop`` prints the table.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scripts.demo_server import DemoServer

ROOT = Path(__file__).resolve().parent.parent


def _child(kind: str, server: str = "http://127.0.0.1:9", invite: str = "") -> dict[str, float]:
    env = {
        **os.environ, "QT_QPA_PLATFORM": "offscreen", "ELLA_BENCH_T0": repr(time.time()),
        "ELLA_BENCH_SERVER": server, "ELLA_BENCH_INVITE": invite,
    }  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "bench.desktop", "--child", kind],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    last = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    result: dict[str, float] = json.loads(last)
    return result


def _run_child(kind: str) -> None:
    from PySide6.QtWidgets import QApplication

    t0 = float(os.environ["ELLA_BENCH_T0"])
    from app import config as app_config
    from app import gui
    from ui.tasks import TaskManager

    app = gui.qt_app()
    tasks = TaskManager(app)
    work = Path(tempfile.mkdtemp(prefix="ella-bench-"))
    video = None
    if kind == "memory":
        from scripts.screenshots import _face_video

        video = _face_video(work / "face.avi", frames=300)
    server = os.environ["ELLA_BENCH_SERVER"]
    cfg = app_config.AppConfig(data_dir=work / "data", video=video, server=server)
    c = gui.build_candidate(cfg, tasks)
    c.window.resize(1200, 800)
    c.window.show()
    app.processEvents()
    if kind == "coldstart":
        print(json.dumps({"seconds": time.time() - t0}), flush=True)
        os._exit(0)
    service = c.service
    attempt = service.start(service.open_invitation(os.environ["ELLA_BENCH_INVITE"]))
    c.window._run_attempt(attempt)
    app.processEvents()
    if kind == "switch":
        # a candidate reads the first question before clicking another: the app runs for a
        # second first (the views are built in that time, `ExamPage._build_next`)
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            app.processEvents()
            time.sleep(0.01)
        times = []
        exam = c.window.exam_page
        for i in range(1, len(attempt.questions)):
            started = time.perf_counter()
            exam.navigator.setCurrentRow(i)
            exam.window().repaint()
            app.processEvents()
            times.append((time.perf_counter() - started) * 1000)
        print(json.dumps({"median_ms": statistics.median(times), "max_ms": max(times)}), flush=True)
        os._exit(0)
    import psutil

    proc = psutil.Process()
    peak = 0
    end = time.monotonic() + 30
    while time.monotonic() < end:
        QApplication.processEvents()
        peak = max(peak, proc.memory_info().rss)
        time.sleep(0.05)
    frames = service.proctor.status().frames if service.proctor else None
    analysed = float(frames.analysed) if frames is not None else -1.0
    print(json.dumps({"rss_mb": peak / 2**20, "frames": analysed}), flush=True)
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    from scripts.demo_server import DemoServer

    cold = [_child("coldstart")["seconds"] for _ in range(3)]
    with tempfile.TemporaryDirectory(prefix="ella-bench-server-") as tmp:
        server = DemoServer(Path(tmp))
        switch_invite = server.seed()["invite_token"]
        with server:
            switch = _child("switch", server.url, switch_invite)
            memory = _child("memory", server.url, _fresh_invite(server))
    rows = [
        ("cold start to first window (median of 3)", f"{statistics.median(cold):.2f} s"),
        ("memory with proctoring on (peak RSS, 30 s video)",
         f"{memory['rss_mb']:.0f} MB ({memory['frames']:.0f} frames analysed)"),
        ("click on an unanswered question to display",
         f"{switch['median_ms']:.1f} ms median, {switch['max_ms']:.1f} ms max"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"{'desktop':<{width}}  value")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def _fresh_invite(server: DemoServer) -> str:
    """seed-demo issues a new invitation once the last was spent; a second candidate is needed
    because the demo assessment allows no retakes."""
    from sync import EllaAI

    demo = server.seed()
    email, password = demo["recruiter_email"], demo["recruiter_password"]
    with EllaAI(base_url=f"{server.url}/api") as recruiter:
        recruiter.auth.login(email=email, password=password)
        candidate = recruiter.candidates.create(
            email=f"bench-{time.time_ns()}@example.com", first_name="Bench", last_name="Mark"
        )
        invitation = recruiter.candidates.invite(
            candidate["id"], assessment_id=demo["assessment_id"], message="Benchmark"
        )
    return str(invitation["inviteLink"]).split("token=", 1)[1]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _run_child(sys.argv[2])
    else:
        main()

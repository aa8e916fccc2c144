"""The composition root of the windows: builds the adapters, hands them to `ui`, runs Qt.

Seams (see the module docstrings of the adapters): the attempt is kept by `app.demo`'s local
service until `sync`'s journal, engine and SDK land; sample tests run in `app.interim_sandbox`
until `sandbox` lands; the system check's preview uses `app.checks.VisionFeed`. During a proctored
attempt the real `proctoring.Proctor` runs (`app.proctoring_link`) and its events are journaled.
The windows do not change when an adapter is swapped.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication

from app import config as app_config
from app.checks import MachineChecks, VisionFeed
from app.demo import DemoReviewService, LocalCandidateService
from app.interim_sandbox import InterimPythonRunner
from app.proctoring_link import ProctoredService, ProctorSink
from ui.candidate import CandidateWindow
from ui.review import ReviewWindow
from ui.tasks import TaskManager
from ui.theme import apply_theme

log = logging.getLogger(__name__)


def qt_app(theme: str = "light") -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("EllaAI")
    app.setOrganizationName("EllaAI")
    apply_theme(app, "dark" if theme == "dark" else "light")
    return app


def server_probe(base_url: str) -> str:
    """Reach the server's health route; raises when the network or the server is down."""
    import time

    import httpx

    started = time.monotonic()
    response = httpx.get(f"{base_url}/api/health", timeout=5)
    response.raise_for_status()
    return f"{base_url} answered in {(time.monotonic() - started) * 1000:.0f} ms."


@dataclass
class Candidate:
    window: CandidateWindow
    service: LocalCandidateService
    proctored: ProctoredService
    checks: MachineChecks
    tasks: TaskManager
    runner: InterimPythonRunner


def build_candidate(cfg: app_config.AppConfig, tasks: TaskManager) -> Candidate:
    runner = InterimPythonRunner(cfg.cache_dir)
    local = LocalCandidateService(cfg.data_dir, runner, block_paste=cfg.block_paste)
    service = ProctoredService(local, video=cfg.video, camera=cfg.camera)
    feed = VisionFeed(cfg.video if cfg.video is not None else cfg.camera)
    checks = MachineChecks(feed=feed, reach=lambda: server_probe(cfg.server), sandbox=runner)
    window = CandidateWindow(service, checks, tasks, sink=ProctorSink(service))
    return Candidate(window, local, service, checks, tasks, runner)


def candidate_main(argv: list[str]) -> int:
    cfg = app_config.parse(argv)
    logging.basicConfig(level=logging.INFO)
    app = qt_app(cfg.theme)
    tasks = TaskManager(app)
    candidate = build_candidate(cfg, tasks)
    candidate.window.resize(1200, 800)
    candidate.window.show()
    candidate.window.begin(cfg.invite)
    code = app.exec()
    tasks.shutdown()
    return code


def review_main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="ella-app review", description="Review proctored sessions")
    p.add_argument("--server", default=app_config.AppConfig.server)
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    args = p.parse_args(argv)
    app = qt_app(args.theme)
    tasks = TaskManager(app)
    window = ReviewWindow(DemoReviewService(snapshot=demo_snapshot), tasks)
    window.resize(1200, 800)
    window.show()
    code = app.exec()
    tasks.shutdown()
    return code


def demo_snapshot(_caption: str) -> bytes:
    """A JPEG for a made-up event: the astronaut (scikit-image) if installed, else a grey card."""
    import cv2
    import numpy as np

    try:
        from skimage import data

        astronaut: Callable[[], Any] = data.astronaut
        image = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2BGR)
    except ImportError:
        image = np.full((480, 640, 3), 90, np.uint8)
    image = cv2.resize(image, (320, 240))
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return bytes(buf) if ok else b""


def data_path(name: str) -> Path:
    return Path(__file__).resolve().parent / name

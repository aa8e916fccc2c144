"""The composition root of the windows: builds the adapters, hands them to `ui`, runs Qt.

The candidate window takes the attempt through `app.service` (the journal, the SDK and the sync
engine of `sync`, with the flow `app.attempt` shares with the headless runner), runs sample tests
in `sandbox` (`app.samples`) and proctors with `proctoring.Proctor`; the system check's preview
uses `app.checks.VisionFeed`. The proctor's review window reads the server through `app.review`.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from PySide6.QtWidgets import QApplication

from app import config as app_config
from app.attempt import Connection
from app.checks import MachineChecks, VisionFeed
from app.review import ServerReviewService
from app.samples import LocalSandbox
from app.service import ProctorSink, SyncedCandidateService
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
    service: SyncedCandidateService
    checks: MachineChecks
    tasks: TaskManager

    def close(self) -> None:
        self.checks.stop_preview()
        self.service.close()


def build_candidate(cfg: app_config.AppConfig, tasks: TaskManager) -> Candidate:
    sandbox = LocalSandbox()
    service = SyncedCandidateService(
        Connection.open(cfg.server, cfg.data_dir),
        cfg.server,
        sandbox,
        video=cfg.video,
        camera=cfg.camera,
        block_paste=cfg.block_paste,
    )
    feed = VisionFeed(cfg.video if cfg.video is not None else cfg.camera)
    checks = MachineChecks(feed=feed, reach=lambda: server_probe(cfg.server), sandbox=sandbox)
    window = CandidateWindow(service, checks, tasks, sink=ProctorSink(service))
    return Candidate(window, service, checks, tasks)


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
    candidate.close()
    return code


def review_main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="ella-app review", description="Review proctored sessions")
    p.add_argument("--server", default=app_config.AppConfig.server)
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    args = p.parse_args(argv)
    app = qt_app(args.theme)
    tasks = TaskManager(app)
    service = ServerReviewService(args.server.rstrip("/"))
    window = ReviewWindow(service, tasks)
    window.resize(1200, 800)
    window.show()
    code = app.exec()
    tasks.shutdown()
    service.close()
    return code

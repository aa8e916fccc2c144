from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.fakes import FakeChecks, FakeRunner, RecordingSink
from tests.ui.local_service import LocalCandidateService
from ui import errors
from ui.candidate import CandidateWindow
from ui.tasks import TaskManager


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.wait_idle()
    manager.shutdown()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runner() -> FakeRunner:
    return FakeRunner()


@pytest.fixture
def service(tmp_path: Path, runner: FakeRunner, clock: Clock) -> LocalCandidateService:
    return LocalCandidateService(tmp_path / "data", runner, clock=clock)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def checks() -> FakeChecks:
    return FakeChecks()


@pytest.fixture
def window(qtbot, service, checks, tasks, sink) -> CandidateWindow:
    w = CandidateWindow(service, checks, tasks, sink=sink)
    qtbot.addWidget(w)
    w.resize(1100, 750)
    w.show()
    errors.shown.clear()
    return w

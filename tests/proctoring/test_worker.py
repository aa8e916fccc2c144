"""Frame sources and the live worker: real threads, real detector, a few seconds of wall time."""

from __future__ import annotations

import time

import pytest

from proctoring.config import ProctoringConfig, VisionConfig
from proctoring.errors import CameraUnavailable, EnvironmentProblem, SourceUnavailable
from proctoring.session import ProctoringSession
from proctoring.sources import (
    CameraSource,
    ImageSource,
    SyntheticSource,
    VideoFileSource,
    available_cameras,
)
from proctoring.worker import AnalysisWorker


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_missing_camera_is_a_typed_condition():
    with pytest.raises(CameraUnavailable) as info:
        CameraSource(7).open()
    assert isinstance(info.value, EnvironmentProblem) and info.value.index == 7
    assert isinstance(available_cameras(max_index=1), list)  # listing never raises


def test_files_that_cannot_be_read(tmp_path):
    with pytest.raises(SourceUnavailable):
        VideoFileSource(tmp_path / "missing.avi").open()
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"not a video")
    with pytest.raises(SourceUnavailable):
        VideoFileSource(junk).open()
    with pytest.raises(SourceUnavailable):
        ImageSource(tmp_path / "missing.png")


def test_video_file_source_timestamps(scenario_video):
    source = VideoFileSource(scenario_video)
    source.open()
    first, second = source.read(), source.read()
    source.close()
    assert first is not None and second is not None
    assert first.timestamp == 0.0 and second.timestamp == pytest.approx(0.1)
    assert first.image.shape == (480, 640, 3)


def test_worker_reports_unavailable_camera():
    session = ProctoringSession("nocam")
    worker = AnalysisWorker(CameraSource(7), session, retry_s=0.1)
    worker.start()
    try:
        assert wait_for(lambda: worker.status == "source_unavailable")
    finally:
        worker.stop()
    session.close()
    unavailable = [e for e in session.events if e.type == "camera_unavailable"]
    assert unavailable[0].phase == "start" and "camera 7" in unavailable[0].data["reason"]
    assert len([e for e in unavailable if e.phase == "start"]) == 1  # retries do not repeat it


def test_worker_analyses_at_its_rate_and_skips_rather_than_queues(frames):
    config = ProctoringConfig(vision=VisionConfig(absent_after_s=0.6, absent_clear_s=0.2))
    session = ProctoringSession("live", config)
    face, empty = frames["face"], frames["empty"]
    # 30 fps source played in real time: face 1 s, nobody 1.6 s, face again.
    source = SyntheticSource(lambda t: face if t < 1.0 or t >= 2.6 else empty, fps=30, duration=4.0)
    worker = AnalysisWorker(source, session, fps=5)
    worker.start()
    try:
        assert wait_for(lambda: worker.status == "ended", timeout=15)
    finally:
        worker.stop()
    session.close()
    stats = worker.stats
    assert 10 <= stats.analysed <= 26  # ~5 fps over ~4 s, not 120
    assert stats.captured >= 100 and stats.skipped >= stats.captured - stats.analysed - 2
    absent = [e for e in session.events if e.type == "face_not_detected"]
    assert [e.phase for e in absent] == ["start", "end"]
    assert absent[1].data["duration"] == pytest.approx(1600, abs=500)

"""The real detectors on real faces: counts, head pose, and the events of a scripted video."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from proctoring.analyze import analyze_source, analyze_video
from proctoring.config import ProctoringConfig, SnapshotConfig, VisionConfig
from proctoring.events import ProctorEvent, verify_chain
from proctoring.samples import jittered
from proctoring.session import ManualClock, ProctoringSession, VisionPipeline
from proctoring.sources import Frame, SyntheticSource
from proctoring.vision import FaceAnalyzer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def analyzer():
    with FaceAnalyzer() as a:
        yield a


def test_counts_faces(analyzer, frames):
    assert analyzer.analyze(frames["face"]).face_count == 1
    assert analyzer.analyze(frames["grace"]).face_count == 1
    assert analyzer.analyze(frames["empty"]).face_count == 0
    assert analyzer.analyze(frames["cat"]).face_count == 0
    two = analyzer.analyze(frames["two"])
    assert two.face_count == 2
    assert all(80 <= f.width <= 130 for f in two.faces)  # small faces: the full-range model's job
    assert two.pose is None


def test_head_pose_frontal_and_turned(analyzer, frames):
    def pose(image):
        for _ in range(2):  # face mesh tracks: the second look is the settled one
            result = analyzer.analyze(image)
        assert result.pose is not None
        return result.pose

    frontal, turned = pose(frames["face"]), pose(frames["turned"])
    assert abs(frontal.yaw) < 10
    assert abs(turned.yaw) > 45
    assert abs(pose(frames["grace"]).yaw) < 10


def test_large_frames_are_downscaled(analyzer, frames):
    big = np.ascontiguousarray(np.kron(frames["face"], np.ones((2, 2, 1), np.uint8)))
    assert big.shape == (960, 1280, 3)
    assert analyzer.analyze(big).face_count == 1


def _above_info(result):
    return [(e.type, e.severity, e.start, e.duration_ms) for e in result.episodes]


def test_scenario_video_yields_exactly_the_expected_events(scenario_video):
    result = analyze_video(scenario_video)
    found = _above_info(result)
    assert [f[:2] for f in found] == [
        ("face_not_detected", "medium"),
        ("multiple_faces_detected", "high"),
        ("looking_away", "medium"),
    ]
    expected = [(4.0, 5000), (9.0, 3000), (12.0, 5000)]
    for (_, _, start, duration), (want_start, want_duration) in zip(found, expected, strict=True):
        assert abs(start - want_start) <= 0.4
        assert abs(duration - want_duration) <= 400
    assert verify_chain(result.events, session_id="offline") == []
    assert result.risk.level in {"medium", "high"}
    types = [e.type for e in result.events]
    assert types.count("calibration_completed") == 1
    # Every start has its end; ends are info.
    starts = [e for e in result.events if e.phase == "start"]
    ends = [e for e in result.events if e.phase == "end"]
    assert len(starts) == len(ends) == 3
    assert all(e.severity == "info" for e in ends)
    assert [e.data["faceCount"] for e in starts] == [0, 2, 1]
    assert all(0 < e.data["confidence"] <= 1 for e in starts)


def test_scenario_at_a_lower_rate(scenario_video):
    result = analyze_video(scenario_video, fps=2.5)
    assert result.frames_analysed == 53
    found = _above_info(result)
    assert [f[0] for f in found] == ["face_not_detected", "multiple_faces_detected", "looking_away"]
    for (_, _, start, duration), (want_start, want_duration) in zip(
        found, [(4.0, 5000), (9.0, 3000), (12.0, 5000)], strict=True
    ):
        assert abs(start - want_start) <= 0.5 and abs(duration - want_duration) <= 500


def test_analyze_cli_json(scenario_video):
    done = subprocess.run(
        [sys.executable, "-m", "proctoring", "analyze", str(scenario_video), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [x["type"] for x in lines] == [
        "face_not_detected",
        "multiple_faces_detected",
        "looking_away",
        "summary",
    ]
    for line in lines[:-1]:
        assert {"type", "severity", "offset", "duration"} <= set(line)
    assert lines[0]["offset"] == pytest.approx(4.0, abs=0.4)
    assert lines[0]["duration"] == pytest.approx(5000, abs=400)
    assert 0 < lines[-1]["riskScore"] <= 1


def test_analyze_cli_missing_file(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "proctoring", "analyze", str(tmp_path / "nope.avi")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2 and "no such video file" in done.stderr


@pytest.mark.slow
def test_clean_session_of_several_minutes_stays_info(frames):
    """A steady frontal face with slight natural motion: 3 simulated minutes, no sleeping."""
    face = frames["face"]
    source = SyntheticSource(lambda t: jittered(face, t), fps=5, duration=180)
    result = analyze_source(source)
    assert result.frames_analysed == 900
    assert [e for e in result.events if e.severity != "info"] == []
    assert result.risk.score == 0.0


def test_clean_minute_with_another_face(frames):
    grace = frames["grace"]
    source = SyntheticSource(lambda t: jittered(grace, t, shift_px=6), fps=5, duration=60)
    result = analyze_source(source)
    assert [e for e in result.events if e.severity != "info"] == []


def test_calibration_absorbs_a_camera_off_to_the_side(frames):
    """A candidate filmed from the side all along (the cameraman) is not looking away."""
    turned = frames["turned"]
    result = analyze_source(
        SyntheticSource(lambda t: jittered(turned, t, shift_px=4), fps=5, duration=30)
    )
    assert [e.type for e in result.events if e.severity != "info"] == []
    calibration = next(e for e in result.events if e.type == "calibration_completed")
    assert abs(calibration.data["baselineYaw"]) > 45


def test_snapshots_on_medium_and_above_only_when_allowed(frames):
    segments = [(frames["face"], 3), (frames["empty"], 5), (frames["face"], 2)]
    with_snapshots = ProctoringConfig(snapshots=SnapshotConfig(max_width=160))
    result = analyze_source(SyntheticSource.timeline(segments), config=with_snapshots)
    start = next(e for e in result.events if e.type == "face_not_detected" and e.phase == "start")
    assert start.snapshot is not None and start.snapshot[:2] == b"\xff\xd8"
    assert start.data["snapshot"]["width"] == 160
    assert all(e.snapshot is None for e in result.events if e.severity in ("info", "low"))
    assert verify_chain(result.events) == []
    assert ProctorEvent.from_dict(start.to_dict(include_snapshot=True)).snapshot == start.snapshot

    no_recording = ProctoringConfig.for_assessment({"recordVideo": False})
    result = analyze_source(SyntheticSource.timeline(segments), config=no_recording)
    assert all(e.snapshot is None and "snapshot" not in e.data for e in result.events)


def test_short_absence_is_not_an_event(frames):
    segments = [(frames["face"], 3), (frames["empty"], 2), (frames["face"], 3)]
    result = analyze_source(SyntheticSource.timeline(segments))
    assert result.episodes == []


def test_pipeline_with_synthetic_timestamps_and_recalibration(frames):
    clock = ManualClock()
    session = ProctoringSession(
        "sim", ProctoringConfig(vision=VisionConfig(calibration_frames=3)), clock=clock
    )
    pipeline = VisionPipeline(session)
    try:
        for i in range(10):
            clock.set(i * 0.2)
            pipeline.process(Frame(frames["face"], i * 0.2, i))
        pipeline.rules.recalibrate()
        for i in range(10, 20):
            clock.set(i * 0.2)
            pipeline.process(Frame(frames["turned"], i * 0.2, i))
    finally:
        pipeline.close()
    calibrations = [e for e in session.events if e.type == "calibration_completed"]
    assert len(calibrations) == 2
    assert [e.type for e in session.events if e.severity != "info"] == []

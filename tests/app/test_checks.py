from __future__ import annotations

import threading
from pathlib import Path

from app.checks import MachineChecks, VisionFeed
from tests.ui.local_service import demo_invitation
from ui.ports import CheckStatus


def checks(feed, *, reach=lambda: "ok", processes=frozenset()):
    return MachineChecks(feed=feed, reach=reach, sandbox=None, process_names=lambda: set(processes))


def run(mc, key, inv=None):
    return mc.run(key, inv or demo_invitation(), lambda _f: None)


def test_video_file_stands_in_for_the_camera_and_sees_one_face(face_video):
    feed = VisionFeed(face_video)
    mc = checks(feed)
    assert run(mc, "camera").status is CheckStatus.OK
    frames = []
    got = threading.Event()

    def on_frame(frame):
        frames.append(frame)
        if len(frames) >= 3:
            got.set()

    assert mc.start_preview(on_frame)
    try:
        assert got.wait(20)
    finally:
        mc.stop_preview()
    assert all(f is not None and f.face_visible for f in frames[:3])
    assert frames[0].width == 640 and len(frames[0].rgb) == 640 * 480 * 3
    assert "Calibrated" in mc.calibrate()


def test_no_face_in_view(empty_video):
    frames = []
    got = threading.Event()
    feed = VisionFeed(empty_video)

    def on_frame(frame):
        frames.append(frame)
        got.set()

    feed.start(on_frame)
    try:
        assert got.wait(20)
    finally:
        feed.stop()
    first = frames[0]
    assert first is not None and first.faces == 0 and not first.face_visible


def test_no_camera_is_said_plainly(tmp_path: Path):
    mc = checks(VisionFeed(tmp_path / "missing.mp4"))
    result = run(mc, "camera")
    assert result.status is CheckStatus.FAILED and result.blocks_start
    assert "No camera" in result.detail and result.fix
    assert mc.start_preview(lambda f: None) is False


def test_blocked_applications_are_named_with_guidance():
    mc = checks(None, processes={"anydesk", "bash"})
    result = run(mc, "processes")
    assert result.status is CheckStatus.FAILED
    assert "anydesk" in result.detail and "Close them" in result.fix


def test_unreachable_server_is_a_warning_not_a_blocker():
    def down():
        raise ConnectionError("connection refused")

    result = run(checks(None, reach=down), "network")
    assert result.status is CheckStatus.WARNING and not result.blocks_start


def test_unproctored_assessment_needs_none_of_it():
    planned = checks(None).planned(demo_invitation(proctoring=False))
    status = {r.key: r.status for r in planned}
    assert status["camera"] is CheckStatus.NOT_NEEDED
    assert status["displays"] is CheckStatus.NOT_NEEDED
    assert status["processes"] is CheckStatus.NOT_NEEDED
    assert status["network"] is CheckStatus.PENDING


def test_displays_counted(qapp):
    assert run(checks(None), "displays").status is CheckStatus.OK

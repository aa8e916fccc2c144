"""The facade the app holds: session + worker + process monitor + environment report."""

from __future__ import annotations

import time

from proctoring.config import ProctoringConfig, VisionConfig
from proctoring.events import ProctorEvent, verify_chain
from proctoring.monitors.virtualization import EnvironmentProbe
from proctoring.proctor import Proctor
from proctoring.sources import SyntheticSource


def test_without_a_camera_the_attempt_goes_on():
    proctor = Proctor("p1", camera=5, monitor_processes=False, probes=[])
    seen: list[ProctorEvent] = []
    proctor.subscribe(seen.append)
    proctor.start()
    deadline = time.monotonic() + 5
    while proctor.status().camera != "source_unavailable" and time.monotonic() < deadline:
        time.sleep(0.05)
    status = proctor.status()
    assert status.camera == "source_unavailable" and "camera 5" in (status.camera_error or "")
    assert status.open_conditions == ["camera"]
    proctor.session.pasted(10)
    proctor.stop()
    types = [e.type for e in seen]
    assert types[0] == "camera_unavailable" and "paste_detected" in types
    assert types[-1] == "session_ended"
    assert verify_chain(proctor.session.events, session_id="p1") == []


def test_live_synthetic_source_with_monitors(frames):
    face = frames["face"]
    config = ProctoringConfig(vision=VisionConfig(calibration_frames=3))
    proctor = Proctor(
        "p2",
        config,
        source=SyntheticSource(lambda t: face, fps=15, duration=2.0),
        probes=[EnvironmentProbe({"SSH_TTY": "/dev/pts/1"})],
    )
    proctor.start()
    proctor.recalibrate()
    deadline = time.monotonic() + 10
    while proctor.status().camera != "ended" and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = proctor.status().frames
    proctor.stop()
    assert stats is not None and stats.analysed >= 5
    events = proctor.session.events
    assert "remote_session_detected" in [e.type for e in events]
    assert [
        e for e in events if e.severity not in ("info",) and e.type != "prohibited_process_detected"
    ] == []
    assert any(e.type == "calibration_completed" for e in events)

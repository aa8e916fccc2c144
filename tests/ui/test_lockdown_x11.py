"""Lockdown on a real X server: no false `focus_lost` when it starts, a real one still counts.

The offscreen platform has no window manager, so whether the window keeps the focus when it goes
full screen and on top is only seen under X: this runs `tests.ui.lockdown_probe` in a child
process on a private Xvfb with openbox (as `scripts.screenshots` does).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.screenshots import display

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("Xvfb") is None or shutil.which("openbox") is None,
        reason="needs Xvfb and openbox for real window-manager focus (apt install xvfb openbox)",
    ),
]


def test_lockdown_starts_without_a_false_focus_loss_and_a_real_one_counts():
    with display(private=True) as env:
        env = {**env, "QT_QPA_PLATFORM": "xcb"}
        env.pop("QT_SCALE_FACTOR", None)
        done = subprocess.run(
            [sys.executable, "-m", "tests.ui.lockdown_probe"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["active_before"] and report["locked"], report
    assert report["active_after_lock"], report
    assert report["events_after_lock"] == [], report
    assert "left the assessment" not in report["banner_after_lock"], report
    assert report["left_recorded"], report
    assert "left the assessment" in report["banner_after_leaving"], report

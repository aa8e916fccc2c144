from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_self_test_of_the_checkout(tmp_path):
    data = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-m", "app", "--self-test", "--data-dir", str(data)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "self-test: ok" in out.stdout


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("ELLA_BUILD_BUNDLE"), reason="set ELLA_BUILD_BUNDLE=1")
def test_bundle_builds_and_passes_its_self_test(tmp_path):
    """Minutes: PyInstaller with mediapipe. A data file missing from the bundle fails here."""
    out = subprocess.run(
        [sys.executable, "packaging/build.py", "--dist", str(tmp_path / "dist"),
         "--work", str(tmp_path / "build"), "--self-test"],
        cwd=ROOT, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]

"""Real faces from PyPI packages, composed into frames and video files; no detector mocks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import pytest

from proctoring.samples import sample_frame, two_faces_frame
from proctoring.sources import Image


@pytest.fixture(scope="session")
def frames() -> dict[str, Image]:
    return {
        "face": sample_frame("astronaut"),
        "grace": sample_frame("grace_hopper"),
        "turned": sample_frame("cameraman"),
        "empty": sample_frame("coffee"),
        "cat": sample_frame("chelsea"),
        "two": two_faces_frame(),
    }


def write_video(path: Path, segments: Sequence[tuple[Image, float]], fps: float = 10.0) -> Path:
    """An MJPG .avi of still segments ``[(frame, seconds), ...]``."""
    height, width = segments[0][0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    try:
        for image, seconds in segments:
            for _ in range(round(seconds * fps)):
                writer.write(image)
    finally:
        writer.release()
    return path


@pytest.fixture(scope="session")
def scenario_video(tmp_path_factory: pytest.TempPathFactory, frames: dict[str, Image]) -> Path:
    """present 4 s, absent 5 s, two faces 3 s, turned away 5 s, present again 4 s (21 s)."""
    path = tmp_path_factory.mktemp("video") / "scenario.avi"
    return write_video(
        path,
        [
            (frames["face"], 4),
            (frames["empty"], 5),
            (frames["two"], 3),
            (frames["turned"], 5),
            (frames["face"], 4),
        ],
    )

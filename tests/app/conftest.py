from __future__ import annotations

from pathlib import Path

import pytest


def write_video(path: Path, image, seconds: float = 2.0, fps: int = 10) -> Path:
    import cv2

    frame = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), (640, 480))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (640, 480))
    for _ in range(int(seconds * fps)):
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="session")
def face_video(tmp_path_factory) -> Path:
    from skimage import data

    return write_video(tmp_path_factory.mktemp("video") / "face.avi", data.astronaut())


@pytest.fixture(scope="session")
def empty_video(tmp_path_factory) -> Path:
    from skimage import data

    return write_video(tmp_path_factory.mktemp("video") / "coffee.avi", data.coffee())

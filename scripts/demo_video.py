"""Write a short candidate video from sample photos: present, away, two faces, present again.

`python -m scripts.demo_video OUT.avi` — used by the headless demo run in place of a camera.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

from proctoring.samples import jittered, sample_frame, two_faces_frame

FPS = 10
# (seconds, what the camera sees)
SCRIPT = [(8.0, "face"), (4.0, "absent"), (3.0, "two"), (5.0, "face")]


def write(path: Path) -> None:
    face, absent, two = sample_frame("astronaut"), sample_frame("coffee"), two_faces_frame()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), FPS, (640, 480))
    t = 0.0
    for seconds, scene in SCRIPT:
        for _ in range(int(seconds * FPS)):
            frame = {"face": jittered(face, t), "absent": absent, "two": two}[scene]
            writer.write(frame)
            t += 1 / FPS
    writer.release()


if __name__ == "__main__":
    write(Path(sys.argv[1]))

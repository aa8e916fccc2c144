"""Frame sources behind one interface: a camera, a video file, a still image, a synthetic scene.

Every source yields `Frame` s (BGR ``uint8`` images, OpenCV's order) with a timestamp in seconds:
media time for files and synthetic scenes (so `python -m proctoring analyze` and tests run faster
than real time), ``time.monotonic()`` for a camera. `proctoring.worker.AnalysisWorker` re-stamps
frames with the session clock when it runs a source live.

`read()` returns ``None`` at the end of a stream. A camera that is missing or busy raises
`CameraUnavailable` from `open()` (or from `read()` when it stops delivering), never crashes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from proctoring.errors import CameraUnavailable, ConfigurationError, SourceUnavailable

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Frame:
    image: Image  # H x W x 3, BGR
    timestamp: float  # seconds
    index: int


class FrameSource(Protocol):
    """What the analyzer reads from. ``live``: frames arrive in real time (a camera)."""

    @property
    def live(self) -> bool: ...

    def open(self) -> None: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


class CameraSource:
    """A camera by index through OpenCV.

    ``open()`` raises `CameraUnavailable` when the device cannot be opened (none there, no
    permission) or when it opens but delivers no frame within ``warmup_reads`` tries (busy, held by
    another application on platforms that let two open it).
    """

    live = True

    def __init__(
        self,
        index: int = 0,
        *,
        width: int = 640,
        height: int = 480,
        warmup_reads: int = 5,
        backend: int = cv2.CAP_ANY,
    ) -> None:
        self.index = index
        self.width = width
        self.height = height
        self.warmup_reads = warmup_reads
        self.backend = backend
        self._capture: cv2.VideoCapture | None = None
        self._count = 0

    def open(self) -> None:
        capture = cv2.VideoCapture(self.index, self.backend)
        if not capture.isOpened():
            capture.release()
            raise CameraUnavailable(
                self.index, "cannot open it (no such camera, busy, or access refused)"
            )
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        for _ in range(max(1, self.warmup_reads)):
            ok, _ = capture.read()
            if ok:
                break
        else:
            capture.release()
            raise CameraUnavailable(self.index, "opened but delivers no frames (busy?)")
        self._capture = capture

    def read(self) -> Frame | None:
        if self._capture is None:
            raise CameraUnavailable(self.index, "not open")
        ok, image = self._capture.read()
        if not ok or image is None:
            raise CameraUnavailable(self.index, "stopped delivering frames (unplugged?)")
        self._count += 1
        return Frame(np.ascontiguousarray(image), time.monotonic(), self._count - 1)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def available_cameras(max_index: int = 4) -> list[int]:
    """Indexes that open and deliver a frame: what a system check shows."""
    found = []
    for index in range(max_index):
        source = CameraSource(index, warmup_reads=2)
        try:
            source.open()
        except CameraUnavailable:
            continue
        finally:
            source.close()
        found.append(index)
    return found


class VideoFileSource:
    """A video file; timestamps are media time (frame index / fps)."""

    live = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._capture: cv2.VideoCapture | None = None
        self.fps = 0.0
        self.frame_count = 0
        self._index = 0

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceUnavailable(f"no such video file: {self.path}")
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            capture.release()
            raise SourceUnavailable(f"cannot decode {self.path}")
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        self.fps = fps if fps > 0 else 25.0  # some containers do not say; 25 is the usual guess
        self.frame_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self._capture = capture
        self._index = 0

    def read(self) -> Frame | None:
        if self._capture is None:
            raise SourceUnavailable(f"{self.path} is not open")
        ok, image = self._capture.read()
        if not ok or image is None:
            return None
        frame = Frame(np.ascontiguousarray(image), self._index / self.fps, self._index)
        self._index += 1
        return frame

    def grab(self) -> bool:
        """Skip one frame without decoding it (cheap sub-sampling for `analyze`)."""
        if self._capture is None or not self._capture.grab():
            return False
        self._index += 1
        return True

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class SyntheticSource:
    """Frames computed from their timestamp: ``render(t) -> image`` at ``fps`` for ``duration``.

    What tests and demos use instead of a camera; time is simulated (nothing sleeps).
    """

    live = False

    def __init__(
        self, render: Callable[[float], Image], *, fps: float = 5.0, duration: float = 10.0
    ) -> None:
        if fps <= 0 or duration < 0:
            raise ConfigurationError("fps must be positive and duration not negative")
        self.render = render
        self.fps = fps
        self.duration = duration
        self._index = 0

    @classmethod
    def timeline(
        cls, segments: Sequence[tuple[Image, float]], *, fps: float = 5.0
    ) -> SyntheticSource:
        """Still images one after the other: ``[(image, seconds), ...]``."""
        bounds: list[tuple[float, Image]] = []
        total = 0.0
        for image, seconds in segments:
            total += seconds
            bounds.append((total, image))

        def render(t: float) -> Image:
            for end, image in bounds:
                if t < end:
                    return image
            return bounds[-1][1]

        return cls(render, fps=fps, duration=total)

    def open(self) -> None:
        self._index = 0

    def read(self) -> Frame | None:
        t = self._index / self.fps
        if t >= self.duration - 1e-9:
            return None
        frame = Frame(np.ascontiguousarray(self.render(t)), t, self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        pass


class ImageSource(SyntheticSource):
    """One still image repeated (a photo of a face for a demo, or a test)."""

    def __init__(self, image: Image | str | Path, *, fps: float = 5.0, duration: float = 10.0):
        if not isinstance(image, np.ndarray):
            loaded = cv2.imread(str(image), cv2.IMREAD_COLOR)
            if loaded is None:
                raise SourceUnavailable(f"cannot read image {image}")
            image = as_image(loaded)
        still: Image = image
        super().__init__(lambda _t: still, fps=fps, duration=duration)


def as_image(array: npt.NDArray[Any]) -> Image:
    """OpenCV returns loosely typed arrays; frames are ``uint8`` (no copy when they already are)."""
    return np.asarray(array, dtype=np.uint8)


def fit_frame(image: Image, width: int = 640, height: int = 480, fill: int = 0) -> Image:
    """Letterbox an image into ``width x height`` keeping its aspect (synthetic scenes, tests)."""
    scale = min(width / image.shape[1], height / image.shape[0])
    w, h = max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))
    resized = as_image(cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA))
    out = np.full((height, width, 3), fill, np.uint8)
    y, x = (height - h) // 2, (width - w) // 2
    out[y : y + h, x : x + w] = resized
    return out

"""Real face photos that ship inside PyPI packages, for tests, the benchmark and demos.

Read straight from the installed packages' data folders (found with ``importlib.util.find_spec``,
without importing them: importing scikit-image or matplotlib costs seconds the app does not
need to spend). Both are dev dependencies; `SampleMissing` says so when they are not installed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from proctoring.errors import EnvironmentProblem
from proctoring.sources import Image, as_image, fit_frame

SAMPLES = {
    "astronaut": ("skimage", "data/astronaut.png"),  # frontal face
    "cameraman": ("skimage", "data/camera.png"),  # head turned ~55-60 degrees, grayscale
    "grace_hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),  # frontal
    "coffee": ("skimage", "data/coffee.png"),  # no face
    "chelsea": ("skimage", "data/chelsea.png"),  # a cat, no face
}


class SampleMissing(EnvironmentProblem):
    """The package holding a sample image is not installed (scikit-image, matplotlib: dev)."""


def sample_path(name: str) -> Path:
    package, relative = SAMPLES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise SampleMissing(f"sample {name!r} needs the {package} package")
    path = Path(spec.origin).parent / relative
    if not path.is_file():
        raise SampleMissing(f"sample {name!r} not found at {path}")
    return path


def sample_image(name: str) -> Image:
    """The sample as a BGR ``uint8`` image (grayscale ones expanded to 3 channels)."""
    image = cv2.imread(str(sample_path(name)), cv2.IMREAD_COLOR)
    if image is None:
        raise SampleMissing(f"cannot decode sample {name!r}")
    return np.ascontiguousarray(as_image(image))


def sample_frame(name: str, width: int = 640, height: int = 480) -> Image:
    return fit_frame(sample_image(name), width, height)


def two_faces_frame(width: int = 640, height: int = 480) -> Image:
    """The astronaut and Grace Hopper side by side, faces ~95 and ~115 px wide."""
    frame = np.full((height, width, 3), 120, np.uint8)
    half = width // 2
    for index, (name, scale) in enumerate((("astronaut", 0.9), ("grace_hopper", 0.55))):
        image = sample_image(name)
        image = as_image(cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
        h, w = min(height, image.shape[0]), min(half, image.shape[1])
        frame[:h, index * half : index * half + w] = image[:h, :w]
    return frame


def jittered(image: Image, t: float, *, shift_px: float = 8.0, scale: float = 0.04) -> Image:
    """Slight natural motion: a small smooth drift, zoom and roll as functions of time."""
    height, width = image.shape[:2]
    dx = shift_px * np.sin(0.7 * t) + 0.4 * shift_px * np.sin(2.3 * t + 1.0)
    dy = 0.6 * shift_px * np.sin(0.5 * t + 2.0)
    zoom = 1.0 + scale * np.sin(0.3 * t + 0.5)
    angle = 2.0 * np.sin(0.4 * t)
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle, zoom)
    matrix: npt.NDArray[np.float64] = np.array(rotation, dtype=np.float64)
    matrix[:, 2] += (dx, dy)
    warped = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(as_image(warped))

"""Face presence, face count and head pose of one frame, with mediapipe 0.10.21's solutions.

Per frame (FACTS.md): the full-range face detector counts faces (it sees two faces ~95 px wide,
which the short-range model and face mesh miss); when there is exactly one face, face mesh runs in
tracking mode on a square crop around it (the crop keeps the face large and roughly in place, so
the mesh tracks instead of re-detecting) and six landmarks go through
``cv2.solvePnP(..., SOLVEPNP_SQPNP)`` for yaw and pitch (the iterative solver flips). Absolute
pitch carries a per-face bias: `proctoring.rules.Calibration` subtracts a per-session baseline.

A `FaceAnalyzer` is not thread-safe: one per worker thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from proctoring.config import VisionConfig
from proctoring.sources import Image, as_image

# Face mesh landmarks: nose tip, chin, left eye outer corner, right eye outer corner, mouth corners.
POSE_LANDMARKS = (1, 152, 33, 263, 61, 291)
# A generic face in millimetres, x right, y down, z away from the camera (image conventions, so
# a frontal face has pitch and yaw near 0).
FACE_MODEL = np.array(
    [
        [0.0, 0.0, 0.0],
        [0.0, 63.6, 12.5],
        [-43.3, -32.7, 26.0],
        [43.3, -32.7, 26.0],
        [-28.9, 28.9, 24.1],
        [28.9, 28.9, 24.1],
    ],
    dtype=np.float64,
)

NO_DISTORTION = np.zeros((4, 1), dtype=np.float64)


@dataclass(frozen=True)
class Face:
    x: float  # box in pixels of the analysed frame
    y: float
    width: float
    height: float
    score: float


@dataclass(frozen=True)
class HeadPose:
    yaw: float  # degrees, + the face turns to the image's right
    pitch: float  # degrees, biased per face: compare with a calibrated baseline
    roll: float


@dataclass(frozen=True)
class FaceObservation:
    """What one frame shows. ``faces``: at or above ``face_min_confidence``, best first."""

    faces: tuple[Face, ...]
    weak_score: float  # best detection below the face threshold (0 when none): informs confidence
    pose: HeadPose | None
    stage_ms: dict[str, float] = field(default_factory=dict)

    @property
    def face_count(self) -> int:
        return len(self.faces)


class FaceAnalyzer:
    """Runs the detector, face mesh and solvePnP on BGR frames."""

    def __init__(self, config: VisionConfig | None = None) -> None:
        self.config = config or VisionConfig()
        # Imported here: mediapipe pulls in jax and protobuf, seconds the importers of this
        # module (the CLI's --help, the app's start-up) should not pay before a detector exists.
        import mediapipe

        solutions: Any = mediapipe.solutions
        self._detector = solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=self.config.detector_floor
        )
        self._mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=False,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._last_pose: tuple[Face, HeadPose] | None = None
        self._since_pose = 0

    def close(self) -> None:
        self._detector.close()
        self._mesh.close()

    def __enter__(self) -> FaceAnalyzer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def analyze(self, image: Image) -> FaceObservation:
        stage: dict[str, float] = {}
        t0 = time.perf_counter()
        if image.shape[1] > self.config.max_width:
            scale = self.config.max_width / image.shape[1]
            size = (self.config.max_width, round(image.shape[0] * scale))
            image = as_image(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        rgb = as_image(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        t1 = time.perf_counter()
        stage["preprocess"] = (t1 - t0) * 1000

        height, width = rgb.shape[:2]
        result = self._detector.process(rgb)
        faces: list[Face] = []
        weak = 0.0
        for detection in result.detections or ():
            score = float(detection.score[0])
            box = detection.location_data.relative_bounding_box
            if score >= self.config.face_min_confidence:
                faces.append(
                    Face(
                        box.xmin * width,
                        box.ymin * height,
                        box.width * width,
                        box.height * height,
                        score,
                    )
                )
            else:
                weak = max(weak, score)
        faces.sort(key=lambda f: -f.score)
        t2 = time.perf_counter()
        stage["detect"] = (t2 - t1) * 1000

        pose = None
        if len(faces) == 1:
            pose = self._pose_for(rgb, faces[0], stage)
        else:
            self._last_pose = None
        return FaceObservation(tuple(faces), weak, pose, stage)

    def _pose_for(self, rgb: Image, face: Face, stage: dict[str, float]) -> HeadPose | None:
        """Face mesh on every ``pose_every``-th frame; in between, the last pose while the face
        box stays put (a head turning far enough to matter moves its box)."""
        last = self._last_pose
        if last is not None and self._since_pose + 1 < self.config.pose_every:
            previous, pose = last
            moved = abs(face.x + face.width / 2 - previous.x - previous.width / 2)
            moved += abs(face.y + face.height / 2 - previous.y - previous.height / 2)
            if moved <= self.config.pose_reuse_max_shift * previous.width:
                self._since_pose += 1
                return pose
        measured = self._head_pose(rgb, face, stage)
        self._since_pose = 0
        self._last_pose = (face, measured) if measured is not None else None
        return measured

    def _head_pose(self, rgb: Image, face: Face, stage: dict[str, float]) -> HeadPose | None:
        t0 = time.perf_counter()
        height, width = rgb.shape[:2]
        side = max(face.width, face.height) * self.config.mesh_crop_scale
        cx, cy = face.x + face.width / 2, face.y + face.height / 2
        x0, y0 = round(cx - side / 2), round(cy - side / 2)
        x1, y1 = x0 + round(side), y0 + round(side)
        if x1 <= x0 or y1 <= y0:
            return None
        # Pad rather than clamp, so the face stays centred in the crop near the frame's edges;
        # only the crop is copied, never the whole frame.
        crop = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
        sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
        if sx1 <= sx0 or sy1 <= sy0:
            return None
        crop[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
        size = self.config.mesh_input_size
        crop = np.ascontiguousarray(cv2.resize(crop, (size, size), interpolation=cv2.INTER_LINEAR))
        t1 = time.perf_counter()
        result = self._mesh.process(crop)
        t2 = time.perf_counter()
        stage["crop"] = (t1 - t0) * 1000
        stage["mesh"] = (t2 - t1) * 1000
        if not result.multi_face_landmarks:
            return None
        landmarks = result.multi_face_landmarks[0].landmark
        scale = (x1 - x0) / 1.0
        points = np.array(
            [[x0 + landmarks[i].x * scale, y0 + landmarks[i].y * scale] for i in POSE_LANDMARKS],
            dtype=np.float64,
        )
        camera = np.array(
            [[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64
        )
        ok, rotation, _ = cv2.solvePnP(
            FACE_MODEL, points, camera, NO_DISTORTION, flags=cv2.SOLVEPNP_SQPNP
        )
        stage["pose"] = (time.perf_counter() - t2) * 1000
        if not ok:
            return None
        matrix, _ = cv2.Rodrigues(rotation)
        pitch, yaw, roll = cv2.RQDecomp3x3(matrix)[0]
        return HeadPose(yaw=float(yaw), pitch=float(pitch), roll=float(roll))

"""Settings of a proctoring session: detection thresholds, hysteresis, snapshots, monitors.

Plain frozen dataclasses with defaults, built by the app from the assessment's settings
(`ProctoringConfig.for_assessment`); nothing here reads files or the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from proctoring.errors import ConfigurationError
from proctoring.events import SEVERITIES, EventType, Severity


def _default_severities() -> dict[str, Severity]:
    return {
        EventType.FACE_NOT_DETECTED: "medium",
        EventType.MULTIPLE_FACES_DETECTED: "high",
        EventType.LOOKING_AWAY: "medium",
        EventType.FOCUS_LOST: "medium",
        EventType.MULTIPLE_DISPLAYS: "medium",
        EventType.DISPLAY_COUNT_CHANGED: "info",
        EventType.CAMERA_UNAVAILABLE: "medium",
        EventType.VIRTUAL_MACHINE: "info",
        EventType.REMOTE_SESSION: "info",
    }


@dataclass(frozen=True)
class VisionConfig:
    """Face analysis: rate, detector thresholds, head-pose limits and the hysteresis of each event.

    Times are seconds of frame time, so simulated sessions (synthetic timestamps) behave like
    real ones.
    """

    fps: float = 5.0
    max_width: int = 640  # larger frames are downscaled before detection
    face_min_confidence: float = 0.5  # a detection at or above this is a face
    detector_floor: float = 0.3  # detections between floor and min only inform `confidence`
    # face_not_detected: absent this long to start, present this long to end
    absent_after_s: float = 3.0
    absent_clear_s: float = 1.0
    # multiple_faces_detected: consecutive analysed frames to start and to end
    multiple_after_frames: int = 3
    multiple_clear_frames: int = 3
    # looking_away: head turned beyond these (degrees from the calibrated baseline) this long
    yaw_limit_deg: float = 30.0
    pitch_limit_deg: float = 25.0
    away_after_s: float = 2.0
    away_clear_s: float = 1.0
    # calibration: median pose over this many single-face frames becomes the baseline
    calibration_frames: int = 10
    mesh_crop_scale: float = 2.0  # face box x this, square, is what face mesh sees
    mesh_input_size: int = 192
    # Face mesh runs on every pose_every-th single-face frame; in between the last pose is kept
    # while the face box moves less than pose_reuse_max_shift x its width (halves mesh cost).
    pose_every: int = 2
    pose_reuse_max_shift: float = 0.15

    def __post_init__(self) -> None:
        if self.fps <= 0:
            raise ConfigurationError("fps must be positive")
        if not 0 < self.detector_floor <= self.face_min_confidence <= 1:
            raise ConfigurationError("need 0 < detector_floor <= face_min_confidence <= 1")
        if self.multiple_after_frames < 1 or self.multiple_clear_frames < 1:
            raise ConfigurationError("frame counts must be at least 1")
        if self.calibration_frames < 1:
            raise ConfigurationError("calibration_frames must be at least 1")


@dataclass(frozen=True)
class SnapshotConfig:
    """Downscaled JPEG of the latest frame attached to events of ``min_severity`` or above."""

    enabled: bool = True
    min_severity: Severity = "medium"
    max_width: int = 320
    jpeg_quality: int = 70

    def __post_init__(self) -> None:
        if self.min_severity not in SEVERITIES:
            raise ConfigurationError(f"unknown severity {self.min_severity!r}")
        if not 1 <= self.jpeg_quality <= 100 or self.max_width < 16:
            raise ConfigurationError("jpeg_quality in 1..100, max_width at least 16")


@dataclass(frozen=True)
class MonitorConfig:
    """Desktop monitors: process blocklist additions/removals, poll interval, paste sizes."""

    process_poll_s: float = 5.0
    extra_blocked_processes: Mapping[str, str] = field(default_factory=dict)  # name -> category
    allowed_processes: frozenset[str] = frozenset()  # defaults the assessment tolerates
    paste_medium_chars: int = 200  # a paste this long or longer is medium, shorter is low
    focus_grace_s: float = 0.0  # focus regained within this is not an event


@dataclass(frozen=True)
class ProctoringConfig:
    vision: VisionConfig = field(default_factory=VisionConfig)
    snapshots: SnapshotConfig = field(default_factory=SnapshotConfig)
    monitors: MonitorConfig = field(default_factory=MonitorConfig)
    severities: Mapping[str, Severity] = field(default_factory=_default_severities)

    def severity_of(self, event_type: str, default: Severity = "medium") -> Severity:
        return self.severities.get(event_type, default)

    @classmethod
    def for_assessment(cls, settings: Mapping[str, Any]) -> ProctoringConfig:
        """From the spec's proctoring ``settings`` (``recordVideo``, ``detectFaceMovement``...).

        ``recordVideo: false`` turns snapshots off entirely; ``detectFaceMovement: false`` makes
        looking away unreachable; ``blockedProcesses`` (name -> category) and
        ``allowedProcesses`` adjust the blocklist.
        """
        config = cls()
        if settings.get("recordVideo") is False:
            config = replace(config, snapshots=replace(config.snapshots, enabled=False))
        if settings.get("detectFaceMovement") is False:
            vision = replace(config.vision, yaw_limit_deg=360.0, pitch_limit_deg=360.0)
            config = replace(config, vision=vision)
        blocked = settings.get("blockedProcesses")
        allowed = settings.get("allowedProcesses")
        if blocked or allowed:
            monitors = replace(
                config.monitors,
                extra_blocked_processes=dict(blocked or {}),
                allowed_processes=frozenset(str(a).lower() for a in (allowed or ())),
            )
            config = replace(config, monitors=monitors)
        return config

"""From per-frame observations to conditions that start and end: hysteresis and calibration.

Everything runs on frame time (seconds), so a simulated session behaves like a real one. A
condition starts once it has held for long enough (seconds and/or consecutive frames) and ends once
it has been clear for long enough; its duration runs from the first frame it held to the first
frame it cleared, so the clearing delay does not inflate it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Literal

from proctoring.config import VisionConfig
from proctoring.events import EventType
from proctoring.vision import FaceObservation


@dataclass(frozen=True)
class Transition:
    kind: Literal["start", "end"]
    type: str
    began: float  # frame time the condition first held
    at: float  # frame time the transition was confirmed (an end: ``began`` is when it cleared)
    data: dict[str, Any]


class Hysteresis:
    """A condition seen frame by frame, debounced on both edges."""

    def __init__(
        self,
        *,
        on_after_s: float = 0.0,
        off_after_s: float = 0.0,
        on_after_frames: int = 1,
        off_after_frames: int = 1,
    ) -> None:
        self.on_after_s = on_after_s
        self.off_after_s = off_after_s
        self.on_after_frames = on_after_frames
        self.off_after_frames = off_after_frames
        self.active = False
        self.began: float | None = None  # first frame of the current run of "held"
        self._held_frames = 0
        self._clear_since: float | None = None
        self._clear_frames = 0
        self.samples: list[float] = []  # per-frame confidences of the run, for the event

    def update(
        self, t: float, held: bool, confidence: float = 1.0
    ) -> Literal["start", "end"] | None:
        if held:
            self._clear_since, self._clear_frames = None, 0
            if self.began is None:
                self.began, self._held_frames, self.samples = t, 0, []
            self._held_frames += 1
            self.samples.append(confidence)
            if (
                not self.active
                and self._held_frames >= self.on_after_frames
                and t - self.began >= self.on_after_s
            ):
                self.active = True
                return "start"
            return None
        if not self.active:
            self.began, self._held_frames = None, 0
            return None
        if self._clear_since is None:
            self._clear_since = t
        self._clear_frames += 1
        if (
            self._clear_frames >= self.off_after_frames
            and t - self._clear_since >= self.off_after_s
        ):
            self.active = False
            self.began, self._held_frames = None, 0
            return "end"
        return None

    @property
    def clear_since(self) -> float | None:
        return self._clear_since

    @property
    def confidence(self) -> float:
        return round(statistics.fmean(self.samples), 3) if self.samples else 0.0


@dataclass
class Calibration:
    """Per-session head-pose baseline: the median pose over the first single-face frames.

    A candidate whose camera sits off to the side gets a large baseline yaw and is judged against
    it, not against zero.
    """

    frames_needed: int
    yaws: list[float] = field(default_factory=list)
    pitches: list[float] = field(default_factory=list)
    baseline: tuple[float, float] | None = None

    def add(self, yaw: float, pitch: float) -> bool:
        """Add a sample; True when this one completed the calibration."""
        if self.baseline is not None:
            return False
        self.yaws.append(yaw)
        self.pitches.append(pitch)
        if len(self.yaws) >= self.frames_needed:
            self.baseline = (statistics.median(self.yaws), statistics.median(self.pitches))
            return True
        return False

    def restart(self) -> None:
        self.yaws.clear()
        self.pitches.clear()
        self.baseline = None


class VisionRules:
    """Turns `FaceObservation` s at frame times into start/end `Transition` s."""

    def __init__(self, config: VisionConfig | None = None) -> None:
        self.config = c = config or VisionConfig()
        self.absent = Hysteresis(on_after_s=c.absent_after_s, off_after_s=c.absent_clear_s)
        self.multiple = Hysteresis(
            on_after_frames=c.multiple_after_frames, off_after_frames=c.multiple_clear_frames
        )
        self.away = Hysteresis(on_after_s=c.away_after_s, off_after_s=c.away_clear_s)
        self.calibration = Calibration(c.calibration_frames)
        self._max_faces = 0
        self._away_sum = [0.0, 0.0, 0]

    def recalibrate(self) -> None:
        """Start a new calibration (the app's "look at the screen" step)."""
        self.calibration.restart()

    def update(self, t: float, obs: FaceObservation) -> list[Transition]:
        out: list[Transition] = []
        c = self.config
        count = obs.face_count

        # Absence: confidence is how sure "no face" is (a weak detection lowers it).
        edge = self.absent.update(t, count == 0, 1.0 - obs.weak_score)
        if edge:
            out.append(self._transition(edge, EventType.FACE_NOT_DETECTED, self.absent, t, 0))

        # Several faces: confidence is the second face's detector score.
        second = obs.faces[1].score if count >= 2 else 0.0
        if count >= 2 and self.multiple.began is None:
            self._max_faces = 0
        if count >= 2:
            self._max_faces = max(self._max_faces, count)
        edge = self.multiple.update(t, count >= 2, second)
        if edge:
            out.append(
                self._transition(
                    edge, EventType.MULTIPLE_FACES_DETECTED, self.multiple, t, self._max_faces
                )
            )

        # Looking away: only judged with one face, a pose and a baseline.
        held = False
        yaw = pitch = 0.0
        if count == 1 and obs.pose is not None:
            if self.calibration.add(obs.pose.yaw, obs.pose.pitch):
                yaw0, pitch0 = self.calibration.baseline or (0.0, 0.0)
                out.append(
                    Transition(
                        "start",
                        EventType.CALIBRATION_COMPLETED,
                        t,
                        t,
                        {"baselineYaw": round(yaw0, 1), "baselinePitch": round(pitch0, 1)},
                    )
                )
            if self.calibration.baseline is not None:
                yaw = obs.pose.yaw - self.calibration.baseline[0]
                pitch = obs.pose.pitch - self.calibration.baseline[1]
                held = abs(yaw) > c.yaw_limit_deg or abs(pitch) > c.pitch_limit_deg
        if held and self.away.began is None:
            self._away_sum = [0.0, 0.0, 0]
        if held:
            self._away_sum = [
                self._away_sum[0] + yaw,
                self._away_sum[1] + pitch,
                self._away_sum[2] + 1,
            ]
        edge = self.away.update(t, held, obs.faces[0].score if count == 1 else 0.0)
        if edge:
            n = max(1, int(self._away_sum[2]))
            mean_yaw, mean_pitch = self._away_sum[0] / n, self._away_sum[1] / n
            extra: dict[str, Any] = {"yaw": round(mean_yaw, 1), "pitch": round(mean_pitch, 1)}
            if abs(mean_yaw) / c.yaw_limit_deg >= abs(mean_pitch) / c.pitch_limit_deg:
                extra["direction"] = "right" if mean_yaw > 0 else "left"
            else:
                extra["direction"] = "down" if mean_pitch > 0 else "up"
            out.append(self._transition(edge, EventType.LOOKING_AWAY, self.away, t, 1, extra))
        return out

    def _transition(
        self,
        edge: Literal["start", "end"],
        type_: str,
        state: Hysteresis,
        t: float,
        face_count: int,
        extra: dict[str, Any] | None = None,
    ) -> Transition:
        data: dict[str, Any] = {"confidence": state.confidence, "faceCount": face_count}
        data.update(extra or {})
        if edge == "start":
            began = state.began if state.began is not None else t
            return Transition("start", type_, began, t, data)
        ended = state.clear_since if state.clear_since is not None else t
        return Transition("end", type_, ended, t, data)

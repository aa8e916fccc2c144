"""Offline analysis of a video file: the events a live session would have produced, faster.

Frames are sampled at ``fps`` by their media time and analysed on the calling thread with a
simulated clock, so a 10-minute video takes seconds of CPU, not 10 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctoring.config import ProctoringConfig, SnapshotConfig
from proctoring.events import Episode, ProctorEvent, episodes
from proctoring.risk import RiskAssessment, RiskWeights, assess
from proctoring.session import ManualClock, ProctoringSession, VisionPipeline
from proctoring.sources import FrameSource, VideoFileSource


@dataclass(frozen=True)
class AnalysisResult:
    events: list[ProctorEvent]
    episodes: list[Episode]
    risk: RiskAssessment
    frames_analysed: int
    duration_s: float

    def summary(self) -> dict[str, Any]:
        return {
            "type": "summary",
            "framesAnalysed": self.frames_analysed,
            "duration": round(self.duration_s, 3),
            "episodes": len(self.episodes),
            **self.risk.to_dict(),
        }


def analyze_source(
    source: FrameSource,
    *,
    fps: float | None = None,
    config: ProctoringConfig | None = None,
    weights: RiskWeights | None = None,
    session_id: str = "offline",
) -> AnalysisResult:
    """Analyse a non-live source frame by frame at ``fps`` (default: the config's, 5)."""
    config = config or ProctoringConfig(snapshots=SnapshotConfig(enabled=False))
    rate = fps or config.vision.fps
    clock = ManualClock()
    session = ProctoringSession(session_id, config, clock=clock)
    pipeline = VisionPipeline(session)
    next_t = 0.0
    last_t = 0.0
    source.open()
    try:
        while True:
            frame = source.read()
            if frame is None:
                break
            last_t = frame.timestamp
            if frame.timestamp + 1e-6 < next_t:
                continue
            next_t += 1.0 / rate
            next_t = max(next_t, frame.timestamp)  # a gap in the file: do not burst to catch up
            clock.set(frame.timestamp)
            pipeline.process(frame)
    finally:
        source.close()
        pipeline.close()
    session.close(reason="end_of_video")
    events = session.events
    return AnalysisResult(
        events=events,
        episodes=[e for e in episodes(events, until=last_t) if e.severity != "info"],
        risk=assess(events, weights, until=last_t),
        frames_analysed=pipeline.frames,
        duration_s=last_t,
    )


def analyze_video(path: str | Path, *, fps: float | None = None, **kwargs: Any) -> AnalysisResult:
    return analyze_source(VideoFileSource(path), fps=fps, **kwargs)

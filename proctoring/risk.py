"""Risk score of a proctoring session: a transparent, configurable weighted model.

Pure standard library: the server imports this module and recomputes the score from the events it
stored; it never trusts a number the client sends (DESIGN.md).

For every episode (`proctoring.events.episodes`: a condition with its duration, or a one-off
event)::

    points = type weight x severity multiplier x duration factor
    duration factor = 1 + min(duration / duration_unit, duration_cap)      (one-off events: 1)
    score = 1 - exp(-sum(points))                                          in [0, 1), saturating
    level = "high" if score >= high_at, "medium" if score >= medium_at, else "low"

Info events weigh nothing (multiplier 0) so environment signals (a virtual machine) never raise
the score by themselves. `RiskAssessment.contributions` lists every episode's share, largest first:
the explanation a proctor reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from proctoring.events import Episode, EventType, ProctorEvent, Severity, episodes

RiskLevel = Literal["low", "medium", "high"]


def _default_type_weights() -> dict[str, float]:
    return {
        EventType.FACE_NOT_DETECTED: 0.15,
        EventType.MULTIPLE_FACES_DETECTED: 0.35,
        EventType.LOOKING_AWAY: 0.08,
        EventType.FOCUS_LOST: 0.12,
        EventType.PROHIBITED_PROCESS: 0.4,
        EventType.MULTIPLE_DISPLAYS: 0.2,
        EventType.DISPLAY_COUNT_CHANGED: 0.05,
        EventType.PASTE: 0.1,
        EventType.CAMERA_UNAVAILABLE: 0.2,
    }


def _default_severity_multipliers() -> dict[str, float]:
    return {"info": 0.0, "low": 0.5, "medium": 1.0, "high": 1.5}


@dataclass(frozen=True)
class RiskWeights:
    """The model's configuration; the defaults are a starting point, tune them per tenant."""

    type_weights: Mapping[str, float] = field(default_factory=_default_type_weights)
    default_type_weight: float = 0.1  # a type the table does not name (newer clients)
    severity_multipliers: Mapping[str, float] = field(default_factory=_default_severity_multipliers)
    duration_unit_s: float = 30.0  # each such span adds 1 to the duration factor...
    duration_cap: float = 3.0  # ...up to this much (a 10-minute absence is not 20x a 30 s one)
    medium_at: float = 0.3
    high_at: float = 0.6

    def weight_of(self, event_type: str) -> float:
        return float(self.type_weights.get(event_type, self.default_type_weight))


@dataclass(frozen=True)
class Contribution:
    """How much one episode added, and from which factors."""

    seq: int
    type: str
    severity: Severity
    offset: float
    duration_ms: int
    type_weight: float
    severity_multiplier: float
    duration_factor: float
    points: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "severity": self.severity,
            "offset": self.offset,
            "durationMs": self.duration_ms,
            "typeWeight": self.type_weight,
            "severityMultiplier": self.severity_multiplier,
            "durationFactor": round(self.duration_factor, 4),
            "points": round(self.points, 4),
        }


@dataclass(frozen=True)
class RiskAssessment:
    score: float
    level: RiskLevel
    total_points: float
    contributions: tuple[Contribution, ...]

    def by_type(self) -> dict[str, float]:
        """Points per event type, largest first."""
        totals: dict[str, float] = {}
        for c in self.contributions:
            totals[c.type] = totals.get(c.type, 0.0) + c.points
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))

    def explain(self) -> str:
        """One line per contributing type: what a proctor reads next to the score."""
        lines = [f"risk {self.score:.2f} ({self.level}) from {self.total_points:.3f} points"]
        for type_, points in self.by_type().items():
            count = sum(1 for c in self.contributions if c.type == type_)
            lines.append(f"  {type_}: {points:.3f} points from {count} event(s)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "riskScore": round(self.score, 4),
            "riskLevel": self.level,
            "totalPoints": round(self.total_points, 4),
            "byType": {k: round(v, 4) for k, v in self.by_type().items()},
            "contributions": [c.to_dict() for c in self.contributions],
        }


def level_of(score: float, weights: RiskWeights | None = None) -> RiskLevel:
    w = weights or RiskWeights()
    if score >= w.high_at:
        return "high"
    if score >= w.medium_at:
        return "medium"
    return "low"


def contribution_of(episode: Episode, weights: RiskWeights) -> Contribution:
    type_weight = weights.weight_of(episode.type)
    multiplier = float(weights.severity_multipliers.get(episode.severity, 0.0))
    # a condition that lasted (start/end pairs, or a one-off report that says how long)
    lasted = episode.data.get("phase") == "start" or episode.duration_ms > 0
    factor = 1.0
    if lasted and weights.duration_unit_s > 0:
        span = episode.duration_ms / 1000 / weights.duration_unit_s
        factor = 1.0 + min(max(span, 0.0), weights.duration_cap)
    return Contribution(
        seq=episode.start_seq,
        type=episode.type,
        severity=episode.severity,
        offset=round(episode.start, 3),
        duration_ms=episode.duration_ms,
        type_weight=type_weight,
        severity_multiplier=multiplier,
        duration_factor=factor,
        points=type_weight * multiplier * factor,
    )


def assess(
    events: Sequence[ProctorEvent],
    weights: RiskWeights | None = None,
    *,
    until: float | None = None,
) -> RiskAssessment:
    """Score a session from its events (start/end pairs are read as episodes).

    ``until``: the session's length in seconds, to bound episodes still open (see `episodes`).
    """
    w = weights or RiskWeights()
    contributions = [
        c for c in (contribution_of(e, w) for e in episodes(events, until=until)) if c.points > 0
    ]
    contributions.sort(key=lambda c: (-c.points, c.seq))
    total = sum(c.points for c in contributions)
    score = 1.0 - math.exp(-total)
    return RiskAssessment(
        score=score,
        level=level_of(score, w),
        total_points=total,
        contributions=tuple(contributions),
    )

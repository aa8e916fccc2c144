"""The proctor's `ReviewService` over the SDK: `GET /api/proctor/sessions` (highest risk first,
filtered by assessment, risk level and review status), `GET /api/proctor/sessions/{id}` (events,
risk explanation, snapshots) with the attempt's answers, and `POST .../review`.

The proctor signs in with email and password; names of candidates and assessments are read once
and kept for the window's lifetime.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any, cast

from app.service import explained
from sync.client import EllaAI
from sync.errors import AuthenticationError, EllaAIError
from ui.ports import (
    AnswerView,
    QuestionType,
    ReviewStatus,
    RiskLevel,
    SessionDetail,
    SessionFilter,
    SessionSummary,
    Snapshot,
    TimelineItem,
    UserFacingError,
)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class ServerReviewService:
    def __init__(self, server: str) -> None:
        self._server = server
        self.client = EllaAI(base_url=server)
        self._lock = threading.Lock()
        self._candidates: dict[str, str] = {}
        self._assessments: dict[str, str] = {}

    def close(self) -> None:
        self.client.close()

    def login(self, email: str, password: str) -> str:
        try:
            with explained(self._server):
                self.client.auth.login(email=email, password=password)
                me = self.client.auth.me()
        except UserFacingError as exc:
            if isinstance(exc.__cause__, AuthenticationError):
                raise UserFacingError("Wrong email or password.") from exc.__cause__
            raise
        if "proctoring:manage" not in me.get("permissions", []):
            raise UserFacingError("This account cannot review proctored sessions.")
        profile = me.get("profile") or {}
        name = " ".join(p for p in (profile.get("firstName"), profile.get("lastName")) if p)
        return name or str(me["email"])

    def assessments(self) -> list[tuple[str, str]]:
        with explained(self._server):
            rows = self.client.assessments.list(limit=100)
        with self._lock:
            self._assessments.update({str(a["id"]): str(a["title"]) for a in rows})
            return sorted(self._assessments.items(), key=lambda kv: kv[1])

    def sessions(self, query: SessionFilter) -> list[SessionSummary]:
        with explained(self._server):
            rows = self.client.proctor.list_sessions(
                assessment_id=query.assessment_id,
                risk_level=query.risk_level,
                review_status=query.review_status,
                limit=100,
            )
            summaries = [self._summary(row) for row in rows]
        return sorted(summaries, key=lambda s: s.risk_score, reverse=True)

    def session(self, session_id: str) -> SessionDetail:
        with explained(self._server):
            data = self.client.proctor.get_session(session_id)
            summary = self._summary(data)
            started = _when(str(data["startedAt"]))
            ended = _when(str(data["endedAt"])) if data.get("endedAt") else datetime.now(UTC)
            duration = max((ended - started).total_seconds(), 1.0)
            events = list(data.get("events") or [])
            snapshots = tuple(
                Snapshot(
                    (_when(str(e["timestamp"])) - started).total_seconds(),
                    _label(str(e["type"]), 0.0),
                    self.client.proctor.snapshot(str(e["snapshotUrl"])),
                )
                for e in events
                if e.get("snapshotUrl")
            )
            answers = self._answers(data.get("attemptId"))
        review = data.get("review") or {}
        return SessionDetail(
            summary,
            duration,
            _explanation(summary, data.get("risk") or {}, data.get("integrity") or {}),
            _timeline(events, started, duration),
            snapshots,
            answers,
            str(review.get("note") or ""),
        )

    def review(self, session_id: str, status: ReviewStatus, note: str) -> SessionSummary:
        if status == "pending":
            raise UserFacingError("A review clears or flags a session.")
        with explained(self._server):
            self.client.proctor.review(session_id, verdict=status, note=note or None)
            return self._summary(self.client.proctor.get_session(session_id))

    # --- names ---
    def _summary(self, row: dict[str, Any]) -> SessionSummary:
        review = row.get("review") or {}
        return SessionSummary(
            session_id=str(row["sessionId"]),
            candidate=self._candidate(str(row["candidateId"])),
            assessment_id=str(row["assessmentId"]),
            assessment=self._assessment(str(row["assessmentId"])),
            started_at=_when(str(row["startedAt"])),
            risk_score=float(row.get("riskScore") or 0.0),
            risk_level=cast(RiskLevel, row.get("riskLevel") or "low"),
            review_status=cast(ReviewStatus, review.get("status") or "pending"),
            events=int(row.get("eventCount") or 0),
        )

    def _candidate(self, candidate_id: str) -> str:
        with self._lock:
            known = self._candidates.get(candidate_id)
        if known is None:
            try:
                c = self.client.candidates.get(candidate_id)
                known = f"{c.get('firstName', '')} {c.get('lastName', '')}".strip() or c["email"]
            except EllaAIError:
                known = candidate_id
            with self._lock:
                self._candidates[candidate_id] = str(known)
        return str(known)

    def _assessment(self, assessment_id: str) -> str:
        with self._lock:
            known = self._assessments.get(assessment_id)
        if known is None:
            try:
                known = str(self.client.assessments.get(assessment_id)["title"])
            except EllaAIError:
                known = assessment_id
            with self._lock:
                self._assessments[assessment_id] = known
        return known

    def _answers(self, attempt_id: Any) -> tuple[AnswerView, ...]:
        if not attempt_id:
            return ()
        attempt = self.client.assessments.get_attempt(str(attempt_id))
        saved = {a["questionId"]: a for a in attempt.get("answers") or []}
        views = []
        for q in attempt.get("questions") or []:
            a = saved.get(q["id"])
            value = a["answer"] if a else ""
            text = ", ".join(value) if isinstance(value, list) else str(value)
            score = a.get("score") if a else None
            views.append(
                AnswerView(
                    str(q["title"]),
                    cast(QuestionType, q["type"]),
                    text or "(not answered)",
                    float(score) if score is not None else None,
                    float(q.get("points") or 0),
                )
            )
        return tuple(views)


def _label(kind: str, duration: float) -> str:
    text = kind.replace("_", " ").capitalize()
    return f"{text} for {duration:.0f} s" if duration >= 1 else text


def _timeline(
    events: list[dict[str, Any]], started: datetime, until: float
) -> tuple[TimelineItem, ...]:
    """Start and end events paired into episodes (as `proctoring.events.episodes` does)."""
    ends = {
        e["data"].get("startSeq"): e for e in events if (e.get("data") or {}).get("phase") == "end"
    }
    items = []
    for e in events:
        data = e.get("data") or {}
        if data.get("phase") == "end":
            continue
        offset = (_when(str(e["timestamp"])) - started).total_seconds()
        duration = 0.0
        if data.get("phase") == "start":
            offset = float(data.get("startOffset", offset))
            end = ends.get(e.get("seq"))
            if end is not None and "duration" in end["data"]:
                duration = float(end["data"]["duration"]) / 1000
            else:
                duration = max(until - offset, 0.0)
        kind = str(e["type"])
        label = _label(kind, duration)
        items.append(TimelineItem(offset, duration, kind, str(e["severity"]), label))
    return tuple(sorted(items, key=lambda i: i.offset))


def _explanation(
    summary: SessionSummary, risk: dict[str, Any], integrity: dict[str, Any]
) -> tuple[str, ...]:
    total = float(risk.get("totalPoints") or 0.0)
    lines = [f"Risk {summary.risk_score:.2f} ({summary.risk_level}) from {total:.2f} points."]
    by_type = sorted((risk.get("byType") or {}).items(), key=lambda kv: -float(kv[1]))
    lines += [f"{_label(kind, 0)}: +{float(points):.2f} points" for kind, points in by_type]
    if integrity and not integrity.get("chainIntact", True):
        lines.append(
            f"The event chain is not intact ({len(integrity.get('breaks') or [])} breaks): "
            "events may be missing or altered."
        )
    return tuple(lines)

"""In-memory ports for the widget tests: made-up invitations, questions and review sessions,
a network that `set_online` switches, a clock the test moves. The app's real services
(`app.service`, `app.review`) are tested against the real server in tests/e2e.

`LocalCandidateService` keeps its attempt in a JSON file so a test can reopen it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from app.service import MONITORED
from ui.ports import (
    Answer,
    AnswerView,
    Attempt,
    Choice,
    Invitation,
    Question,
    Requirements,
    Result,
    ReviewStatus,
    RunReport,
    SampleTest,
    ScoreLine,
    SessionDetail,
    SessionFilter,
    SessionSummary,
    Snapshot,
    SyncState,
    SyncStatus,
    TimelineItem,
    Unsubscribe,
    UserFacingError,
)

DEMO_TOKEN = "demo"


QUESTIONS = (
    Question(
        "question_mc1", "multiple_choice", "Big-O of binary search",
        "What is the worst-case time complexity of binary search over a sorted array of "
        "*n* elements?",
        10,
        choices=(Choice("a", "O(1)"), Choice("b", "O(log n)"), Choice("c", "O(n)"),
                 Choice("d", "O(n log n)")),
    ),
    Question(
        "question_mc2", "multiple_choice", "HTTP methods",
        "Which of these HTTP methods are **idempotent** by definition?",
        10,
        choices=(Choice("a", "GET"), Choice("b", "POST"), Choice("c", "PUT"),
                 Choice("d", "DELETE")),
        multiple=True,
    ),
    Question(
        "question_text1", "free_text", "Explain a trade-off",
        "A service caches user profiles for 10 minutes. Describe one risk of this cache and "
        "how you would reduce it.",
        20,
    ),
    Question(
        "question_code1", "coding", "Two sum",
        "Write `two_sum(nums, target)` returning the indices `[i, j]` (i < j) of the two "
        "numbers that add up to `target`. Exactly one solution exists.",
        60,
        templates={
            "python": "def two_sum(nums, target):\n    # Your implementation here\n    pass\n",
            "javascript": "function twoSum(nums, target) {\n  // Your implementation here\n}\n",
        },
        sample_tests=(
            SampleTest("example 1", "two_sum([2, 7, 11, 15], 9)", "[0, 1]"),
            SampleTest("example 2", "two_sum([3, 2, 4], 6)", "[1, 2]"),
            SampleTest("example 3", "two_sum([3, 3], 6)", "[0, 1]"),
        ),
    ),
)  # fmt: skip
CORRECT = {"question_mc1": ("b",), "question_mc2": ("a", "c", "d")}


def demo_invitation(token: str = DEMO_TOKEN, *, proctoring: bool = True) -> Invitation:
    return Invitation(
        token=token,
        company="Acme Robotics",
        assessment_id="assessment_demo",
        title="Backend Engineer Assessment",
        description="Algorithms, HTTP and a short design question. Take your time to read "
        "each question; you can move between them freely.",
        duration_minutes=45,
        question_count=len(QUESTIONS),
        rules=(
            "Work alone; no other people in the room.",
            "No other applications, websites or notes during the assessment.",
            "You may run the sample tests as often as you like.",
            "Your answers are saved on this computer as you type, even offline.",
        ),
        proctoring=proctoring,
        monitored=MONITORED if proctoring else (),
        requirements=Requirements(
            camera=proctoring,
            single_display=proctoring,
            blocked_apps=("teamviewer", "anydesk", "obs") if proctoring else (),
        ),
        show_results=True,
    )


class SampleRunner(Protocol):
    def run(self, language: str, code: str, tests: tuple[SampleTest, ...]) -> RunReport: ...


@dataclass
class _Saved:
    attempt_id: str
    token: str
    deadline_wall: float  # time.time() at which the attempt expires (the server's clock)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    current_index: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    pending: int = 0
    completed: bool = False


class LocalCandidateService:
    """The `CandidateService` port over a local file; the network is simulated."""

    def __init__(
        self,
        data_dir: Path,
        runner: SampleRunner | None = None,
        *,
        clock: Callable[[], float] = time.time,
        proctoring: bool = True,
        block_paste: bool = False,
    ) -> None:
        self._path = data_dir / "attempt.json"
        self._runner = runner
        self._clock = clock
        self._proctoring = proctoring
        self._block_paste = block_paste
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[SyncStatus], None]] = []
        self._online = True
        self._state: _Saved | None = None
        self.invitation: Invitation | None = None
        data_dir.mkdir(parents=True, exist_ok=True)

    # --- the port ---
    def open_invitation(self, token: str) -> Invitation:
        if token not in (DEMO_TOKEN, "demo-unproctored"):
            raise UserFacingError(
                "This invitation was not found. Check the link in your email, or ask the "
                "company for a new one."
            )
        return demo_invitation(token, proctoring=self._proctoring and token == DEMO_TOKEN)

    def resume(self) -> Attempt | Result | None:
        if not self._path.exists():
            return None
        raw = json.loads(self._path.read_text(encoding="utf-8"))
        saved = _Saved(**raw)
        if saved.completed:
            return None
        self._state = saved
        self.invitation = self.open_invitation(saved.token)
        return self._attempt()

    def start(self, invitation: Invitation) -> Attempt:
        self.invitation = invitation
        self._state = _Saved(
            attempt_id=f"attempt_{os.urandom(6).hex()}",
            token=invitation.token,
            deadline_wall=self._clock() + invitation.duration_minutes * 60,
        )
        self._write()
        return self._attempt()

    def save_answer(self, question_id: str, answer: Answer, *, index: int) -> None:
        state = self._require()
        with self._lock:
            state.answers[question_id] = asdict(answer)
            state.current_index = index
            state.pending += 1
            self._write()
        self._after_write()

    def record_event(self, kind: str, data: dict[str, Any]) -> None:
        if self._state is None:
            return
        with self._lock:
            self._state.events.append({"type": kind, "at": self._clock(), "data": data})
            self._state.pending += 1
            self._write()
        self._after_write()

    def run_samples(self, question_id: str, language: str, code: str) -> RunReport:
        question = next(q for q in QUESTIONS if q.id == question_id)
        if self._runner is None:
            raise UserFacingError("The local sandbox is not available in this build.")
        return self._runner.run(language, code, question.sample_tests)

    def complete(self) -> Result:
        state = self._require()
        if not self._online:
            raise UserFacingError(
                "You are offline, so the assessment cannot be submitted yet. Your answers are "
                "saved; try again when the connection is back."
            )
        lines: list[ScoreLine] = []
        for q in QUESTIONS:
            a = state.answers.get(q.id)
            score = 0.0
            if a is not None and q.id in CORRECT:
                score = float(q.points) if tuple(sorted(a["choices"])) == CORRECT[q.id] else 0.0
            elif a is not None and a["text"].strip():
                score = q.points * 0.5  # free text and code are graded later by the server
            lines.append(ScoreLine(q.title, score, q.points))
        with self._lock:
            state.completed = True
            self._write()
        total = sum(line.score for line in lines)
        top = sum(line.max_score for line in lines)
        shown = self.invitation.show_results if self.invitation else True
        return Result(shown, total, top, 100 * total / top if top else 0.0, tuple(lines))

    def seconds_remaining(self) -> float:
        if self._state is None:
            return 0.0
        return max(0.0, self._state.deadline_wall - self._clock())

    def subscribe_status(self, callback: Callable[[SyncStatus], None]) -> Unsubscribe:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def status(self) -> SyncStatus:
        pending = self._state.pending if self._state else 0
        if not self._online:
            return SyncStatus(SyncState.OFFLINE, pending)
        return SyncStatus(SyncState.SYNCING if pending else SyncState.SAVED, pending)

    # --- simulation ---
    def set_online(self, online: bool) -> None:
        self._online = online
        self._notify()
        if online:
            self._after_write()

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self._state.events) if self._state else []

    def _after_write(self) -> None:
        """Online, the outbox drains at once; offline, it waits."""
        self._notify()
        if self._online and self._state is not None and self._state.pending:
            with self._lock:
                self._state.pending = 0
                self._write()
            self._notify()

    def _notify(self) -> None:
        status = self.status()
        for callback in list(self._subscribers):
            callback(status)

    def _require(self) -> _Saved:
        if self._state is None:
            raise RuntimeError("no attempt started")
        return self._state

    def _attempt(self) -> Attempt:
        state = self._require()
        assert self.invitation is not None
        return Attempt(
            attempt_id=state.attempt_id,
            title=self.invitation.title,
            questions=QUESTIONS,
            answers={
                qid: Answer(a["text"], tuple(a["choices"]), a["language"])
                for qid, a in state.answers.items()
            },
            current_index=state.current_index,
            proctoring=self.invitation.proctoring,
            show_results=self.invitation.show_results,
            block_paste=self._block_paste,
        )

    def _write(self) -> None:
        # atomic: a kill mid-write leaves the previous version
        assert self._state is not None
        tmp = self._path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(asdict(self._state), f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(self._path)


# --- proctor review --------------------------------------------------------------------------

_T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def _session(i: int, who: str, score: float, level: str, status: str, n: int) -> SessionSummary:
    return SessionSummary(
        f"proctor_session_{i:04d}", who,
        "assessment_demo" if i % 3 else "assessment_frontend",
        "Backend Engineer Assessment" if i % 3 else "Frontend Engineer Assessment",
        _T0 + timedelta(minutes=37 * i), score, level, status, n,  # type: ignore[arg-type]
    )  # fmt: skip


class DemoReviewService:
    """The `ReviewService` port over made-up sessions (snapshots drawn by ``snapshot``)."""

    def __init__(self, snapshot: Callable[[str], bytes] | None = None) -> None:
        self._snapshot = snapshot or (lambda _caption: b"")
        self._sessions = {
            s.session_id: s
            for s in (
                _session(1, "Dana Whitfield", 0.82, "high", "pending", 14),
                _session(2, "Luis Ortega", 0.55, "medium", "pending", 7),
                _session(3, "Mei Tanaka", 0.12, "low", "cleared", 2),
                _session(4, "Sam Oyelaran", 0.31, "medium", "flagged", 5),
                _session(5, "Priya Raman", 0.05, "low", "pending", 1),
                _session(6, "Jonas Berg", 0.93, "critical", "pending", 21),
            )
        }
        self._notes: dict[str, str] = {}
        self.logged_in: str | None = None

    def login(self, email: str, password: str) -> str:
        if not email or "@" not in email or password != "proctor":
            raise UserFacingError("Wrong email or password.")
        self.logged_in = email
        return email.split("@")[0].replace(".", " ").title()

    def assessments(self) -> list[tuple[str, str]]:
        seen = {s.assessment_id: s.assessment for s in self._sessions.values()}
        return sorted(seen.items(), key=lambda kv: kv[1])

    def sessions(self, query: SessionFilter) -> list[SessionSummary]:
        rows = [
            s for s in self._sessions.values()
            if (query.assessment_id is None or s.assessment_id == query.assessment_id)
            and (query.risk_level is None or s.risk_level == query.risk_level)
            and (query.review_status is None or s.review_status == query.review_status)
        ]  # fmt: skip
        return sorted(rows, key=lambda s: s.risk_score, reverse=True)

    def session(self, session_id: str) -> SessionDetail:
        s = self._sessions[session_id]
        timeline: tuple[TimelineItem, ...] = (
            TimelineItem(120, 0, "session_started", "info", "Session started"),
            TimelineItem(410, 18, "face_not_detected", "medium", "No face for 18 s"),
            TimelineItem(905, 42, "focus_lost", "high", "Left the app for 42 s"),
            TimelineItem(1330, 0, "paste", "medium", "Pasted 412 characters into the editor"),
            TimelineItem(1720, 26, "multiple_faces_detected", "high", "2 faces for 26 s"),
            TimelineItem(2210, 9, "looking_away", "low", "Looked away for 9 s"),
        )
        if s.risk_level == "low":
            timeline = timeline[:1] + timeline[-1:]
        explanation = (
            f"Risk {s.risk_score:.2f} ({s.risk_level}): the server's score from the events.",
            "Two faces in view for 26 s: +0.35 (high severity, long)",
            "Left the assessment for 42 s: +0.25",
            "Large paste from outside (412 characters): +0.12",
            "No face for 18 s: +0.08",
        )[: 2 + min(3, s.events // 4)]
        snapshots = tuple(
            Snapshot(t.offset, t.label, self._snapshot(t.label))
            for t in timeline if t.severity in ("high", "medium")
        )  # fmt: skip
        answers = tuple(
            AnswerView(q.title, q.type, _demo_answer(q), score, q.points)
            for q, score in zip(QUESTIONS, (10.0, 10.0, None, 45.0), strict=True)
        )
        return SessionDetail(s, 2700, explanation, timeline, snapshots, answers,
                             self._notes.get(session_id, ""))  # fmt: skip

    def review(self, session_id: str, status: ReviewStatus, note: str) -> SessionSummary:
        s = replace(self._sessions[session_id], review_status=status)
        self._sessions[session_id] = s
        self._notes[session_id] = note
        return s


def _demo_answer(q: Question) -> str:
    if q.type == "multiple_choice":
        return ", ".join(c.text for c in q.choices if c.id in CORRECT.get(q.id, ()))
    if q.type == "free_text":
        return "Stale data after a profile change; invalidate on write and keep a short TTL."
    return (
        "def two_sum(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n"
        "        if target - n in seen:\n            return [seen[target - n], i]\n"
        "        seen[n] = i\n"
    )

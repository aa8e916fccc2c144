"""What the windows need from the rest of the client, as plain data and protocols.

`ui` talks to no network, camera, database or sandbox itself: `app` hands it objects that satisfy
these protocols (adapters over the SDK, the journal, the sandbox and the proctoring session) and
the windows call their blocking methods only through `ui.tasks` (off the GUI thread). Callbacks
registered here may fire on any thread; the widgets relay them to the GUI thread with a signal.

Errors: a port raises `UserFacingError` for what the person's environment causes (offline, no
camera, an expired invitation) and `ui.errors.show_error` shows its message as is; anything else
is a bug and is shown as one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

QuestionType = Literal["multiple_choice", "free_text", "coding"]
Unsubscribe = Callable[[], None]


class UserFacingError(Exception):
    """Something in the person's environment went wrong; ``str(exc)`` is a sentence for them."""


# --- candidate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Monitored:
    """One thing proctoring watches, and why: the consent screen lists them all."""

    what: str
    why: str


@dataclass(frozen=True)
class Requirements:
    """What the assessment needs from the machine; an unproctored one needs none of it."""

    camera: bool = False
    single_display: bool = False
    blocked_apps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Invitation:
    token: str
    company: str
    assessment_id: str
    title: str
    description: str
    duration_minutes: int
    question_count: int
    rules: tuple[str, ...]
    proctoring: bool
    monitored: tuple[Monitored, ...]
    requirements: Requirements
    show_results: bool


@dataclass(frozen=True)
class Choice:
    id: str
    text: str


@dataclass(frozen=True)
class SampleTest:
    name: str
    input: str | None  # an expression to evaluate, or None: the program reads ``stdin``
    expected: str
    stdin: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    title: str
    prompt: str
    points: int
    choices: tuple[Choice, ...] = ()
    multiple: bool = False
    # language -> starting code; the first language is the default
    templates: Mapping[str, str] = field(default_factory=dict)
    sample_tests: tuple[SampleTest, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.templates)


@dataclass(frozen=True)
class Answer:
    """Multiple choice: the chosen ids in ``choices``; free text and code: ``text``."""

    text: str = ""
    choices: tuple[str, ...] = ()
    language: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.choices and not self.text.strip()


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    title: str
    questions: tuple[Question, ...]
    answers: Mapping[str, Answer]
    current_index: int
    proctoring: bool
    show_results: bool
    block_paste: bool = False


class Verdict(StrEnum):
    """The sandbox's verdicts, the same the server grades with."""

    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT_EXCEEDED = "time_limit_exceeded"
    MEMORY_LIMIT_EXCEEDED = "memory_limit_exceeded"
    OUTPUT_LIMIT_EXCEEDED = "output_limit_exceeded"
    RUNTIME_ERROR = "runtime_error"
    COMPILATION_ERROR = "compilation_error"
    INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class TestOutcome:
    name: str
    verdict: Verdict
    expected: str
    actual: str
    output: str = ""
    millis: float = 0.0


@dataclass(frozen=True)
class RunReport:
    outcomes: tuple[TestOutcome, ...]
    error: str | None = None  # the program did not load (syntax error, unsupported language)

    @property
    def passed(self) -> int:
        return sum(o.verdict is Verdict.ACCEPTED for o in self.outcomes)


class SyncState(StrEnum):
    SAVED = "saved"  # in the journal and on the server
    SYNCING = "syncing"  # in the journal, being sent
    OFFLINE = "offline"  # in the journal, waiting for the network


@dataclass(frozen=True)
class SyncStatus:
    state: SyncState
    pending: int = 0


@dataclass(frozen=True)
class ScoreLine:
    title: str
    score: float
    max_score: float


@dataclass(frozen=True)
class Result:
    shown: bool  # False: the assessment does not show results to candidates
    total_score: float = 0.0
    max_score: float = 0.0
    percentage: float = 0.0
    breakdown: tuple[ScoreLine, ...] = ()
    # False: submitted on this computer, not yet on the server (offline); it is sent when the
    # connection is back, by this run of the app or the next
    sent: bool = True


class CandidateService(Protocol):
    """An attempt's life: every method but the last three blocks and runs off the GUI thread."""

    def open_invitation(self, token: str) -> Invitation: ...

    def resume(self) -> Attempt | Result | None:
        """The attempt left in progress on this machine (the app was closed or killed), or the
        outcome of one submitted before the candidate saw it (blocks while it is sent)."""
        ...

    def start(self, invitation: Invitation) -> Attempt: ...

    def save_answer(self, question_id: str, answer: Answer, *, index: int) -> None:
        """Commit to the local journal; returns once it is durable (then the outbox sends it)."""
        ...

    def run_samples(self, question_id: str, language: str, code: str) -> RunReport: ...

    def complete(self) -> Result: ...

    # non-blocking
    def seconds_remaining(self) -> float:
        """From the server's clock (kept as an offset, so it counts down offline too)."""
        ...

    def subscribe_status(self, callback: Callable[[SyncStatus], None]) -> Unsubscribe: ...

    def status(self) -> SyncStatus: ...


class LockdownSink(Protocol):
    """Where lockdown observations go (the proctoring session); non-blocking, any thread."""

    def focus_changed(self, focused: bool) -> None: ...

    def displays_changed(self, count: int) -> None: ...

    def pasted(self, chars: int, lines: int, *, blocked: bool) -> None: ...


class CheckStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    WARNING = "warning"  # works, with something the person should know
    FAILED = "failed"  # does not work; blocks the start when the check is required
    NOT_NEEDED = "not_needed"


@dataclass(frozen=True)
class CheckResult:
    key: str
    label: str
    status: CheckStatus
    detail: str = ""
    required: bool = False
    fix: str = ""  # what to do about a warning or failure

    @property
    def blocks_start(self) -> bool:
        return self.required and self.status is CheckStatus.FAILED


@dataclass(frozen=True)
class PreviewFrame:
    """One camera frame for the preview: packed RGB888 rows, and what the face detector saw."""

    width: int
    height: int
    rgb: bytes
    faces: int
    yaw: float | None = None
    pitch: float | None = None

    @property
    def face_visible(self) -> bool:
        return self.faces == 1


class SystemCheck(Protocol):
    def planned(self, invitation: Invitation) -> list[CheckResult]:
        """The checks in display order, PENDING (or NOT_NEEDED); non-blocking."""
        ...

    def run(
        self, key: str, invitation: Invitation, progress: Callable[[float], None]
    ) -> CheckResult:
        """Run one check (blocking); ``progress`` in [0, 1] for long ones (sandbox compilation)."""
        ...

    def start_preview(self, callback: Callable[[PreviewFrame | None], None]) -> bool:
        """Start sending frames (None: the source ended); False when there is no camera."""
        ...

    def stop_preview(self) -> None: ...

    def calibrate(self) -> str:
        """Record the head-pose baseline from the last frames; a sentence for the person."""
        ...


# --- proctor -----------------------------------------------------------------------------------


ReviewStatus = Literal["pending", "cleared", "flagged"]
RiskLevel = Literal["low", "medium", "high", "critical"]


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    candidate: str
    assessment_id: str
    assessment: str
    started_at: datetime
    risk_score: float  # 0..1
    risk_level: RiskLevel
    review_status: ReviewStatus
    events: int


@dataclass(frozen=True)
class SessionFilter:
    assessment_id: str | None = None
    risk_level: RiskLevel | None = None
    review_status: ReviewStatus | None = None


@dataclass(frozen=True)
class TimelineItem:
    offset: float  # seconds since the attempt started
    duration: float  # seconds; 0 for a one-off event
    type: str
    severity: str
    label: str


@dataclass(frozen=True)
class Snapshot:
    offset: float
    caption: str
    jpeg: bytes


@dataclass(frozen=True)
class AnswerView:
    question: str
    type: QuestionType
    answer: str
    score: float | None
    max_score: float


@dataclass(frozen=True)
class SessionDetail:
    summary: SessionSummary
    duration: float  # seconds
    explanation: tuple[str, ...]
    timeline: tuple[TimelineItem, ...]
    snapshots: tuple[Snapshot, ...]
    answers: tuple[AnswerView, ...]
    review_note: str = ""


class ReviewService(Protocol):
    """A proctor's view of the company's sessions; every method blocks (network)."""

    def login(self, email: str, password: str) -> str:
        """Returns the name to greet the proctor with."""
        ...

    def assessments(self) -> list[tuple[str, str]]:
        """(id, title) of the company's assessments, for the filter."""
        ...

    def sessions(self, query: SessionFilter) -> list[SessionSummary]:
        """Sorted by risk, highest first."""
        ...

    def session(self, session_id: str) -> SessionDetail: ...

    def review(self, session_id: str, status: ReviewStatus, note: str) -> SessionSummary: ...

"""The candidate window's `CandidateService` over the real client: the journal, the SDK, the sync
engine (`app.attempt`, shared with the headless runner), the local sandbox and `proctoring`.

Every answer is committed to the journal before `save_answer` returns (so "saved" never shows for
work a crash could lose); the engine pushes it in the background and its connectivity becomes
the saved/syncing/offline indicator. The countdown is the server's deadline on the server's clock
(the engine keeps the offset, so it counts down offline too). Closing or killing the app leaves
the attempt in the journal: the next start resumes it (a new proctoring session, the previous one
ended as ``app_restarted``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from app.attempt import Connection, finish, sign_in, start_attempt, start_proctoring
from app.samples import LocalSandbox
from proctoring.monitors.processes import CATEGORY_SEVERITY, DEFAULT_BLOCKLIST
from proctoring.proctor import Proctor
from sync.engine import Connectivity
from sync.errors import APIError, ConnectionFailed
from sync.journal import AttemptRecord
from ui.ports import (
    Answer,
    Attempt,
    Choice,
    Invitation,
    Monitored,
    Question,
    Requirements,
    Result,
    RunReport,
    SampleTest,
    ScoreLine,
    SyncState,
    SyncStatus,
    Unsubscribe,
    UserFacingError,
)

log = logging.getLogger(__name__)

ASSESSMENT_KEY = "assessment"  # the invitation's assessment as the candidate saw it
RESULT_SHOWN_KEY = "result_shown"  # the attempt whose outcome the candidate has seen
COMPLETE_WAIT_S = 20.0  # how long "Complete" waits for the server before saying "sent later"

MONITORED = (
    Monitored("Camera", "To check that you are the one taking the assessment, alone. Frames are "
              "analysed on this computer; only snapshots of flagged moments are uploaded."),
    Monitored("Displays", "The assessment runs on one display; connecting another is noted."),
    Monitored("Leaving the app", "Switching to another window is noted with its duration."),
    Monitored("Pasting", "The size of text pasted from outside (never its content)."),
    Monitored("Running applications", "Remote-control and screen-sharing apps must be closed."),
)  # fmt: skip
BLOCKED_APPS = tuple(
    sorted(name for name, kind in DEFAULT_BLOCKLIST.items() if CATEGORY_SEVERITY[kind] == "high")
)
RULES = (
    "Work alone; no other people in the room.",
    "No other applications, websites or notes during the assessment.",
    "You may run the sample tests as often as you like.",
    "Your answers are saved on this computer as you type, even offline.",
)


@contextmanager
def explained(server: str) -> Iterator[None]:
    """SDK errors the person's network or invitation causes, as sentences for them."""
    try:
        yield
    except ConnectionFailed as exc:
        raise UserFacingError(
            f"The EllaAI server ({server}) cannot be reached. Check your internet connection, "
            "then try again."
        ) from exc
    except APIError as exc:
        if exc.status >= 500:
            raise
        raise UserFacingError(f"The server refused: {exc.message}") from exc


class SyncedCandidateService:
    def __init__(
        self,
        conn: Connection,
        server: str,
        sandbox: LocalSandbox | None,
        *,
        video: Path | None = None,
        camera: int = 0,
        block_paste: bool = False,
    ) -> None:
        self.conn = conn
        self._server = server
        self._sandbox = sandbox
        self._video = video
        self._camera = camera
        self._block_paste = block_paste
        self._lock = threading.Lock()
        self._attempt: AttemptRecord | None = None
        self._questions: dict[str, dict[str, Any]] = {}
        self._expires: datetime | None = None
        self._position = -1
        self._languages: dict[str, str] = {}  # question -> the language of its last answer
        self.proctor: Proctor | None = None
        self._unsubscribe = conn.engine.subscribe(self._connectivity)

    # --- opening ---
    def open_invitation(self, token: str) -> Invitation:
        with explained(self._server):
            user = sign_in(self.conn, token)
            assessment = self.conn.client.assessments.get(str(user["assessmentId"]))
        self.conn.journal.set_meta(ASSESSMENT_KEY, assessment)
        settings = assessment.get("settings") or {}
        proctored = bool(settings.get("proctoringEnabled"))
        return Invitation(
            token=token,
            company=str(assessment.get("companyName") or ""),
            assessment_id=str(assessment["id"]),
            title=str(assessment["title"]),
            description=str(assessment.get("description") or ""),
            duration_minutes=int(assessment.get("timeLimit") or 0),
            question_count=int(assessment.get("questionCount") or 0),
            rules=RULES,
            proctoring=proctored,
            monitored=MONITORED if proctored else (),
            requirements=Requirements(
                camera=proctored,
                single_display=proctored,
                blocked_apps=BLOCKED_APPS if proctored else (),
            ),
            show_results=bool(settings.get("showResults", True)),
        )

    def resume(self) -> Attempt | Result | None:
        record = self.conn.journal.attempt()
        if record is None or self.conn.journal.get_meta(RESULT_SHOWN_KEY) == record.id:
            return None
        self._run(record)  # a submission still in the outbox is sent now
        if record.status == "in_progress":
            return self._to_ui(record)
        # Submitted (or finished by the server) before the candidate saw the outcome.
        return self.complete()

    def start(self, invitation: Invitation) -> Attempt:
        with explained(self._server):
            record = start_attempt(self.conn, invitation.token)
        self._run(record)
        return self._to_ui(record)

    def _run(self, record: AttemptRecord) -> None:
        with self._lock:
            self._attempt = record
            self._expires = record.expires_at
            self._questions = {q["id"]: q for q in record.body.get("questions", [])}
        engine = self.conn.engine
        engine.track(record.id)
        engine.start()
        if record.status == "in_progress" and record.body.get("proctoringEnabled"):
            self.proctor = start_proctoring(
                self.conn, record, video=self._video, camera=self._camera
            )

    # --- answering ---
    def save_answer(self, question_id: str, answer: Answer, *, index: int) -> None:
        record = self._require()
        question = self._questions[question_id]
        wire: Any = list(answer.choices) if question["type"] == "multiple_choice" else answer.text
        journal = self.conn.journal
        journal.save_answer(record, question_id, wire, language=answer.language)
        if index != self._position:
            self._position = index
            journal.set_meta(f"position:{record.id}", index)
        if answer.language is not None and self._languages.get(question_id) != answer.language:
            self._languages[question_id] = answer.language
            journal.set_meta(f"languages:{record.id}", self._languages)
        self.conn.engine.wake()

    def run_samples(self, question_id: str, language: str, code: str) -> RunReport:
        if self._sandbox is None:
            raise UserFacingError("The code runner is not available in this build.")
        q = self._questions[question_id]
        return self._sandbox.run(
            language,
            code,
            _sample_tests(q),
            time_limit_ms=int(q.get("timeLimitMs") or 5000),
            memory_limit_mb=int(q.get("memoryLimitMb") or 128),
        )

    def complete(self) -> Result:
        record = self._require()
        with self._lock:
            proctor, self.proctor = self.proctor, None
        journal = self.conn.journal
        current = journal.attempt(record.id)
        if current is not None and current.status == "in_progress":
            finish(self.conn, record, proctor)
        elif proctor is not None:
            proctor.stop()
        if not self.conn.engine.flush(COMPLETE_WAIT_S):
            return Result(shown=False, sent=False)
        with explained(self._server):
            data = self.conn.client.assessments.get_attempt_result(record.id)
        journal.set_attempt_status(record.id, "completed", None)
        journal.set_meta(RESULT_SHOWN_KEY, record.id)
        return self._result(data)

    def _result(self, data: dict[str, Any]) -> Result:
        total = data.get("totalScore")
        if data.get("resultsHidden") or total is None:
            return Result(shown=False)
        breakdown = data.get("breakdown") or {}
        lines = tuple(
            ScoreLine(str(q["title"]), float(item.get("score") or 0), float(item["maxScore"]))
            for qid, q in self._questions.items()
            if (item := breakdown.get(qid)) is not None
        )
        return Result(
            shown=True,
            total_score=float(total),
            max_score=float(data.get("maxScore") or 0),
            percentage=float(data.get("percentage") or 0),
            breakdown=lines,
        )

    # --- non-blocking ---
    def seconds_remaining(self) -> float:
        expires = self._expires
        return self.conn.engine.clock.remaining(expires) if expires is not None else 0.0

    def subscribe_status(self, callback: Callable[[SyncStatus], None]) -> Unsubscribe:
        return self.conn.engine.subscribe(lambda state: callback(_status(state)))

    def status(self) -> SyncStatus:
        return _status(self.conn.engine.state)

    def _connectivity(self, state: Connectivity) -> None:
        """On the engine's thread, after each exchange: the server may have moved the deadline."""
        record = self._attempt
        if state.status == "online" and record is not None:
            fresh = self.conn.journal.attempt(record.id)
            if fresh is not None:
                self._expires = fresh.expires_at

    # --- lifetime ---
    def close(self) -> None:
        """The app closes: proctoring stops (the next start opens a new session), the engine
        stops; what it did not send stays in the journal."""
        with self._lock:
            proctor, self.proctor = self.proctor, None
        if proctor is not None:
            proctor.stop("app_closed")
        self._unsubscribe()
        self.conn.close()
        if self._sandbox is not None:
            self._sandbox.close()

    def _require(self) -> AttemptRecord:
        if self._attempt is None:
            raise RuntimeError("no attempt started")
        return self._attempt

    def _to_ui(self, record: AttemptRecord) -> Attempt:
        latest: dict[str, Any] = {}
        for saved in self.conn.journal.answers(record.id):
            latest[saved["questionId"]] = saved["answer"]
        languages = self.conn.journal.get_meta(f"languages:{record.id}") or {}
        self._languages = dict(languages)
        questions = tuple(_question(q) for q in self._questions.values())
        answers = {qid: _answer(value, languages.get(qid)) for qid, value in latest.items()}
        stored = self.conn.journal.get_meta(f"position:{record.id}")
        self._position = int(stored) if isinstance(stored, int) else 0
        assessment = self.conn.journal.get_meta(ASSESSMENT_KEY) or {}
        settings = assessment.get("settings") or {}
        return Attempt(
            attempt_id=record.id,
            title=str(assessment.get("title") or "Assessment"),
            questions=questions,
            answers=answers,
            current_index=self._position,
            proctoring=bool(record.body.get("proctoringEnabled")),
            show_results=bool(settings.get("showResults", True)),
            block_paste=self._block_paste,
        )


def _status(state: Connectivity) -> SyncStatus:
    if state.status == "offline":
        return SyncStatus(SyncState.OFFLINE, state.pending)
    if state.pending or state.status == "syncing":
        return SyncStatus(SyncState.SYNCING, state.pending)
    return SyncStatus(SyncState.SAVED, 0)


def _sample_tests(q: dict[str, Any]) -> tuple[SampleTest, ...]:
    tests = []
    for i, t in enumerate(q.get("sampleTests") or [], 1):
        name = t.get("input") or f"example {i} (input on stdin)"
        tests.append(SampleTest(name, t.get("input"), str(t["expectedOutput"]), t.get("stdin")))
    return tuple(tests)


def _question(q: dict[str, Any]) -> Question:
    templates = dict(q.get("templates") or {})
    for language in q.get("languages") or []:
        templates.setdefault(language, q.get("template") or "")
    return Question(
        id=str(q["id"]),
        type=q["type"],
        title=str(q["title"]),
        prompt=str(q.get("description") or ""),
        points=round(float(q.get("points") or 0)),
        choices=tuple(Choice(str(o["id"]), str(o["text"])) for o in q.get("options") or []),
        multiple=bool(q.get("multipleAnswers")),
        templates=templates,
        sample_tests=_sample_tests(q),
    )


def _answer(value: Any, language: str | None) -> Answer:
    if isinstance(value, list):
        return Answer(choices=tuple(str(v) for v in value))
    return Answer(text=str(value), language=language)


class ProctorSink:
    """The window's `LockdownSink`: focus, display and paste observations into the running
    proctoring session (none while no proctored attempt runs)."""

    def __init__(self, service: SyncedCandidateService) -> None:
        self._service = service

    def focus_changed(self, focused: bool) -> None:
        if (p := self._service.proctor) is not None:
            p.session.focus_changed(focused)

    def displays_changed(self, count: int) -> None:
        if (p := self._service.proctor) is not None:
            p.session.displays_changed(count)

    def pasted(self, chars: int, lines: int, *, blocked: bool) -> None:
        if (p := self._service.proctor) is not None:
            p.session.pasted(chars, lines=lines, target="editor (blocked)" if blocked else "editor")

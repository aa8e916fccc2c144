"""The assessment itself: navigator, countdown, question views, autosave, completion.

Every edit restarts a short debounce; when it fires the answer goes to the journal on the single
writer lane (`Lane.WRITE`), so answers are durable in the order they were typed and the GUI
thread never waits. Moving to another question or completing flushes at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ui.errors import show_error
from ui.ports import (
    Answer,
    Attempt,
    CandidateService,
    LockdownSink,
    Result,
    SyncState,
    SyncStatus,
)
from ui.questions import CodingView, QuestionView, view_for
from ui.tasks import Lane, TaskManager
from ui.theme import FAIL_COLOR, WARN_COLOR
from ui.widgets import Banner, Relay, SyncIndicator, heading

AUTOSAVE_MS = 400
WARNINGS = ((300, "5 minutes left."), (60, "1 minute left: your answers are saved as you type."))


def format_remaining(seconds: float) -> str:
    s = max(0, int(seconds + 0.999))  # show 0:00 only when time is really up
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class ExamPage(QWidget):
    completed = Signal(object)  # Result
    question_shown = Signal(int)  # index, once the view is on screen (the bench measures it)

    def __init__(
        self,
        service: CandidateService,
        tasks: TaskManager,
        sink: LockdownSink | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._tasks = tasks
        self._sink = sink
        self.attempt: Attempt | None = None
        self.answers: dict[str, Answer] = {}
        self._views: dict[int, QuestionView] = {}
        self._dirty: set[str] = set()
        self._saving = 0
        self._warned: set[int] = set()
        self._completing = False
        self._unsubscribe: list[Callable[[], None]] = []

        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = heading("", 2)
        top.addWidget(self.title, 1)
        self.sync = SyncIndicator()
        top.addWidget(self.sync)
        top.addSpacing(16)
        self.clock = QLabel("--:--")
        self.clock.setAccessibleName("Time remaining")
        font = self.clock.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.clock.setFont(font)
        top.addWidget(self.clock)
        outer.addLayout(top)
        self.offline_banner = Banner(closable=False)
        self.offline_banner.setAccessibleName("Offline")
        outer.addWidget(self.offline_banner)
        self.banner = Banner()
        outer.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Horizontal)
        nav_box = QWidget()
        nav_layout = QVBoxLayout(nav_box)
        nav_layout.setContentsMargins(0, 0, 0, 0)
        nav_label = QLabel("&Questions")
        nav_layout.addWidget(nav_label)
        self.navigator = QListWidget()
        self.navigator.setAccessibleName("Questions")
        nav_label.setBuddy(self.navigator)
        self.navigator.currentRowChanged.connect(self.show_question)
        nav_layout.addWidget(self.navigator, 1)
        self.progress = QLabel("")
        self.progress.setAccessibleName("Answered questions")
        nav_layout.addWidget(self.progress)
        split.addWidget(nav_box)
        self.stack = QStackedWidget()
        split.addWidget(self.stack)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([240, 960])
        outer.addWidget(split, 1)

        bottom = QHBoxLayout()
        self.prev_button = QPushButton("◀ &Previous")
        self.prev_button.setAccessibleName("Previous question")
        self.prev_button.clicked.connect(lambda: self._step(-1))
        self.next_button = QPushButton("&Next ▶")
        self.next_button.setAccessibleName("Next question")
        self.next_button.clicked.connect(lambda: self._step(1))
        self.complete_button = QPushButton("&Complete assessment…")
        self.complete_button.clicked.connect(self.confirm_complete)
        bottom.addWidget(self.prev_button)
        bottom.addWidget(self.next_button)
        bottom.addStretch(1)
        bottom.addWidget(self.complete_button)
        outer.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, lambda: self._step(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, lambda: self._step(-1))

        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.flush)
        self._ticker = QTimer(self)
        self._ticker.setInterval(250)
        self._ticker.timeout.connect(self.tick)
        self._status_relay = Relay(self._on_status, self)
        # builds the other questions' views while the candidate reads the first, one per turn of
        # the event loop, so switching only shows a view that already exists
        self._prebuild = QTimer(self)
        self._prebuild.setSingleShot(True)
        self._prebuild.setInterval(0)
        self._prebuild.timeout.connect(self._build_next)

    # --- loading ---
    def load(self, attempt: Attempt) -> None:
        self.attempt = attempt
        self.answers = dict(attempt.answers)
        self.title.setText(attempt.title)
        self.navigator.clear()
        for i, _q in enumerate(attempt.questions):
            item = QListWidgetItem()
            self.navigator.addItem(item)
            self._mark(i)
        self._refresh_progress()
        self._unsubscribe.append(self._service.subscribe_status(self._status_relay))
        self._on_status(self._service.status())
        self.navigator.setCurrentRow(min(attempt.current_index, len(attempt.questions) - 1))
        self._ticker.start()
        self.tick()
        self._prebuild.start()

    def _mark(self, index: int) -> None:
        assert self.attempt is not None
        q = self.attempt.questions[index]
        a = self.answers.get(q.id)
        answered = a is not None and not a.is_empty
        item = self.navigator.item(index)
        item.setText(f"{'✔' if answered else '○'}  {index + 1}. {q.title}")
        state = "answered" if answered else "not answered"
        item.setData(
            Qt.ItemDataRole.AccessibleTextRole, f"Question {index + 1}, {q.title}, {state}"
        )
        item.setToolTip(state)

    def _refresh_progress(self) -> None:
        assert self.attempt is not None
        done = sum(
            1 for q in self.attempt.questions
            if (a := self.answers.get(q.id)) is not None and not a.is_empty
        )  # fmt: skip
        self.progress.setText(f"{done} of {len(self.attempt.questions)} answered")

    # --- navigation ---
    def current_index(self) -> int:
        return self.navigator.currentRow()

    def view(self, index: int) -> QuestionView:
        """The view of a question, built the first time it is shown."""
        assert self.attempt is not None
        view = self._views.get(index)
        if view is None:
            q = self.attempt.questions[index]
            view = view_for(q, index)
            if q.id in self.answers:
                view.set_answer(self.answers[q.id])
            view.set_block_paste(self.attempt.block_paste)
            view.changed.connect(lambda i=index: self._edited(i))
            view.pasted.connect(self._pasted)
            if isinstance(view, CodingView):
                view.run_requested.connect(
                    lambda lang, code, v=view: self._run_samples(v, lang, code)
                )
            self._views[index] = view
            self.stack.addWidget(view)
        return view

    def _build_next(self) -> None:
        if self.attempt is None:
            return
        missing = [i for i in range(len(self.attempt.questions)) if i not in self._views]
        if missing:
            view = self.view(missing[0])
            # style and layout now, not when the view is first shown
            view.ensurePolished()
            view.adjustSize()
            if len(missing) > 1:
                self._prebuild.start()

    def show_question(self, index: int) -> None:
        if self.attempt is None or not 0 <= index < len(self.attempt.questions):
            return
        self.flush()
        view = self.view(index)
        self.stack.setCurrentWidget(view)
        self.prev_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self.attempt.questions) - 1)
        if self.navigator.currentRow() != index:
            self.navigator.setCurrentRow(index)
        self.question_shown.emit(index)

    def _step(self, delta: int) -> None:
        self.show_question(self.current_index() + delta)
        view = self.stack.currentWidget()
        if view is not None:
            view.setFocus()

    # --- autosave ---
    def _edited(self, index: int) -> None:
        assert self.attempt is not None
        q = self.attempt.questions[index]
        self.answers[q.id] = self._views[index].answer()
        self._dirty.add(q.id)
        self._mark(index)
        self._refresh_progress()
        self.sync.set_saving(True)
        self._autosave.start()

    def flush(self) -> None:
        """Send every unsaved answer to the journal now (in typing order, on the writer lane)."""
        self._autosave.stop()
        if self.attempt is None or not self._dirty:
            return
        index = max(self.current_index(), 0)
        for qid in sorted(self._dirty):
            answer = self.answers[qid]
            self._saving += 1
            save = partial(self._service.save_answer, qid, answer, index=index)
            op = self._tasks.op(self, save, lane=Lane.WRITE)
            op.success(self._saved).failure(self._save_failed).run()
        self._dirty.clear()

    def _saved(self, _: object) -> None:
        self._saving -= 1
        if not self._saving:
            self.sync.set_saving(False)

    def _save_failed(self, exc: BaseException) -> None:
        self._saved(None)
        self.banner.show_message(f"Could not save on this computer: {exc}", "error")

    def _on_status(self, status: object) -> None:
        assert isinstance(status, SyncStatus)
        self.sync.set_status(status)
        if status.state is SyncState.OFFLINE:
            self.offline_banner.show_message(
                "You are offline. Keep working: every answer is saved on this computer and "
                "will be sent when the connection is back. The timer keeps running.", "error"
            )  # fmt: skip
        else:
            self.offline_banner.hide()

    # --- lockdown observations ---
    def _pasted(self, chars: int, lines: int, blocked: bool) -> None:
        if self._sink is not None:
            self._sink.pasted(chars, lines, blocked=blocked)
        if blocked:
            self.banner.show_message(
                "Pasting from outside the assessment is not allowed here; it was not inserted."
            )
        elif self.attempt is not None and self.attempt.proctoring:
            self.banner.show_message(
                f"Pasted text from outside the assessment ({chars} characters) was noted.", "info"
            )

    # --- sample tests ---
    def _run_samples(self, view: CodingView, language: str, code: str) -> None:
        qid = view.question.id
        self._tasks.op(
            view, lambda: self._service.run_samples(qid, language, code), lane=Lane.CPU
        ).success(view.show_report).failure(lambda exc: view.run_failed(str(exc))).run()

    # --- time ---
    def tick(self) -> None:
        remaining = self._service.seconds_remaining()
        self.clock.setText(format_remaining(remaining))
        for limit, message in WARNINGS:
            if remaining <= limit and limit not in self._warned and remaining > 0:
                self._warned.add(limit)
                self.banner.show_message(message)
        colour = FAIL_COLOR if remaining <= 60 else WARN_COLOR if remaining <= 300 else ""
        self.clock.setStyleSheet(f"color: {colour};" if colour else "")
        if remaining <= 0 and not self._completing:
            self.banner.show_message("Time is up: submitting your answers.", "info")
            self.complete()

    # --- completion ---
    def unanswered(self) -> list[int]:
        assert self.attempt is not None
        return [
            i for i, q in enumerate(self.attempt.questions)
            if (a := self.answers.get(q.id)) is None or a.is_empty
        ]  # fmt: skip

    def confirm_complete(self) -> None:
        missing = self.unanswered()
        box = QMessageBox(self)
        box.setWindowTitle("Complete the assessment?")
        box.setIcon(QMessageBox.Icon.Question)
        text = "You cannot change your answers after completing."
        if missing:
            nums = ", ".join(str(i + 1) for i in missing)
            text = f"{len(missing)} question(s) are not answered ({nums}).\n\n" + text
        box.setText(text)
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("&Complete")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(
            lambda code: self.complete() if code == QMessageBox.StandardButton.Yes else None
        )
        self.confirm_box = box
        box.open()

    def complete(self) -> None:
        if self._completing:
            return
        self._completing = True
        self.flush()
        self.complete_button.setEnabled(False)
        self.complete_button.setText("Submitting…")
        # the writer lane runs in order, so completion follows the last save
        self._tasks.op(self, self._service.complete, lane=Lane.WRITE).success(self._done).failure(
            self._complete_failed
        ).run()

    def _done(self, result: Result) -> None:
        self.stop()
        self.completed.emit(result)

    def _complete_failed(self, exc: BaseException) -> None:
        self._completing = False
        self.complete_button.setEnabled(True)
        self.complete_button.setText("&Complete assessment…")
        show_error(self, exc)

    def stop(self) -> None:
        self._ticker.stop()
        self._prebuild.stop()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()

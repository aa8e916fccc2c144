"""The candidate's window: invitation -> consent -> system check -> assessment -> results.

While a proctored assessment runs the window is in lockdown: full screen, on top, and leaving it
or changing the displays goes to the `LockdownSink` and shows a warning to the candidate.
An attempt left in progress (the app closed or killed) resumes where it was on the next start.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QGuiApplication, QScreen
from PySide6.QtWidgets import QMainWindow, QStackedWidget, QWidget

from ui.exam import ExamPage
from ui.invite import ConsentPage, InvitePage
from ui.ports import (
    Attempt,
    CandidateService,
    Invitation,
    LockdownSink,
    Result,
    SyncState,
    SyncStatus,
    SystemCheck,
    Unsubscribe,
)
from ui.results import ResultsPage
from ui.syscheck import SystemCheckPage
from ui.tasks import Lane, TaskManager
from ui.widgets import Relay

# how long a window that is not active when lockdown starts has to become active before the
# candidate counts as having left
ARM_GRACE_MS = 3_000


class CandidateWindow(QMainWindow):
    def __init__(
        self,
        service: CandidateService,
        checks: SystemCheck,
        tasks: TaskManager,
        sink: LockdownSink | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("EllaAI Assessment")
        self.service = service
        self.tasks = tasks
        self.sink = sink
        self.invitation: Invitation | None = None
        self.locked = False
        self._focused = True
        # under lockdown: whether focus changes count yet (see `lock`)
        self._watching = False
        self._arm_timer = QTimer(self, singleShot=True, interval=ARM_GRACE_MS)
        self._arm_timer.timeout.connect(self._arm)
        # while a submission waits for the network: the result is fetched once it is sent
        self._unsent_watch: Unsubscribe | None = None
        self._sent_relay = Relay(self._on_status_after_submit, self)

        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.invite_page = InvitePage()
        self.consent_page = ConsentPage()
        self.check_page = SystemCheckPage(checks, tasks)
        self.exam_page = ExamPage(service, tasks, sink)
        self.results_page = ResultsPage()
        for page in (self.invite_page, self.consent_page, self.check_page, self.exam_page,
                     self.results_page):  # fmt: skip
            self.stack.addWidget(page)

        self.invite_page.submitted.connect(self.open_invitation)
        self.consent_page.accepted.connect(self._to_check)
        self.consent_page.declined.connect(lambda: self._show(self.invite_page))
        self.check_page.back.connect(lambda: self._show(self.consent_page))
        self.check_page.ready.connect(self._start)
        self.exam_page.completed.connect(self._completed)
        self.results_page.closed.connect(self.close)

    # --- flow ---
    def begin(self, token: str | None = None) -> None:
        """Resume an attempt left in progress (or show the outcome of one submitted before the
        app closed), else open ``token``, else ask for one."""
        self.invite_page.set_busy(True, "Looking for an assessment in progress…")
        self.tasks.op(self, self.service.resume, lane=Lane.WRITE).success(
            lambda found: self._resumed(found, token)
        ).run()

    def _resumed(self, found: Attempt | Result | None, token: str | None) -> None:
        self.invite_page.set_busy(False)
        if isinstance(found, Result):
            self._completed(found)
        elif found is not None:
            self._run_attempt(found)
        elif token:
            self.invite_page.field.setText(token)
            self.open_invitation(token)
        else:
            self._show(self.invite_page)

    def open_invitation(self, token: str) -> None:
        self._show(self.invite_page)
        self.invite_page.set_busy(True, "Opening the invitation…")
        self.tasks.op(self, lambda: self.service.open_invitation(token)).success(
            self._opened
        ).failure(self._open_failed).run()

    def _opened(self, invitation: Invitation) -> None:
        self.invitation = invitation
        self.invite_page.set_busy(False)
        self.consent_page.show_invitation(invitation)
        self._show(self.consent_page)

    def _open_failed(self, exc: BaseException) -> None:
        from ui.errors import message_for

        self.invite_page.set_busy(False, message_for(exc))

    def _to_check(self) -> None:
        assert self.invitation is not None
        self._show(self.check_page)
        self.check_page.begin(self.invitation)

    def _start(self) -> None:
        assert self.invitation is not None
        inv = self.invitation
        self.check_page.start_button.setEnabled(False)
        self.check_page.summary.setText("Starting the assessment…")
        self.tasks.op(self, lambda: self.service.start(inv), lane=Lane.WRITE).success(
            self._run_attempt
        ).failure(self._start_failed).run()

    def _start_failed(self, exc: BaseException) -> None:
        from ui.errors import show_error

        self.check_page.start_button.setEnabled(True)
        show_error(self, exc)

    def _run_attempt(self, attempt: Attempt) -> None:
        self._show(self.exam_page)
        self.exam_page.load(attempt)
        if attempt.proctoring:
            self.lock()
        view = self.exam_page.stack.currentWidget()
        if view is not None:
            view.setFocus()

    def _completed(self, result: Result) -> None:
        self.unlock()
        self.results_page.show_result(result)
        self._show(self.results_page)
        self._stop_unsent_watch()
        if not result.sent:
            self._unsent_watch = self.service.subscribe_status(self._sent_relay)

    def _on_status_after_submit(self, status: SyncStatus) -> None:
        """Everything reached the server: ask for the result the page could not show yet."""
        if status.state is not SyncState.SAVED or self._unsent_watch is None:
            return
        self._stop_unsent_watch()
        self.tasks.op(self, self.service.complete, lane=Lane.WRITE).success(
            self._completed
        ).failure(self._result_failed).run()

    def _result_failed(self, exc: BaseException) -> None:
        from ui.errors import show_error

        show_error(self, exc)

    def _stop_unsent_watch(self) -> None:
        if self._unsent_watch is not None:
            self._unsent_watch()
            self._unsent_watch = None

    def _show(self, page: QWidget) -> None:
        self.stack.setCurrentWidget(page)
        page.setFocus()

    # --- lockdown ---
    def lock(self) -> None:
        if self.locked:
            return
        self.locked = True
        self._focused = True
        self._set_on_top(True)
        self.showFullScreen()
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        app.applicationStateChanged.connect(self._app_state)
        app.screenAdded.connect(self._screens_changed)
        app.screenRemoved.connect(self._screens_changed)
        app.installEventFilter(self)
        # Leaving counts from the moment the window is the active one in lockdown. A window that
        # is not active yet (just shown on resume; a window manager still placing it full screen)
        # is asked to come forward; if it still is not after the grace, the candidate is
        # elsewhere and that is recorded then.
        self._watching = self.isActiveWindow()
        if not self._watching:
            self.raise_()
            self.activateWindow()
            self._arm_timer.start()

    def unlock(self) -> None:
        if not self.locked:
            return
        self.locked = False
        self._watching = False
        self._arm_timer.stop()
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        app.applicationStateChanged.disconnect(self._app_state)
        app.screenAdded.disconnect(self._screens_changed)
        app.screenRemoved.disconnect(self._screens_changed)
        app.removeEventFilter(self)
        self._set_on_top(False)
        self.showNormal()

    def _set_on_top(self, on: bool) -> None:
        flags = self.windowFlags()
        flags = flags | Qt.WindowType.WindowStaysOnTopHint if on else (
            flags & ~Qt.WindowType.WindowStaysOnTopHint
        )  # fmt: skip
        handle = self.windowHandle()
        if handle is None:
            self.setWindowFlags(flags)  # no native window yet: nothing to re-create
            return
        # QWidget.setWindowFlags re-parents the widget: it hides the native window and shows it
        # again, which takes activation away from it (X11 unmaps it and the window manager moves
        # the focus). The platform windows change stay-on-top in place (_NET_WM_STATE_ABOVE,
        # HWND_TOPMOST, the NSWindow level), so hand the flag to the native window directly and
        # tell the widget without it acting on it.
        self.overrideWindowFlags(flags)
        handle.setFlags(flags)

    def _arm(self) -> None:
        if not self.locked or self._watching:
            return
        self._watching = True
        self._arm_timer.stop()
        app = QGuiApplication.instance()
        assert isinstance(app, QGuiApplication)
        if app.applicationState() != Qt.ApplicationState.ApplicationActive:
            self.focus_changed(False)

    def _app_state(self, state: Qt.ApplicationState) -> None:
        if self._watching:
            self.focus_changed(state == Qt.ApplicationState.ApplicationActive)

    def focus_changed(self, focused: bool) -> None:
        if focused == self._focused:
            return
        self._focused = focused
        if self.sink is not None:
            self.sink.focus_changed(focused)
        if not focused:
            self.exam_page.banner.show_message(
                "You left the assessment window. This is recorded for the proctor; "
                "please stay in the assessment until you complete it.", "error"
            )  # fmt: skip
        else:
            self.raise_()
            self.activateWindow()

    def _screens_changed(self, _screen: QScreen) -> None:
        count = len(QGuiApplication.screens())
        if self.sink is not None:
            self.sink.displays_changed(count)
        self.exam_page.banner.show_message(
            f"The displays changed (now {count}). This is recorded for the proctor.", "error"
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # under lockdown a minimised window counts as leaving the assessment
        if watched is not self:
            return False
        if event.type() == QEvent.Type.WindowActivate and not self._watching:
            self._arm()
        elif event.type() == QEvent.Type.WindowStateChange and self.isMinimized():
            self._arm()
            self.focus_changed(False)
            self.showFullScreen()
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.stack.currentWidget() is self.exam_page:
            # nothing is lost: unsaved edits go to the journal; the next start resumes
            self.exam_page.flush()
            self.tasks.wait_idle(5_000)
            self.exam_page.stop()
        self.check_page.stop()
        self._stop_unsent_watch()
        super().closeEvent(event)

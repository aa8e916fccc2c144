"""The candidate's window driven like a person would, offscreen, against the local service."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.ui.fakes import FakeChecks
from tests.ui.local_service import LocalCandidateService
from ui.candidate import CandidateWindow
from ui.ports import CheckStatus, SyncState
from ui.questions import CodingView, FreeTextView, MultipleChoiceView


def open_and_consent(qtbot, window: CandidateWindow, token: str = "demo") -> None:
    window.begin()
    qtbot.waitUntil(lambda: window.invite_page.field.isEnabled())
    qtbot.keyClicks(window.invite_page.field, token)
    qtbot.keyClick(window.invite_page.field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.consent_page)
    assert not window.consent_page.continue_button.isEnabled()
    window.consent_page.consent.setFocus()
    qtbot.keyClick(window.consent_page.consent, Qt.Key.Key_Space)
    assert window.consent_page.continue_button.isEnabled()
    qtbot.mouseClick(window.consent_page.continue_button, Qt.MouseButton.LeftButton)
    assert window.stack.currentWidget() is window.check_page


def start_exam(qtbot, window: CandidateWindow) -> None:
    open_and_consent(qtbot, window)
    qtbot.waitUntil(lambda: window.check_page.start_button.isEnabled())
    qtbot.mouseClick(window.check_page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.exam_page)


def test_invitation_link_opens_the_consent_screen(qtbot, window):
    window.begin()
    qtbot.waitUntil(lambda: window.invite_page.field.isEnabled())
    window.invite_page.field.setText("https://assess.ellaai.com/take/abc?token=demo")
    qtbot.mouseClick(window.invite_page.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.consent_page)
    inv = window.consent_page.invitation
    assert inv is not None and inv.company == "Acme Robotics"
    text = " ".join(
        label.text() for label in window.consent_page.findChildren(type(window.invite_page.status))
    )
    assert "Camera" in text and "analysed on this computer" in text


def test_unknown_invitation_says_so(qtbot, window):
    window.begin()
    qtbot.waitUntil(lambda: window.invite_page.field.isEnabled())
    window.invite_page.field.setText("nope")
    window.invite_page.open_button.click()
    qtbot.waitUntil(lambda: "not found" in window.invite_page.status.text())
    assert window.stack.currentWidget() is window.invite_page


def test_missing_camera_blocks_the_start_and_says_what_to_do(qtbot, service, tasks, sink):
    window = CandidateWindow(service, FakeChecks(camera=False), tasks, sink=sink)
    qtbot.addWidget(window)
    window.show()
    open_and_consent(qtbot, window)
    page = window.check_page
    qtbot.waitUntil(lambda: "requires" in page.summary.text())
    assert "camera" in page.summary.text()
    assert page.results["camera"].status is CheckStatus.FAILED
    assert not page.start_button.isEnabled()
    assert page.preview.text() == "No camera found"


def test_unproctored_assessment_needs_no_camera(qtbot, tasks, sink, tmp_path, runner):
    service = LocalCandidateService(tmp_path, runner, proctoring=False)
    window = CandidateWindow(service, FakeChecks(camera=False), tasks, sink=sink)
    qtbot.addWidget(window)
    window.show()
    open_and_consent(qtbot, window)
    qtbot.waitUntil(lambda: window.check_page.start_button.isEnabled())
    assert window.check_page.results["camera"].status is CheckStatus.NOT_NEEDED
    window.check_page.start_button.click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.exam_page)
    assert not window.locked


def test_take_the_assessment_end_to_end(qtbot, window, service, runner):
    start_exam(qtbot, window)
    exam = window.exam_page
    assert window.locked and window.isFullScreen()
    assert exam.navigator.count() == 4 and exam.navigator.item(0).text().startswith("○")

    mc = exam.view(0)
    assert isinstance(mc, MultipleChoiceView)
    mc.buttons["b"].click()
    assert exam.navigator.item(0).text().startswith("✔")

    qtbot.keyClick(exam, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert exam.current_index() == 1
    multi = exam.view(1)
    assert isinstance(multi, MultipleChoiceView)
    for cid in ("a", "c", "d"):
        multi.buttons[cid].click()

    exam.navigator.setCurrentRow(2)
    text = exam.view(2)
    assert isinstance(text, FreeTextView)
    qtbot.keyClicks(text.edit, "Stale reads; invalidate on write.")

    exam.navigator.setCurrentRow(3)
    code = exam.view(3)
    assert isinstance(code, CodingView)
    assert "def two_sum" in code.editor.toPlainText()
    code.editor.setPlainText("def two_sum(nums, target):\n    return [0, 1]\n")
    qtbot.mouseClick(code.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: code.results.topLevelItemCount() == 3)
    assert "3 of 3" in code.run_status.text()
    assert runner.calls[-1][0] == "python"

    qtbot.waitUntil(lambda: not exam.sync.saving, timeout=3000)
    assert exam.sync.status is not None and exam.sync.status.state is SyncState.SAVED
    assert exam.progress.text() == "4 of 4 answered"

    exam.confirm_complete()
    box = exam.confirm_box
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.results_page)
    assert not window.locked
    assert "Your score" in window.results_page.summary.text()
    assert window.results_page.breakdown.topLevelItemCount() == 4


def test_language_switch_loads_the_template_and_keeps_the_code(qtbot, window):
    start_exam(qtbot, window)
    code = window.exam_page.view(3)
    assert isinstance(code, CodingView)
    code.editor.setPlainText("def two_sum(nums, target):\n    return None\n")
    code.language.setCurrentIndex(code.language.findData("javascript"))
    assert "function twoSum" in code.editor.toPlainText()
    assert code.answer().language == "javascript"
    code.language.setCurrentIndex(code.language.findData("python"))
    assert "return None" in code.editor.toPlainText()


def test_syntax_error_is_shown_plainly(qtbot, window):
    start_exam(qtbot, window)
    code = window.exam_page.view(3)
    assert isinstance(code, CodingView)
    code.editor.setPlainText("syntax error")
    code.run_button.click()
    qtbot.waitUntil(lambda: "did not run" in code.run_status.text())


def test_countdown_warns_then_completes_at_zero(qtbot, window, clock):
    start_exam(qtbot, window)
    exam = window.exam_page
    clock.now += 45 * 60 - 299
    exam.tick()
    assert "5 minutes" in exam.banner.label.text() and exam.banner.isVisible()
    clock.now += 250
    exam.tick()
    assert "1 minute" in exam.banner.label.text()
    assert exam.clock.text() == "0:49"
    clock.now += 60
    exam.tick()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.results_page)


def test_offline_banner_work_continues_and_catches_up(qtbot, window, service):
    start_exam(qtbot, window)
    exam = window.exam_page
    service.set_online(False)
    qtbot.waitUntil(lambda: exam.offline_banner.isVisible())
    view = exam.view(0)
    assert isinstance(view, MultipleChoiceView)
    view.buttons["c"].click()
    qtbot.waitUntil(lambda: "1 change saved" in exam.sync.text(), timeout=3000)
    service.set_online(True)
    qtbot.waitUntil(lambda: not exam.offline_banner.isVisible())
    qtbot.waitUntil(lambda: exam.sync.text() == "● All changes saved")


def test_killed_app_resumes_where_it_was(qtbot, window, tmp_path, runner, clock, tasks, sink):
    start_exam(qtbot, window)
    exam = window.exam_page
    exam.navigator.setCurrentRow(2)
    text = exam.view(2)
    assert isinstance(text, FreeTextView)
    qtbot.keyClicks(text.edit, "cache risk")
    qtbot.waitUntil(lambda: not exam.sync.saving, timeout=3000)
    # a new process on the same data directory
    again = LocalCandidateService(tmp_path / "data", runner, clock=clock)
    window2 = CandidateWindow(again, FakeChecks(), tasks, sink=sink)
    qtbot.addWidget(window2)
    window2.show()
    window2.begin()
    qtbot.waitUntil(lambda: window2.stack.currentWidget() is window2.exam_page)
    assert window2.exam_page.current_index() == 2
    view = window2.exam_page.view(2)
    assert isinstance(view, FreeTextView)
    assert view.edit.toPlainText() == "cache risk"
    assert window2.locked


def test_leaving_the_window_is_recorded_and_shown(qtbot, window, sink):
    start_exam(qtbot, window)
    window.focus_changed(False)
    assert ("focus", False) in sink.events
    assert "left the assessment" in window.exam_page.banner.label.text()
    window.focus_changed(True)
    assert sink.events[-1] == ("focus", True)


def test_lockdown_keeps_the_window_active_and_records_no_focus_loss(qtbot, window, sink):
    # going full screen and on top must not take activation from the window: that was read as
    # the candidate leaving (tests/ui/test_lockdown_x11.py checks it under a window manager)
    qtbot.waitUntil(window.isActiveWindow)
    start_exam(qtbot, window)
    assert window.locked and window.isFullScreen()
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.isActiveWindow()
    qtbot.wait(1500)
    assert [e for e in sink.events if e[0] == "focus"] == []
    assert not window.exam_page.banner.isVisible()

    window._app_state(Qt.ApplicationState.ApplicationInactive)  # a real loss still counts
    assert sink.events[-1] == ("focus", False)
    assert "left the assessment" in window.exam_page.banner.label.text()


def test_lockdown_starting_inactive_counts_only_a_loss_that_outlasts_the_grace(
    qtbot, window, sink, monkeypatch
):
    monkeypatch.setattr(window, "isActiveWindow", lambda: False)
    monkeypatch.setattr(window, "activateWindow", lambda: None)
    start_exam(qtbot, window)
    window._app_state(Qt.ApplicationState.ApplicationInactive)  # settling: not counted
    assert sink.events == []
    with qtbot.wait_signal(window._arm_timer.timeout, timeout=5000):
        pass
    # the window never came forward and the application is still active: nothing recorded
    assert sink.events == []
    window._app_state(Qt.ApplicationState.ApplicationInactive)  # armed now: counted
    assert sink.events == [("focus", False)]


def test_unlock_clears_stay_on_top(qtbot, window):
    start_exam(qtbot, window)
    window.unlock()
    assert not window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert not window.isFullScreen()


def test_paste_from_outside_is_recorded_and_can_be_blocked(qtbot, tasks, sink, tmp_path, runner):
    from PySide6.QtCore import QMimeData

    service = LocalCandidateService(tmp_path, runner, block_paste=True)
    window = CandidateWindow(service, FakeChecks(), tasks, sink=sink)
    qtbot.addWidget(window)
    window.show()
    start_exam(qtbot, window)
    code = window.exam_page.view(3)
    assert isinstance(code, CodingView)
    before = code.editor.toPlainText()
    data = QMimeData()
    data.setText("print('from stack overflow')\nx = 1")
    code.editor.insertFromMimeData(data)
    assert code.editor.toPlainText() == before
    assert ("paste", (34, 2, True)) in sink.events
    assert "not allowed" in window.exam_page.banner.label.text()


def test_question_views_are_built_ahead_so_switching_only_shows_them(qtbot, window):
    start_exam(qtbot, window)
    exam = window.exam_page
    assert exam.attempt is not None
    count = len(exam.attempt.questions)
    qtbot.waitUntil(lambda: exam.stack.count() == count)
    views = [exam.stack.widget(i) for i in range(count)]
    for i in range(count):
        exam.navigator.setCurrentRow(i)
        assert exam.stack.currentWidget() is exam.view(i)
    assert [exam.stack.widget(i) for i in range(exam.stack.count())] == views

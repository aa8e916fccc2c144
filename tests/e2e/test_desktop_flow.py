"""The desktop app as `ella-app` builds it, against the real server on a loopback port seeded with
`server.demo.seed_demo`: invite login, system check on a video file, the attempt with proctoring,
sample tests in the real sandbox (Python and JavaScript), autosave through the journal and the
sync engine, going offline and back through a proxy, resuming after the app is gone, the results
page from the server's answer, and the proctor's review of the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app import config as app_config
from app.gui import Candidate, build_candidate
from app.review import ServerReviewService
from server.app import create_app
from server.demo import COMPANY_NAME, DemoData, seed_demo
from sync import EllaAI
from tests.sync.harness import FaultProxy, LiveServer
from ui.questions import CodingView, FreeTextView, MultipleChoiceView
from ui.review import ReviewWindow
from ui.tasks import TaskManager

pytestmark = pytest.mark.slow

FIBONACCI = (
    "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
    "    return a\n"
)


@pytest.fixture
def tasks(qapp) -> Iterator[TaskManager]:
    manager = TaskManager()
    yield manager
    manager.wait_idle()
    manager.shutdown()


@pytest.fixture
def demo(live_server: LiveServer) -> DemoData:
    return seed_demo(create_app(live_server.settings).state.context)


@pytest.fixture
def open_app(qtbot, tasks, face_video) -> Iterator[Callable[[str, Path], Candidate]]:
    """`open_app(server, data_dir)`: the app as `ella-app --server URL --video FILE` builds it;
    closed at teardown (or earlier by the test)."""
    built: list[Candidate] = []

    def make(server: str, data_dir: Path) -> Candidate:
        cfg = app_config.AppConfig(server=server, video=face_video, data_dir=data_dir)
        c = build_candidate(cfg, tasks)
        qtbot.addWidget(c.window)
        c.window.resize(1100, 750)
        c.window.show()
        built.append(c)
        return c

    yield make
    tasks.wait_idle()
    for c in built:
        c.close()


def through_the_checks(qtbot, c: Candidate, token: str) -> None:
    w = c.window
    w.begin(token)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.consent_page, timeout=20_000)
    assert w.invitation is not None and w.invitation.company == COMPANY_NAME
    w.consent_page.consent.setChecked(True)
    w.consent_page.continue_button.click()
    qtbot.waitUntil(lambda: w.check_page.start_button.isEnabled(), timeout=120_000)
    w.check_page.start_button.click()
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.exam_page, timeout=20_000)


def index_of(c: Candidate, title: str) -> int:
    attempt = c.window.exam_page.attempt
    assert attempt is not None
    return next(i for i, q in enumerate(attempt.questions) if q.title == title)


def show(c: Candidate, title: str):
    exam = c.window.exam_page
    i = index_of(c, title)
    exam.navigator.setCurrentRow(i)
    return exam.view(i)


def saved(c: Candidate) -> bool:
    return c.window.exam_page.sync.text() == "● All changes saved"


def complete(qtbot, c: Candidate) -> None:
    w = c.window
    w.exam_page.confirm_complete()
    w.exam_page.confirm_box.done(int(QMessageBox.StandardButton.Yes))
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.results_page, timeout=60_000)


def test_take_the_assessment_then_review_it(qtbot, tasks, live_server, demo, open_app, tmp_path):
    c = open_app(live_server.url, tmp_path / "app")
    through_the_checks(qtbot, c, demo.invite_token)
    assert c.service.proctor is not None
    exam = c.window.exam_page

    mc = show(c, "Big-O of dict lookup")
    assert isinstance(mc, MultipleChoiceView)
    mc.buttons["a"].click()
    many = show(c, "Python mutability")
    assert isinstance(many, MultipleChoiceView)
    many.buttons["tuple"].click()
    many.buttons["frozenset"].click()

    fib = show(c, "Fibonacci numbers")
    assert isinstance(fib, CodingView)
    fib.editor.setPlainText(FIBONACCI)
    fib.run_button.click()
    qtbot.waitUntil(lambda: fib.results.topLevelItemCount() == 2, timeout=60_000)
    assert "2 of 2" in fib.run_status.text()

    js = show(c, "Sum of an array")
    assert isinstance(js, CodingView)
    js.editor.setPlainText("function sumArray(numbers) {\n  return numbers.length;\n}\n")
    js.run_button.click()
    qtbot.waitUntil(lambda: js.results.topLevelItemCount() == 2, timeout=60_000)
    verdicts = [item.text(1) for i in range(2) if (item := js.results.topLevelItem(i))]
    assert verdicts == ["✘ wrong answer", "✔ passed"], verdicts
    js.editor.setPlainText(
        "function sumArray(numbers) {\n  return numbers.reduce((a, b) => a + b, 0);\n}\n"
    )

    c.window.focus_changed(False)
    c.window.focus_changed(True)
    exam.flush()
    # The push grades both coding answers in the server's sandbox, whose first run in that
    # process loads the runtimes: as slow as the runs above on a loaded machine.
    qtbot.waitUntil(lambda: saved(c), timeout=60_000)
    assert 0 < c.service.seconds_remaining() <= 3600

    complete(qtbot, c)
    assert c.service.proctor is None
    summary = c.window.results_page.summary.text()
    assert "Your score" in summary, summary
    # the server graded both coding answers in its sandbox: full marks on everything answered
    assert "of 150" in summary and "(73%)" in summary, summary

    # the proctor reviews the session
    review_service = ServerReviewService(live_server.url)
    w = ReviewWindow(review_service, tasks)
    qtbot.addWidget(w)
    w.show()
    qtbot.keyClicks(w.login_page.email, demo.recruiter_email)
    qtbot.keyClicks(w.login_page.password, demo.recruiter_password)
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)
    page = w.list_page
    qtbot.waitUntil(lambda: page.model.rowCount() >= 1, timeout=20_000)
    assert "Jane Smith" in page.greeting.text()
    row = page.model.rows[0]
    assert row.candidate == "John Doe" and row.review_status == "pending"
    page.risk.setCurrentIndex(page.risk.findData("high"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 0 or page.model.rows[0].risk_level == "high")
    page.risk.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.model.rowCount() >= 1)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.session_page, timeout=20_000)
    s = w.session_page
    assert s.detail is not None
    types = {item.type for item in s.detail.timeline}
    assert "focus_lost" in types, types
    assert "Risk" in s.explanation.toPlainText()
    assert "fibonacci" in s.answers.toPlainText()
    qtbot.keyClicks(s.note, "Left the window once; otherwise clean")
    s.clear_button.click()
    qtbot.waitUntil(lambda: "Cleared" in s.status.text(), timeout=20_000)
    with EllaAI(base_url=f"{live_server.url}/api") as proctor:
        proctor.auth.login(email=demo.recruiter_email, password=demo.recruiter_password)
        stored = proctor.proctor.get_session(s.detail.summary.session_id)
    assert stored["review"]["status"] == "cleared"
    assert stored["review"]["note"] == "Left the window once; otherwise clean"
    review_service.close()


def test_offline_and_back_then_resume_after_the_app_is_gone(
    qtbot, live_server, demo, open_app, tmp_path
):
    proxy = FaultProxy(live_server.port)
    data_dir = tmp_path / "app"
    c = open_app(proxy.url, data_dir)
    through_the_checks(qtbot, c, demo.invite_token)
    exam = c.window.exam_page
    record = c.service.conn.journal.attempt()
    assert record is not None
    attempt_id = record.id

    proxy.go_offline()
    qtbot.waitUntil(lambda: exam.offline_banner.isVisible(), timeout=20_000)
    text = show(c, "Designing a rate limiter")
    assert isinstance(text, FreeTextView)
    qtbot.keyClicks(text.edit, "A token bucket per client in Redis")
    exam.flush()
    qtbot.waitUntil(lambda: "saved" in exam.sync.text() and not saved(c), timeout=5_000)
    before = c.service.seconds_remaining()
    qtbot.wait(1100)
    assert c.service.seconds_remaining() < before  # the countdown goes on offline

    proxy.go_online()
    qtbot.waitUntil(lambda: not exam.offline_banner.isVisible(), timeout=30_000)
    qtbot.waitUntil(lambda: saved(c), timeout=30_000)

    # the app goes away mid-attempt, with an answer only in the journal
    proxy.go_offline()
    qtbot.waitUntil(lambda: exam.offline_banner.isVisible(), timeout=20_000)
    mc = show(c, "JavaScript equality")
    assert isinstance(mc, MultipleChoiceView)
    mc.buttons["true"].click()
    exam.flush()
    qtbot.waitUntil(lambda: not exam.sync.saving, timeout=5_000)
    c.window.close()
    c.close()

    proxy.go_online()
    again = open_app(proxy.url, data_dir)
    again.window.begin(None)
    w = again.window
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.exam_page, timeout=20_000)
    assert w.exam_page.attempt is not None and w.exam_page.attempt.attempt_id == attempt_id
    assert w.exam_page.current_index() == index_of(again, "JavaScript equality")
    restored = show(again, "Designing a rate limiter")
    assert isinstance(restored, FreeTextView)
    assert restored.edit.toPlainText() == "A token bucket per client in Redis"
    qtbot.waitUntil(lambda: saved(again), timeout=30_000)

    complete(qtbot, again)
    with EllaAI(base_url=f"{live_server.url}/api") as recruiter:
        recruiter.auth.login(email=demo.recruiter_email, password=demo.recruiter_password)
        attempt = recruiter.assessments.get_attempt(attempt_id)
    answers = {a["questionId"]: a["answer"] for a in attempt["answers"]}
    assert attempt["status"] == "completed"
    assert answers[index_id(attempt, "JavaScript equality")] == ["true"]
    assert answers[index_id(attempt, "Designing a rate limiter")].startswith("A token bucket")
    proxy.close()


def index_id(attempt: dict[str, Any], title: str) -> str:
    return str(next(q["id"] for q in attempt["questions"] if q["title"] == title))


def test_submitted_offline_shows_the_result_once_sent_even_after_a_restart(
    qtbot, live_server, demo, open_app, tmp_path, monkeypatch
):
    monkeypatch.setattr("app.service.COMPLETE_WAIT_S", 1.0)  # how long Complete waits: short
    proxy = FaultProxy(live_server.port)
    data_dir = tmp_path / "app"
    c = open_app(proxy.url, data_dir)
    through_the_checks(qtbot, c, demo.invite_token)
    mc = show(c, "Big-O of dict lookup")
    assert isinstance(mc, MultipleChoiceView)
    mc.buttons["a"].click()
    c.window.exam_page.flush()
    qtbot.waitUntil(lambda: saved(c), timeout=20_000)

    # Complete while offline: the page says the answers wait on this computer
    proxy.go_offline()
    qtbot.waitUntil(lambda: c.window.exam_page.offline_banner.isVisible(), timeout=20_000)
    complete(qtbot, c)
    page = c.window.results_page
    assert "cannot be reached" in page.summary.text()
    # the app closes before the network comes back; the next start shows the outcome, not the
    # invitation screen
    c.window.close()
    c.close()
    again = open_app(proxy.url, data_dir)
    again.window.begin(None)
    w = again.window
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.results_page, timeout=20_000)
    assert "cannot be reached" in w.results_page.summary.text()

    # the connection comes back while the page is open: the score replaces the notice
    proxy.go_online()
    qtbot.waitUntil(lambda: "Your score" in w.results_page.summary.text(), timeout=30_000)
    with EllaAI(base_url=f"{live_server.url}/api") as recruiter:
        recruiter.auth.login(email=demo.recruiter_email, password=demo.recruiter_password)
        record = again.service.conn.journal.attempt()
        assert record is not None
        assert recruiter.assessments.get_attempt(record.id)["status"] == "completed"

    # once seen, a later start asks for an invitation again
    w.close()
    again.close()
    third = open_app(proxy.url, data_dir)
    third.window.begin(None)
    qtbot.waitUntil(lambda: third.window.invite_page.field.isEnabled(), timeout=20_000)
    assert third.window.stack.currentWidget() is third.window.invite_page
    proxy.close()

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.ui.local_service import DemoReviewService
from ui.review import ReviewWindow


@pytest.fixture
def review(qtbot, tasks):
    service = DemoReviewService()
    w = ReviewWindow(service, tasks)
    qtbot.addWidget(w)
    w.resize(1100, 750)
    w.show()
    return w, service


def sign_in(qtbot, w, password="proctor"):
    qtbot.keyClicks(w.login_page.email, "pat.proctor@acme.example")
    qtbot.keyClicks(w.login_page.password, password)
    qtbot.keyClick(w.login_page.password, Qt.Key.Key_Return)


def test_wrong_password_is_said(qtbot, review):
    w, _ = review
    sign_in(qtbot, w, "nope")
    qtbot.waitUntil(lambda: "Wrong email or password" in w.login_page.error.text())
    assert w.stack.currentWidget() is w.login_page


def test_sessions_sorted_by_risk_and_filtered(qtbot, review):
    w, _ = review
    sign_in(qtbot, w)
    page = w.list_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 6)
    scores = [r.risk_score for r in page.model.rows]
    assert scores == sorted(scores, reverse=True)
    assert "Pat Proctor" in page.greeting.text()
    page.risk.setCurrentIndex(page.risk.findData("low"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    page.risk.setCurrentIndex(0)
    page.status.setCurrentIndex(page.status.findData("flagged"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    page.status.setCurrentIndex(0)
    page.assessment.setCurrentIndex(page.assessment.findData("assessment_frontend"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)


def test_open_a_session_and_flag_it_with_a_note(qtbot, review):
    w, service = review
    sign_in(qtbot, w)
    page = w.list_page
    qtbot.waitUntil(lambda: page.model.rowCount() == 6)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.session_page)
    s = w.session_page
    assert s.detail is not None and s.detail.summary.candidate == "Jonas Berg"
    assert "CRITICAL" in s.risk.text()
    assert "Two faces" in s.explanation.toPlainText()
    assert len(s.timeline.items) == 6
    qtbot.keyClick(s.timeline, Qt.Key.Key_Right)
    assert "Session started" in s.event_label.text()
    qtbot.keyClick(s.timeline, Qt.Key.Key_Right)
    assert "No face" in s.event_label.text()
    assert "two_sum" in s.answers.toPlainText()
    assert not s.flag_button.isEnabled()
    qtbot.keyClicks(s.note, "Second person visible at 28:40")
    assert s.flag_button.isEnabled()
    s.flag_button.click()
    qtbot.waitUntil(lambda: "Flagged" in s.status.text())
    assert service.sessions(type(page.query())())[0].review_status == "flagged"
    s.back_button.click()
    qtbot.waitUntil(lambda: page.model.rows[0].review_status == "flagged")

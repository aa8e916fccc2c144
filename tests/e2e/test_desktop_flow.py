"""The desktop app as `ella-app` builds it: real checks on a video file, the real proctoring
session during the attempt, the interim sandbox for sample tests, the local journal.

(The real server is not in this flow yet: the SDK and the journal of `sync` and the attempt
routes of `assessments` are not in main; `app.demo.LocalCandidateService` stands in.)
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QMessageBox

from app import config as app_config
from app.gui import build_candidate
from ui.questions import CodingView, MultipleChoiceView
from ui.tasks import TaskManager


@pytest.fixture
def tasks(qapp):
    manager = TaskManager()
    yield manager
    manager.wait_idle()
    manager.shutdown()


@pytest.mark.slow
def test_take_a_proctored_assessment_with_the_real_parts(
    qtbot, tmp_path, face_video, sandbox_cache, tasks
):
    cfg = app_config.AppConfig(video=face_video, data_dir=tmp_path, server="http://127.0.0.1:9")
    c = build_candidate(cfg, tasks)
    c.runner._cache = sandbox_cache / c.runner._cache.name
    w = c.window
    qtbot.addWidget(w)
    w.show()
    w.begin("demo")
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.consent_page, timeout=10_000)
    w.consent_page.consent.setChecked(True)
    w.consent_page.continue_button.click()
    qtbot.waitUntil(lambda: w.check_page.start_button.isEnabled(), timeout=120_000)
    qtbot.waitUntil(lambda: "Face visible" in w.check_page.face.text(), timeout=20_000)
    w.check_page.start_button.click()
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.exam_page, timeout=10_000)
    assert c.proctored.proctor is not None

    exam = w.exam_page
    mc = exam.view(0)
    assert isinstance(mc, MultipleChoiceView)
    mc.buttons["b"].click()
    exam.navigator.setCurrentRow(3)
    code = exam.view(3)
    assert isinstance(code, CodingView)
    code.editor.setPlainText(
        "def two_sum(nums, target):\n    seen = {}\n    for i, n in enumerate(nums):\n"
        "        if target - n in seen:\n            return [seen[target - n], i]\n"
        "        seen[n] = i\n"
    )
    code.run_button.click()
    qtbot.waitUntil(lambda: code.results.topLevelItemCount() == 3, timeout=60_000)
    assert "3 of 3" in code.run_status.text()

    w.focus_changed(False)
    w.focus_changed(True)
    exam.confirm_complete()
    exam.confirm_box.done(int(QMessageBox.StandardButton.Yes))
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.results_page, timeout=20_000)
    assert c.proctored.proctor is None

    saved = json.loads((tmp_path / "attempt.json").read_text())
    kinds = [e["type"] for e in saved["events"]]
    assert kinds[-1] == "session_ended"
    assert any("focus" in k for k in kinds), kinds
    assert saved["completed"] and saved["answers"]["question_mc1"]["choices"] == ["b"]

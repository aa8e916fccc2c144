from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt

from ui.editor import CodeEditor, GuardedTextEdit


def editor(qtbot, language="python") -> CodeEditor:
    e = CodeEditor(language=language)
    qtbot.addWidget(e)
    e.show()
    return e


def test_enter_keeps_indent_and_indents_after_a_colon(qtbot):
    e = editor(qtbot)
    qtbot.keyClicks(e, "def f(x):")
    qtbot.keyClick(e, Qt.Key.Key_Return)
    qtbot.keyClicks(e, "if x:")
    qtbot.keyClick(e, Qt.Key.Key_Return)
    qtbot.keyClicks(e, "return 1")
    qtbot.keyClick(e, Qt.Key.Key_Return)
    assert e.toPlainText() == "def f(x):\n    if x:\n        return 1\n        "
    qtbot.keyClick(e, Qt.Key.Key_Backspace)
    assert e.toPlainText().endswith("\n    ")


def test_javascript_indents_after_a_brace(qtbot):
    e = editor(qtbot, "javascript")
    qtbot.keyClicks(e, "function f() {")
    qtbot.keyClick(e, Qt.Key.Key_Return)
    assert e.toPlainText() == "function f() {\n    "


def test_tab_indents_and_ctrl_tab_leaves_the_editor(qtbot):
    from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

    host = QWidget()
    layout = QVBoxLayout(host)
    e = CodeEditor()
    after = QPushButton("after")
    layout.addWidget(e)
    layout.addWidget(after)
    qtbot.addWidget(host)
    host.show()
    host.activateWindow()
    e.setFocus()
    qtbot.keyClick(e, Qt.Key.Key_Tab)
    assert e.toPlainText() == "    "
    qtbot.keyClick(e, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(after.hasFocus)


def test_highlighter_colours_keywords_strings_and_comments(qtbot):
    e = editor(qtbot)
    e.setPlainText("def f():  # note\n    return 'x'\n")
    block = e.document().firstBlock()
    ranges = block.layout().formats()
    weights = {r.start: r.format.fontWeight() for r in ranges}
    assert weights[0] > 400  # def
    assert any(r.format.fontItalic() for r in ranges)  # the comment
    e.set_language("javascript")
    assert e.highlighter.language == "javascript"


def test_gutter_grows_with_line_count(qtbot):
    e = editor(qtbot)
    narrow = e.gutter_width()
    e.setPlainText("\n" * 12_000)
    assert e.gutter_width() > narrow


def test_external_paste_is_reported_internal_copy_is_not(qtbot):
    e = GuardedTextEdit()
    qtbot.addWidget(e)
    seen = []
    e.pasted.connect(lambda *args: seen.append(args))
    e.setPlainText("mine")
    e.selectAll()
    internal = e.createMimeDataFromSelection()
    e.insertFromMimeData(internal)
    assert seen == []
    outside = QMimeData()
    outside.setText("a\nb\nc")
    e.insertFromMimeData(outside)
    assert seen == [(5, 3, False)]
    assert e.toPlainText().endswith("a\nb\nc")

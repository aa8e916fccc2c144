"""One view per question type: multiple choice, free text, code (with sample tests)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.editor import CodeEditor, GuardedTextEdit
from ui.ports import Answer, Question, RunReport, Verdict
from ui.theme import FAIL_COLOR, OK_COLOR, WARN_COLOR
from ui.widgets import heading

LANGUAGE_NAMES = {"python": "Python", "javascript": "JavaScript"}


class QuestionView(QWidget):
    """Emits ``changed`` on every edit; ``pasted(chars, lines, blocked)`` from its text fields."""

    changed = Signal()
    pasted = Signal(int, int, bool)

    def __init__(self, question: Question, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self._loading = False
        self.layout_ = QVBoxLayout(self)
        points = f"{question.points} point{'s' if question.points != 1 else ''}"
        self.layout_.addWidget(heading(f"{index + 1}. {question.title}", 2))
        meta = QLabel(points)
        meta.setEnabled(False)
        self.layout_.addWidget(meta)
        self.prompt = QTextBrowser()
        self.prompt.setOpenLinks(False)
        self.prompt.setMarkdown(question.prompt)
        self.prompt.setAccessibleName("Question")
        self.prompt.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.prompt.setMaximumHeight(self.fontMetrics().height() * 9)

    def answer(self) -> Answer:
        raise NotImplementedError

    def set_answer(self, answer: Answer) -> None:
        raise NotImplementedError

    def set_block_paste(self, block: bool) -> None:
        """Only views with a text field care."""

    def _emit_changed(self) -> None:
        if not self._loading:
            self.changed.emit()


class MultipleChoiceView(QuestionView):
    def __init__(self, question: Question, index: int, parent: QWidget | None = None) -> None:
        super().__init__(question, index, parent)
        self.layout_.addWidget(self.prompt)
        hint = "Choose all that apply." if question.multiple else "Choose one."
        self.layout_.addWidget(QLabel(hint))
        self.group = QButtonGroup(self)
        self.group.setExclusive(not question.multiple)
        self.buttons: dict[str, QAbstractButton] = {}
        for choice in question.choices:
            button: QAbstractButton = (
                QCheckBox(choice.text) if question.multiple else QRadioButton(choice.text)
            )
            button.setAccessibleName(choice.text)
            self.group.addButton(button)
            self.buttons[choice.id] = button
            self.layout_.addWidget(button)
        self.group.buttonToggled.connect(lambda *_: self._emit_changed())
        self.layout_.addStretch(1)
        if question.choices:
            self.setFocusProxy(self.buttons[question.choices[0].id])

    def answer(self) -> Answer:
        return Answer(choices=tuple(cid for cid, b in self.buttons.items() if b.isChecked()))

    def set_answer(self, answer: Answer) -> None:
        self._loading = True
        self.group.setExclusive(False)  # an exclusive group refuses to uncheck its last button
        for cid, button in self.buttons.items():
            button.setChecked(cid in answer.choices)
        self.group.setExclusive(not self.question.multiple)
        self._loading = False


class FreeTextView(QuestionView):
    def __init__(self, question: Question, index: int, parent: QWidget | None = None) -> None:
        super().__init__(question, index, parent)
        self.layout_.addWidget(self.prompt)
        self.edit = GuardedTextEdit()
        self.edit.setAccessibleName("Your answer")
        self.edit.setPlaceholderText("Type your answer here")
        self.edit.setTabChangesFocus(True)
        self.edit.textChanged.connect(self._emit_changed)
        self.edit.pasted.connect(self.pasted)
        self.layout_.addWidget(self.edit, 1)
        self.setFocusProxy(self.edit)

    def answer(self) -> Answer:
        return Answer(text=self.edit.toPlainText())

    def set_answer(self, answer: Answer) -> None:
        self._loading = True
        self.edit.setPlainText(answer.text)
        self._loading = False

    def set_block_paste(self, block: bool) -> None:
        self.edit.block_external_paste = block


_VERDICT_STYLE = {
    Verdict.ACCEPTED: ("✔ passed", OK_COLOR),
    Verdict.WRONG_ANSWER: ("✘ wrong answer", FAIL_COLOR),
    Verdict.TIME_LIMIT_EXCEEDED: ("⏱ time limit", WARN_COLOR),
    Verdict.MEMORY_LIMIT_EXCEEDED: ("✘ memory limit", WARN_COLOR),
    Verdict.OUTPUT_LIMIT_EXCEEDED: ("✘ output limit", WARN_COLOR),
    Verdict.RUNTIME_ERROR: ("✘ runtime error", FAIL_COLOR),
    Verdict.COMPILATION_ERROR: ("✘ does not compile", FAIL_COLOR),
    Verdict.INTERNAL_ERROR: ("✘ could not run", FAIL_COLOR),
}


class CodingView(QuestionView):
    """Editor, language switcher with each language's template, and "Run sample tests"."""

    run_requested = Signal(str, str)  # language, code

    def __init__(self, question: Question, index: int, parent: QWidget | None = None) -> None:
        super().__init__(question, index, parent)
        self.layout_.addWidget(self.prompt)
        bar = QHBoxLayout()
        label = QLabel("&Language:")
        self.language = QComboBox()
        self.language.setAccessibleName("Language")
        for lang in question.languages:
            self.language.addItem(LANGUAGE_NAMES.get(lang, lang), lang)
        label.setBuddy(self.language)
        bar.addWidget(label)
        bar.addWidget(self.language)
        bar.addStretch(1)
        self.run_button = QPushButton("&Run sample tests")
        self.run_button.setAccessibleName("Run sample tests")
        self.run_button.setToolTip("Runs your code against the sample tests on this computer (F5)")
        self.run_button.setShortcut("F5")
        self.run_button.clicked.connect(self._run)
        self.run_button.setEnabled(bool(question.sample_tests))
        bar.addWidget(self.run_button)
        self.layout_.addLayout(bar)

        first = question.languages[0] if question.languages else "python"
        self.editor = CodeEditor(language=first)
        self.editor.textChanged.connect(self._emit_changed)
        self.editor.pasted.connect(self.pasted)
        self._code: dict[str, str] = dict(question.templates)
        self._current = first
        self.editor.setPlainText(self._code.get(first, ""))
        self.language.currentIndexChanged.connect(self._switch_language)

        self.results = QTreeWidget()
        self.results.setAccessibleName("Sample test results")
        self.results.setHeaderLabels(["Test", "Verdict", "Expected", "Got", "Output"])
        self.results.setRootIsDecorated(False)
        self.results.setAlternatingRowColors(True)
        self.results.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.results.header().setStretchLastSection(True)
        self.run_status = QLabel(
            f"{len(question.sample_tests)} sample tests. Run them as often as you like; "
            "the final grading uses more tests."
        )
        self.run_status.setWordWrap(True)
        self.run_status.setAccessibleName("Sample test status")
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(self.run_status)
        bl.addWidget(self.results)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.editor)
        split.addWidget(bottom)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self.layout_.addWidget(split, 1)
        self.setFocusProxy(self.editor)

    def answer(self) -> Answer:
        return Answer(text=self.editor.toPlainText(), language=self._current)

    def set_answer(self, answer: Answer) -> None:
        self._loading = True
        lang = answer.language or self._current
        self._code[lang] = answer.text
        i = self.language.findData(lang)
        if i >= 0 and i != self.language.currentIndex():
            self.language.setCurrentIndex(i)  # loads self._code[lang] via _switch_language
        else:
            self._current = lang
            self.editor.set_language(lang)
            self.editor.setPlainText(answer.text)
        self._loading = False

    def set_block_paste(self, block: bool) -> None:
        self.editor.block_external_paste = block

    def _switch_language(self, index: int) -> None:
        lang = self.language.itemData(index)
        self._code[self._current] = self.editor.toPlainText()
        self._current = lang
        self.editor.set_language(lang)
        self.editor.setPlainText(self._code.get(lang, self.question.templates.get(lang, "")))

    def _run(self) -> None:
        self.run_button.setEnabled(False)
        self.run_status.setText("Running the sample tests in the sandbox…")
        self.results.clear()
        self.run_requested.emit(self._current, self.editor.toPlainText())

    def show_report(self, report: RunReport) -> None:
        self.run_button.setEnabled(True)
        self.results.clear()
        if report.error:
            self.run_status.setText(f"Your code did not run: {report.error}")
            self.run_status.setStyleSheet(f"color: {FAIL_COLOR};")
            return
        n = len(report.outcomes)
        colour = OK_COLOR if report.passed == n else FAIL_COLOR
        self.run_status.setText(f"{report.passed} of {n} sample tests passed.")
        self.run_status.setStyleSheet(f"color: {colour}; font-weight: bold;")
        for o in report.outcomes:
            text, c = _VERDICT_STYLE[o.verdict]
            item = QTreeWidgetItem([o.name, text, o.expected, o.actual, o.output.strip()])
            item.setForeground(1, QBrush(QColor(c)))
            item.setToolTip(4, html.escape(o.output))
            self.results.addTopLevelItem(item)

    def run_failed(self, message: str) -> None:
        self.run_button.setEnabled(True)
        self.run_status.setText(message)
        self.run_status.setStyleSheet(f"color: {FAIL_COLOR};")


def view_for(question: Question, index: int) -> QuestionView:
    kinds: dict[str, type[QuestionView]] = {
        "multiple_choice": MultipleChoiceView,
        "free_text": FreeTextView,
        "coding": CodingView,
    }
    return kinds[question.type](question, index)

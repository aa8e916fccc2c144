"""Text entry for answers: a paste guard, and the code editor built on it.

`GuardedTextEdit` notices text pasted from outside the assessment (it remembers what was copied
inside) and reports its size (never its content); a setting blocks such pastes. `CodeEditor` adds
line numbers, auto-indent and syntax highlighting for Python and JavaScript. Tab indents; Ctrl+Tab
and Ctrl+Shift+Tab move the focus, so the editor never traps keyboard-only users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QMimeData, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

INDENT = "    "


class GuardedTextEdit(QPlainTextEdit):
    """Reports pastes from outside: ``pasted(chars, lines, blocked)``."""

    pasted = Signal(int, int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.block_external_paste = False
        self._copied_inside: set[str] = set()

    def createMimeDataFromSelection(self) -> QMimeData:
        data = super().createMimeDataFromSelection()
        # what was copied here may be pasted back freely
        self._copied_inside.add(data.text())
        return data

    def insertFromMimeData(self, source: QMimeData) -> None:
        text = source.text()
        if text and text not in self._copied_inside:
            blocked = self.block_external_paste
            self.pasted.emit(len(text), text.count("\n") + 1, blocked)
            if blocked:
                return
        super().insertFromMimeData(source)


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    style: str


_PY_KEYWORDS = (
    "False None True and as assert async await break class continue def del elif else except "
    "finally for from global if import in is lambda nonlocal not or pass raise return try while "
    "with yield match case"
)
_JS_KEYWORDS = (
    "await break case catch class const continue debugger default delete do else export extends "
    "false finally for function if import in instanceof let new null of return static super "
    "switch this throw true try typeof undefined var void while with yield async"
)


def _rules(language: str) -> list[_Rule]:
    words = _PY_KEYWORDS if language == "python" else _JS_KEYWORDS
    comment = r"#[^\n]*" if language == "python" else r"//[^\n]*"
    return [
        _Rule(re.compile(r"\b(" + "|".join(words.split()) + r")\b"), "keyword"),
        _Rule(re.compile(r"\b[0-9]+(\.[0-9]+)?\b"), "number"),
        _Rule(re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*(?=\()"), "call"),
        _Rule(re.compile(r"\"([^\"\\\n]|\\.)*\"|'([^'\\\n]|\\.)*'|`([^`\\]|\\.)*`"), "string"),
        _Rule(re.compile(comment), "comment"),
    ]


class Highlighter(QSyntaxHighlighter):
    """Keywords, numbers, calls, strings and comments; later rules win (a '#' inside a string
    is a known simplification: one line at a time, no multi-line strings)."""

    def __init__(self, document: QTextDocument, language: str, dark: bool) -> None:
        super().__init__(document)
        self.language = language
        self._rules = _rules(language)
        colours = {
            "keyword": ("#c678dd" if dark else "#7a1fa2", True),
            "number": ("#d19a66" if dark else "#a1500b", False),
            "call": ("#61afef" if dark else "#1c5bb8", False),
            "string": ("#98c379" if dark else "#2e7d32", False),
            "comment": ("#7f848e" if dark else "#6a737d", False),
        }
        self._formats: dict[str, QTextCharFormat] = {}
        for name, (colour, bold) in colours.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            if bold:
                fmt.setFontWeight(QFont.Weight.Bold)
            if name == "comment":
                fmt.setFontItalic(True)
            self._formats[name] = fmt

    def set_language(self, language: str) -> None:
        self.language = language
        self._rules = _rules(language)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for rule in self._rules:
            for m in rule.pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self._formats[rule.style])


class _Gutter(QWidget):
    def __init__(self, editor: CodeEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._editor.paint_gutter(event)


class CodeEditor(GuardedTextEdit):
    def __init__(self, parent: QWidget | None = None, *, language: str = "python") -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSizeF(max(font.pointSizeF(), self.font().pointSizeF()))
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 4)
        self.setAccessibleName("Code editor")
        self.setAccessibleDescription(
            "Tab indents. Ctrl+Tab moves to the next control, Ctrl+Shift+Tab to the previous."
        )
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        self.highlighter = Highlighter(self.document(), language, dark)
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(self._update_margins)
        self.updateRequest.connect(self._scroll_gutter)
        self.cursorPositionChanged.connect(self._highlight_line)
        self._update_margins()
        self._highlight_line()

    @property
    def language(self) -> str:
        return self.highlighter.language

    def set_language(self, language: str) -> None:
        self.highlighter.set_language(language)

    # --- gutter ---
    def gutter_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * digits

    def _update_margins(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        r = self.contentsRect()
        self._gutter.setGeometry(QRect(r.left(), r.top(), self.gutter_width(), r.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        pal = self.palette()
        painter.fillRect(event.rect(), pal.color(QPalette.ColorRole.AlternateBase))
        painter.setPen(pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            if block.isVisible() and bottom >= event.rect().top():
                painter.drawText(
                    0, top, self._gutter.width() - 6, height,
                    Qt.AlignmentFlag.AlignRight, str(number + 1),
                )  # fmt: skip
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()

    def _highlight_line(self) -> None:
        selection = QTextEdit.ExtraSelection()
        colour = self.palette().color(QPalette.ColorRole.Highlight)
        colour.setAlpha(28)
        selection.format.setBackground(colour)
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.cursor = self.textCursor()
        selection.cursor.clearSelection()
        self.setExtraSelections([selection])

    # --- keys: indentation and focus ---
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and ctrl:
            backwards = key == Qt.Key.Key_Backtab or bool(mods & Qt.KeyboardModifier.ShiftModifier)
            # QPlainTextEdit's own override refuses while Tab is an editing key
            QWidget.focusNextPrevChild(self, not backwards)
            return
        if key == Qt.Key.Key_Tab and not mods:
            self.textCursor().insertText(INDENT)
            return
        if key == Qt.Key.Key_Backtab:
            self._dedent()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not mods:
            self._newline_with_indent()
            return
        if key == Qt.Key.Key_Backspace and not mods and self._at_indent_stop():
            cursor = self.textCursor()
            for _ in range(len(INDENT)):
                cursor.deletePreviousChar()
            return
        super().keyPressEvent(event)

    def _newline_with_indent(self) -> None:
        cursor = self.textCursor()
        line = cursor.block().text()[: cursor.positionInBlock()]
        indent = line[: len(line) - len(line.lstrip())]
        stripped = line.rstrip()
        opener = ":" if self.language == "python" else "{(["
        if stripped and stripped[-1] in opener:
            indent += INDENT
        cursor.insertText("\n" + indent)
        self.setTextCursor(cursor)

    def _at_indent_stop(self) -> bool:
        cursor = self.textCursor()
        if cursor.hasSelection():
            return False
        before = cursor.block().text()[: cursor.positionInBlock()]
        return bool(before) and before.strip() == "" and len(before) % len(INDENT) == 0

    def _dedent(self) -> None:
        cursor = self.textCursor()
        text = cursor.block().text()
        n = len(text) - len(text.lstrip(" "))
        remove = min(n, len(INDENT))
        if remove:
            cursor.movePosition(cursor.MoveOperation.StartOfBlock)
            for _ in range(remove):
                cursor.deleteChar()

"""The last candidate screen: the score when the assessment shows it, a thank-you otherwise."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.ports import Result
from ui.widgets import heading, paragraph


def _num(x: float) -> str:
    return f"{x:g}"


class ResultsPage(QWidget):
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.title = heading("Assessment submitted")
        layout.addWidget(self.title)
        self.summary = paragraph("")
        self.summary.setAccessibleName("Result")
        layout.addWidget(self.summary)
        self.breakdown = QTreeWidget()
        self.breakdown.setAccessibleName("Score per question")
        self.breakdown.setHeaderLabels(["Question", "Score", "Out of"])
        self.breakdown.setRootIsDecorated(False)
        self.breakdown.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.breakdown, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.closed)
        row.addWidget(self.close_button)
        layout.addLayout(row)

    def show_result(self, result: Result) -> None:
        self.breakdown.clear()
        if not result.sent:
            self.summary.setText(
                "Your answers are submitted and saved on this computer, but the server cannot "
                "be reached right now. They are sent as soon as the connection is back: keep "
                "the app open, or open it again later."
            )
            self.breakdown.hide()
        elif not result.shown:
            self.summary.setText(
                "Thank you. Your answers were submitted; the company will contact you "
                "about the next steps."
            )
            self.breakdown.hide()
        else:
            self.summary.setText(
                f"Your score: {_num(result.total_score)} of {_num(result.max_score)} "
                f"({result.percentage:.0f}%)."
            )
            for line in result.breakdown:
                self.breakdown.addTopLevelItem(
                    QTreeWidgetItem([line.title, _num(line.score), _num(line.max_score)])
                )
            self.breakdown.show()
        self.close_button.setFocus()

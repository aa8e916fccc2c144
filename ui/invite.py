"""The first two candidate screens: paste an invitation, then read it and consent."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ui.ports import Invitation
from ui.widgets import heading, paragraph


def token_from(text: str) -> str:
    """The token in a pasted invitation link (``...?token=X`` or ``.../take/X``) or a bare token."""
    text = text.strip()
    if not text:
        return ""
    if "://" in text:
        url = urlparse(text)
        query = parse_qs(url.query)
        if query.get("token"):
            return query["token"][0]
        parts = [p for p in url.path.split("/") if p]
        return parts[-1] if parts else ""
    return re.sub(r"\s+", "", text)


class InvitePage(QWidget):
    """Asks for the invitation link or token; emits ``submitted(token)``."""

    submitted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QFrame()
        box.setMaximumWidth(720)
        layout = QVBoxLayout(box)
        layout.addWidget(heading("Welcome to EllaAI"))
        layout.addWidget(
            paragraph(
                "Paste the invitation link from your email, or the invitation code, "
                "to see your assessment."
            )
        )
        row = QHBoxLayout()
        self.field = QLineEdit()
        self.field.setPlaceholderText("https://assess.ellaai.com/take/…?token=… or the code")
        self.field.setAccessibleName("Invitation link or code")
        self.field.setClearButtonEnabled(True)
        self.field.returnPressed.connect(self._submit)
        self.field.textChanged.connect(self._changed)
        label = QLabel("&Invitation:")
        label.setBuddy(self.field)
        row.addWidget(label)
        row.addWidget(self.field, 1)
        self.open_button = QPushButton("&Open invitation")
        self.open_button.setAccessibleName("Open invitation")
        self.open_button.setDefault(True)
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._submit)
        row.addWidget(self.open_button)
        layout.addLayout(row)
        self.status = paragraph("")
        self.status.setAccessibleName("Invitation status")
        layout.addWidget(self.status)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(box, 4)
        centre.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(2)
        self.setFocusProxy(self.field)

    def set_busy(self, busy: bool, message: str = "") -> None:
        self.field.setEnabled(not busy)
        self.open_button.setEnabled(not busy and bool(token_from(self.field.text())))
        self.status.setText(message)

    def _changed(self, text: str) -> None:
        self.open_button.setEnabled(bool(token_from(text)))

    def _submit(self) -> None:
        token = token_from(self.field.text())
        if token:
            self.submitted.emit(token)


class ConsentPage(QWidget):
    """What the assessment is, its rules, exactly what is monitored and why; explicit consent."""

    accepted = Signal()
    declined = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        scroll.setWidget(self._body)
        outer.addWidget(scroll, 1)

        self.consent = QCheckBox()
        self.consent.setAccessibleName("I consent")
        self.consent.toggled.connect(self._update)
        outer.addWidget(self.consent)
        buttons = QHBoxLayout()
        self.back_button = QPushButton("&Back")
        self.back_button.clicked.connect(self.declined)
        self.continue_button = QPushButton("&Continue to system check")
        self.continue_button.setDefault(True)
        self.continue_button.clicked.connect(self.accepted)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.continue_button)
        outer.addLayout(buttons)
        self.invitation: Invitation | None = None

    def show_invitation(self, inv: Invitation) -> None:
        self.invitation = inv
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item is not None and (w := item.widget()) is not None:
                w.deleteLater()
        self._layout.addWidget(paragraph(inv.company))
        self._layout.addWidget(heading(inv.title))
        if inv.description:
            self._layout.addWidget(paragraph(inv.description))
        facts = QFormLayout()
        facts.addRow("Duration:", QLabel(f"{inv.duration_minutes} minutes"))
        facts.addRow("Questions:", QLabel(str(inv.question_count)))
        facts.addRow("Results:", QLabel("shown when you finish" if inv.show_results else
                                        "sent to the company, not shown"))  # fmt: skip
        facts.addRow("Proctoring:", QLabel("on" if inv.proctoring else "off"))
        self._layout.addLayout(facts)
        if inv.rules:
            self._layout.addWidget(heading("Rules", 2))
            rules = "".join(f"<li>{html.escape(r)}</li>" for r in inv.rules)
            self._layout.addWidget(paragraph(f"<ul>{rules}</ul>", rich=True))
        self._layout.addWidget(heading("What is monitored, and why", 2))
        if inv.proctoring and inv.monitored:
            rows = "".join(
                f"<tr><td style='padding:4px 12px 4px 0'><b>{html.escape(m.what)}</b></td>"
                f"<td style='padding:4px 0'>{html.escape(m.why)}</td></tr>"
                for m in inv.monitored
            )
            self._layout.addWidget(paragraph(f"<table>{rows}</table>", rich=True))
            self._layout.addWidget(
                paragraph(
                    "Nothing is recorded before you start. The app goes full screen and stays "
                    "on top while the assessment runs; leaving it is noted and shown to you."
                )
            )
            self.consent.setText(
                "I have read the rules and &consent to the monitoring described above."
            )
        else:
            self._layout.addWidget(
                paragraph("Nothing: this assessment is not proctored. No camera is needed.")
            )
            self.consent.setText("I have read the rules and I am ready to &start.")
        self._layout.addStretch(1)
        self.consent.setChecked(False)
        self._update()
        self.consent.setFocus()

    def _update(self) -> None:
        self.continue_button.setEnabled(self.consent.isChecked())

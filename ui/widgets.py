"""Small shared widgets: headings, banners, the saved/syncing/offline indicator, a relay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from ui.ports import SyncState, SyncStatus
from ui.theme import FAIL_COLOR, OK_COLOR, WARN_COLOR


class Relay(QObject):
    """Turns a callback fired on any thread into a call on the GUI thread."""

    arrived = Signal(object)

    def __init__(self, target: Callable[[Any], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._target = target
        self.arrived.connect(self._call)

    def __call__(self, value: object) -> None:
        self.arrived.emit(value)

    @Slot(object)
    def _call(self, value: object) -> None:
        self._target(value)


def heading(text: str, level: int = 1) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * {1: 1.7, 2: 1.3, 3: 1.1}[level])
    font.setBold(True)
    label.setFont(font)
    label.setWordWrap(True)
    label.setAccessibleName(text)
    return label


def paragraph(text: str, *, rich: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class Banner(QFrame):
    """A coloured strip across the top of a page: offline, focus lost, time warnings."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None, *, closable: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.close_button = QPushButton("Dismiss")
        self.close_button.setAccessibleName("Dismiss message")
        self.close_button.clicked.connect(self._dismiss)
        self.close_button.setVisible(closable)
        layout.addWidget(self.close_button)
        self.hide()

    def show_message(self, text: str, kind: str = "warning") -> None:
        colour = {"warning": WARN_COLOR, "error": FAIL_COLOR, "info": "#2f62c9", "ok": OK_COLOR}[
            kind
        ]
        self.setStyleSheet(
            f"QFrame#banner {{ background: {colour}; border-radius: 4px; }}"
            " QFrame#banner QLabel { color: white; font-weight: bold; }"
        )
        self.label.setText(text)
        self.setAccessibleName(text)
        self.show()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()


class SyncIndicator(QLabel):
    """ "Saved", "Syncing 3 changes…", "Offline: 5 changes saved on this computer"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Save status")
        self.status: SyncStatus | None = None
        self.saving = False
        self.set_status(SyncStatus(SyncState.SAVED))

    def set_saving(self, saving: bool) -> None:
        self.saving = saving
        if self.status is not None:
            self.set_status(self.status)

    def set_status(self, status: SyncStatus) -> None:
        self.status = status
        if self.saving:
            text, colour = "● Saving…", WARN_COLOR
        elif status.state is SyncState.OFFLINE:
            n = status.pending
            what = f"{n} change{'s' if n != 1 else ''} saved on this computer" if n else "saved"
            text, colour = f"● Offline: {what}", FAIL_COLOR
        elif status.state is SyncState.SYNCING:
            text, colour = f"● Syncing {status.pending}…", WARN_COLOR
        else:
            text, colour = "● All changes saved", OK_COLOR
        self.setText(text)
        self.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.setAccessibleDescription(text.lstrip("● "))

"""The one function that shows an error to a person.

A `UserFacingError` (offline, no camera, an expired invitation) is the person's environment: its
message is shown as written. Anything else is a bug: it is logged with its traceback and the person
sees that something went wrong on our side, not a Python message.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.ports import UserFacingError

log = logging.getLogger(__name__)

# The last messages shown, newest last: what tests and the crash log read.
shown: list[str] = []


def message_for(exc: BaseException) -> str:
    if isinstance(exc, UserFacingError):
        return str(exc)
    return (
        "Something went wrong on our side. Your answers are saved on this computer; "
        "if this keeps happening, contact support."
    )


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    """Tell the person, without blocking the GUI thread (the box is window-modal, not exec'd)."""
    if not isinstance(exc, UserFacingError):
        log.error("unexpected error", exc_info=exc)
    text = message_for(exc)
    shown.append(text)
    del shown[:-20]
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("EllaAI")
    box.setText(text)
    box.setAccessibleName("Error")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()

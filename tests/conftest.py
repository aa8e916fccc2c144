"""Settings every test shares: Qt renders offscreen, so the suite needs no display."""

from __future__ import annotations

import os

# Set before pytest-qt creates the QApplication: without a display, Qt's default (xcb) aborts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

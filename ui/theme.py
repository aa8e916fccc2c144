"""Light and dark palettes on the Fusion style, and the few colours the widgets share.

Sizes come from layouts and the font, never fixed pixels, so 125% and 150% scaling
(``QT_SCALE_FACTOR``) stay readable.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

Theme = Literal["light", "dark"]

SEVERITY_COLORS = {
    "info": "#5b8def",
    "low": "#3fa34d",
    "medium": "#e0a100",
    "warning": "#e0a100",
    "high": "#d9534f",
    "critical": "#8e1b17",
}
RISK_COLORS = {"low": "#3fa34d", "medium": "#e0a100", "high": "#d9534f", "critical": "#8e1b17"}
OK_COLOR = "#3fa34d"
WARN_COLOR = "#c98a00"
FAIL_COLOR = "#d9534f"


def _palette(theme: Theme) -> QPalette:
    p = QPalette()
    if theme == "dark":
        window, base, text, button = "#202225", "#17181a", "#e8e8e8", "#2c2f33"
        alt, highlight, link, disabled = "#25272b", "#3b6fd6", "#8ab4ff", "#7a7a7a"
    else:
        window, base, text, button = "#f4f5f7", "#ffffff", "#1d1f23", "#e9ebef"
        alt, highlight, link, disabled = "#f0f2f5", "#2f62c9", "#1f4fb5", "#8a8f98"
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.ToolTipBase: base,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: disabled,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: "#ff5555",
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: link,
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return p


def apply_theme(app: QApplication, theme: Theme) -> None:
    app.setStyle("Fusion")
    app.setPalette(_palette(theme))
    font = app.font()
    # a comfortable reading size; scaling multiplies it
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setProperty("ellaTheme", theme)


def is_dark(app: QApplication) -> bool:
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128

"""The proctor's window: log in, sessions ranked by risk with filters, one session in detail.

A session shows its risk score with the server's explanation, a timeline of events over the
attempt, the snapshots, the candidate's answers, and Clear / Flag with a note (sent at once).
"""

from __future__ import annotations

import html

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ui.ports import (
    ReviewService,
    ReviewStatus,
    SessionDetail,
    SessionFilter,
    SessionSummary,
    TimelineItem,
)
from ui.tasks import TaskManager
from ui.theme import RISK_COLORS, SEVERITY_COLORS
from ui.widgets import Banner, heading, paragraph

RISK_LEVELS = ("low", "medium", "high", "critical")
STATUSES = ("pending", "cleared", "flagged")
STATUS_TEXT = {"pending": "To review", "cleared": "Cleared", "flagged": "Flagged"}


class LoginPage(QWidget):
    submitted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QFrame()
        box.setMaximumWidth(520)
        layout = QVBoxLayout(box)
        layout.addWidget(heading("Proctor sign-in"))
        layout.addWidget(paragraph("Review your company's proctored sessions."))
        form = QFormLayout()
        self.email = QLineEdit()
        self.email.setAccessibleName("Email")
        self.email.setPlaceholderText("you@company.com")
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self._submit)
        form.addRow("&Email:", self.email)
        form.addRow("&Password:", self.password)
        layout.addLayout(form)
        self.error = paragraph("")
        self.error.setStyleSheet("color: #d9534f;")
        self.error.setAccessibleName("Sign-in error")
        layout.addWidget(self.error)
        self.button = QPushButton("&Sign in")
        self.button.setDefault(True)
        self.button.clicked.connect(self._submit)
        layout.addWidget(self.button)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.setFocusProxy(self.email)

    def _submit(self) -> None:
        self.error.setText("")
        self.button.setEnabled(False)
        self.submitted.emit(self.email.text().strip(), self.password.text())

    def failed(self, message: str) -> None:
        self.button.setEnabled(True)
        self.error.setText(message)
        self.password.selectAll()
        self.password.setFocus()


class SessionModel(QAbstractTableModel):
    HEADERS = ("Risk", "Level", "Candidate", "Assessment", "Started", "Events", "Review")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[SessionSummary] = []

    def set_rows(self, rows: list[SessionSummary]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def update_row(self, summary: SessionSummary) -> None:
        for i, row in enumerate(self.rows):
            if row.session_id == summary.session_id:
                self.rows[i] = summary
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.HEADERS) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        s = self.rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return (
                f"{s.risk_score:.2f}", s.risk_level.title(), s.candidate, s.assessment,
                s.started_at.strftime("%Y-%m-%d %H:%M"), str(s.events),
                STATUS_TEXT[s.review_status],
            )[col]  # fmt: skip
        if role == Qt.ItemDataRole.ForegroundRole and col in (0, 1):
            return QColor(RISK_COLORS[s.risk_level])
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return s.session_id
        return None


class SessionListPage(QWidget):
    open_session = Signal(str)
    filters_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.greeting = heading("Sessions", 1)
        layout.addWidget(self.greeting)
        bar = QHBoxLayout()
        self.assessment = self._combo(bar, "&Assessment:", [("All assessments", None)])
        self.risk = self._combo(
            bar, "&Risk:", [("Any risk", None)] + [(r.title(), r) for r in RISK_LEVELS]
        )
        self.status = self._combo(
            bar, "Re&view:", [("Any status", None)] + [(STATUS_TEXT[s], s) for s in STATUSES]
        )
        bar.addStretch(1)
        self.refresh_button = QPushButton("Re&fresh")
        self.refresh_button.clicked.connect(self.filters_changed)
        bar.addWidget(self.refresh_button)
        layout.addLayout(bar)
        self.model = SessionModel()
        self.table = QTableView()
        self.table.setAccessibleName("Sessions, highest risk first")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._activated)
        self.table.doubleClicked.connect(self._activated)
        layout.addWidget(self.table, 1)
        self.count = QLabel("")
        layout.addWidget(self.count)
        self.setFocusProxy(self.table)

    def _combo(self, bar: QHBoxLayout, text: str, items: list[tuple[str, object]]) -> QComboBox:
        label = QLabel(text)
        combo = QComboBox()
        combo.setAccessibleName(text.replace("&", "").rstrip(":"))
        for name, value in items:
            combo.addItem(name, value)
        label.setBuddy(combo)
        combo.currentIndexChanged.connect(lambda _i: self.filters_changed.emit())
        bar.addWidget(label)
        bar.addWidget(combo)
        return combo

    def set_assessments(self, items: list[tuple[str, str]]) -> None:
        self.assessment.blockSignals(True)
        while self.assessment.count() > 1:
            self.assessment.removeItem(1)
        for aid, title in items:
            self.assessment.addItem(title, aid)
        self.assessment.blockSignals(False)

    def query(self) -> SessionFilter:
        return SessionFilter(
            assessment_id=self.assessment.currentData(),
            risk_level=self.risk.currentData(),
            review_status=self.status.currentData(),
        )

    def set_rows(self, rows: list[SessionSummary]) -> None:
        self.model.set_rows(rows)
        self.count.setText(f"{len(rows)} session{'s' if len(rows) != 1 else ''}")
        if rows:
            self.table.selectRow(0)

    def _activated(self, index: QModelIndex) -> None:
        self.open_session.emit(self.model.rows[index.row()].session_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            current = self.table.currentIndex()
            if current.isValid():
                self._activated(current)
                return
        super().keyPressEvent(event)


class TimelineWidget(QWidget):
    """Events over the attempt's duration: one lane per event type, coloured by severity.

    Keyboard: Left/Right step through events; the selected one is described in the tooltip and
    the accessible description.
    """

    selected = Signal(object)  # TimelineItem

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: tuple[TimelineItem, ...] = ()
        self.duration = 1.0
        self.current = -1
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Event timeline")
        self.setMouseTracking(True)

    def set_items(self, items: tuple[TimelineItem, ...], duration: float) -> None:
        self.items = tuple(sorted(items, key=lambda i: i.offset))
        self.duration = max(duration, max((i.offset + i.duration for i in items), default=1.0))
        self.current = -1
        self.updateGeometry()
        self.update()

    def _lanes(self) -> list[str]:
        return list(dict.fromkeys(i.type for i in self.items))

    def sizeHint(self) -> QSize:
        lane = self.fontMetrics().height() + 8
        return QSize(600, 40 + lane * max(1, len(self._lanes())))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _geometry(self) -> tuple[float, float, float]:
        left = float(max((self.fontMetrics().horizontalAdvance(_lane_name(t))
                          for t in self._lanes()), default=40) + 24)  # fmt: skip
        right = self.width() - self.fontMetrics().horizontalAdvance("999m") - 4
        return left, float(right), float(self.fontMetrics().height() + 8)

    def _rect(self, item: TimelineItem) -> QRectF:
        left, right, lane = self._geometry()
        scale = (right - left) / self.duration
        row = self._lanes().index(item.type)
        x = left + item.offset * scale
        w = max(6.0, item.duration * scale)
        return QRectF(x, 6 + row * lane + 2, w, lane - 4)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        left, right, lane = self._geometry()
        text = pal.color(QPalette.ColorRole.Text)
        for row, name in enumerate(self._lanes()):
            p.setPen(text)
            align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
            p.drawText(QRectF(4, 6 + row * lane, left - 12, lane), int(align), _lane_name(name))
        axis_y = 6 + len(self._lanes()) * lane + 4
        p.setPen(QPen(pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text), 1))
        p.drawLine(QPointF(left, axis_y), QPointF(right, axis_y))
        minutes = int(self.duration // 60)
        step = max(1, minutes // 9 or 1)
        for m in range(0, minutes + 1, step):
            x = left + m * 60 * (right - left) / self.duration
            p.drawLine(QPointF(x, axis_y), QPointF(x, axis_y + 4))
            p.drawText(QPointF(x - 8, axis_y + 6 + self.fontMetrics().ascent()), f"{m}m")
        for i, item in enumerate(self.items):
            r = self._rect(item)
            colour = QColor(SEVERITY_COLORS.get(item.severity, "#888"))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour)
            p.drawRoundedRect(r, 3, 3)
            if i == self.current:
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
                p.drawRoundedRect(r.adjusted(-3, -3, 3, 3), 4, 4)
        p.end()

    def _select(self, index: int) -> None:
        if not self.items:
            return
        self.current = max(0, min(index, len(self.items) - 1))
        item = self.items[self.current]
        text = f"{_clock(item.offset)} · {item.label} ({item.severity})"
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        self.update()
        self.selected.emit(item)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Right:
            self._select(self.current + 1)
        elif event.key() == Qt.Key.Key_Left:
            self._select(self.current - 1 if self.current > 0 else 0)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for i, item in enumerate(self.items):
            if self._rect(item).adjusted(-3, -3, 3, 3).contains(event.position()):
                self._select(i)
                QToolTip.showText(event.globalPosition().toPoint(), self.toolTip(), self)
                return


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


class SessionPage(QWidget):
    back = Signal()
    review = Signal(str, str, str)  # session id, status, note

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail: SessionDetail | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.back_button = QPushButton("◀ &Sessions")
        self.back_button.clicked.connect(self.back)
        top.addWidget(self.back_button)
        self.title = heading("", 2)
        top.addWidget(self.title, 1)
        self.risk = QLabel()
        self.risk.setAccessibleName("Risk score")
        font = self.risk.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.risk.setFont(font)
        top.addWidget(self.risk)
        layout.addLayout(top)
        self.banner = Banner()
        layout.addWidget(self.banner)

        split = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        ul = QHBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        self.explanation = QTextBrowser()
        self.explanation.setAccessibleName("Why this risk score")
        ul.addWidget(self.explanation, 2)
        verdict = QVBoxLayout()
        verdict.addWidget(QLabel("<b>Your review</b>"))
        self.status = QLabel()
        self.status.setAccessibleName("Review status")
        verdict.addWidget(self.status)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note for the hiring team (required to flag)")
        self.note.setAccessibleName("Review note")
        self.note.textChanged.connect(self._update_buttons)
        verdict.addWidget(self.note)
        row = QHBoxLayout()
        self.clear_button = QPushButton("C&lear")
        self.clear_button.setToolTip("Nothing suspicious: mark the session cleared")
        self.clear_button.clicked.connect(lambda: self._review("cleared"))
        self.flag_button = QPushButton("&Flag")
        self.flag_button.setToolTip("Mark the session for the hiring team's attention")
        self.flag_button.clicked.connect(lambda: self._review("flagged"))
        row.addWidget(self.clear_button)
        row.addWidget(self.flag_button)
        verdict.addLayout(row)
        verdict.addStretch(1)
        ul.addLayout(verdict, 1)
        split.addWidget(upper)

        tl_box = QWidget()
        tl = QVBoxLayout(tl_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(QLabel("<b>Timeline</b> (←/→ to step through events)"))
        self.timeline = TimelineWidget()
        self.timeline.selected.connect(self._event_selected)
        tl.addWidget(self.timeline)
        self.event_label = QLabel("")
        self.event_label.setAccessibleName("Selected event")
        tl.addWidget(self.event_label)
        split.addWidget(tl_box)

        self.tabs = QTabWidget()
        self.snapshots = QWidget()
        self._snap_layout = QHBoxLayout(self.snapshots)
        snap_scroll = QScrollArea()
        snap_scroll.setWidgetResizable(True)
        snap_scroll.setWidget(self.snapshots)
        self.answers = QTextBrowser()
        self.answers.setAccessibleName("Candidate's answers")
        self.tabs.addTab(snap_scroll, "S&napshots")
        self.tabs.addTab(self.answers, "A&nswers")
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 3)
        split.setSizes([140, 200, 460])
        layout.addWidget(split, 1)

    def show_detail(self, d: SessionDetail) -> None:
        self.detail = d
        s = d.summary
        self.title.setText(f"{s.candidate} — {s.assessment}")
        colour = RISK_COLORS[s.risk_level]
        self.risk.setText(f"Risk {s.risk_score:.2f} · {s.risk_level.upper()}")
        self.risk.setStyleSheet(f"color: {colour};")
        lines = "".join(f"<li>{html.escape(x)}</li>" for x in d.explanation[1:])
        head = html.escape(d.explanation[0]) if d.explanation else ""
        self.explanation.setHtml(f"<p><b>{head}</b></p><ul>{lines}</ul>")
        self.note.setText(d.review_note)
        self._show_status(s)
        self.timeline.set_items(d.timeline, d.duration)
        self.event_label.setText(f"{len(d.timeline)} events over {_clock(d.duration)}.")
        while self._snap_layout.count():
            item = self._snap_layout.takeAt(0)
            if item is not None and (w := item.widget()) is not None:
                w.deleteLater()
        for snap in d.snapshots:
            box = QVBoxLayout()
            pix = QPixmap()
            pix.loadFromData(snap.jpeg)
            image = QLabel()
            image.setPixmap(pix)
            image.setAccessibleName(f"Snapshot at {_clock(snap.offset)}: {snap.caption}")
            cap = QLabel(f"{_clock(snap.offset)} · {snap.caption}")
            cap.setWordWrap(True)
            holder = QWidget()
            box.addWidget(image)
            box.addWidget(cap)
            box.addStretch(1)
            holder.setLayout(box)
            self._snap_layout.addWidget(holder)
        if not d.snapshots:
            self._snap_layout.addWidget(QLabel("No snapshots in this session."))
        self._snap_layout.addStretch(1)
        parts = []
        for a in d.answers:
            score = "not graded yet" if a.score is None else f"{a.score:g} / {a.max_score:g}"
            body = html.escape(a.answer) or "<i>no answer</i>"
            block = f"<pre>{body}</pre>" if a.type == "coding" else f"<p>{body}</p>"
            parts.append(f"<h3>{html.escape(a.question)} <small>({score})</small></h3>{block}")
        self.answers.setHtml("".join(parts))
        self.banner.hide()
        self.timeline.setFocus()

    def _show_status(self, s: SessionSummary) -> None:
        self.status.setText(f"Status: {STATUS_TEXT[s.review_status]}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.flag_button.setEnabled(bool(self.note.text().strip()))

    def _review(self, status: ReviewStatus) -> None:
        if self.detail is None:
            return
        self.clear_button.setEnabled(False)
        self.flag_button.setEnabled(False)
        self.review.emit(self.detail.summary.session_id, status, self.note.text().strip())

    def reviewed(self, s: SessionSummary) -> None:
        assert self.detail is not None
        self.detail = SessionDetail(s, self.detail.duration, self.detail.explanation,
                                    self.detail.timeline, self.detail.snapshots,
                                    self.detail.answers, self.note.text())  # fmt: skip
        self.clear_button.setEnabled(True)
        self._show_status(s)
        self.banner.show_message(f"Saved: {STATUS_TEXT[s.review_status].lower()}.", "ok")

    def review_failed(self, message: str) -> None:
        self.clear_button.setEnabled(True)
        self._update_buttons()
        self.banner.show_message(message, "error")

    def _event_selected(self, item: object) -> None:
        assert isinstance(item, TimelineItem)
        self.event_label.setText(f"{_clock(item.offset)} · {item.label} ({item.severity})")


class ReviewWindow(QMainWindow):
    def __init__(self, service: ReviewService, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("EllaAI Review")
        self.service = service
        self.tasks = tasks
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self.login_page = LoginPage()
        self.list_page = SessionListPage()
        self.session_page = SessionPage()
        for page in (self.login_page, self.list_page, self.session_page):
            self.stack.addWidget(page)
        self.login_page.submitted.connect(self.login)
        self.list_page.filters_changed.connect(self.refresh)
        self.list_page.open_session.connect(self.open_session)
        self.session_page.back.connect(self._to_list)
        self.session_page.review.connect(self.send_review)
        self.login_page.setFocus()

    def login(self, email: str, password: str) -> None:
        from ui.errors import message_for

        self.tasks.op(self, lambda: self.service.login(email, password)).success(
            self._logged_in
        ).failure(lambda exc: self.login_page.failed(message_for(exc))).run()

    def _logged_in(self, name: str) -> None:
        self.list_page.greeting.setText(f"Sessions — signed in as {name}")
        self.stack.setCurrentWidget(self.list_page)
        self.tasks.op(self, self.service.assessments).success(self._assessments).run()

    def _assessments(self, items: list[tuple[str, str]]) -> None:
        self.list_page.set_assessments(items)
        self.refresh()

    def refresh(self) -> None:
        query = self.list_page.query()
        self.tasks.op(self, lambda: self.service.sessions(query)).success(
            lambda rows: self._sessions(query, rows)
        ).run()

    def _sessions(self, query: SessionFilter, rows: list[SessionSummary]) -> None:
        # Answers can arrive out of order when filters change quickly: show only the newest.
        if query != self.list_page.query():
            return
        self.list_page.set_rows(rows)
        self.list_page.table.setFocus()

    def open_session(self, session_id: str) -> None:
        self.tasks.op(self, lambda: self.service.session(session_id)).success(self._opened).run()

    def _opened(self, detail: SessionDetail) -> None:
        self.session_page.show_detail(detail)
        self.stack.setCurrentWidget(self.session_page)

    def send_review(self, session_id: str, status: str, note: str) -> None:
        from ui.errors import message_for

        st: ReviewStatus = "cleared" if status == "cleared" else "flagged"
        self.tasks.op(self, lambda: self.service.review(session_id, st, note)).success(
            self._reviewed
        ).failure(lambda exc: self.session_page.review_failed(message_for(exc))).run()

    def _reviewed(self, summary: SessionSummary) -> None:
        self.session_page.reviewed(summary)
        self.list_page.model.update_row(summary)

    def _to_list(self) -> None:
        self.stack.setCurrentWidget(self.list_page)
        self.refresh()


def _lane_name(event_type: str) -> str:
    return event_type.replace("_", " ").capitalize()

"""The one way the GUI thread gets work done without waiting: ``Op``.

Shaped like Anki's ``CollectionOp``::

    tasks.op(self, lambda: service.save_answer(qid, answer)).success(on_saved).run()

The function runs on a worker thread; ``success``/``failure`` run on the GUI thread, and not at
all if ``parent`` was destroyed meanwhile. A failure with no handler goes to
`ui.errors.show_error`, the one function that shows errors to a person.

Lanes: ``IO`` (network, files; a few threads), ``WRITE`` (the local journal: exactly one thread,
so there is a single writer and answers land in the order they were typed), ``CPU`` (sandbox runs,
one at a time so a candidate's machine stays responsive).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any, Generic, TypeVar, cast

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QApplication, QWidget

from ui.errors import show_error

T = TypeVar("T")
log = logging.getLogger(__name__)


class Lane(Enum):
    IO = "io"
    WRITE = "write"
    CPU = "cpu"


class _Relay(QObject):
    """Lives on the GUI thread; a worker emits, Qt queues `arrive` onto the GUI thread."""

    finished = Signal(bool, object)

    def __init__(self, deliver: Callable[[bool, object], None]) -> None:
        super().__init__()
        self._deliver = deliver
        self.finished.connect(self.arrive)

    @Slot(bool, object)
    def arrive(self, ok: bool, value: object) -> None:
        self._deliver(ok, value)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            value = self._fn()
        except BaseException as exc:  # handed to the failure callback on the GUI thread
            self._relay.finished.emit(False, exc)
        else:
            self._relay.finished.emit(True, value)


class TaskManager(QObject):
    """Thread pools per lane; owned by the application, handed to every window."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[Lane, QThreadPool] = {}
        for lane, threads in ((Lane.IO, 4), (Lane.WRITE, 1), (Lane.CPU, 1)):
            pool = QThreadPool(self)
            pool.setMaxThreadCount(threads)
            self._pools[lane] = pool
        self._running: set[Op[Any]] = set()
        self._lock = threading.Lock()

    def op(self, parent: QObject, fn: Callable[[], T], *, lane: Lane = Lane.IO) -> Op[T]:
        return Op(self, parent, fn, lane)

    @property
    def busy(self) -> int:
        """Operations started and not yet delivered."""
        return len(self._running)

    def wait_idle(self, timeout_ms: int = 10_000) -> bool:
        """Run until every operation delivered its result (tests, shutdown); False on timeout."""
        import time

        deadline = time.monotonic() + timeout_ms / 1000
        while self._running and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.002)
        return not self._running

    def shutdown(self, timeout_ms: int = 5_000) -> None:
        for pool in self._pools.values():
            pool.waitForDone(timeout_ms)

    def _start(self, op: Op[Any]) -> None:
        self._running.add(op)
        self._pools[op.lane].start(op.job)

    def _done(self, op: Op[Any]) -> None:
        self._running.discard(op)


class Op(Generic[T]):
    def __init__(
        self, tasks: TaskManager, parent: QObject, fn: Callable[[], T], lane: Lane
    ) -> None:
        self._tasks = tasks
        self._parent = parent
        self._fn = fn
        self.lane = lane
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._alive = True
        self._relay = _Relay(self._deliver)
        parent.destroyed.connect(self._parent_gone)
        self.job = _Job(fn, self._relay)

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op[T]:
        self._on_failure = callback
        return self

    def run(self) -> None:
        self._tasks._start(self)

    def _parent_gone(self) -> None:
        self._alive = False

    def _deliver(self, ok: bool, value: object) -> None:
        self._tasks._done(self)
        if not self._alive:
            return
        with contextlib.suppress(RuntimeError, TypeError):
            self._parent.destroyed.disconnect(self._parent_gone)
        if ok:
            if self._on_success is not None:
                self._on_success(cast(T, value))
            return
        assert isinstance(value, BaseException)
        if self._on_failure is not None:
            self._on_failure(value)
        else:
            widget = self._parent if isinstance(self._parent, QWidget) else None
            show_error(widget, value)

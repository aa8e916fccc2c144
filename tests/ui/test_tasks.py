from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from ui import errors
from ui.ports import UserFacingError
from ui.tasks import Lane


def test_success_runs_on_the_gui_thread_and_work_off_it(qtbot, tasks):
    parent = QObject()
    where = {}

    def work():
        where["work"] = threading.current_thread()
        return 42

    got = []

    def done(value):
        got.append(value)
        where["cb"] = threading.current_thread()

    tasks.op(parent, work).success(done).run()
    qtbot.waitUntil(lambda: got == [42])
    assert where["work"] is not threading.main_thread()
    assert where["cb"] is threading.main_thread()


def test_failure_handler_gets_the_exception(qtbot, tasks):
    parent = QObject()
    failures: list[BaseException] = []

    def boom():
        raise ValueError("no")

    tasks.op(parent, boom).failure(failures.append).run()
    qtbot.waitUntil(lambda: len(failures) == 1)
    assert isinstance(failures[0], ValueError)


def test_unhandled_failure_goes_to_show_error(qtbot, tasks):
    parent = QWidget()
    qtbot.addWidget(parent)
    errors.shown.clear()

    def offline():
        raise UserFacingError("You are offline.")

    tasks.op(parent, offline).run()
    qtbot.waitUntil(lambda: errors.shown == ["You are offline."])
    box = parent.findChild(QMessageBox)
    assert box is not None and box.text() == "You are offline."


def test_no_callback_after_the_parent_is_gone(qtbot, tasks):
    parent = QObject()
    got: list[int] = []

    def slow():
        time.sleep(0.05)
        return 1

    tasks.op(parent, slow).success(got.append).run()
    parent.deleteLater()
    qtbot.wait(10)
    assert tasks.wait_idle()
    assert got == []


def test_the_write_lane_is_one_thread_in_order(qtbot, tasks):
    parent = QObject()
    order, threads = [], set()

    def write(i):
        threads.add(threading.current_thread().name)
        time.sleep(0.001)
        order.append(i)

    for i in range(20):
        tasks.op(parent, lambda i=i: write(i), lane=Lane.WRITE).run()
    assert tasks.wait_idle()
    assert order == list(range(20))
    assert len(threads) == 1

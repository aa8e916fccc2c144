"""What the UI feeds (focus, displays, paste), subscribers, and closing a session."""

from __future__ import annotations

from proctoring.config import MonitorConfig, ProctoringConfig
from proctoring.events import ProctorEvent, verify_chain
from proctoring.session import ManualClock, ProctoringSession


def make(config: ProctoringConfig | None = None):
    clock = ManualClock()
    return ProctoringSession("ui", config, clock=clock), clock


def test_focus_lost_and_regained_is_one_episode():
    session, clock = make()
    seen: list[ProctorEvent] = []
    unsubscribe = session.subscribe(seen.append)
    clock.advance(10)
    session.focus_changed(False)
    clock.advance(4.5)
    session.focus_changed(True)
    unsubscribe()
    session.focus_changed(False)
    start, end = seen
    assert (start.type, start.severity, start.phase, start.offset) == (
        "focus_lost",
        "medium",
        "start",
        10.0,
    )
    assert (end.phase, end.data["duration"], end.data["startSeq"]) == ("end", 4500, start.seq)
    assert len(seen) == 2


def test_focus_grace_hides_blips():
    session, clock = make(ProctoringConfig(monitors=MonitorConfig(focus_grace_s=1.0)))
    session.focus_changed(False)
    clock.advance(0.3)
    session.focus_changed(True)
    assert [e.type for e in session.events] == ["session_started"]
    session.focus_changed(False)
    clock.advance(2)
    session.poll()
    clock.advance(1)
    session.focus_changed(True)
    start, end = session.events[-2:]
    assert start.data["startOffset"] == 0.3 and end.data["duration"] == 3000


def test_displays_and_paste():
    session, clock = make()
    session.displays_changed(2)
    clock.advance(1)
    session.displays_changed(3)
    clock.advance(1)
    session.displays_changed(1)
    session.pasted(50, lines=2)
    session.pasted(5000)
    types = [(e.type, e.severity, e.phase) for e in session.events[1:]]
    assert types == [
        ("multiple_displays_detected", "medium", "start"),
        ("display_count_changed", "info", None),
        ("multiple_displays_detected", "info", "end"),
        ("paste_detected", "low", None),
        ("paste_detected", "medium", None),
    ]
    assert session.events[-1].data == {"chars": 5000, "target": "editor"}


def test_close_ends_open_episodes_and_chain_holds():
    session, clock = make()
    session.focus_changed(False)
    clock.advance(2)
    session.close()
    session.close()
    last = session.events
    assert [e.type for e in last[-2:]] == ["focus_lost", "session_ended"]
    assert last[-2].data["duration"] == 2000
    assert verify_chain(last, session_id="ui") == []


def test_broken_subscriber_does_not_stop_events(caplog):
    session, _ = make()

    def broken(_event):
        raise RuntimeError("boom")

    session.subscribe(broken)
    session.pasted(10)
    assert session.events[-1].type == "paste_detected"
    assert "subscriber" in caplog.text


def test_subscribers_run_outside_the_lock_in_seq_order():
    import threading

    session, _ = make()
    seen: list[int] = []
    other_thread_done = []

    def subscriber(event):
        seen.append(event.seq)
        # Another thread can use the session while we are being notified: no lock is held.
        if event.type == "focus_lost" and event.phase == "start":
            worker = threading.Thread(target=lambda: other_thread_done.append(session.pasted(3)))
            worker.start()
            worker.join(5)

    session.subscribe(subscriber)
    session.focus_changed(False)
    assert other_thread_done == [None]
    assert seen == sorted(seen) == [1, 2]


def test_many_threads_keep_the_chain_intact():
    import threading

    session, _ = make()
    seen: list[int] = []
    session.subscribe(lambda e: seen.append(e.seq))
    threads = [
        threading.Thread(target=lambda: [session.pasted(i) for i in range(50)]) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(session.events) == 201
    assert seen == list(range(1, 201))
    assert verify_chain(session.events, session_id="ui") == []


def test_ui_feeds_after_close_are_ignored():
    session, _ = make()
    session.close()
    session.pasted(10)
    session.focus_changed(False)
    session.displays_changed(2)
    assert session.events[-1].type == "session_ended"

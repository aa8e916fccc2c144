"""`python -m app take` as a candidate runs it: with a video to proctor, and killed with SIGKILL
at random points and started again on the same data directory until it finishes."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from proctoring.samples import sample_frame, two_faces_frame
from server.assessments.models import AnswerRevision, Attempt
from server.db import make_engine, make_sessionmaker
from server.proctoring.models import ProctorEventRecord, ProctorSession
from server.sync.models import SyncDevice, SyncEntry
from tests.proctoring.conftest import write_video
from tests.sync.harness import answers_for, build_world

ROOT = Path(__file__).resolve().parents[2]
KILLS = 8


def take_command(server: str, token: str, answers: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "app",
        "take",
        "--server",
        server,
        "--invite",
        token,
        "--answers",
        str(answers),
        "--data-dir",
        str(data_dir),
        "--json",
        *extra,
    ]


def run(command: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_take_with_a_video(world, live_server, tmp_path):
    video = write_video(
        tmp_path / "candidate.avi",
        [(sample_frame("astronaut"), 3), (sample_frame("coffee"), 6), (two_faces_frame(), 4)],
    )
    answers = tmp_path / "answers.json"
    chosen = answers_for(world)
    answers.write_text(json.dumps(chosen))
    (token,) = world.invite()
    done = run(take_command(live_server.url, token, answers, tmp_path / "d", "--video", str(video)))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "completed"
    assert result["totalScore"] == 10 * sum(1 for a in chosen.values() if a == "a")
    assert result["outbox"] == {"acked": result["events"] + len(chosen) + 3}
    session = world.recruiter.proctor.get_session(result["sessionId"])
    types = {e["type"] for e in session["events"]}
    assert {"face_not_detected", "multiple_faces_detected"} <= types, types
    assert session["status"] == "ended" and session["integrity"]["chainIntact"]
    assert session["riskScore"] > 0 and session["risk"]["byType"]


def test_killed_at_random_and_restarted_loses_nothing(live_server, tmp_path, closing):
    world = build_world(live_server.url, questions=60)
    closing(world.recruiter)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(answers_for(world)))
    (token,) = world.invite()
    data_dir = tmp_path / "device"
    command = take_command(live_server.url, token, answers, data_dir)
    rng = random.Random(42)
    kills = 0
    for attempt_number in range(KILLS):
        log = tmp_path / f"run-{attempt_number}.log"
        with log.open("w") as stderr:
            before = _progress(data_dir / "journal.db")
            process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr)
            if attempt_number == 0:
                _wait_for_attempt(data_dir / "journal.db")  # the invitation signs in only once
            # Kill at a random point counted in progress, not time (a fast machine answers the
            # whole attempt in less than a poll's sleep), after some progress of this run's own.
            target = before + rng.randint(1, 4)
            _wait_for_progress(data_dir / "journal.db", beyond=target - 1, process=process)
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                kills += 1
            elif process.returncode == 0:
                break  # it finished before this kill
            else:
                raise AssertionError(log.read_text())
    done = run(command)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert kills >= 3
    assert result["status"] == "completed"

    journal = sqlite3.connect(data_dir / "journal.db")
    outbox = dict(journal.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    journaled_answers = journal.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    journaled_events = dict(
        journal.execute("SELECT session_id, COUNT(*) FROM events GROUP BY session_id")
    )
    device_id = json.loads(
        journal.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()[0]
    )
    journal.close()
    assert set(outbox) == {"acked"}
    assert journaled_answers == len(world.question_ids)  # each answer saved once across runs

    engine = make_engine(live_server.settings.resolved_database_url)
    with make_sessionmaker(engine)() as db:
        attempt = db.scalar(select(Attempt).where(Attempt.id == result["attemptId"]))
        assert attempt is not None and attempt.status == "completed"
        revisions = db.scalar(
            select(func.count())
            .select_from(AnswerRevision)
            .where(AnswerRevision.attempt_id == attempt.id)
        )
        assert revisions == journaled_answers
        sessions = db.scalars(
            select(ProctorSession).where(ProctorSession.attempt_id == attempt.id)
        ).all()
        assert {s.id for s in sessions} == set(journaled_events)
        for session in sessions:
            stored = db.scalars(
                select(ProctorEventRecord.seq).where(ProctorEventRecord.session_id == session.id)
            ).all()
            # Every journaled event exactly once, no tamper events: each chain ended cleanly.
            assert None not in stored, session.id
            chained = sorted(s for s in stored if s is not None)
            assert chained == list(range(journaled_events[session.id])), session.id
            assert session.status == "ended"
        # Events have no ledger rows: the event table holds each once; the device's watermark
        # covers every outbox entry.
        ledger = db.scalars(select(SyncEntry.status).where(SyncEntry.device_id == device_id)).all()
        assert ledger == ["applied"] * (outbox["acked"] - sum(journaled_events.values()))
        device = db.get(SyncDevice, device_id)
        assert device is not None
        assert (device.last_seq, device.acked_seqs) == (outbox["acked"], [])
    engine.dispose()


def _progress(journal_path: Path) -> int:
    """Answers journaled plus outbox entries the server acknowledged."""
    if not journal_path.exists():
        return 0
    try:
        with sqlite3.connect(journal_path, timeout=1) as conn:
            answers = conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            acked = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'acked'").fetchone()
            return int(answers) + int(acked[0])
    except sqlite3.Error:
        return 0


def _wait_for_progress(
    journal_path: Path, *, beyond: int, process: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if _progress(journal_path) > beyond:
            return
        time.sleep(0.002)


def _wait_for_attempt(journal_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(journal_path, timeout=1) as conn:
                if conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]:
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    raise AssertionError("the first run never started the attempt")

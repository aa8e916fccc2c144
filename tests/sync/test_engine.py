"""The journal and the sync engine under faults: a proxy that drops, delays and cuts
connections, the server restarted mid-sync, a tampered journal. Each run ends with every answer
and event on the server exactly once."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from proctoring.events import EventChain, snapshot_descriptor
from proctoring.session import ProctoringSession
from server.assessments.models import AnswerRevision, Attempt
from server.db import make_engine, make_sessionmaker
from server.proctoring.models import ProctorEventRecord
from server.schemas.sync import MAX_ENTRIES
from server.sync.models import SyncDevice, SyncEntry
from sync import EllaAI
from sync.engine import Connectivity, SyncEngine
from sync.journal import Journal
from tests.sync.harness import FaultProxy, Faults, LiveServer, World

ROUNDS = 40  # answer versions per question: 5 questions -> 200 answers, plus ~300 events


def candidate(world: World, base_url: str) -> EllaAI:
    client = EllaAI(base_url=f"{base_url}/api")
    (token,) = world.invite()
    client.auth.login(invite_token=token)
    return client


def start_attempt(journal: Journal, client: EllaAI, world: World):
    return journal.store_attempt(world.assessment_id, client.assessments.start(world.assessment_id))


def scripted_attempt(journal: Journal, engine: SyncEngine, attempt, rounds: int, seed: int = 3):
    """A candidate who keeps changing answers while proctoring reports events."""
    rng = random.Random(seed)
    session_id = journal.open_session(attempt, {"recordVideo": False})
    proctor = ProctoringSession(session_id)
    journal.follow(proctor, engine.wake)
    questions = [q["id"] for q in attempt.body["questions"]]
    for i in range(rounds):
        for q in questions:
            # Alternate, so every saved version differs from the last and makes a revision.
            journal.save_answer(attempt, q, "a" if i % 2 == 0 else "b", time_spent=i)
            engine.wake()
        for _ in range(rng.randint(5, 10)):
            proctor.emit("paste_detected", "low", {"chars": rng.randint(1, 500)})
        proctor.focus_changed(False)
        proctor.focus_changed(True)
    proctor.close()
    journal.end_session(session_id)
    journal.complete(attempt)
    engine.wake()
    return session_id


def server_counts(server: LiveServer, attempt_id: str, session_id: str, device_id: str):
    engine = make_engine(server.settings.resolved_database_url)
    with make_sessionmaker(engine)() as db:
        revisions = db.scalar(
            select(func.count())
            .select_from(AnswerRevision)
            .where(AnswerRevision.attempt_id == attempt_id)
        )
        seqs = list(
            db.scalars(
                select(ProctorEventRecord.seq).where(
                    ProctorEventRecord.session_id == session_id, ProctorEventRecord.seq.is_not(None)
                )
            )
        )
        tampered = db.scalar(
            select(func.count())
            .select_from(ProctorEventRecord)
            .where(
                ProctorEventRecord.session_id == session_id, ProctorEventRecord.source == "server"
            )
        )
        ledger = list(db.scalars(select(SyncEntry.status).where(SyncEntry.device_id == device_id)))
        device = db.get(SyncDevice, device_id)
        acked = (device.last_seq, device.acked_seqs) if device else None
        status = db.scalar(select(Attempt.status).where(Attempt.id == attempt_id))
    engine.dispose()
    return revisions, seqs, tampered, ledger, acked, status


def assert_exactly_once(server, journal, attempt, session_id):
    revisions, seqs, tampered, ledger, acked, status = server_counts(
        server, attempt.id, session_id, journal.device_id
    )
    assert revisions == len(journal.answers(attempt.id))
    assert sorted(seqs) == list(range(journal.event_count(session_id)))
    assert tampered == 0
    (outbox_total,) = journal.outbox_status().values()
    # Events have no ledger rows (the event table holds each once); the device's watermark
    # covers every outbox entry.
    assert ledger == ["applied"] * (outbox_total - len(seqs))
    assert acked == (outbox_total, [])
    assert status == "completed"


def test_flaky_network_and_server_restart_lose_nothing(world, live_server, tmp_path, closing):
    faults = Faults(refuse=0.15, cut=0.15, delay=0.3, max_delay=0.03)
    proxy = closing(FaultProxy(live_server.port, faults))
    client = closing(candidate(world, proxy.url))
    journal = closing(Journal(tmp_path / "device"))
    attempt = start_attempt(journal, client, world)
    engine = SyncEngine(journal, client, batch_size=25, idle_interval=0.2)
    engine.backoff.base_delay, engine.backoff.max_delay = 0.02, 0.3
    states: list[Connectivity] = []
    engine.subscribe(states.append)
    engine.track(attempt.id)
    engine.start()

    def restart_midway():
        time.sleep(1.0)
        live_server.restart()

    restarter = threading.Thread(target=restart_midway)
    restarter.start()
    session_id = scripted_attempt(journal, engine, attempt, ROUNDS)
    restarter.join()
    faults.refuse = faults.cut = 0.0  # let the tail through in bounded time
    assert engine.flush(timeout=60), journal.outbox_status()
    engine.stop()
    assert proxy.connections > 3
    assert {"syncing", "offline", "online"} <= {s.status for s in states}
    assert_exactly_once(live_server, journal, attempt, session_id)
    assert journal.attempt(attempt.id).status == "completed"


def test_offline_work_flushes_after_reconnect_and_the_timer_keeps_counting(
    world, live_server, tmp_path, closing
):
    proxy = closing(FaultProxy(live_server.port))
    client = closing(candidate(world, proxy.url))
    journal = closing(Journal(tmp_path / "device"))
    attempt = start_attempt(journal, client, world)
    engine = SyncEngine(journal, client, idle_interval=0.1)
    engine.backoff.base_delay, engine.backoff.max_delay = 0.02, 0.2
    engine.start()
    assert engine.flush(5)
    proxy.go_offline()
    before = engine.clock.remaining(attempt.expires_at)
    session_id = scripted_attempt(journal, engine, attempt, 10)
    time.sleep(0.5)
    assert engine.state.status == "offline" and engine.state.pending > 0
    assert engine.clock.remaining(attempt.expires_at) < before  # counting down offline
    proxy.go_online()
    assert engine.flush(timeout=30)
    engine.stop()
    assert_exactly_once(live_server, journal, attempt, session_id)


def test_tampered_journal_is_detected_by_the_server(world, live_server, tmp_path, closing):
    client = closing(candidate(world, live_server.url))
    journal = closing(Journal(tmp_path / "device"))
    attempt = start_attempt(journal, client, world)
    engine = SyncEngine(journal, client)
    session_id = journal.open_session(attempt, {})
    proctor = ProctoringSession(session_id)
    journal.follow(proctor)
    for i in range(10):
        proctor.emit("paste_detected", "low", {"chars": i})
    proctor.close()
    journal.end_session(session_id)
    # Before anything is sent: one event edited, another deleted, straight in the file.
    journal.db.execute(
        "UPDATE events SET body = json_set(body, '$.data.chars', 0) WHERE seq = 3 AND "
        "session_id = ?",
        [session_id],
    )
    journal.db.execute("DELETE FROM events WHERE seq = 6 AND session_id = ?", [session_id])
    journal.db.conn.commit()
    with pytest.raises(RuntimeError, match="start the sync engine"):
        engine.flush(1)  # nothing would ever push: waiting would only time out
    engine.sync_once()
    detail = client.proctor.get_session(session_id)
    kinds = {(b["seq"], b["kind"]) for b in detail["integrity"]["breaks"]}
    assert (3, "altered") in kinds and (6, "gap") in kinds, kinds
    assert detail["riskLevel"] == "high"
    # session_open, session_started + 10 + session_ended less the deleted one, session_end
    assert journal.outbox_status() == {"acked": 13, "missing": 1}


def test_a_backlog_larger_than_a_push_arrives_whole_with_its_snapshots(
    world, live_server, tmp_path, closing
):
    """Entries go on the wire as journaled (not re-encoded): the chain must verify on the
    server and each snapshot must come back byte for byte, across several pushes."""
    client = closing(candidate(world, live_server.url))
    journal = closing(Journal(tmp_path / "device"))
    attempt = start_attempt(journal, client, world)
    session_id = journal.open_session(attempt, {})
    chain = EventChain(session_id, datetime.now(UTC))
    count = MAX_ENTRIES + 50
    images = {i: b"\xff\xd8\xff snapshot %d \xff\xd9" % i for i in (0, MAX_ENTRIES - 1, count - 1)}
    for i in range(count):
        jpeg = images.get(i)
        data = {"snapshot": snapshot_descriptor(jpeg, 4, 3)} if jpeg else {"i": i}
        event = chain.append("looking_away", "low", i * 0.01, data, snapshot=jpeg)
        journal.record_event(session_id, event)
    journal.end_session(session_id)
    SyncEngine(journal, client).sync_once()
    assert journal.outbox_status() == {"acked": count + 2}  # session_open and session_end
    detail = world.recruiter.proctor.get_session(session_id)
    assert detail["integrity"] == {"chainIntact": True, "lastSeq": count - 1, "breaks": []}
    served = {
        e["seq"]: world.recruiter.proctor.snapshot(e["snapshotUrl"])
        for e in detail["events"]
        if e["snapshotUrl"]
    }
    assert served == images

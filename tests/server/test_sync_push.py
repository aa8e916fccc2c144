"""The sync push endpoint: exactly once per (device, seq), late and reordered batches, the hash
chain checked and tamper recorded, devices bound to their owner, snapshots for proctors only."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy

from proctoring.events import EventChain, ProctorEvent, parse_timestamp, snapshot_descriptor
from server.assessments.code_runner import EXTRAS_KEY, SandboxRunner, sandbox_engine
from server.deps import blob_store
from server.proctoring import service as proctoring
from server.proctoring.models import ProctorEventRecord
from server.schemas.sync import ChainedEvent
from tests.server import builders as b
from tests.server.conftest import POSTGRES_URL
from tests.server.test_coding_grading import JS_STDIN_RIGHT
from tests.server.test_proctoring import open_session

DEVICE = "device_0123456789abcdef"


def chain_events(session_id: str, count: int, *, snapshot_every: int = 0) -> list[ProctorEvent]:
    chain = EventChain(session_id, datetime.now(UTC))
    events = []
    for i in range(count):
        snapshot = None
        data: dict[str, Any] = {"i": i}
        if snapshot_every and i % snapshot_every == 0:
            snapshot = b"\xff\xd8\xff\xe0jpeg-bytes-%d" % i
            data["snapshot"] = snapshot_descriptor(snapshot, 4, 3)
        events.append(chain.append("looking_away", "low", i * 0.5, data, snapshot=snapshot))
    return events


def entries(
    session_id: str, events: list[ProctorEvent], first_seq: int = 1
) -> list[dict[str, Any]]:
    return [
        {
            "seq": first_seq + i,
            "kind": "event",
            "sessionId": session_id,
            "event": e.to_dict(include_snapshot=True),
        }
        for i, e in enumerate(events)
    ]


def push(client, caller, batch, device=DEVICE, version=1):
    body = {"schemaVersion": version, "deviceId": device, "entries": batch}
    return client.post("/api/sync/push", headers=caller.headers, content=json.dumps(body))


def session_detail(client, caller, session_id):
    r = client.get(f"/api/proctor/sessions/{session_id}", headers=caller.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_replayed_late_and_reordered_batches_store_each_event_once(client, factory):
    company = factory.company()
    caller = company.manager
    session_id = open_session(client, caller, company)
    all_entries = entries(session_id, chain_events(session_id, 30))
    second, first, third = all_entries[10:20], all_entries[:10], all_entries[20:]
    r = push(client, caller, second)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["lastSeq"] == 0  # 1..10 not seen yet
    assert {x["status"] for x in r.json()["data"]["results"]} == {"applied"}
    assert push(client, caller, first).json()["data"]["lastSeq"] == 20
    replay = push(client, caller, first + third).json()["data"]
    assert replay["lastSeq"] == 30
    statuses = {x["seq"]: x["status"] for x in replay["results"]}
    assert statuses[1] == "duplicate" and statuses[21] == "applied"
    detail = session_detail(client, caller, session_id)
    assert [e["seq"] for e in detail["events"]] == list(range(30))
    assert detail["integrity"] == {"chainIntact": True, "lastSeq": 29, "breaks": []}
    state = client.get(f"/api/sync/devices/{DEVICE}", headers=caller.headers).json()["data"]
    assert state["lastSeq"] == 30


def rewritten_timestamps(
    events: list[ProctorEvent], rewrite: Callable[[str], str]
) -> list[ProctorEvent]:
    """The same chain with each timestamp written as `rewrite` writes it, hashed again."""
    rewritten: list[ProctorEvent] = []
    for event in events:
        unhashed = replace(
            event,
            timestamp=rewrite(event.timestamp),
            prev_hash=rewritten[-1].hash if rewritten else event.prev_hash,
        )
        rewritten.append(replace(unhashed, hash=unhashed.compute_hash()))
    return rewritten


def test_late_batch_links_to_stored_events_written_in_another_timestamp_form(client, factory):
    """A client writing `+00:00` and microseconds: valid, but not in the form the server stores
    its timestamps back in."""
    company = factory.company()
    caller = company.manager
    session_id = open_session(client, caller, company)
    events = rewritten_timestamps(
        chain_events(session_id, 10), lambda stamp: stamp.replace("Z", "000+00:00")
    )
    batch = entries(session_id, events)
    assert push(client, caller, batch[5:]).status_code == 200
    assert push(client, caller, batch[:5]).json()["data"]["lastSeq"] == 10
    detail = session_detail(client, caller, session_id)
    assert detail["integrity"] == {"chainIntact": True, "lastSeq": 9, "breaks": []}


def test_an_event_time_is_stored_as_the_moment_it_names_in_any_offset(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    events = chain_events(session_id, 3)
    india = timezone(timedelta(hours=5, minutes=30))
    in_india = rewritten_timestamps(
        events, lambda stamp: parse_timestamp(stamp).astimezone(india).isoformat()
    )
    assert in_india[0].timestamp.endswith("+05:30")
    assert push(client, company.manager, entries(session_id, in_india)).status_code == 200
    stored = session_detail(client, company.manager, session_id)["events"]
    assert [datetime.fromisoformat(e["timestamp"]) for e in stored] == [
        parse_timestamp(e.timestamp) for e in events
    ]


def test_ingested_times_compare_in_sql_with_the_times_the_orm_binds(client, factory):
    """Ingest writes its rows by hand: each time must be stored in the form the ORM's queries
    compare with (on SQLite, text), whatever its offset or fraction."""
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    ahead = timezone(timedelta(hours=5, minutes=30))
    stamps = iter(
        [
            "2026-12-03T17:00:05.250Z",
            "2026-12-03T17:00:06Z",
            "2026-12-03T23:00:07.000001+05:30",
            "2026-11-30T23:59:59.999999-08:00",
        ]
    )
    events = rewritten_timestamps(chain_events(session_id, 4), lambda _: next(stamps))
    assert push(client, company.manager, entries(session_id, events)).status_code == 200
    moments = [parse_timestamp(e.timestamp).astimezone(ahead) for e in events]
    with client.app.state.context.sessions() as db:
        matched = [
            db.scalar(
                sqlalchemy.select(ProctorEventRecord.seq).where(
                    ProctorEventRecord.session_id == session_id,
                    ProctorEventRecord.occurred_at == moment,
                )
            )
            for moment in moments
        ]
    assert matched == [0, 1, 2, 3]


def test_edited_event_is_detected_as_tamper(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    batch = entries(session_id, chain_events(session_id, 5))
    batch[2]["event"]["data"] = {"i": 999}  # edited in the journal, hash left as it was
    assert push(client, company.manager, batch).status_code == 200
    detail = session_detail(client, company.manager, session_id)
    assert detail["integrity"]["chainIntact"] is False
    assert {(b["seq"], b["kind"]) for b in detail["integrity"]["breaks"]} == {(2, "altered")}
    assert detail["riskLevel"] == "high"


def test_deleted_event_is_a_gap_when_the_session_ends(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    batch = entries(session_id, chain_events(session_id, 6))
    del batch[3]
    end = {"seq": 7, "kind": "session_end", "sessionId": session_id, "lastEventSeq": 5}
    result = push(client, company.manager, [*batch, end]).json()["data"]
    assert result["lastSeq"] == 3  # the device's own numbering has the hole too
    detail = session_detail(client, company.manager, session_id)
    assert detail["status"] == "ended"
    kinds = {(b["seq"], b["kind"]) for b in detail["integrity"]["breaks"]}
    assert (3, "gap") in kinds


def test_device_belongs_to_its_first_pusher(client, factory):
    company = factory.company()
    other = factory.member(company, "recruiter")
    session_id = open_session(client, company.manager, company)
    batch = entries(session_id, chain_events(session_id, 2))
    assert push(client, company.manager, batch[:1]).status_code == 200
    r = push(client, other, batch[1:])
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"


def test_entries_for_another_companys_session_are_rejected(client, factory):
    a, b = factory.company("A"), factory.company("B")
    session_id = open_session(client, a.manager, a)
    r = push(client, b.manager, entries(session_id, chain_events(session_id, 2)))
    data = r.json()["data"]
    assert [x["status"] for x in data["results"]] == ["rejected", "rejected"]
    assert data["results"][0]["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert data["lastSeq"] == 2  # rejected for good is acknowledged too
    assert session_detail(client, a.manager, session_id)["eventCount"] == 0


def test_bad_entry_is_rejected_alone_and_bad_envelope_is_422(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    batch = entries(session_id, chain_events(session_id, 3))
    batch[1]["event"]["severity"] = "apocalyptic"
    data = push(client, company.manager, batch).json()["data"]
    assert [x["status"] for x in data["results"]] == ["applied", "rejected", "applied"]
    assert data["results"][1]["error"]["code"] == "VALIDATION_ERROR"
    assert push(client, company.manager, batch, device="x").status_code == 422
    r = client.post("/api/sync/push", headers=company.manager.headers, content=b"{not json")
    assert r.status_code in (400, 422)
    assert r.json()["success"] is False
    unsupported = push(client, company.manager, batch[:1], device=DEVICE + "2", version=99)
    assert unsupported.status_code == 409
    assert unsupported.json()["error"]["code"] == "UNSUPPORTED_SCHEMA_VERSION"


def test_the_push_keeps_the_apps_http_behaviour(client, factory, admin):
    """Served before FastAPI's routing (`server.sync.router.PushDispatch`): request ID, nosniff,
    the body cap, unstorable text, the error envelope and maintenance mode as everywhere."""
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    batch = entries(session_id, chain_events(session_id, 2))
    body = {"schemaVersion": 1, "deviceId": DEVICE, "entries": batch}
    headers = {**company.manager.headers, "X-Request-ID": "req-push-1"}
    r = client.post("/v1/sync/push", headers=headers, content=json.dumps(body))
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == "req-push-1"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.json()["meta"]["requestId"] == "req-push-1"
    anonymous = client.post("/api/sync/push", content=json.dumps(body))
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    assert anonymous.headers["x-request-id"].startswith("req_")
    raw = json.dumps(body).replace('"looking_away"', '"looking\\u0000away"', 1)
    unstorable = client.post("/api/sync/push", headers=company.manager.headers, content=raw)
    assert unstorable.status_code == 422
    assert unstorable.json()["error"]["details"]["field"] == "entries.0.event.type"
    huge = b'{"schemaVersion": 1, "x": "' + b"a" * (6 * 1024 * 1024) + b'"}'
    too_large = client.post("/api/sync/push", headers=company.manager.headers, content=huge)
    assert too_large.status_code == 413
    assert too_large.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    wrong_method = client.get("/api/sync/push", headers=company.manager.headers)
    assert wrong_method.status_code == 405
    document = client.get("/openapi.json").json()
    assert "requestBody" in document["paths"]["/api/sync/push"]["post"]
    config = {"maintenanceMode": True}
    assert client.put("/api/admin/config", headers=admin.headers, json=config).status_code == 200
    r = push(client, company.manager, entries(session_id, chain_events(session_id, 3))[2:])
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "MAINTENANCE_MODE"
    assert r.headers["retry-after"] == "300"
    client.put("/api/admin/config", headers=admin.headers, json={"maintenanceMode": False})


def test_snapshots_are_stored_and_served_to_proctors_only(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    events = chain_events(session_id, 4, snapshot_every=2)
    assert push(client, company.manager, entries(session_id, events)).status_code == 200
    detail = session_detail(client, company.manager, session_id)
    urls = [e["snapshotUrl"] for e in detail["events"] if e["snapshotUrl"]]
    assert len(urls) == 2
    image = client.get(urls[1], headers=company.manager.headers)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content == events[2].snapshot
    assert detail["integrity"]["chainIntact"] is True
    other = factory.company("Other")
    assert client.get(urls[0], headers=other.manager.headers).status_code == 404


def test_a_bad_snapshot_is_rejected_alone(client, factory):
    """Not base64, or not a JPEG (FF D8 FF): that entry alone is refused, naming the field; the
    session's other events in the push are stored."""
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    batch = entries(session_id, chain_events(session_id, 5, snapshot_every=1))
    batch[1]["event"]["snapshotJpeg"] = "not base64!"
    batch[3]["event"]["snapshotJpeg"] = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    data = push(client, company.manager, batch).json()["data"]
    statuses = [x["status"] for x in data["results"]]
    assert statuses == ["applied", "rejected", "applied", "rejected", "applied"]
    for refused, why in ((1, "invalid base64"), (3, "not a JPEG (FF D8 FF)")):
        error = data["results"][refused]["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"]["field"] == "event.snapshotJpeg"
        assert error["details"]["message"] == why
    detail = session_detail(client, company.manager, session_id)
    assert [e["seq"] for e in detail["events"]] == [0, 2, 4]
    assert len([e for e in detail["events"] if e["snapshotUrl"]]) == 3


def test_an_event_whose_time_or_data_cannot_be_stored_is_rejected_alone(client, factory):
    """A timestamp without an offset, out of range or not a time, and data with NaN or over the
    size cap: each entry is refused naming its field; the others in the push are stored."""
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    batch = entries(session_id, chain_events(session_id, 8))
    batch[1]["event"]["timestamp"] = "2026-12-04T10:00:00"
    batch[2]["event"]["timestamp"] = "3500-01-01T00:00:00Z"
    batch[3]["event"]["timestamp"] = "yesterday"
    batch[5]["event"]["data"] = {"ratio": float("nan")}
    batch[6]["event"]["data"] = {"text": "x" * 20_000}
    data = push(client, company.manager, batch).json()["data"]
    refusals = {
        x["seq"] - 1: (x["error"]["details"]["field"], x["error"]["details"]["message"])
        for x in data["results"]
        if x["status"] == "rejected"
    }
    assert refusals == {
        1: ("event.timestamp", "timestamp needs a UTC offset or Z"),
        2: ("event.timestamp", "timestamp must lie between the years 2000 and 2999"),
        3: ("event.timestamp", "Invalid isoformat string: 'yesterday'"),
        5: ("event.data", "event data may hold only finite numbers (no NaN or Infinity)"),
        6: ("event.data", "event data is 20011 bytes of JSON; at most 16384"),
    }
    assert data["lastSeq"] == 8
    detail = session_detail(client, company.manager, session_id)
    assert [e["seq"] for e in detail["events"]] == [0, 4, 7]


def candidate_attempt(client, company):
    """A candidate signed in with their invitation, with a started attempt."""
    from tests.server import builders as b
    from tests.server.test_proctoring import assessment_for

    assessment_id, candidate_id = assessment_for(client, company)
    token = b.invite(client, company.manager, candidate_id, assessment_id)
    candidate = b.candidate_login(client, token)
    started = b.data(
        client.post(f"/api/assessments/{assessment_id}/start", headers=candidate.headers, json={}),
        201,
    )
    return candidate, started


def test_candidate_syncs_a_whole_attempt_offline_style(client, factory):
    company = factory.company()
    candidate, attempt = candidate_attempt(client, company)
    assessment_id, attempt_id = attempt["assessmentId"], attempt["attemptId"]
    (question,) = attempt["questions"]
    session_id = "proctor_session_" + "ab" * 10
    opened = {
        "seq": 1,
        "kind": "session_open",
        "sessionId": session_id,
        "assessmentId": assessment_id,
        "candidateId": attempt["candidateId"],
        "attemptId": attempt_id,
    }
    events = entries(session_id, chain_events(session_id, 3, snapshot_every=3), first_seq=2)
    answer = {
        "seq": 5,
        "kind": "answer",
        "assessmentId": assessment_id,
        "attemptId": attempt_id,
        "questionId": question["id"],
        "answer": "a",
        "timeSpent": 12,
        "savedAt": "2026-12-03T17:00:00Z",
    }
    complete = {
        "seq": 6,
        "kind": "complete",
        "assessmentId": assessment_id,
        "attemptId": attempt_id,
    }
    end = {"seq": 7, "kind": "session_end", "sessionId": session_id, "lastEventSeq": 2}
    batch = [opened, *events, answer, complete, end]
    result = push(client, candidate, batch).json()["data"]
    assert [r["status"] for r in result["results"]] == ["applied"] * 7, result
    assert result["lastSeq"] == 7
    again = push(client, candidate, batch).json()["data"]
    assert {r["status"] for r in again["results"]} == {"duplicate"}

    done = client.get(f"/api/attempts/{attempt_id}", headers=candidate.headers).json()["data"]
    assert done["status"] == "completed"
    assert [a["questionId"] for a in done["answers"]] == [question["id"]]
    own = session_detail(client, candidate, session_id)
    assert own["status"] == "ended" and own["integrity"]["chainIntact"] is True
    assert all(e["snapshotUrl"] is None for e in own["events"])  # images are for proctors
    reviewed = client.post(
        f"/api/proctor/sessions/{session_id}/review",
        headers=company.manager.headers,
        json={"verdict": "flagged", "note": "someone else answered"},
    )
    assert reviewed.status_code == 200, reviewed.text
    own = session_detail(client, candidate, session_id)
    # the proctor's verdict and the weighing of events are the company's
    assert own["review"] is None and own["risk"] is None
    assert own["riskLevel"] and len(own["events"]) == 3
    proctor_view = session_detail(client, company.manager, session_id)
    assert proctor_view["review"]["note"] == "someone else answered"
    assert proctor_view["risk"]["byType"]
    url = next(e["snapshotUrl"] for e in proctor_view["events"] if e["snapshotUrl"])
    assert client.get(url, headers=candidate.headers).status_code == 404
    assert client.get(url, headers=company.manager.headers).status_code == 200

    late = {**answer, "seq": 8, "answer": "b"}
    refused = push(client, candidate, [late]).json()["data"]["results"][0]
    assert refused["status"] == "rejected" and refused["error"]["code"]


def test_candidate_reaches_only_their_own_session(client, factory):
    company = factory.company()
    first, attempt = candidate_attempt(client, company)
    second, _ = candidate_attempt(client, company)
    r = client.post(
        "/api/proctor/sessions",
        headers=first.headers,
        json={"assessmentId": attempt["assessmentId"], "candidateId": attempt["candidateId"]},
    )
    assert r.status_code == 201, r.text
    session_id = r.json()["data"]["sessionId"]
    assert (
        client.get(f"/api/proctor/sessions/{session_id}", headers=second.headers).status_code == 404
    )
    assert client.get("/api/proctor/sessions", headers=first.headers).status_code == 403
    foreign = client.post(
        "/api/proctor/sessions",
        headers=second.headers,
        json={"assessmentId": attempt["assessmentId"], "candidateId": attempt["candidateId"]},
    )
    assert foreign.status_code == 403
    events = entries(session_id, chain_events(session_id, 1))
    stolen = push(client, second, events, device="device_second_candidate").json()["data"]
    assert stolen["results"][0]["error"]["code"] == "RESOURCE_NOT_FOUND"


def answer_entry(seq: int, assessment_id: str, attempt_id: str, question_id: str, answer: str):
    return {
        "seq": seq,
        "kind": "answer",
        "assessmentId": assessment_id,
        "attemptId": attempt_id,
        "questionId": question_id,
        "answer": answer,
        "savedAt": "2026-12-03T17:00:00Z",
    }


def saved_answers(client, candidate, attempt_id):
    r = client.get(f"/api/attempts/{attempt_id}", headers=candidate.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]["answers"]


def test_an_answer_whose_push_failed_or_whose_reply_was_lost_is_applied_once(client, factory):
    candidate, attempt = candidate_attempt(client, factory.company())
    assessment_id, attempt_id = attempt["assessmentId"], attempt["attemptId"]
    (question,) = attempt["questions"]
    batch = [answer_entry(1, assessment_id, attempt_id, question["id"], "a")]
    engine = client.app.state.context.engine
    lost: list[bool] = []

    def lose_the_commit(connection):
        # The connection breaks at the push's commit: the answer was applied, then lost with it.
        if not lost:
            lost.append(True)
            connection.invalidate()
            raise ConnectionError("the database went away")

    sqlalchemy.event.listen(engine, "commit", lose_the_commit)
    try:
        failed = push(client, candidate, batch)
    finally:
        sqlalchemy.event.remove(engine, "commit", lose_the_commit)
    assert failed.status_code == 500 and lost
    assert saved_answers(client, candidate, attempt_id) == []

    retried = push(client, candidate, batch).json()["data"]
    assert retried["results"] == [{"seq": 1, "status": "applied", "error": None}]
    # applied, but its reply was lost: sent again, it is a duplicate
    again = push(client, candidate, batch).json()["data"]
    assert again["results"] == [{"seq": 1, "status": "duplicate", "error": None}]
    (saved,) = saved_answers(client, candidate, attempt_id)
    assert saved["answer"] == ["a"] and saved["revision"] == 1


class RetriedWhileRunning(SandboxRunner):
    """The real sandbox, except that the client's retry of the push arrives while the first
    coding answer runs (its reply was slow, so the client sent the batch again)."""

    def __init__(self, engine, retry):
        super().__init__(engine)
        self.retry, self.replies = retry, []

    def run(self, **kwargs):
        if self.retry is not None:
            retry, self.retry = self.retry, None
            self.replies.append(retry())
        return super().run(**kwargs)


def test_a_push_retried_while_its_coding_answer_runs_applies_everything_once(client, factory):
    recruiter = factory.company().manager
    mc, js = b.question(client, recruiter, b.MC_SINGLE), b.question(client, recruiter, b.JS_SUM)
    assessment_id, candidate, attempt_id = b.started_attempt(client, recruiter, [mc, js])
    batch = [
        answer_entry(1, assessment_id, attempt_id, mc, "a"),
        answer_entry(2, assessment_id, attempt_id, js, JS_STDIN_RIGHT),
    ]
    context = client.app.state.context
    runner = RetriedWhileRunning(
        sandbox_engine(context), lambda: push(client, candidate, batch).json()["data"]
    )
    context.extras[EXTRAS_KEY] = runner

    first = push(client, candidate, batch).json()["data"]
    (retry,) = runner.replies
    # The retry found the choice acknowledged and applied the code; the first push then found
    # its code applied by the retry.
    assert [r["status"] for r in retry["results"]] == ["duplicate", "applied"]
    assert [r["status"] for r in first["results"]] == ["applied", "duplicate"]
    assert first["lastSeq"] == retry["lastSeq"] == 2
    saved = {a["questionId"]: a for a in saved_answers(client, candidate, attempt_id)}
    assert saved[mc]["revision"] == saved[js]["revision"] == 1
    assert saved[js]["score"] == 30


@pytest.mark.skipif(not POSTGRES_URL, reason="SQLite has one writer: pushes cannot race there")
def test_two_devices_racing_with_the_same_events_store_each_once(client, factory):
    """The loser of the race is told to send again (503, Retry-After), and its retry finds
    the events stored: the candidate's second device, or a push replayed from a backup."""
    company = factory.company()
    caller = company.manager
    session_id = open_session(client, caller, company)
    events = chain_events(session_id, 20)
    context = client.app.state.context
    with context.sessions() as first:
        # The first push's transaction has stored the events but not committed yet.
        proctoring.ingest_chained(
            first,
            session_id=session_id,
            events=[ChainedEvent.model_validate(e.to_dict()) for e in events],
            blobs=blob_store(context),
        )
        with ThreadPoolExecutor(1) as pool:
            batch = entries(session_id, events)
            racing = pool.submit(push, client, caller, batch, "device_racer_1")
            _wait_for_a_lock_wait(first)
            first.commit()
            lost = racing.result(timeout=30)
    assert lost.status_code == 503, lost.text
    assert lost.headers["retry-after"] == "1"
    retried = push(client, caller, entries(session_id, events), "device_racer_1")
    assert retried.status_code == 200, retried.text
    assert {r["status"] for r in retried.json()["data"]["results"]} == {"duplicate"}
    detail = session_detail(client, caller, session_id)
    assert [e["seq"] for e in detail["events"]] == list(range(20))
    assert detail["integrity"]["chainIntact"] is True


def _wait_for_a_lock_wait(db) -> None:
    """Until another backend waits for a lock this transaction holds."""
    deadline = time.monotonic() + 30
    blocked = sqlalchemy.text(
        "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
    )
    while True:
        # The activity view is read once per transaction unless its snapshot is cleared.
        db.execute(sqlalchemy.text("SELECT pg_stat_clear_snapshot()"))
        if db.execute(blocked).scalar():
            return
        assert time.monotonic() < deadline, "the racing push never reached the events"
        time.sleep(0.05)

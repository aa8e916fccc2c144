"""Proctoring and sync bodies the database or the hash chain could not keep are refused as
422s, nothing of them stored; the review verdict is read under either name."""

from __future__ import annotations

import math

from tests.server import builders as b
from tests.server.test_proctoring import open_session
from tests.server.test_sync_push import chain_events, entries, push, session_detail


def test_single_events_must_be_storable(client, factory):
    company = factory.company()
    caller = company.manager
    session_id = open_session(client, caller, company)
    url = f"/api/proctor/sessions/{session_id}/events"
    refused = [
        {"type": "tab_switch", "timestamp": "2024-01-20T09:15:00"},  # no offset: which moment?
        {"type": "tab_switch", "data": {"blob": "x" * 20_000}},
        # no UTC for it (was a 500), and moments no clock of a candidate's shows
        {"type": "tab_switch", "timestamp": "9999-12-31T23:59:59-05:00"},
        {"type": "tab_switch", "timestamp": "0001-01-01T00:00:00+05:00"},
        {"type": "tab_switch", "timestamp": "1970-01-01T00:00:00Z"},
    ]
    for body in refused:
        b.error(client.post(url, headers=caller.headers, json=body), 422, "VALIDATION_ERROR")
    nan = client.post(
        url,
        headers={**caller.headers, "Content-Type": "application/json"},
        content=b'{"type": "tab_switch", "data": {"confidence": NaN}}',
    )
    assert nan.status_code in (400, 422) and nan.json()["error"]["code"] == "VALIDATION_ERROR"
    accepted = {"type": "tab_switch", "timestamp": "2024-01-20T09:15:00Z", "data": {"d": 1}}
    b.data(client.post(url, headers=caller.headers, json=accepted), 201)
    assert [e["type"] for e in session_detail(client, caller, session_id)["events"]] == [
        "tab_switch"
    ]


def test_a_push_with_unstorable_numbers_or_repeated_seqs_is_refused_whole(client, factory):
    company = factory.company()
    caller = company.manager
    session_id = open_session(client, caller, company)
    good = entries(session_id, chain_events(session_id, 3))
    too_big = [{**good[0], "seq": 2**63}, *good[1:]]
    repeated = [good[0], {**good[1], "seq": good[0]["seq"]}]
    for batch in (too_big, repeated):
        b.error(push(client, caller, batch), 422, "VALIDATION_ERROR")
    # nothing of them was applied: the device has acknowledged nothing, the session holds nothing
    state = b.data(client.get("/api/sync/devices/device_0123456789abcdef", headers=caller.headers))
    assert state["lastSeq"] == 0
    assert session_detail(client, caller, session_id)["events"] == []
    applied = b.data(push(client, caller, good))
    assert applied["lastSeq"] == 3
    assert not math.isnan(session_detail(client, caller, session_id)["riskScore"])


def test_review_verdict_is_read_as_status_too(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    reviewed = b.data(
        client.post(
            f"/api/proctor/sessions/{session_id}/review",
            headers=company.manager.headers,
            json={"status": "cleared", "note": "fine"},
        )
    )
    assert reviewed["review"]["status"] == "cleared" and reviewed["review"]["note"] == "fine"


def test_a_pushed_event_from_an_impossible_moment_is_rejected_alone(client, factory):
    company = factory.company()
    caller = company.manager
    session_id = open_session(client, caller, company)
    batch = entries(session_id, chain_events(session_id, 3))
    far = {**batch[2], "event": {**batch[2]["event"], "timestamp": "9999-12-31T23:59:59-05:00"}}
    result = b.data(push(client, caller, [*batch[:2], far]))
    assert [r["status"] for r in result["results"]] == ["applied", "applied", "rejected"]
    assert result["results"][2]["error"]["code"] == "VALIDATION_ERROR"
    assert "2000 and 2999" in result["results"][2]["error"]["details"]["message"]

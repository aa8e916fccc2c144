"""`Idempotency-Key` on every write: a repeated request gets the first answer, once applied."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from server.db import transaction, utcnow
from server.idempotency.middleware import ABANDONED_AFTER
from server.idempotency.models import IdempotentRequest
from tests.server import builders as b
from tests.server.conftest import Caller, Factory


def keyed(caller: Caller, key: str) -> dict[str, str]:
    return {**caller.headers, "Idempotency-Key": key}


def question_titles(client: TestClient, caller: Caller) -> list[str]:
    listed = b.data(client.get("/api/questions", headers=caller.headers, params={"limit": 100}))
    return [q["title"] for q in listed]


def test_a_repeated_create_is_applied_once_and_answered_again(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    first = client.post("/api/questions", headers=keyed(recruiter, "create-1"), json=b.MC_SINGLE)
    again = client.post("/api/questions", headers=keyed(recruiter, "create-1"), json=b.MC_SINGLE)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["x-request-id"]  # the replay is still a request of its own
    assert question_titles(client, recruiter).count(str(b.MC_SINGLE["title"])) == 1

    # a new key is a new request
    other = client.post("/api/questions", headers=keyed(recruiter, "create-2"), json=b.MC_SINGLE)
    assert other.status_code == 201 and other.json()["data"]["id"] != first.json()["data"]["id"]
    # no key at all: nothing is remembered
    plain = client.post("/api/questions", headers=recruiter.headers, json=b.MC_SINGLE)
    assert plain.status_code == 201
    assert question_titles(client, recruiter).count(str(b.MC_SINGLE["title"])) == 3


def test_the_same_key_with_another_request_is_refused(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    b.data(client.post("/api/questions", headers=keyed(recruiter, "k"), json=b.MC_SINGLE), 201)
    changed = {**b.MC_SINGLE, "title": "Another title"}
    error = b.error(
        client.post("/api/questions", headers=keyed(recruiter, "k"), json=changed),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    )
    assert error["details"] == {"idempotencyKey": "k"}
    # another path with the same key and body is another request too
    b.error(
        client.post("/api/assessments", headers=keyed(recruiter, "k"), json=b.MC_SINGLE),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    )
    assert "Another title" not in question_titles(client, recruiter)


def test_keys_belong_to_who_sent_them(client: TestClient, factory: Factory) -> None:
    acme, globex = factory.company("Acme"), factory.company("Globex")
    mine = b.data(
        client.post("/api/questions", headers=keyed(acme.manager, "shared"), json=b.MC_SINGLE),
        201,
    )
    theirs = b.data(
        client.post("/api/questions", headers=keyed(globex.manager, "shared"), json=b.MC_SINGLE),
        201,
    )
    assert theirs["id"] != mine["id"]
    # an API key is its own sender
    api = {"X-API-Key": acme.api_key, "Idempotency-Key": "shared"}
    by_key = b.data(client.post("/api/questions", headers=api, json=b.MC_SINGLE), 201)
    assert by_key["id"] != mine["id"]
    replayed = client.post("/api/questions", headers=api, json=b.MC_SINGLE)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["data"]["id"] == by_key["id"]


def test_a_refused_request_is_answered_again_but_a_token_refresh_is_not_taken_for_reuse(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    bad = {**b.MC_SINGLE, "points": -5}
    first = client.post("/api/questions", headers=keyed(recruiter, "bad"), json=bad)
    again = client.post("/api/questions", headers=keyed(recruiter, "bad"), json=bad)
    assert first.status_code == again.status_code == 422
    assert again.json()["error"] == first.json()["error"]

    # A refresh whose answer was lost, retried with its key: the same new pair, and the session
    # lives on (a second use of a rotated refresh token would otherwise end it as stolen).
    body = {"refreshToken": recruiter.refresh_token}
    rotated = client.post("/api/auth/refresh", headers={"Idempotency-Key": "r1"}, json=body)
    retried = client.post("/api/auth/refresh", headers={"Idempotency-Key": "r1"}, json=body)
    assert rotated.status_code == retried.status_code == 200
    assert retried.json()["data"] == rotated.json()["data"]
    fresh = {"Authorization": f"Bearer {rotated.json()['data']['token']}"}
    assert client.get("/api/auth/me", headers=fresh).status_code == 200
    # without the key it is reuse, as before
    reuse = client.post("/api/auth/refresh", json=body)
    assert reuse.json()["error"]["details"]["reason"] == "refresh_token_reuse"


def test_a_key_still_running_is_busy_and_an_abandoned_one_is_taken_over(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    sessions = client.app.state.context.sessions  # type: ignore[attr-defined]
    principal = f"user:{recruiter.user['uid']}"
    with transaction(sessions) as db:  # a request that holds the key right now
        db.add(IdempotentRequest(principal=principal, key="busy", fingerprint="x"))
    busy = client.post("/api/questions", headers=keyed(recruiter, "busy"), json=b.MC_SINGLE)
    assert b.error(busy, 409, "IDEMPOTENCY_KEY_IN_USE")
    assert busy.headers["retry-after"] == "1"

    with transaction(sessions) as db:  # its worker died long ago
        held = db.get_one(IdempotentRequest, (principal, "busy"))
        held.created_at = utcnow() - ABANDONED_AFTER - timedelta(seconds=1)
    taken = client.post("/api/questions", headers=keyed(recruiter, "busy"), json=b.MC_SINGLE)
    assert taken.status_code == 201
    again = client.post("/api/questions", headers=keyed(recruiter, "busy"), json=b.MC_SINGLE)
    assert again.json()["data"]["id"] == taken.json()["data"]["id"]


def test_a_key_of_the_wrong_length_is_a_validation_error(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    for key in ("   ", "k" * 256):
        error = b.error(
            client.post("/api/questions", headers=keyed(recruiter, key), json=b.MC_SINGLE),
            422,
            "VALIDATION_ERROR",
        )
        assert error["details"]["field"] == "Idempotency-Key"
    assert b.MC_SINGLE["title"] not in question_titles(client, recruiter)

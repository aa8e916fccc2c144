"""Who may not do what: other companies, other candidates, hiring managers, drafts, expired
attempts and spent invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.assessments.models import Attempt
from server.db import transaction
from server.ids import new_id
from tests.server import builders as b
from tests.server.conftest import Caller, CompanyFixture, Factory


@pytest.fixture
def world(client: TestClient, factory: Factory) -> dict[str, Any]:
    company = factory.company()
    recruiter = company.manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    assessment_id = b.assessment(client, recruiter, [mc])
    candidate_id = b.candidate(client, recruiter)
    token = b.invite(client, recruiter, candidate_id, assessment_id)
    return {
        "company": company,
        "recruiter": recruiter,
        "mc": mc,
        "assessment": assessment_id,
        "candidate": candidate_id,
        "token": token,
    }


def start(client: TestClient, caller: Caller, assessment_id: str, **body: Any) -> Any:
    return client.post(f"/api/assessments/{assessment_id}/start", headers=caller.headers, json=body)


def test_another_companys_recruiter_sees_nothing(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    other = factory.company("Other Corp").manager
    aid, cid = world["assessment"], world["candidate"]
    for path in (
        f"/api/assessments/{aid}",
        f"/api/assessments/{aid}/results",
        f"/api/candidates/{cid}",
        f"/api/questions/{world['mc']}",
    ):
        b.error(client.get(path, headers=other.headers), 404, "RESOURCE_NOT_FOUND")
    b.error(client.put(f"/api/assessments/{aid}", headers=other.headers, json={"title": "x"}), 404)
    b.error(
        client.get(f"/api/assessments?companyId={world['company'].id}", headers=other.headers),
        403,
        "COMPANY_ACCESS_DENIED",
    )
    assert b.data(client.get("/api/assessments", headers=other.headers)) == []
    assert b.data(client.get("/api/candidates", headers=other.headers)) == []
    # Naming another company's question in an assessment is a validation error, not a leak.
    b.error(
        client.post(
            "/api/assessments",
            headers=other.headers,
            json={"title": "Steal", "questions": [world["mc"]]},
        ),
        422,
        "VALIDATION_ERROR",
    )
    b.error(
        client.post(
            "/api/candidates",
            headers=other.headers,
            json={
                "email": "x@example.com",
                "firstName": "X",
                "lastName": "Y",
                "companyId": world["company"].id,
            },
        ),
        403,
        "COMPANY_ACCESS_DENIED",
    )


def test_candidate_reaches_only_their_own(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    recruiter = world["recruiter"]
    john = b.candidate_login(client, world["token"])
    attempt = b.data(start(client, john, world["assessment"]), 201)

    jane_id = b.candidate(client, recruiter, "jane@example.com")
    jane = b.candidate_login(client, b.invite(client, recruiter, jane_id, world["assessment"]))
    b.error(client.get(f"/api/attempts/{attempt['attemptId']}", headers=jane.headers), 404)
    b.error(
        client.post(
            f"/api/assessments/{world['assessment']}/submit-answer",
            headers=jane.headers,
            json={"attemptId": attempt["attemptId"], "questionId": world["mc"], "answer": "a"},
        ),
        404,
    )
    b.error(
        client.post(
            f"/api/assessments/{world['assessment']}/complete",
            headers=jane.headers,
            json={"attemptId": attempt["attemptId"]},
        ),
        404,
    )
    b.error(client.get(f"/api/candidates/{world['candidate']}", headers=jane.headers), 404)
    b.error(start(client, jane, world["assessment"], candidateId=world["candidate"]), 403)
    # The staff side of the API is closed to candidates.
    b.error(client.get("/api/assessments", headers=jane.headers), 403)
    b.error(client.get("/api/candidates", headers=jane.headers), 403)
    b.error(
        client.get(f"/api/assessments/{world['assessment']}/results", headers=jane.headers), 403
    )
    b.error(client.post("/api/questions", headers=jane.headers, json=b.MC_SINGLE), 403)
    # Their own record, without the recruiters' notes.
    own = b.data(client.get(f"/api/candidates/{jane_id}", headers=jane.headers))
    assert own["notes"] == [] and own["invitations"] == []
    # Another assessment of the same company is not theirs.
    other = b.assessment(client, recruiter, [world["mc"]])
    b.error(start(client, jane, other), 404)


def test_answer_after_expiry_is_refused_and_attempt_completed(
    client: TestClient, world: dict[str, Any]
) -> None:
    john = b.candidate_login(client, world["token"])
    attempt_id = b.data(start(client, john, world["assessment"]), 201)["attemptId"]
    b.data(
        client.post(
            f"/api/assessments/{world['assessment']}/submit-answer",
            headers=john.headers,
            json={"attemptId": attempt_id, "questionId": world["mc"], "answer": "a"},
        )
    )
    context = client.app.state.context  # type: ignore[attr-defined]
    grace = context.settings.answer_grace_seconds
    with transaction(context.sessions) as db:
        attempt = db.get_one(Attempt, attempt_id)
        attempt.expires_at = datetime.now(UTC) - timedelta(seconds=grace + 1)
    late = b.error(
        client.post(
            f"/api/assessments/{world['assessment']}/submit-answer",
            headers=john.headers,
            json={"attemptId": attempt_id, "questionId": world["mc"], "answer": "b"},
        ),
        410,
        "ATTEMPT_EXPIRED",
    )
    assert late["details"]["graceSeconds"] == grace
    # Completed with what was saved before time ran out.
    reloaded = b.data(client.get(f"/api/attempts/{attempt_id}", headers=john.headers))
    assert reloaded["status"] == "completed" and reloaded["timeRemaining"] == 0
    result = b.data(client.get(f"/api/attempts/{attempt_id}/result", headers=john.headers))
    assert result["completionReason"] == "expired" and result["totalScore"] == 25
    # No retakes on this assessment.
    b.error(start(client, john, world["assessment"]), 409, "RETAKE_NOT_ALLOWED")


def test_answer_within_grace_is_accepted(client: TestClient, world: dict[str, Any]) -> None:
    john = b.candidate_login(client, world["token"])
    attempt_id = b.data(start(client, john, world["assessment"]), 201)["attemptId"]
    context = client.app.state.context  # type: ignore[attr-defined]
    with transaction(context.sessions) as db:
        db.get_one(Attempt, attempt_id).expires_at = datetime.now(UTC) - timedelta(seconds=5)
    accepted = b.data(
        client.post(
            f"/api/assessments/{world['assessment']}/submit-answer",
            headers=john.headers,
            json={"attemptId": attempt_id, "questionId": world["mc"], "answer": "a"},
        )
    )
    assert accepted["score"] == 25


def test_draft_and_archived_assessments_cannot_be_started(
    client: TestClient, world: dict[str, Any]
) -> None:
    recruiter = world["recruiter"]
    draft = b.assessment(client, recruiter, [world["mc"]], activate=False)
    b.error(
        client.post(
            f"/api/candidates/{world['candidate']}/invite",
            headers=recruiter.headers,
            json={"assessmentId": draft},
        ),
        409,
        "ASSESSMENT_NOT_ACTIVE",
    )
    b.error(
        start(client, recruiter, draft, candidateId=world["candidate"]),
        409,
        "ASSESSMENT_NOT_ACTIVE",
    )
    john = b.candidate_login(client, world["token"])
    b.data(client.delete(f"/api/assessments/{world['assessment']}", headers=recruiter.headers))
    b.error(start(client, john, world["assessment"]), 409, "ASSESSMENT_NOT_ACTIVE")


def test_invitation_opens_one_session_and_refresh_resumes(
    client: TestClient, world: dict[str, Any]
) -> None:
    john = b.candidate_login(client, world["token"])
    b.error(
        client.post("/api/auth/login", json={"inviteToken": world["token"]}), 410, "INVITATION_USED"
    )
    b.error(
        client.post("/api/auth/login", json={"inviteToken": "ellaai_inv_nope"}),
        401,
        "AUTHENTICATION_REQUIRED",
    )
    # The session lives on through its refresh token, with the same reach.
    refreshed = b.data(client.post("/api/auth/refresh", json={"refreshToken": john.refresh_token}))
    headers = {"Authorization": f"Bearer {refreshed['token']}"}
    assert refreshed["user"]["candidateId"] == world["candidate"]
    attempt = b.data(start(client, Caller(headers, {}, ""), world["assessment"]), 201)
    me = b.data(client.get("/api/auth/me", headers=headers))
    assert me["role"] == "candidate"
    # A recruiter's new invitation is the way back for a candidate who lost the session.
    token = b.invite(client, world["recruiter"], world["candidate"], world["assessment"])
    again = b.candidate_login(client, token)
    assert b.data(start(client, again, world["assessment"]))["attemptId"] == attempt["attemptId"]


def test_expired_invitation_is_refused(client: TestClient, world: dict[str, Any]) -> None:
    from server.candidates.models import Invitation

    john = b.candidate_login(client, world["token"])
    context = client.app.state.context  # type: ignore[attr-defined]
    with transaction(context.sessions) as db:
        for invitation in db.query(Invitation).all():
            invitation.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    # Past the due date, a signed-in candidate cannot start either...
    b.error(start(client, john, world["assessment"]), 410, "INVITATION_EXPIRED")
    # ...and a fresh token of an expired invitation signs nobody in.
    jane_id = b.candidate(client, world["recruiter"], "jane@example.com")
    token = b.invite(client, world["recruiter"], jane_id, world["assessment"])
    with transaction(context.sessions) as db:
        db.query(Invitation).filter(Invitation.candidate_id == jane_id).one().expires_at = (
            datetime.now(UTC) - timedelta(seconds=1)
        )
    b.error(client.post("/api/auth/login", json={"inviteToken": token}), 410, "INVITATION_EXPIRED")


def test_hiring_manager_reads_but_does_not_create(
    client: TestClient, factory: Factory, world: dict[str, Any]
) -> None:
    company: CompanyFixture = world["company"]
    manager = factory.member(company, "hiring_manager")
    assert b.data(client.get(f"/api/assessments/{world['assessment']}", headers=manager.headers))
    assert b.data(client.get("/api/candidates", headers=manager.headers))
    for path, body in (
        ("/api/questions", b.MC_SINGLE),
        ("/api/assessments", {"title": "No", "questions": []}),
        ("/api/candidates", {"email": "n@example.com", "firstName": "N", "lastName": "O"}),
        (f"/api/candidates/{world['candidate']}/invite", {"assessmentId": world["assessment"]}),
        (
            "/api/assessments/batch",
            {"operations": [{"action": "delete", "id": world["assessment"]}]},
        ),
    ):
        response = client.post(path, headers=manager.headers, json=body)
        if path.endswith("batch"):
            result = b.data(response)["results"][0]
            assert result["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
        else:
            b.error(response, 403, "INSUFFICIENT_PERMISSIONS")
    b.error(
        client.patch(
            f"/api/candidates/{world['candidate']}", headers=manager.headers, json={"rating": 1}
        ),
        403,
    )
    b.error(client.delete(f"/api/assessments/{world['assessment']}", headers=manager.headers), 403)


def test_reinvite_returns_the_open_invitation(client: TestClient, world: dict[str, Any]) -> None:
    recruiter = world["recruiter"]
    path = f"/api/candidates/{world['candidate']}/invite"
    first = client.post(path, headers=recruiter.headers, json={"assessmentId": world["assessment"]})
    assert first.status_code == 200  # the fixture's invitation is still open
    assert world["token"] in b.data(first)["inviteLink"]
    detail = b.data(client.get(f"/api/candidates/{world['candidate']}", headers=recruiter.headers))
    assert len(detail["invitations"]) == 1
    reminders = detail["invitations"][0]["reminders"]
    assert [r["interval"] for r in reminders] == ["1_day", "1_hour"]


def test_only_the_candidate_writes_to_their_attempt(
    client: TestClient, factory: Factory, admin: Caller, world: dict[str, Any]
) -> None:
    """Staff who can read an attempt still cannot answer or complete it, by any route."""
    recruiter, aid, mc = world["recruiter"], world["assessment"], world["mc"]
    company: CompanyFixture = world["company"]
    john = b.candidate_login(client, world["token"])
    attempt_id = b.data(start(client, john, aid), 201)["attemptId"]
    answer = {"attemptId": attempt_id, "questionId": mc, "answer": "a"}
    b.data(client.post(f"/api/assessments/{aid}/submit-answer", headers=john.headers, json=answer))

    api_key = Caller({"X-API-Key": company.api_key}, {}, "")
    other = factory.company("Other Corp").manager
    overwrite = {**answer, "answer": "b"}
    by_code = {"attemptId": attempt_id, "questionId": mc, "language": "python", "code": "x = 1"}
    sync_entry = {
        "seq": 1,
        "kind": "answer",
        "assessmentId": aid,
        "savedAt": b.future(0),
        **overwrite,
    }
    for caller, status in ((recruiter, 403), (api_key, 403), (admin, 403), (other, 404)):
        code = "INSUFFICIENT_PERMISSIONS" if status == 403 else "RESOURCE_NOT_FOUND"
        for response in (
            client.post(
                f"/api/assessments/{aid}/submit-answer", headers=caller.headers, json=overwrite
            ),
            client.post("/api/execution/submit", headers=caller.headers, json=by_code),
            client.post(
                f"/api/assessments/{aid}/complete",
                headers=caller.headers,
                json={"attemptId": attempt_id},
            ),
        ):
            b.error(response, status, code)
        pushed = client.post(
            "/api/sync/push",
            headers=caller.headers,
            json={"schemaVersion": 1, "deviceId": new_id("device"), "entries": [sync_entry]},
        )
        (result,) = b.data(pushed)["results"]
        assert result["status"] == "rejected", result
        assert result["error"]["code"] == code, result

    # The candidate's answer and attempt are as they left them; they still finish it themselves.
    reloaded = b.data(client.get(f"/api/attempts/{attempt_id}", headers=recruiter.headers))
    assert reloaded["status"] == "in_progress"
    assert [(a["answer"], a["revision"]) for a in reloaded["answers"]] == [(["a"], 1)]
    done = client.post(
        f"/api/assessments/{aid}/complete", headers=john.headers, json={"attemptId": attempt_id}
    )
    assert b.data(done)["totalScore"] == 25

"""Proctoring API: sessions, events as the spec writes them, risk, review, tenancy."""

from __future__ import annotations

from server.ids import new_id
from tests.server import builders
from tests.server.conftest import Caller


def assessment_for(client, company) -> tuple[str, str]:
    """An active assessment of `company` and a candidate of it: (assessment ID, candidate ID)."""
    question = builders.question(client, company.manager, builders.MC_SINGLE)
    assessment_id = builders.assessment(client, company.manager, [question])
    email = f"{new_id('candidate')}@example.com"
    return assessment_id, builders.candidate(client, company.manager, email)


def open_session(client, caller: Caller, company, **body) -> str:
    assessment_id, candidate_id = assessment_for(client, company)
    payload = {
        "assessmentId": assessment_id,
        "candidateId": candidate_id,
        "settings": {
            "recordVideo": True,
            "recordScreen": True,
            "detectFaceMovement": True,
            "blockNavigation": True,
            "lockdownBrowser": False,
            "aiMonitoring": True,
        },
        **body,
    }
    response = client.post("/api/proctor/sessions", headers=caller.headers, json=payload)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["webrtcConfig"] == {"iceServers": []}
    assert data["token"] and data["expiresAt"]
    return str(data["sessionId"])


def test_spec_flow_create_report_get_end(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    assert session_id.startswith("proctor_session_")
    for body in (
        {"type": "tab_switch", "severity": "medium", "data": {"fromTab": "assessment"}},
        {"type": "face_not_detected", "severity": "warning", "data": {"duration": 5000}},
        {"type": "multiple_faces_detected", "severity": "high", "data": {"faceCount": 2}},
    ):
        r = client.post(
            f"/v1/proctor/sessions/{session_id}/events", headers=company.manager.headers, json=body
        )
        assert r.status_code == 201, r.text
    detail = client.get(f"/api/proctor/sessions/{session_id}", headers=company.manager.headers)
    data = detail.json()["data"]
    assert [e["severity"] for e in data["events"]] == ["medium", "medium", "high"]
    assert data["riskScore"] > 0 and data["riskLevel"] in ("low", "medium", "high")
    assert "multiple_faces_detected" in data["risk"]["byType"]
    assert data["integrity"]["chainIntact"] is True
    ended = client.post(
        f"/api/proctor/sessions/{session_id}/end",
        headers=company.manager.headers,
        json={"reason": "assessment_completed", "finalReport": True},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["data"]["status"] == "ended"
    late = client.post(
        f"/api/proctor/sessions/{session_id}/events",
        headers=company.manager.headers,
        json={"type": "x", "severity": "low"},
    )
    assert late.status_code == 409


def test_bad_event_body_is_422_in_envelope(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    r = client.post(
        f"/api/proctor/sessions/{session_id}/events",
        headers=company.manager.headers,
        json={"type": "x", "severity": "apocalyptic"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "VALIDATION_ERROR"


def test_other_company_cannot_see_and_list_is_sorted_by_risk(client, factory):
    a, b = factory.company("A"), factory.company("B")
    calm = open_session(client, a.manager, a)
    risky = open_session(client, a.manager, a)
    client.post(
        f"/api/proctor/sessions/{risky}/events",
        headers=a.manager.headers,
        json={"type": "multiple_faces_detected", "severity": "high"},
    )
    assert client.get(f"/api/proctor/sessions/{calm}", headers=b.manager.headers).status_code == 404
    listed = client.get("/api/proctor/sessions", headers=a.manager.headers).json()["data"]
    assert [s["sessionId"] for s in listed] == [risky, calm]
    assert client.get("/api/proctor/sessions", headers=b.manager.headers).json()["data"] == []
    denied = client.get(f"/api/proctor/sessions?companyId={a.id}", headers=b.manager.headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "COMPANY_ACCESS_DENIED"
    high = client.get("/api/proctor/sessions?riskLevel=low", headers=a.manager.headers)
    assert [s["sessionId"] for s in high.json()["data"]] == [calm]


def test_review_verdict_and_filter(client, factory):
    company = factory.company()
    session_id = open_session(client, company.manager, company)
    r = client.post(
        f"/api/proctor/sessions/{session_id}/review",
        headers=company.manager.headers,
        json={"verdict": "flagged", "note": "second person visible"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["review"]["status"] == "flagged"
    flagged = client.get(
        "/api/proctor/sessions?reviewStatus=flagged", headers=company.manager.headers
    )
    assert [s["sessionId"] for s in flagged.json()["data"]] == [session_id]
    viewer = factory.member(company, "hiring_manager")
    assert (
        client.get(f"/api/proctor/sessions/{session_id}", headers=viewer.headers).status_code == 200
    )
    refused = client.post(
        f"/api/proctor/sessions/{session_id}/review",
        headers=viewer.headers,
        json={"verdict": "cleared"},
    )
    assert refused.status_code == 403


def test_a_session_watches_only_a_candidate_of_the_assessments_company(client, factory):
    a, b = factory.company("A"), factory.company("B")
    assessment_a, _ = assessment_for(client, a)
    _, candidate_b = assessment_for(client, b)
    for candidate_id in (candidate_b, "candidate_does_not_exist"):
        refused = client.post(
            "/api/proctor/sessions",
            headers=a.manager.headers,
            json={"assessmentId": assessment_a, "candidateId": candidate_id},
        )
        assert refused.status_code == 404, refused.text
        assert refused.json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    listed = client.get(
        f"/api/proctor/sessions?candidateId={candidate_b}", headers=a.manager.headers
    )
    assert listed.json()["data"] == []

"""Bad input is a 4xx in the envelope, never a 500: missing fields, wrong types, unknown enum
values, malformed test cases."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.server import builders as b
from tests.server.conftest import Caller, Factory


@pytest.fixture
def recruiter(factory: Factory) -> Caller:
    return factory.company().manager


def with_changes(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**body, **changes}


QUESTION_CASES: list[tuple[dict[str, Any], str]] = [
    ({k: v for k, v in b.MC_SINGLE.items() if k != "title"}, "title"),
    (with_changes(b.MC_SINGLE, type="essay"), "type"),
    ({k: v for k, v in b.MC_SINGLE.items() if k != "type"}, "type"),
    (with_changes(b.MC_SINGLE, points="many"), "points"),
    (with_changes(b.MC_SINGLE, difficulty="extreme"), "difficulty"),
    (with_changes(b.MC_SINGLE, options=[{"id": "a", "text": "only"}]), "options"),
    (with_changes(b.MC_SINGLE, testCases=[]), "testCases"),
    (with_changes(b.PY_FIB, testCases=[{"expectedOutput": "1"}]), "testCases"),
    (
        with_changes(b.PY_FIB, testCases=[{"input": "f()", "stdin": "1", "expectedOutput": "1"}]),
        "testCases",
    ),
    (with_changes(b.PY_FIB, testCases=[{"input": "f()"}]), "expectedOutput"),
    (
        with_changes(b.PY_FIB, testCases=[{"input": "f()", "expectedOutput": 1, "weight": 0}]),
        "testCases",
    ),
    (
        with_changes(
            b.PY_FIB,
            testCases=[{"input": "f()", "expectedOutput": "1", "visibility": "secret"}],
        ),
        "visibility",
    ),
    (with_changes(b.PY_FIB, languages=["cobol"]), "languages"),
    (with_changes(b.PY_FIB, templates={"javascript": "x"}), "templates"),
    (with_changes(b.PY_FIB, testCases="fibonacci(1) == 1"), "testCases"),
]


def test_question_validation(client: TestClient, recruiter: Caller) -> None:
    # One app for every case: each case is a request, not a fresh database.
    for body, field in QUESTION_CASES:
        error = b.error(
            client.post("/api/questions", headers=recruiter.headers, json=body),
            422,
            "VALIDATION_ERROR",
        )
        said = [f"{e['field']} {e['message']}" for e in error["details"]["errors"]]
        assert any(field in s for s in said), (body, said)


REQUEST_CASES: list[tuple[str, dict[str, Any]]] = [
    ("/api/assessments", {"description": "no title"}),
    ("/api/assessments", {"title": "x", "timeLimit": "ninety"}),
    ("/api/assessments", {"title": "x", "difficulty": "impossible"}),
    ("/api/assessments", {"title": "x", "settings": {"allowRetakes": "sometimes"}}),
    ("/api/assessments", {"title": "x", "settings": {"unknownSetting": True}}),
    ("/api/assessments", {"title": "x", "questions": "q1"}),
    ("/api/assessments", {"title": "x", "status": "archived"}),
    ("/api/assessments/batch", {"operations": []}),
    ("/api/assessments/batch", {"operations": [{"action": "explode"}]}),
    ("/api/assessments/batch", {"operations": [{"action": "update", "data": {}}]}),
    ("/api/candidates", {"email": "not-an-email", "firstName": "A", "lastName": "B"}),
    ("/api/candidates", {"email": "a@example.com", "firstName": "A"}),
    (
        "/api/candidates",
        {
            "email": "a@example.com",
            "firstName": "A",
            "lastName": "B",
            "profile": {"experience": -1},
        },
    ),
]


def test_assessment_and_candidate_validation(client: TestClient, recruiter: Caller) -> None:
    for path, body in REQUEST_CASES:
        response = client.post(path, headers=recruiter.headers, json=body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_unknown_questions_and_bad_filters(client: TestClient, recruiter: Caller) -> None:
    error = b.error(
        client.post(
            "/api/assessments",
            headers=recruiter.headers,
            json={"title": "x", "questions": ["question_missing"]},
        ),
        422,
    )
    assert error["details"]["value"] == ["question_missing"]
    b.error(client.get("/api/assessments?status=deleted", headers=recruiter.headers), 422)
    b.error(client.get("/api/assessments?sort=rating:desc", headers=recruiter.headers), 422)
    b.error(client.get("/api/assessments?sort=title:sideways", headers=recruiter.headers), 422)
    b.error(client.get("/api/questions?type=essay", headers=recruiter.headers), 422)
    b.error(client.get("/api/candidates?status=hired", headers=recruiter.headers), 422)
    b.error(client.get("/api/candidates?experienceMin=lots", headers=recruiter.headers), 422)
    b.error(client.get("/api/assessments?cursor=garbage!!", headers=recruiter.headers), 422)


def test_invite_and_answer_validation(client: TestClient, recruiter: Caller) -> None:
    mc = b.question(client, recruiter, b.MC_SINGLE)
    py = b.question(client, recruiter, b.PY_FIB)
    assessment_id = b.assessment(client, recruiter, [mc, py])
    candidate_id = b.candidate(client, recruiter)
    invite = f"/api/candidates/{candidate_id}/invite"
    for body in (
        {"assessmentId": assessment_id, "dueDate": "2020-01-01T00:00:00Z"},
        {"assessmentId": assessment_id, "dueDate": "next tuesday"},
        {"assessmentId": assessment_id, "reminderSchedule": {"intervals": ["fortnightly"]}},
        {"message": "no assessment"},
    ):
        b.error(client.post(invite, headers=recruiter.headers, json=body), 422, "VALIDATION_ERROR")

    john = b.candidate_login(client, b.invite(client, recruiter, candidate_id, assessment_id))
    attempt_id = b.data(
        client.post(f"/api/assessments/{assessment_id}/start", headers=john.headers), 201
    )["attemptId"]
    submit = f"/api/assessments/{assessment_id}/submit-answer"
    for body, status in (
        ({"attemptId": attempt_id, "questionId": mc}, 422),
        ({"attemptId": attempt_id, "questionId": mc, "answer": "z"}, 422),
        ({"attemptId": attempt_id, "questionId": mc, "answer": 7}, 422),
        ({"attemptId": attempt_id, "questionId": py, "answer": ["a"]}, 422),
        ({"attemptId": attempt_id, "questionId": py, "answer": "x", "language": "ruby"}, 422),
        ({"attemptId": attempt_id, "questionId": py, "answer": "x", "language": "javascript"}, 422),
        ({"attemptId": attempt_id, "questionId": "question_other", "answer": "a"}, 404),
        ({"attemptId": "attempt_missing", "questionId": mc, "answer": "a"}, 404),
        ({"attemptId": attempt_id, "questionId": mc, "answer": "a", "timeSpent": -1}, 422),
    ):
        b.error(client.post(submit, headers=john.headers, json=body), status)
    b.error(
        client.post(
            submit,
            headers={**john.headers, "Content-Type": "application/json"},
            content=b"{not json",
        ),
        400,
    )

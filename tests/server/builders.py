"""Request bodies and API helpers for the assessment journey tests (questions, assessments,
candidates, invitations), made through the API the way a recruiter would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient

from tests.server.conftest import Caller

PY_FIB = {
    "type": "coding",
    "title": "Fibonacci",
    "description": "Write fibonacci(n) returning the n-th Fibonacci number.",
    "points": 50,
    "timeLimit": 30,
    "difficulty": "medium",
    "skills": ["python", "algorithms"],
    "languages": ["python"],
    "templates": {"python": "def fibonacci(n):\n    # Your implementation here\n    pass\n"},
    "testCases": [
        {"input": "fibonacci(0)", "expectedOutput": "0", "visibility": "sample"},
        {"input": "fibonacci(10)", "expectedOutput": "55", "visibility": "sample"},
        {"input": "fibonacci(20)", "expectedOutput": "6765", "weight": 2},
        {"input": "fibonacci(1)", "expectedOutput": "1"},
    ],
}
PY_FIB_RIGHT = (
    "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
    "    return a\n"
)
PY_FIB_WRONG = "def fibonacci(n):\n    return n\n"

JS_SUM = {
    "type": "coding",
    "title": "Sum of a line",
    "description": "Read integers from stdin and print their sum.",
    "points": 30,
    "difficulty": "easy",
    "skills": ["javascript"],
    "languages": ["javascript"],
    "templates": {"javascript": "// read std.in and print the sum\n"},
    "testCases": [
        {"stdin": "1 2 3\n", "expectedOutput": "6", "visibility": "sample"},
        {"stdin": "10 -4\n", "expectedOutput": "6"},
    ],
}

MC_SINGLE = {
    "type": "multiple_choice",
    "title": "React Lifecycle Methods",
    "description": "Which hook runs after every render by default?",
    "points": 25,
    "timeLimit": 5,
    "difficulty": "easy",
    "skills": ["react"],
    "options": [
        {"id": "a", "text": "useEffect", "correct": True},
        {"id": "b", "text": "useMemo"},
        {"id": "c", "text": "useRef"},
    ],
}
MC_MULTI = {
    "type": "multiple_choice",
    "title": "Immutable types",
    "points": 20,
    "skills": ["python"],
    "partialCredit": True,
    "options": [
        {"id": "tuple", "text": "tuple", "correct": True},
        {"id": "str", "text": "str", "correct": True},
        {"id": "list", "text": "list"},
        {"id": "dict", "text": "dict"},
    ],
}
FREE_TEXT = {
    "type": "free_text",
    "title": "Explain the event loop",
    "points": 15,
    "skills": ["javascript"],
    "keywords": ["queue", "call stack"],
}


def future(days: float = 3) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    if code is not None:
        assert body["error"]["code"] == code, body
    return dict(body["error"])


def question(client: TestClient, caller: Caller, body: dict[str, Any]) -> str:
    return str(data(client.post("/api/questions", headers=caller.headers, json=body), 201)["id"])


def assessment(
    client: TestClient,
    caller: Caller,
    question_ids: list[str],
    *,
    activate: bool = True,
    **settings: bool,
) -> str:
    body = {
        "title": "Senior Python Developer Assessment",
        "description": "Python and a little JavaScript",
        "positionId": "position456",
        "questions": question_ids,
        "timeLimit": 90,
        "difficulty": "medium",
        "skills": ["python", "javascript"],
        "settings": {
            "allowRetakes": False,
            "randomizeQuestions": True,
            "showResults": True,
            "proctoringEnabled": True,
            **settings,
        },
    }
    created = data(client.post("/api/assessments", headers=caller.headers, json=body), 201)
    if activate:
        data(
            client.put(
                f"/api/assessments/{created['id']}",
                headers=caller.headers,
                json={"status": "active"},
            )
        )
    return str(created["id"])


def candidate(client: TestClient, caller: Caller, email: str = "john.doe@example.com") -> str:
    body = {
        "email": email,
        "firstName": "John",
        "lastName": "Doe",
        "positionId": "position456",
        "profile": {
            "phone": "+1-555-123-4567",
            "linkedIn": "https://linkedin.com/in/johndoe",
            "github": "https://github.com/johndoe",
            "experience": 5,
            "skills": ["react", "javascript", "typescript", "node.js"],
            "resume": "resume_file_url",
            "location": "San Francisco, CA",
        },
        "source": "linkedin",
        "referredBy": "recruiter@company.com",
    }
    return str(data(client.post("/api/candidates", headers=caller.headers, json=body), 201)["id"])


def invite(client: TestClient, caller: Caller, candidate_id: str, assessment_id: str) -> str:
    """Invite and return the token from the invitation link."""
    invitation = data(
        client.post(
            f"/api/candidates/{candidate_id}/invite",
            headers=caller.headers,
            json={
                "assessmentId": assessment_id,
                "message": "Hi John, please complete this assessment.",
                "dueDate": future(3),
                "reminderSchedule": {"enabled": True, "intervals": ["1_day", "1_hour"]},
            },
        ),
        201,
    )
    return str(parse_qs(urlparse(invitation["inviteLink"]).query)["token"][0])


def candidate_login(client: TestClient, token: str) -> Caller:
    tokens = data(client.post("/api/auth/login", json={"inviteToken": token}))
    return Caller(
        {"Authorization": f"Bearer {tokens['token']}"}, tokens["user"], tokens["refreshToken"]
    )


def started_attempt(
    client: TestClient, recruiter: Caller, question_ids: list[str], **settings: bool
) -> tuple[str, Caller, str]:
    """An active assessment of these questions (with these settings), and a new candidate
    signed in with its invitation who started it: (assessment ID, the candidate, attempt ID)."""
    assessment_id = assessment(client, recruiter, question_ids, **settings)
    candidate_id = candidate(client, recruiter)
    john = candidate_login(client, invite(client, recruiter, candidate_id, assessment_id))
    started = client.post(f"/api/assessments/{assessment_id}/start", headers=john.headers)
    return assessment_id, john, str(data(started, 201)["attemptId"])

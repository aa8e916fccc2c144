"""Coding answers graded in the server's sandbox: partial credit by test weight, feedback from
the verdicts, both test forms, both languages, and answers graded later by the sweep."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from server.assessments.models import AttemptAnswer
from server.db import transaction
from server.sweep import sweep
from tests.server import builders as b
from tests.server.conftest import Factory

JS_STDIN_RIGHT = (
    "const nums = readAll().trim().split(/\\s+/).map(Number);\n"
    "console.log(nums.reduce((a, b) => a + b, 0));"
)


def test_coding_answers(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    py = b.question(client, recruiter, {**b.PY_FIB, "timeLimitMs": 500})
    js = b.question(client, recruiter, b.JS_SUM)
    both = b.question(
        client,
        recruiter,
        {
            "type": "coding",
            "title": "Double it",
            "points": 10,
            "languages": ["python", "javascript"],
            "testCases": [{"input": "double(21)", "expectedOutput": "42", "visibility": "sample"}],
        },
    )
    assessment_id, john, attempt_id = b.started_attempt(client, recruiter, [py, js, both])

    def answer(question_id: str, code: str, language: str | None = None) -> Any:
        body = {"attemptId": attempt_id, "questionId": question_id, "answer": code}
        if language:
            body["language"] = language
        return b.data(
            client.post(
                f"/api/assessments/{assessment_id}/submit-answer", headers=john.headers, json=body
            )
        )

    # Right on the samples and fibonacci(1), wrong on the weight-2 hidden test: 3/5 of 50.
    lookup = "def fibonacci(n):\n    return {0: 0, 1: 1, 10: 55}.get(n, -1)\n"
    partial = answer(py, lookup)
    assert partial["score"] == 30
    assert partial["feedback"] == (
        "Passed 2 of 2 sample tests and 1 of 2 hidden tests. "
        "A hidden test gave a wrong answer; check edge cases."
    )
    looping = answer(py, "def fibonacci(n):\n    while True:\n        pass\n")
    assert looping["score"] == 0 and "ran out of time" in looping["feedback"]
    crash = answer(py, "def fibonacci(n):\n    return 1 / 0\n")
    assert "ZeroDivisionError" in crash["feedback"]
    assert answer(js, JS_STDIN_RIGHT)["score"] == 30
    sample_wrong = answer(js, "console.log(5)")
    assert "expected '6' but got '5'" in sample_wrong["feedback"]
    b.error(
        client.post(
            f"/api/assessments/{assessment_id}/submit-answer",
            headers=john.headers,
            json={"attemptId": attempt_id, "questionId": both, "answer": "x"},
        ),
        422,
    )
    assert answer(both, "const double = (x) => x * 2;", "javascript")["score"] == 10
    assert answer(both, "def double(x):\n    return x * 2\n", "python")["score"] == 10
    assert answer(both, "   ", "python")["score"] == 0

    # An answer the sandbox could not run when it arrived is graded by the sweep, and the
    # completed attempt's total follows.
    answer(py, b.PY_FIB_RIGHT)
    context = client.app.state.context  # type: ignore[attr-defined]
    with transaction(context.sessions) as db:
        stored = db.query(AttemptAnswer).filter(AttemptAnswer.question_id == py).one()
        stored.status, stored.score = "grading_unavailable", None
    done = b.data(
        client.post(
            f"/api/assessments/{assessment_id}/complete",
            headers=john.headers,
            json={"attemptId": attempt_id},
        )
    )
    assert done["breakdown"][py]["status"] == "grading_unavailable"
    # The last answers to the other two were wrong and blank.
    assert done["totalScore"] == 0 and done["pendingReview"] == 1
    assert sweep(context).answers_graded == 1
    result = b.data(client.get(f"/api/attempts/{attempt_id}/result", headers=john.headers))
    assert result["totalScore"] == 50 and result["breakdown"][py]["score"] == 50


def test_an_unchanged_answer_comes_back_as_graded_and_nul_is_refused(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    py = b.question(client, recruiter, b.PY_FIB)
    assessment_id, john, attempt_id = b.started_attempt(client, recruiter, [py])
    path = f"/api/assessments/{assessment_id}/submit-answer"
    body = {"attemptId": attempt_id, "questionId": py, "answer": b.PY_FIB_RIGHT}
    first = b.data(client.post(path, headers=john.headers, json=body))
    assert first["tests"] and first["revision"] == 1
    # Not graded again and not a new revision, but the same verdicts as the first time.
    again = b.data(client.post(path, headers=john.headers, json=body))
    assert again == first
    by_execution = b.data(
        client.post(
            "/api/execution/submit",
            headers=john.headers,
            json={
                "attemptId": attempt_id,
                "questionId": py,
                "language": "python",
                "code": b.PY_FIB_RIGHT,
            },
        )
    )
    assert by_execution == first

    with_nul = {**body, "answer": b.PY_FIB_RIGHT + "\x00"}
    refused = b.error(
        client.post(path, headers=john.headers, json=with_nul), 422, "VALIDATION_ERROR"
    )
    assert "NUL" in refused["message"]
    assert (
        b.data(client.get(f"/api/attempts/{attempt_id}", headers=john.headers))["answers"][0][
            "revision"
        ]
        == 1
    )

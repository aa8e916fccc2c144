"""A saturated sandbox pool: excess runs are refused at once with a 503 in the envelope, answers
wait for the sweep, and the rest of the API keeps answering (no database connection or request
thread is held by a run waiting on the sandbox)."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server.config import Settings
from tests.server import builders as b
from tests.server.conftest import Factory

SLOW = {"language": "python", "code": "while True: pass", "timeLimit": 4000}
QUICK = {"language": "python", "code": "print(1)"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """One worker and one waiting place: two slow runs fill the pool."""
    return settings.model_copy(update={"execution_workers": 1, "execution_queue": 1})


def test_a_full_pool_refuses_runs_and_the_api_keeps_answering(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    python = b.question(client, recruiter, b.PY_FIB)
    assessment_id, john, attempt_id = b.started_attempt(client, recruiter, [python])
    b.data(client.post("/api/execution/run", headers=recruiter.headers, json=QUICK))  # warm

    def post_run(body: dict[str, Any]) -> Any:
        return client.post("/api/execution/run", headers=recruiter.headers, json=body)

    with ThreadPoolExecutor(3) as pool:
        # Three slow runs for two places (one running, one waiting): one is refused at once,
        # and the two others hold the pool for at least a time limit (no probe can steal a
        # place that a slow run was about to take).
        runs: list[Future[Any]] = [pool.submit(post_run, SLOW) for _ in range(3)]
        deadline = time.monotonic() + 60
        while not any(f.done() for f in runs):
            assert time.monotonic() < deadline, "no run was refused"
            time.sleep(0.01)
        (refused,) = [f.result() for f in runs if f.done()]
        slow = [f for f in runs if not f.done()]
        error = b.error(refused, 503, "SERVICE_UNAVAILABLE")
        assert "busy" in error["message"]
        assert int(refused.headers["Retry-After"]) >= 1
        # The waiting run has its whole time limit still to go, so everything below happens
        # while the pool is full.
        me = b.data(client.get("/api/auth/me", headers=recruiter.headers))
        assert me["email"] == recruiter.user["email"]
        graded = b.data(
            client.post(
                f"/api/assessments/{assessment_id}/submit-answer",
                headers=john.headers,
                json={"attemptId": attempt_id, "questionId": python, "answer": b.PY_FIB_RIGHT},
            )
        )
        assert graded["status"] == "grading_unavailable" and graded["score"] is None
        assert not all(f.done() for f in slow)
        results = [f.result() for f in slow]
    for response in results:
        assert b.data(response)["verdict"] == "time_limit_exceeded"

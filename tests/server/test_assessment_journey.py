"""The recruiter's and the candidate's journey end to end, with the spec's bodies as written:
question bank, assessment, candidate, invitation, invitation login, start, answers, completion,
results."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from server.events import pending
from tests.server import builders as b
from tests.server.conftest import Factory


def test_full_journey(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    recruiter = company.manager

    py = b.question(client, recruiter, b.PY_FIB)
    js = b.question(client, recruiter, b.JS_SUM)
    mc = b.question(client, recruiter, b.MC_SINGLE)
    multi = b.question(client, recruiter, b.MC_MULTI)
    text = b.question(client, recruiter, b.FREE_TEXT)

    # Create with the spec's body (companyId included), then activate.
    created = b.data(
        client.post(
            "/api/assessments",
            headers=recruiter.headers,
            json={
                "title": "Senior React Developer Assessment",
                "description": "Comprehensive React.js evaluation",
                "companyId": company.id,
                "positionId": "position456",
                "questions": [py, js, mc, multi, text],
                "timeLimit": 90,
                "difficulty": "medium",
                "skills": ["react", "javascript", "typescript"],
                "settings": {
                    "allowRetakes": False,
                    "randomizeQuestions": True,
                    "showResults": True,
                    "proctoringEnabled": True,
                },
            },
        ),
        201,
    )
    assert created["status"] == "draft"
    assert created["questionCount"] == 5
    assert created["estimatedDuration"] == 90
    assessment_id = created["id"]
    b.data(
        client.put(
            f"/api/assessments/{assessment_id}",
            headers=recruiter.headers,
            json={"status": "active", "settings": {"allowRetakes": False}},
        )
    )

    candidate_id = b.candidate(client, recruiter)
    token = b.invite(client, recruiter, candidate_id, assessment_id)
    candidate = b.candidate_login(client, token)
    assert candidate.user["role"] == "candidate"
    assert candidate.user["candidateId"] == candidate_id
    assert candidate.user["companyId"] == company.id
    # what the invitation screen shows: no analytics, but whose assessment it is
    seen = b.data(client.get(f"/api/assessments/{assessment_id}", headers=candidate.headers))
    assert seen["companyName"] == "TechCorp Inc." and seen["analytics"] is None

    started = client.post(
        f"/api/assessments/{assessment_id}/start", headers=candidate.headers, json={}
    )
    attempt = b.data(started, 201)
    attempt_id = attempt["attemptId"]
    assert attempt["status"] == "in_progress"
    assert attempt["candidateId"] == candidate_id
    assert 5390 <= attempt["timeRemaining"] <= 5400
    assert attempt["proctoringEnabled"] is True
    assert sorted(q["id"] for q in attempt["questions"]) == sorted([py, js, mc, multi, text])
    by_id = {q["id"]: q for q in attempt["questions"]}
    assert all("correct" not in o for o in by_id[mc]["options"])
    assert by_id[py]["template"].startswith("def fibonacci")
    assert [t["expectedOutput"] for t in by_id[py]["sampleTests"]] == ["0", "55"]  # no hidden
    assert by_id[multi]["multipleAnswers"] is True

    # A second start returns the same attempt, in the same order.
    again = b.data(
        client.post(
            f"/api/assessments/{assessment_id}/start",
            headers=candidate.headers,
            json={"candidateId": candidate_id},
        )
    )
    assert again["attemptId"] == attempt_id
    assert [q["id"] for q in again["questions"]] == [q["id"] for q in attempt["questions"]]

    def answer(question_id: str, value: object, **extra: object) -> Any:
        return b.data(
            client.post(
                f"/api/assessments/{assessment_id}/submit-answer",
                headers=candidate.headers,
                json={
                    "attemptId": attempt_id,
                    "questionId": question_id,
                    "answer": value,
                    "timeSpent": 60,
                    **extra,
                },
            )
        )

    right_mc = answer(mc, "a")
    assert (right_mc["score"], right_mc["maxScore"], right_mc["status"]) == (25, 25, "graded")
    wrong_multi = answer(multi, ["list"])
    assert wrong_multi["score"] == 0
    partial = answer(multi, ["tuple"])  # changed: replaces the first, keeps history
    assert partial["score"] == 10 and partial["revision"] == 2
    free = answer(text, "The call stack empties, then the task queue runs.")
    assert free["status"] == "pending_review" and free["score"] == 15

    # Coding answers run in the server's sandbox against sample and hidden tests.
    right_code = answer(py, b.PY_FIB_RIGHT, language="python")
    assert (right_code["score"], right_code["status"]) == (50, "graded")
    assert right_code["feedback"].startswith("All tests pass (2 of 2 sample tests and 2 of 2")
    hidden = [t for t in right_code["tests"] if t["visibility"] == "hidden"]
    assert hidden and all(t["expectedOutput"] is None and t["output"] is None for t in hidden)
    wrong_code = answer(js, "console.log(0)")
    assert (wrong_code["score"], wrong_code["status"]) == (0, "graded")
    assert wrong_code["feedback"].startswith("Passed 0 of 1 sample tests and 0 of 1 hidden tests.")
    assert wrong_code["progressPercentage"] == 100

    # The candidate reloads their attempt with the saved answers.
    reloaded = b.data(client.get(f"/api/attempts/{attempt_id}", headers=candidate.headers))
    assert {a["questionId"]: a["answer"] for a in reloaded["answers"]}[multi] == ["tuple"]
    assert reloaded["timeRemaining"] > 0

    done = b.data(
        client.post(
            f"/api/assessments/{assessment_id}/complete",
            headers=candidate.headers,
            json={"attemptId": attempt_id},
        )
    )
    assert done["status"] == "completed"
    assert done["maxScore"] == 140
    expected_total = 25 + 10 + 15 + (right_code["score"] or 0) + (wrong_code["score"] or 0)
    assert done["totalScore"] == expected_total
    assert done["percentage"] == round(100 * expected_total / 140, 2)
    assert done["breakdown"][mc] == {"score": 25, "maxScore": 25, "status": "graded"}
    assert done["ranking"] == "top_10_percent"
    assert done["timeSpent"] >= 0

    # Completing again returns the same completion.
    assert (
        b.data(
            client.post(
                f"/api/assessments/{assessment_id}/complete",
                headers=candidate.headers,
                json={"attemptId": attempt_id},
            )
        )["totalScore"]
        == expected_total
    )

    results = b.data(
        client.get(f"/api/assessments/{assessment_id}/results", headers=recruiter.headers)
    )
    assert len(results) == 1
    assert results[0]["candidate"]["email"] == "john.doe@example.com"
    assert results[0]["status"] == "completed"
    assert results[0]["percentage"] == done["percentage"]

    detail = b.data(client.get(f"/api/assessments/{assessment_id}", headers=recruiter.headers))
    assert detail["analytics"]["totalAttempts"] == 1
    assert detail["analytics"]["completedAttempts"] == 1
    assert detail["analytics"]["completionRate"] == 1.0
    assert detail["completionCount"] == 1

    person = b.data(client.get(f"/api/candidates/{candidate_id}", headers=recruiter.headers))
    assert person["status"] == "completed"
    assert person["assessments"][0]["percentage"] == done["percentage"]

    # The reviewer confirms the free-text score and marks the candidate reviewed.
    b.data(
        client.post(
            f"/api/attempts/{attempt_id}/answers/{text}/review",
            headers=recruiter.headers,
            json={"score": 12, "feedback": "Good, but no mention of microtasks."},
        )
    )
    reviewed = b.data(
        client.patch(
            f"/api/candidates/{candidate_id}",
            headers=recruiter.headers,
            json={
                "status": "reviewed",
                "notes": "Excellent technical skills, moving to next round",
                "tags": ["finalist", "technical-strong"],
                "rating": 4.5,
            },
        )
    )
    assert reviewed["status"] == "reviewed"
    assert reviewed["notes"][0]["author"] == recruiter.user["email"]
    assert reviewed["tags"] == ["finalist", "technical-strong"] and reviewed["rating"] == 4.5
    assert reviewed["assessments"][0]["score"] == expected_total - 3


def test_domain_events_are_recorded_with_the_change(client: TestClient, factory: Factory) -> None:
    """The seam the webhooks issue builds on: events collected in the changing transaction."""
    from server.assessments import attempts
    from server.auth.models import User
    from server.candidates import service as candidates
    from server.deps import Actor, user_actor
    from server.permissions import ROLE_PERMISSIONS, Role
    from server.schemas.candidates import CandidateCreate

    company = factory.company()
    recruiter = company.manager
    assessment_id = b.assessment(client, recruiter, [b.question(client, recruiter, b.MC_SINGLE)])
    context = client.app.state.context  # type: ignore[attr-defined]
    with context.sessions() as db:
        user = db.get_one(User, recruiter.user["uid"])
        actor = user_actor(user, None)
        created = candidates.create_candidate(
            db,
            actor=actor,
            settings=context.settings,
            mail=context.mail,
            data=CandidateCreate(
                email="eve@example.com",
                first_name="Eve",
                last_name="L",
                assessment_id=assessment_id,
            ),
        )
        started, _ = attempts.start_attempt(
            db,
            actor=actor,
            settings=context.settings,
            assessment_id=assessment_id,
            candidate_id=created.id,
        )
        # Staff start on the candidate's behalf; only the candidate completes.
        candidate = Actor(
            kind="candidate",
            id=created.id,
            role=Role.CANDIDATE,
            company_id=company.id,
            permissions=list(ROLE_PERMISSIONS[Role.CANDIDATE]),
            assessment_id=assessment_id,
        )
        attempts.complete_attempt(
            db,
            actor=candidate,
            settings=context.settings,
            assessment_id=assessment_id,
            attempt_id=started.attempt_id,
        )
        events = pending(db)
    assert [e.type for e in events] == ["candidate.invited", "assessment.completed"]
    assert events[1].data["candidateId"] == created.id and events[1].company_id == company.id

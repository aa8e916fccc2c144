"""Question versions, idempotent answers, batches, list filters, reminders and the sweep,
retakes, company usage and the demo seed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.assessments.models import AnswerRevision, Attempt
from server.db import transaction
from server.mail.models import MailMessage
from server.sweep import sweep
from tests.server import builders as b
from tests.server.conftest import Factory, login


def context_of(client: TestClient) -> Any:
    return client.app.state.context  # type: ignore[attr-defined]


def test_question_versions_keep_attempts_on_theirs(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    assessment_id, john, attempt_id = b.started_attempt(client, recruiter, [mc])

    # The recruiter changes the right answer to "b": a new version.
    edited = {
        **b.MC_SINGLE,
        "options": [
            {"id": "a", "text": "useEffect"},
            {"id": "b", "text": "useMemo", "correct": True},
            {"id": "c", "text": "useRef"},
        ],
    }
    new = b.data(client.put(f"/api/questions/{mc}", headers=recruiter.headers, json=edited))
    assert new["version"] == 2
    same = b.data(client.put(f"/api/questions/{mc}", headers=recruiter.headers, json=edited))
    assert same["version"] == 2  # no change, no new version

    # The attempt that started on version 1 is graded against version 1.
    scored = b.data(
        client.post(
            f"/api/assessments/{assessment_id}/submit-answer",
            headers=john.headers,
            json={"attemptId": attempt_id, "questionId": mc, "answer": "a"},
        )
    )
    assert scored["score"] == 25

    # Deleting a question an open assessment uses is refused; once archived, it goes.
    b.error(
        client.delete(f"/api/questions/{mc}", headers=recruiter.headers), 409, "QUESTION_IN_USE"
    )
    b.data(client.delete(f"/api/assessments/{assessment_id}", headers=recruiter.headers))
    b.data(client.delete(f"/api/questions/{mc}", headers=recruiter.headers))
    b.error(client.get(f"/api/questions/{mc}", headers=recruiter.headers), 404)
    # The attempt still reloads with its version.
    reloaded = b.data(client.get(f"/api/attempts/{attempt_id}", headers=john.headers))
    assert [o["id"] for o in reloaded["questions"][0]["options"]] == ["a", "b", "c"]


def test_question_filters(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    for body in (b.MC_SINGLE, b.MC_MULTI, b.FREE_TEXT, b.PY_FIB, b.JS_SUM):
        b.question(client, recruiter, body)

    def titles(query: str) -> list[str]:
        rows = b.data(client.get(f"/api/questions?{query}", headers=recruiter.headers))
        return sorted(r["title"] for r in rows)

    assert titles("type=coding") == ["Fibonacci", "Sum of a line"]
    assert titles("difficulty=easy") == ["React Lifecycle Methods", "Sum of a line"]
    assert titles("skills=python") == ["Fibonacci", "Immutable types"]
    assert titles("skills=python,algorithms") == ["Fibonacci"]
    assert titles("skills=python&skills=algorithms") == ["Fibonacci"]
    first = client.get("/api/questions?limit=2", headers=recruiter.headers).json()
    assert len(first["data"]) == 2 and first["meta"]["pagination"]["hasNext"] is True
    cursor = first["meta"]["pagination"]["nextCursor"]
    rest = b.data(client.get(f"/api/questions?limit=10&cursor={cursor}", headers=recruiter.headers))
    assert len(rest) == 3
    assert not {q["id"] for q in first["data"]} & {q["id"] for q in rest}
    full = b.data(client.get(f"/api/questions/{rest[0]['id']}", headers=recruiter.headers))
    assert full["id"] == rest[0]["id"]


def test_submit_answer_is_idempotent(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    assessment_id, john, attempt_id = b.started_attempt(client, recruiter, [mc])
    path = f"/api/assessments/{assessment_id}/submit-answer"
    body = {"attemptId": attempt_id, "questionId": mc, "answer": "b"}
    keyed = {**john.headers, "Idempotency-Key": "answer-1"}
    first = b.data(client.post(path, headers=keyed, json=body))
    # Meanwhile the candidate changes their mind under another key.
    changed = b.data(
        client.post(
            path,
            headers={**john.headers, "Idempotency-Key": "answer-2"},
            json={**body, "answer": "a"},
        )
    )
    assert changed["revision"] == 2 and changed["score"] == 25
    # A retry of the first request gets the first response, and changes nothing.
    assert b.data(client.post(path, headers=keyed, json=body)) == first
    b.error(
        client.post(path, headers=keyed, json={**body, "answer": "c"}),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    )
    reloaded = b.data(client.get(f"/api/attempts/{attempt_id}", headers=john.headers))
    assert reloaded["answers"][0]["answer"] == ["a"]
    # The same answer again without a key is no new revision.
    assert (
        b.data(client.post(path, headers=john.headers, json={**body, "answer": "a"}))["revision"]
        == 2
    )


def test_answers_sent_at_once_are_each_saved_once_or_refused(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    mc = b.question(client, recruiter, b.MC_MULTI)
    assessment_id, john, attempt_id = b.started_attempt(client, recruiter, [mc])
    path = f"/api/assessments/{assessment_id}/submit-answer"
    choices = [["tuple"], ["str"], ["list"], ["dict"], ["tuple", "str"], ["str", "list"]]

    def send(answer: list[str]) -> Any:
        body = {"attemptId": attempt_id, "questionId": mc, "answer": answer}
        return client.post(path, headers=john.headers, json=body)

    # On PostgreSQL they meet in the database; SQLite's one connection takes them in turn.
    with ThreadPoolExecutor(len(choices)) as pool:
        replies = list(pool.map(send, choices))
    saved = [r.json()["data"] for r in replies if r.status_code == 200]
    for refused in (r for r in replies if r.status_code != 200):
        b.error(refused, 409, "CONCURRENT_ANSWER")
    # each saved answer is a revision of its own, none saved twice
    assert sorted(s["revision"] for s in saved) == list(range(1, len(saved) + 1))
    with transaction(context_of(client).sessions) as db:
        revisions = db.scalars(
            select(AnswerRevision.revision).where(AnswerRevision.attempt_id == attempt_id)
        ).all()
    assert sorted(revisions) == list(range(1, len(saved) + 1))
    (current,) = b.data(client.get(f"/api/attempts/{attempt_id}", headers=john.headers))["answers"]
    assert current["revision"] == len(saved)


def test_batch(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    existing = b.assessment(client, recruiter, [mc], activate=False)
    ops = [
        {"action": "create", "data": {"title": "Assessment 1", "questions": [mc]}},
        {"action": "update", "id": existing, "data": {"status": "archived"}},
        {"action": "update", "id": "assessment_missing", "data": {"title": "x"}},
        {"action": "create", "data": {"title": ""}},
    ]
    report = b.data(
        client.post("/api/assessments/batch", headers=recruiter.headers, json={"operations": ops})
    )
    assert report["committed"] is True and report["applied"] == 2 and report["failed"] == 2
    statuses = [
        (r["status"], r["error"]["code"] if r["error"] else None) for r in report["results"]
    ]
    assert statuses == [
        ("applied", None),
        ("applied", None),
        ("failed", "RESOURCE_NOT_FOUND"),
        ("failed", "VALIDATION_ERROR"),
    ]
    assert report["results"][1]["data"]["status"] == "archived"
    listed = b.data(client.get("/api/assessments", headers=recruiter.headers))
    assert len(listed) == 2

    atomic = b.data(
        client.post(
            "/api/assessments/batch",
            headers=recruiter.headers,
            json={
                "atomic": True,
                "operations": [
                    {"action": "create", "data": {"title": "Never", "questions": [mc]}},
                    {"action": "delete", "id": "assessment_missing"},
                ],
            },
        )
    )
    assert atomic["committed"] is False and atomic["applied"] == 0
    assert [r["status"] for r in atomic["results"]] == ["rolled_back", "failed"]
    assert len(b.data(client.get("/api/assessments", headers=recruiter.headers))) == 2


def test_assessment_list_filters_and_sort(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    recruiter = company.manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    for title, difficulty, skills in (
        ("Beta", "easy", ["python"]),
        ("Alpha", "hard", ["react", "javascript"]),
        ("Gamma", "medium", ["python", "django"]),
    ):
        b.data(
            client.post(
                "/api/assessments",
                headers=recruiter.headers,
                json={
                    "title": title,
                    "companyId": company.id,
                    "questions": [mc],
                    "difficulty": difficulty,
                    "skills": skills,
                    "positionId": "p1" if title != "Gamma" else "p2",
                    "status": "active" if title == "Alpha" else "draft",
                },
            ),
            201,
        )

    def titles(query: str) -> list[str]:
        rows = b.data(client.get(f"/api/assessments?{query}", headers=recruiter.headers))
        return [r["title"] for r in rows]

    assert titles("sort=title:asc") == ["Alpha", "Beta", "Gamma"]
    assert titles("sort=title:desc") == ["Gamma", "Beta", "Alpha"]
    assert titles(f"companyId={company.id}&status=active") == ["Alpha"]
    assert titles("difficulty=medium") == ["Gamma"]
    assert titles("positionId=p1&sort=title:asc") == ["Alpha", "Beta"]
    assert titles("skills=python&sort=title:asc") == ["Beta", "Gamma"]
    page = client.get("/api/assessments?sort=title:asc&limit=2", headers=recruiter.headers).json()
    assert [r["title"] for r in page["data"]] == ["Alpha", "Beta"]
    cursor = page["meta"]["pagination"]["nextCursor"]
    assert titles(f"sort=title:asc&limit=2&cursor={cursor}") == ["Gamma"]
    row = page["data"][0]
    assert row["questionCount"] == 1 and row["completionCount"] == 0 and row["averageScore"] is None


def test_candidates_create_list_update(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    recruiter = company.manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    assessment_id = b.assessment(client, recruiter, [mc])
    created = b.data(
        client.post(
            "/api/candidates",
            headers=recruiter.headers,
            json={
                "email": "Ada@Example.com",
                "firstName": "Ada",
                "lastName": "Lovelace",
                "profile": {"experience": 10, "skills": ["python", "math"]},
                "assessmentId": assessment_id,
            },
        ),
        201,
    )
    assert created["status"] == "invited" and created["inviteToken"].startswith("ellaai_inv_")
    b.candidate_login(client, created["inviteToken"])
    b.error(
        client.post(
            "/api/candidates",
            headers=recruiter.headers,
            json={"email": "ada@example.com", "firstName": "A", "lastName": "L"},
        ),
        409,
        "CANDIDATE_EXISTS",
    )
    b.candidate(client, recruiter)  # John Doe, 5 years, react/javascript/...

    def names(query: str) -> list[str]:
        rows = b.data(client.get(f"/api/candidates?{query}", headers=recruiter.headers))
        return sorted(r["firstName"] for r in rows)

    assert names("search=lovelace") == ["Ada"]
    assert names("search=john doe") == ["John"]
    assert names("search=EXAMPLE.COM") == ["Ada", "John"]
    assert names("skills=python") == ["Ada"]
    assert names("experienceMin=6") == ["Ada"]
    assert names("experienceMax=6") == ["John"]
    assert names(f"companyId={company.id}&status=invited&positionId=position456") == ["John"]

    plain = b.data(
        client.post(
            "/api/candidates",
            headers=recruiter.headers,
            json={"email": "grace@example.com", "firstName": "Grace", "lastName": "Hopper"},
        ),
        201,
    )
    assert plain["inviteToken"] is None
    b.error(
        client.patch(
            f"/api/candidates/{plain['id']}", headers=recruiter.headers, json={"status": "reviewed"}
        ),
        409,
        "INVALID_STATUS_TRANSITION",
    )
    b.error(
        client.patch(
            f"/api/candidates/{plain['id']}", headers=recruiter.headers, json={"rating": 6}
        ),
        422,
    )
    updated = b.data(
        client.patch(
            f"/api/candidates/{plain['id']}",
            headers=recruiter.headers,
            json={"notes": "Phone screen went well", "tags": ["senior"], "rating": 4},
        )
    )
    updated = b.data(
        client.patch(
            f"/api/candidates/{plain['id']}", headers=recruiter.headers, json={"notes": "Second"}
        )
    )
    assert [n["content"] for n in updated["notes"]] == ["Phone screen went well", "Second"]
    assert updated["tags"] == ["senior"] and updated["rating"] == 4

    usage = b.data(client.get(f"/api/companies/{company.id}", headers=recruiter.headers))["usage"]
    assert usage == {"members": 1, "assessments": 1, "candidates": 3, "monthlyInvites": 1}


def test_reminders_and_sweep(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    assessment_id = b.assessment(client, recruiter, [mc])
    candidate_id = b.candidate(client, recruiter)
    token = b.invite(client, recruiter, candidate_id, assessment_id)  # due in 3 days
    context = context_of(client)

    def mails(kind: str) -> int:
        with transaction(context.sessions) as db:
            return db.query(MailMessage).filter(MailMessage.kind == kind).count()

    assert mails("candidate_invite") == 1
    now = datetime.now(UTC)
    assert sweep(context, now).reminders_sent == 0
    # Two days and a bit later, the "1_day" reminder is due; the "1_hour" one is not.
    assert sweep(context, now + timedelta(days=2, hours=1)).reminders_sent == 1
    assert sweep(context, now + timedelta(days=2, hours=2)).reminders_sent == 0
    assert mails("candidate_reminder") == 1

    # The candidate starts and leaves; the sweep completes the attempt when time runs out.
    john = b.candidate_login(client, token)
    attempt_id = b.data(
        client.post(f"/api/assessments/{assessment_id}/start", headers=john.headers), 201
    )["attemptId"]
    with transaction(context.sessions) as db:
        expires_at = db.get_one(Attempt, attempt_id).expires_at
    assert sweep(context, expires_at).attempts_expired == 0  # grace for answers in flight
    report = sweep(context, expires_at + timedelta(minutes=5))
    assert report.attempts_expired == 1
    # A completed candidate gets no "1_hour" reminder.
    assert sweep(context, now + timedelta(days=3) - timedelta(minutes=30)).reminders_sent == 0
    result = b.data(client.get(f"/api/attempts/{attempt_id}/result", headers=john.headers))
    assert result["completionReason"] == "expired" and result["totalScore"] == 0
    detail = b.data(client.get(f"/api/candidates/{candidate_id}", headers=recruiter.headers))
    assert detail["status"] == "completed"


def test_retakes_and_ranking(client: TestClient, factory: Factory) -> None:
    recruiter = factory.company().manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    multi = b.question(client, recruiter, b.MC_MULTI)
    assessment_id = b.assessment(client, recruiter, [mc, multi], allowRetakes=True)
    ranks = []
    for n, picks in enumerate([("a", ["tuple", "str"]), ("b", ["list"]), ("a", ["tuple"])]):
        candidate_id = b.candidate(client, recruiter, f"c{n}@example.com")
        # Staff may start on a candidate's behalf, with the spec's body.
        attempt = b.data(
            client.post(
                f"/api/assessments/{assessment_id}/start",
                headers=recruiter.headers,
                json={"candidateId": candidate_id},
            ),
            201,
        )
        # Only the candidate answers and completes it.
        candidate = b.candidate_login(
            client, b.invite(client, recruiter, candidate_id, assessment_id)
        )
        for question_id, answer in zip((mc, multi), picks, strict=True):
            b.data(
                client.post(
                    f"/api/assessments/{assessment_id}/submit-answer",
                    headers=candidate.headers,
                    json={
                        "attemptId": attempt["attemptId"],
                        "questionId": question_id,
                        "answer": answer,
                    },
                )
            )
        done = b.data(
            client.post(
                f"/api/assessments/{assessment_id}/complete",
                headers=candidate.headers,
                json={"attemptId": attempt["attemptId"]},
            )
        )
        ranks.append((done["percentage"], done["ranking"]))
    assert ranks == [
        (100.0, "top_10_percent"),
        (0.0, "bottom_50_percent"),
        (77.78, "top_50_percent"),
    ]
    results = b.data(
        client.get(f"/api/assessments/{assessment_id}/results", headers=recruiter.headers)
    )
    assert sorted(r["ranking"] for r in results) == [
        "bottom_50_percent",
        "top_10_percent",
        "top_50_percent",
    ]
    # With retakes allowed, a completed candidate starts a new attempt.
    retake = client.post(
        f"/api/assessments/{assessment_id}/start",
        headers=recruiter.headers,
        json={"candidateId": results[0]["candidate"]["id"]},
    )
    assert b.data(retake, 201)["attemptId"] not in {r["attemptId"] for r in results}


def test_seed_demo_is_idempotent_and_its_invitation_works(client: TestClient) -> None:
    from server.demo import RECRUITER_EMAIL, RECRUITER_PASSWORD, seed_demo

    context = context_of(client)
    first = seed_demo(context)
    second = seed_demo(context)
    assert (first.assessment_id, first.candidate_id) == (second.assessment_id, second.candidate_id)
    assert first.invite_token == second.invite_token
    recruiter = login(client, RECRUITER_EMAIL, RECRUITER_PASSWORD)
    detail = b.data(
        client.get(f"/api/assessments/{first.assessment_id}", headers=recruiter.headers)
    )
    assert detail["status"] == "active" and detail["settings"]["proctoringEnabled"] is True
    types = {q["type"] for q in detail["questions"]}
    assert types == {"coding", "multiple_choice", "free_text"}
    b.candidate_login(client, first.invite_token)
    # The token was spent on a login: the next seed issues a fresh one.
    assert seed_demo(context).invite_token != first.invite_token


def test_show_results_off_hides_scores_from_the_candidate_only(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    mc = b.question(client, recruiter, b.MC_SINGLE)
    assessment_id, john, attempt_id = b.started_attempt(client, recruiter, [mc], showResults=False)
    answered = b.data(
        client.post(
            f"/api/assessments/{assessment_id}/submit-answer",
            headers=john.headers,
            json={"attemptId": attempt_id, "questionId": mc, "answer": "a"},
        )
    )
    assert answered["score"] is None and answered["feedback"] is None
    assert answered["progressPercentage"] == 100
    done = b.data(
        client.post(
            f"/api/assessments/{assessment_id}/complete",
            headers=john.headers,
            json={"attemptId": attempt_id},
        )
    )
    assert done["resultsHidden"] is True and done["totalScore"] is None and done["ranking"] is None
    staff = b.data(client.get(f"/api/attempts/{attempt_id}/result", headers=recruiter.headers))
    assert staff["totalScore"] == 25 and staff["resultsHidden"] is False

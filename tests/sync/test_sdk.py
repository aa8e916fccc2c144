"""The SDK against the real server: spec-shaped calls, the error tree, retries, token refresh."""

from __future__ import annotations

import httpx
import pytest

from sync import (
    AuthenticationError,
    ConnectionFailed,
    EllaAI,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Tokens,
    api_base_url,
)
from tests.sync.harness import ADMIN_EMAIL, PASSWORD, FaultProxy, free_port


def test_spec_example_calls_and_pagination(world):
    client = world.recruiter
    assessment = client.assessments.get(world.assessment_id)
    assert assessment["id"] == world.assessment_id
    page = client.questions.list(limit=2)
    assert len(page) == 2 and page.has_next and page.next_cursor
    assert len(list(client.iterate("/questions", {"limit": 2}))) == len(world.question_ids)
    candidates = client.candidates.list(status="invited")
    assert isinstance(candidates, list)


def test_errors_carry_code_message_and_request_id(world, live_server):
    with pytest.raises(NotFoundError) as missing:
        world.recruiter.assessments.get("assessment_nope")
    assert missing.value.code == "RESOURCE_NOT_FOUND"
    assert missing.value.request_id and missing.value.request_id.startswith("req_")
    with pytest.raises(PermissionDeniedError):
        world.recruiter.admin.stats()
    with (
        EllaAI(base_url=f"{live_server.url}/api", max_retries=0) as anonymous,
        pytest.raises(AuthenticationError) as unauthenticated,
    ):
        anonymous.auth.me()
    assert unauthenticated.value.code == "AUTHENTICATION_REQUIRED"


def test_offline_is_a_connection_error_not_an_api_error():
    with EllaAI(base_url=f"http://127.0.0.1:{free_port()}/api", max_retries=1) as client:
        client.retry.base_delay = 0.01
        with pytest.raises(ConnectionFailed):
            client.auth.me()


def test_expired_token_is_refreshed_once_and_persisted(live_server):
    seen: list[Tokens] = []
    client = EllaAI(base_url=f"{live_server.url}/api", on_tokens=seen.append)
    client.auth.login(email=ADMIN_EMAIL, password=PASSWORD)
    first = client.tokens
    assert first is not None
    # An access token the server reads as expired: signed correctly, exp in the past.
    import jwt

    from server.security import read_access_token

    claims = read_access_token(live_server.settings, first.access)
    expired = jwt.encode(
        {
            "iss": "ellaai",
            "sub": claims.user_id,
            "sid": claims.session_id,
            "typ": "access",
            "iat": 1_600_000_000,
            "exp": 1_600_000_100,
        },
        live_server.settings.secret_key,
        algorithm="HS256",
    )
    client.use_tokens({"token": expired, "refreshToken": first.refresh})
    assert client.auth.me()["email"] == ADMIN_EMAIL
    assert client.tokens is not None
    assert client.tokens.access not in (expired, first.access)
    assert len(seen) == 3  # login, the forced one, the refresh
    client.close()


def test_retries_honour_retry_after_and_reuse_the_idempotency_key():
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            body = {"success": False, "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "slow"}}
            return httpx.Response(429, json=body, headers={"Retry-After": "0"})
        return httpx.Response(201, json={"success": True, "data": {"id": "x"}, "meta": {}})

    client = EllaAI(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert client.assessments.create(title="T", time_limit=60) == {"id": "x"}
    keys = {c.headers["Idempotency-Key"] for c in calls}
    assert len(calls) == 3 and len(keys) == 1
    assert calls[0].read() == b'{"title":"T","timeLimit":60}'

    limited = EllaAI(
        api_key="k",
        max_retries=0,
        http_client=httpx.Client(transport=httpx.MockTransport(lambda r: handler(r))),
    )
    calls.clear()
    with pytest.raises(RateLimitError) as error:
        limited.assessments.list()
    assert error.value.retry_after == 0


def test_a_write_whose_answer_is_lost_is_retried_and_applied_once(live_server, closing):
    proxy = closing(FaultProxy(live_server.port))
    admin = closing(EllaAI(base_url=f"{proxy.url}/api"))
    admin.auth.login(email=ADMIN_EMAIL, password=PASSWORD)
    proxy.lose_answers(1)
    created = admin.companies.create(name="Lost Answer Corp", email="owner@lost.example.com")
    assert proxy.answers_to_lose == 0  # the first answer was really lost
    names = [c["name"] for c in admin.iterate("/companies", {"limit": 100})]
    assert names.count("Lost Answer Corp") == 1
    assert admin.companies.get(created["id"])["name"] == "Lost Answer Corp"


def test_a_bare_server_address_means_its_api(live_server):
    assert api_base_url("http://h:8000") == "http://h:8000/api"
    assert api_base_url("http://h:8000/") == "http://h:8000/api"
    assert api_base_url("https://h/v1/") == "https://h/v1"
    assert api_base_url("https://h/api") == "https://h/api"
    assert (
        api_base_url("https://gateway.example.com/ellaai") == "https://gateway.example.com/ellaai"
    )
    for base in (live_server.url, f"{live_server.url}/", f"{live_server.url}/v1"):
        with EllaAI(base_url=base) as client:
            client.auth.login(email=ADMIN_EMAIL, password=PASSWORD)
            assert client.auth.me()["email"] == ADMIN_EMAIL


CODING = {
    "type": "coding",
    "title": "Double it",
    "points": 10,
    "languages": ["python"],
    "test_cases": [
        {"input": "double(2)", "expected_output": "4", "visibility": "sample"},
        {"input": "double(21)", "expected_output": "42"},
    ],
}


def test_execution_runs_reads_back_and_grades_a_candidates_answer(world):
    recruiter = world.recruiter
    assert "python" in {lang["id"] for lang in recruiter.execution.languages()}
    run = recruiter.execution.run(
        language="python",
        code="def double(x):\n    return 2 * x\n",
        test_cases=[
            {"input": "double(2)", "expected_output": "4"},
            {"stdin": "", "expectedOutput": "", "timeout": 10**9},
        ],
        time_limit=10**9,
        memory_limit="64MB",
    )
    assert run["overallStatus"] == "passed"
    assert {c["field"] for c in run["clamped"]} == {"timeLimit", "testCases[1].timeout"}
    assert recruiter.execution.get(run["executionId"]) == run

    question = recruiter.questions.create(**CODING)
    assessment = recruiter.assessments.create(title="Coding", questions=[question["id"]])
    recruiter.assessments.update(assessment["id"], status="active")
    candidate = recruiter.candidates.create(
        email="coder@example.com", first_name="Ada", last_name="L", assessment_id=assessment["id"]
    )
    with EllaAI(base_url=world.server_url) as ada:
        ada.auth.login(invite_token=candidate["inviteToken"])
        attempt = ada.assessments.start(assessment["id"])
        answer = {"attempt_id": attempt["attemptId"], "question_id": question["id"]}
        graded = ada.execution.submit(
            **answer, language="python", code="def double(x):\n    return x + x\n"
        )
        assert graded["score"] == 10 and graded["status"] == "graded"
        with pytest.raises(PermissionDeniedError):
            recruiter.execution.submit(**answer, language="python", code="def double(x): 0")

"""Rate limits: the spec's headers and 429 body, per plan, per caller, and shared through Redis."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from server.ratelimit import Limit, MemoryRateLimiter, RateLimiter, RedisRateLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture
def tight_client(settings: Settings) -> Iterator[TestClient]:
    # One request a minute after the burst: a loaded machine cannot refill a token mid-test.
    tight = settings.model_copy(
        update={
            "rate_limit_plans": {"free": (1, 3), "pro": (600, 50), "enterprise": (6000, 200)},
            "anonymous_rate_limit": (60, 20),
        }
    )
    with TestClient(create_app(tight), raise_server_exceptions=False) as client:
        yield client


def test_headers_then_429_with_the_spec_body(tight_client: TestClient, settings: Settings) -> None:
    factory_admin = tight_client.post(
        "/api/auth/login",
        json={"email": settings.admin_email, "password": settings.admin_password},
    ).json()["data"]
    admin_headers = {"Authorization": f"Bearer {factory_admin['token']}"}
    created = tight_client.post(
        "/api/companies",
        headers=admin_headers,
        json={"name": "Small", "email": "small@example.com", "plan": "free"},
    ).json()["data"]
    key = {"X-API-Key": created["apiKey"]}
    statuses = []
    for _ in range(4):
        response = tight_client.get(f"/api/companies/{created['id']}", headers=key)
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]
    first_ok = tight_client.get("/api/auth/verify", headers=admin_headers)
    assert first_ok.headers["X-RateLimit-Limit"] == "6000"
    limited = tight_client.get(f"/api/companies/{created['id']}", headers=key)
    assert limited.status_code == 429
    body = limited.json()
    assert body["success"] is False
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert body["error"]["message"].startswith("Rate limit exceeded. Try again in ")
    assert body["meta"]["limit"] == 1
    assert body["meta"]["remaining"] == 0
    assert body["meta"]["retryAfter"] >= 1
    assert body["meta"]["resetTime"]
    assert limited.headers["Retry-After"] == str(body["meta"]["retryAfter"])
    assert limited.headers["X-RateLimit-Remaining"] == "0"


def test_each_caller_has_its_own_bucket(tight_client: TestClient, settings: Settings) -> None:
    login = {"email": settings.admin_email, "password": settings.admin_password}
    admin = tight_client.post("/api/auth/login", json=login).json()["data"]
    headers = {"Authorization": f"Bearer {admin['token']}"}
    keys = []
    for i in range(2):
        body = {"name": f"C{i}", "email": f"c{i}@example.com", "plan": "free"}
        keys.append(tight_client.post("/api/companies", headers=headers, json=body).json()["data"])
    for _ in range(3):
        tight_client.get(
            f"/api/companies/{keys[0]['id']}", headers={"X-API-Key": keys[0]["apiKey"]}
        )
    exhausted = tight_client.get(
        f"/api/companies/{keys[0]['id']}", headers={"X-API-Key": keys[0]["apiKey"]}
    )
    other = tight_client.get(
        f"/api/companies/{keys[1]['id']}", headers={"X-API-Key": keys[1]["apiKey"]}
    )
    assert (exhausted.status_code, other.status_code) == (429, 200)


def test_the_sync_push_counts_against_its_callers_bucket(
    tight_client: TestClient, settings: Settings
) -> None:
    """Served before FastAPI's routing (`server.sync.router.PushDispatch`), with the same
    headers and 429 as every authenticated route."""
    login = {"email": settings.admin_email, "password": settings.admin_password}
    admin = tight_client.post("/api/auth/login", json=login).json()["data"]
    body = {"name": "Pusher", "email": "pusher@example.com", "plan": "free"}
    created = tight_client.post(
        "/api/companies", headers={"Authorization": f"Bearer {admin['token']}"}, json=body
    ).json()["data"]
    end = {"seq": 1, "kind": "session_end", "sessionId": "proctor_session_x", "lastEventSeq": -1}
    push = {"schemaVersion": 1, "deviceId": "device_ratelimit_01", "entries": [end]}
    key = {"X-API-Key": created["apiKey"]}
    answers = [tight_client.post("/api/sync/push", headers=key, json=push) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert answers[3].json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert answers[3].headers["Retry-After"] == str(answers[3].json()["meta"]["retryAfter"])


def test_logins_are_limited_per_client_address(settings: Settings) -> None:
    strict = settings.model_copy(update={"anonymous_rate_limit": (1, 5)})
    with TestClient(create_app(strict), raise_server_exceptions=False) as client:
        codes = [
            client.post(
                "/api/auth/login", json={"email": "x@example.com", "password": "guess"}
            ).status_code
            for _ in range(6)
        ]
    assert codes == [401] * 5 + [429]


def test_limits_can_be_switched_off(settings: Settings) -> None:
    relaxed = settings.model_copy(
        update={"rate_limits_enabled": False, "anonymous_rate_limit": (60, 1)}
    )
    with TestClient(create_app(relaxed), raise_server_exceptions=False) as open_client:
        for _ in range(3):
            response = open_client.post(
                "/api/auth/login", json={"email": "x@example.com", "password": "guess"}
            )
            assert response.status_code == 401
            assert "X-RateLimit-Limit" not in response.headers


def limiters() -> list[RateLimiter]:
    found: list[RateLimiter] = [MemoryRateLimiter()]
    if REDIS_URL:
        found.append(RedisRateLimiter(REDIS_URL, prefix=f"test:{os.getpid()}:"))
    return found


@pytest.mark.parametrize("limiter", limiters(), ids=lambda limiter: type(limiter).__name__)
def test_bucket_refills_at_the_plan_rate(limiter: RateLimiter) -> None:
    limit = Limit(per_minute=60, burst=2)  # one token a second
    key = f"bucket-{type(limiter).__name__}-{time.time()}"
    start = time.time()
    decisions = [limiter.hit(key, limit, now=start) for _ in range(3)]
    assert [d.allowed for d in decisions] == [True, True, False]
    assert decisions[0].remaining == 1
    assert decisions[2].retry_after == 1
    assert decisions[2].reset_at == math.ceil(start + 2)
    assert not limiter.hit(key, limit, now=start + 0.5).allowed
    assert limiter.hit(key, limit, now=start + 1.6).allowed  # refilled past one token
    assert not limiter.hit(key, limit, now=start + 1.7).allowed
    # Refill stops at the burst: a long pause buys two requests, not more.
    later = [limiter.hit(key, limit, now=start + 100).allowed for _ in range(3)]
    assert later == [True, True, False]


def test_redis_limiter_fails_open_when_redis_is_down() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    assert limiter.hit("k", Limit(60, 1)).allowed

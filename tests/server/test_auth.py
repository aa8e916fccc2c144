"""Logins of every kind, refresh rotation with reuse detection, logout, and every bad token."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from server.app import create_app
from server.config import Settings
from tests.server.conftest import ADMIN_EMAIL, PASSWORD, TEST_SECRET, Caller, Factory, login


def audit_actions(client: TestClient, admin: Caller, **filters: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/admin/audit", headers=admin.headers, params={"limit": 100, **filters}
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


def test_password_login_returns_the_spec_shape(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) >= {"token", "refreshToken", "expiresIn", "user"}
    assert data["expiresIn"] == 3600
    assert data["user"]["role"] == "admin"
    assert data["user"]["permissions"] == ["*"]
    assert data["user"]["uid"].startswith("user_")
    assert data["user"]["email"] == ADMIN_EMAIL


def test_login_is_case_insensitive_on_email(client: TestClient) -> None:
    assert login(client, ADMIN_EMAIL.upper()).user["email"] == ADMIN_EMAIL


def test_wrong_password_is_401_and_audited(client: TestClient, admin: Caller) -> None:
    response = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": "nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    unknown = client.post("/api/auth/login", json={"email": "who@example.com", "password": "x"})
    assert unknown.status_code == 401
    assert unknown.json()["error"]["message"] == response.json()["error"]["message"]
    failed = audit_actions(client, admin, action="USER_LOGIN_FAILED")
    assert {e["actorEmail"] for e in failed} == {ADMIN_EMAIL, "who@example.com"}
    assert any(e["action"] == "USER_LOGIN" for e in audit_actions(client, admin))


def test_login_needs_exactly_one_method(client: TestClient) -> None:
    both = client.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD, "idToken": "x"}
    )
    assert both.status_code == 422
    neither = client.post("/api/auth/login", json={})
    assert neither.status_code == 422


def test_me_and_verify(client: TestClient, admin: Caller) -> None:
    me = client.get("/api/auth/me", headers=admin.headers)
    assert me.status_code == 200
    assert me.json()["data"]["email"] == ADMIN_EMAIL
    assert me.json()["data"]["lastLoginAt"] is not None
    verify = client.get("/api/auth/verify", headers=admin.headers)
    assert verify.json()["data"]["valid"] is True
    assert verify.json()["data"]["expiresAt"] is not None


def test_no_credentials_is_401(client: TestClient) -> None:
    response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"


def _forge(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _claims_of(caller: Caller) -> dict[str, Any]:
    token = caller.headers["Authorization"].split()[1]
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


@pytest.mark.parametrize("case", ["expired", "wrong_key", "tampered", "alg_none", "garbage"])
def test_bad_tokens_are_refused(client: TestClient, admin: Caller, case: str) -> None:
    claims = _claims_of(admin)
    if case == "expired":
        claims["exp"] = int(time.time()) - 10
        token = _forge(claims, TEST_SECRET)
    elif case == "wrong_key":
        token = _forge(claims, "another-secret-of-sufficient-length-000000")
    elif case == "tampered":
        header, _payload, signature = admin.headers["Authorization"].split()[1].split(".")
        claims["sub"] = "user_someoneelse"
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        token = f"{header}.{forged}.{signature}"
    elif case == "alg_none":
        header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        token = f"{header}.{body}."
    else:
        token = "not.a.token"
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    if case == "expired":
        assert response.json()["error"]["details"]["reason"] == "token_expired"


def test_a_token_accepted_before_is_refused_once_it_expires(
    client: TestClient, admin: Caller
) -> None:
    claims = _claims_of(admin)
    claims["exp"] = int(time.time()) + 2
    headers = {"Authorization": f"Bearer {_forge(claims, TEST_SECRET)}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    time.sleep(max(0.0, claims["exp"] - time.time()) + 0.1)
    response = client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["details"]["reason"] == "token_expired"


def test_refresh_rotates_and_reuse_revokes_the_family(client: TestClient, admin: Caller) -> None:
    first = client.post("/api/auth/refresh", json={"refreshToken": admin.refresh_token})
    assert first.status_code == 200
    rotated = first.json()["data"]
    assert rotated["refreshToken"] != admin.refresh_token
    new_headers = {"Authorization": f"Bearer {rotated['token']}"}
    assert client.get("/api/auth/me", headers=new_headers).status_code == 200

    reuse = client.post("/api/auth/refresh", json={"refreshToken": admin.refresh_token})
    assert reuse.status_code == 401
    assert reuse.json()["error"]["details"]["reason"] == "refresh_token_reuse"
    # The whole family is gone: the rotated refresh token and every access token of the session.
    assert (
        client.post("/api/auth/refresh", json={"refreshToken": rotated["refreshToken"]}).status_code
        == 401
    )
    assert client.get("/api/auth/me", headers=new_headers).status_code == 401
    assert client.get("/api/auth/me", headers=admin.headers).status_code == 401
    # Other sessions of the same user are untouched.
    assert client.get("/api/auth/me", headers=login(client, ADMIN_EMAIL).headers).status_code == 200
    fresh_admin = login(client, ADMIN_EMAIL)
    assert audit_actions(client, fresh_admin, action="REFRESH_TOKEN_REUSE")


def test_unknown_refresh_token_is_401(client: TestClient) -> None:
    response = client.post("/api/auth/refresh", json={"refreshToken": "ellaai_rt_nope"})
    assert response.status_code == 401


def test_logout_revokes_the_session(client: TestClient) -> None:
    caller = login(client, ADMIN_EMAIL)
    token = caller.headers["Authorization"].split()[1]
    response = client.post("/api/auth/logout", json={"token": token})
    assert response.status_code == 200
    assert client.get("/api/auth/me", headers=caller.headers).status_code == 401
    again = client.post("/api/auth/refresh", json={"refreshToken": caller.refresh_token})
    assert again.status_code == 401


def test_logout_with_the_header_only(client: TestClient) -> None:
    caller = login(client, ADMIN_EMAIL)
    assert client.post("/api/auth/logout", headers=caller.headers).status_code == 200
    assert client.get("/api/auth/me", headers=caller.headers).status_code == 401


def test_logout_without_a_token_is_401(client: TestClient) -> None:
    assert client.post("/api/auth/logout", json={}).status_code == 401


def test_api_key_works_as_bearer_and_header(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    for headers in (
        {"Authorization": f"Bearer {company.api_key}"},
        {"X-API-Key": company.api_key},
    ):
        response = client.get(f"/api/companies/{company.id}", headers=headers)
        assert response.status_code == 200
    verify = client.get("/api/auth/verify", headers={"X-API-Key": company.api_key}).json()["data"]
    assert verify["role"] == "recruiter"
    assert verify["companyId"] == company.id
    bogus = client.get("/api/auth/me", headers={"X-API-Key": "ellaai_ak_bogus"})
    assert bogus.status_code == 401


def test_accept_invite_sets_password_once(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    email = "new.member@example.com"
    added = client.post(
        f"/api/companies/{company.id}/members",
        headers=company.manager.headers,
        json={"email": email, "role": "hiring_manager"},
    )
    assert added.status_code == 201
    token = factory.invite_token(email)
    blocked = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert blocked.status_code == 401
    accepted = client.post("/api/auth/accept-invite", json={"token": token, "password": PASSWORD})
    assert accepted.status_code == 200
    assert accepted.json()["data"]["user"]["role"] == "hiring_manager"
    twice = client.post("/api/auth/accept-invite", json={"token": token, "password": PASSWORD})
    assert twice.status_code == 410
    assert twice.json()["error"]["code"] == "INVITATION_USED"
    short = client.post("/api/auth/accept-invite", json={"token": token, "password": "short"})
    assert short.status_code == 422


# --- OpenID Connect: a real JWKS served over HTTP on loopback ---------------------------------

ISSUER = "https://securetoken.google.com/ellaai-test"
AUDIENCE = "ellaai-test"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(signing_key: rsa.RSAPrivateKey) -> Iterator[str]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    document = json.dumps({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document.encode())

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture
def oidc_client(settings: Settings, jwks_url: str) -> Iterator[TestClient]:
    providers = [{"issuer": ISSUER, "jwks_url": jwks_url, "audience": AUDIENCE}]
    configured = settings.model_copy(update={"oidc_providers_json": json.dumps(providers)})
    with TestClient(create_app(configured), raise_server_exceptions=False) as client:
        yield client


def id_token(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "firebase-uid-1",
        "email": ADMIN_EMAIL,
        "email_verified": True,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def test_id_token_login_links_by_verified_email(
    oidc_client: TestClient, signing_key: rsa.RSAPrivateKey
) -> None:
    response = oidc_client.post("/api/auth/login", json={"idToken": id_token(signing_key)})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["user"]["email"] == ADMIN_EMAIL
    # Linked now: the same subject signs in even without an email claim.
    again = oidc_client.post("/api/auth/login", json={"idToken": id_token(signing_key, email=None)})
    assert again.status_code == 200


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "someone-else"},
        {"iss": "https://evil.example.com"},
        {"exp": datetime.now(UTC) - timedelta(minutes=1)},
        {"email_verified": False, "sub": "unlinked"},
        {"email": "nobody@example.com", "sub": "unlinked-2"},
    ],
)
def test_bad_id_tokens_are_refused(
    oidc_client: TestClient, signing_key: rsa.RSAPrivateKey, overrides: dict[str, Any]
) -> None:
    response = oidc_client.post(
        "/api/auth/login", json={"idToken": id_token(signing_key, **overrides)}
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"


def test_id_token_signed_by_another_key_is_refused(oidc_client: TestClient) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = oidc_client.post("/api/auth/login", json={"idToken": id_token(other)})
    assert response.status_code == 401


def test_invite_token_for_unknown_invitation_is_401(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"inviteToken": "no-such-invite"})
    assert response.status_code == 401

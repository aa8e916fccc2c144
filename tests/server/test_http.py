"""The envelope, request IDs, the error format for every kind of bad input, `/v1`, OpenAPI."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.server import builders as b
from tests.server.conftest import Caller, Factory


def test_success_envelope_has_meta_and_echoes_request_id(client: TestClient) -> None:
    response = client.get("/api/health", headers={"X-Request-ID": "trace-42"})
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["data"]["status"] == "ok"
    assert body["meta"]["requestId"] == "trace-42"
    assert body["meta"]["version"] == "1.0"
    assert body["meta"]["timestamp"].endswith("Z")
    assert response.headers["x-request-id"] == "trace-42"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_request_id_is_generated_when_absent(client: TestClient) -> None:
    first = client.get("/api/health")
    second = client.get("/api/health")
    assert first.headers["x-request-id"].startswith("req_")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert first.json()["meta"]["requestId"] == first.headers["x-request-id"]


def test_unknown_route_is_a_404_envelope(client: TestClient) -> None:
    response = client.get("/api/no-such-thing", headers={"X-Request-ID": "r1"})
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert body["meta"]["requestId"] == "r1"


def test_wrong_method_is_a_405_envelope(client: TestClient) -> None:
    response = client.delete("/api/health")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_malformed_json_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_missing_field_names_the_field(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"email": "a@example.com"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "password" in error["details"]["message"]


def test_wrong_type_and_unknown_enum_and_unknown_field(client: TestClient, admin: Caller) -> None:
    wrong_type = client.post(
        "/api/companies", headers=admin.headers, json={"name": 12, "email": "x@example.com"}
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["error"]["details"]["field"] == "name"
    bad_enum = client.post(
        "/api/companies",
        headers=admin.headers,
        json={"name": "A", "email": "x@example.com", "plan": "platinum"},
    )
    assert bad_enum.status_code == 422
    assert bad_enum.json()["error"]["details"]["field"] == "plan"
    assert bad_enum.json()["error"]["details"]["value"] == "platinum"
    unknown = client.post(
        "/api/companies",
        headers=admin.headers,
        json={"name": "A", "email": "x@example.com", "plna": "pro"},
    )
    assert unknown.status_code == 422
    assert unknown.json()["error"]["details"]["field"] == "plna"


def test_body_of_the_wrong_shape_is_a_422(client: TestClient) -> None:
    bodies: list[object] = [[], "text", 5, None]
    for body in bodies:
        response = client.post("/api/auth/login", json=body)
        assert response.status_code in (400, 422), body
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_oversized_body_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/auth/login",
        content=b'{"email": "' + b"a" * (6 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_oversized_chunked_body_is_refused(client: TestClient) -> None:
    def chunks():
        yield b'{"email": "'
        for _ in range(7):
            yield b"a" * 1024 * 1024
        yield b'"}'

    response = client.post(
        "/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_bad_query_parameter_is_a_422(client: TestClient, admin: Caller) -> None:
    response = client.get("/api/admin/users?limit=1000", headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "limit"


def test_v1_prefix_serves_the_same_routes(client: TestClient, admin: Caller) -> None:
    via_api = client.get("/api/auth/me", headers=admin.headers).json()["data"]
    via_v1 = client.get("/v1/auth/me", headers=admin.headers).json()["data"]
    assert via_api["uid"] == via_v1["uid"]


def test_openapi_documents_bodies_and_enveloped_responses(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    login = document["paths"]["/api/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "LoginRequest"
    )
    ok_schema = login["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    envelope = document["components"]["schemas"][ok_schema.rsplit("/", 1)[1]]
    assert {"success", "data", "meta"} <= set(envelope["properties"])
    error_ref = login["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    assert error_ref.endswith("ErrorEnvelope")
    assert not any(path.startswith("/v1") for path in document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schemes)
    assert client.get("/docs").status_code == 200


def test_text_no_database_keeps_is_refused_before_it_is_stored(
    client: TestClient, factory: Factory
) -> None:
    recruiter = factory.company().manager
    title = b.MC_SINGLE["title"]
    # a lone surrogate (stored, it failed every later read) and a NUL (PostgreSQL refuses it)
    for bad in ('"x\\ud800"', '"x\\u0000y"', '"\\udfff"'):
        raw = json.dumps({**b.MC_SINGLE, "title": "placeholder"}).replace('"placeholder"', bad)
        response = client.post(
            "/api/questions",
            headers={**recruiter.headers, "Content-Type": "application/json"},
            content=raw.encode(),
        )
        error = b.error(response, 422, "VALIDATION_ERROR")
        assert error["details"]["field"] == "title"
    # an escaped surrogate pair is an ordinary character (😀), and fine
    raw = json.dumps({**b.MC_SINGLE, "title": "😀 placeholder"}, ensure_ascii=True)
    assert "\\ud83d\\ude00" in raw
    created = client.post(
        "/api/questions",
        headers={**recruiter.headers, "Content-Type": "application/json"},
        content=raw.encode(),
    )
    assert b.data(created, 201)["title"] == "😀 placeholder"
    listed = b.data(client.get("/api/questions", headers=recruiter.headers))
    assert [q["title"] for q in listed] == ["😀 placeholder"]
    assert title  # the refused ones left nothing behind
    for url, field in (("/api/questions/a%00b", "path"), ("/api/questions?search=a%00", "query")):
        error = b.error(client.get(url, headers=recruiter.headers), 422, "VALIDATION_ERROR")
        assert error["details"]["field"] == field


def test_errors_repeat_no_secret_and_no_megabytes(client: TestClient) -> None:
    huge = "p" * 1_000_000
    response = client.post("/api/auth/login", json={"email": 5, "password": huge})
    assert len(response.content) < 5_000
    error = b.error(response, 422, "VALIDATION_ERROR")
    assert huge[:50] not in response.text
    by_field = {e["field"]: e["value"] for e in error["details"]["errors"]}
    assert by_field["email"] == 5
    long_name = client.post("/api/auth/refresh", json={"refreshToken": ["not", "a", "string"]})
    assert "not" not in json.dumps(b.error(long_name, 422)["details"])
    body = b.error(
        client.post("/api/auth/login", json={"email": "x" * 5000, "password": "secret-pw"}), 422
    )
    assert len(json.dumps(body)) < 1_000 and "secret-pw" not in json.dumps(body)


def test_a_body_that_is_not_json_says_what_to_send(client: TestClient, admin: Caller) -> None:
    response = client.post(
        "/api/questions",
        headers={**admin.headers, "Content-Type": "text/plain"},
        content=b'{"type": "multiple_choice"}',
    )
    error = b.error(response, 422, "VALIDATION_ERROR")
    assert "Content-Type: application/json" in error["message"]
    not_utf8 = client.post(
        "/api/auth/login",
        headers={"Content-Type": "application/json"},
        content=b'{"email": "\xff\xfe"}',
    )
    assert b.error(not_utf8, 400, "VALIDATION_ERROR")["message"].startswith("Request body")

"""The envelope, request IDs, the error format for every kind of bad input, `/v1`, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.conftest import Caller


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

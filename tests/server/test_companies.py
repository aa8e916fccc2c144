"""Companies: creation with the spec's body, tenancy, members, settings, API key rotation."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.conftest import Caller, Factory

SPEC_COMPANY = {
    "name": "TechCorp Inc.",
    "email": "admin@techcorp.com",
    "domain": "techcorp.com",
    "plan": "enterprise",
    "settings": {
        "maxAssessments": 500,
        "maxCandidates": 5000,
        "customBranding": True,
        "ssoEnabled": True,
        "apiAccess": True,
    },
    "billing": {
        "address": {
            "street": "123 Tech Street",
            "city": "San Francisco",
            "state": "CA",
            "zipCode": "94105",
            "country": "US",
        },
        "paymentMethod": "stripe_payment_method_id",
    },
}


def test_create_company_with_the_spec_body(client: TestClient, admin: Caller) -> None:
    response = client.post("/api/companies", headers=admin.headers, json=SPEC_COMPANY)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["id"].startswith("company_")
    assert data["apiKey"].startswith("ellaai_ak_")
    assert data["status"] == "active"
    assert data["setupComplete"] is False
    detail = client.get(f"/api/companies/{data['id']}", headers=admin.headers).json()["data"]
    assert detail["settings"]["maxAssessments"] == 500
    assert detail["billing"]["address"]["zipCode"] == "94105"
    assert [m["email"] for m in detail["members"]] == ["admin@techcorp.com"]
    assert detail["members"][0]["status"] == "invited"
    assert detail["usage"]["members"] == 1


def test_only_admins_create_companies(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    response = client.post("/api/companies", headers=company.manager.headers, json=SPEC_COMPANY)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
    with_key = client.post(
        "/api/companies", headers={"X-API-Key": company.api_key}, json=SPEC_COMPANY
    )
    assert with_key.status_code == 403


def test_list_companies_filters_and_paginates(client: TestClient, admin: Caller) -> None:
    for i in range(5):
        plan = "pro" if i % 2 else "free"
        body = {"name": f"C{i}", "email": f"c{i}@example.com", "plan": plan}
        assert client.post("/api/companies", headers=admin.headers, json=body).status_code == 201
    page = client.get("/api/companies?limit=2", headers=admin.headers).json()
    assert len(page["data"]) == 2
    assert page["meta"]["pagination"]["hasNext"] is True
    seen = [c["id"] for c in page["data"]]
    cursor = page["meta"]["pagination"]["nextCursor"]
    while cursor:
        page = client.get(f"/api/companies?limit=2&cursor={cursor}", headers=admin.headers).json()
        seen += [c["id"] for c in page["data"]]
        cursor = page["meta"]["pagination"]["nextCursor"]
    assert len(seen) == len(set(seen)) == 5
    pro = client.get("/api/companies?plan=pro", headers=admin.headers).json()["data"]
    assert {c["name"] for c in pro} == {"C1", "C3"}
    bad_cursor = client.get("/api/companies?cursor=%%%", headers=admin.headers)
    assert bad_cursor.status_code == 422


def test_a_member_sees_only_their_company(client: TestClient, factory: Factory) -> None:
    mine, theirs = factory.company("Mine"), factory.company("Theirs")
    listed = client.get("/api/companies", headers=mine.manager.headers).json()["data"]
    assert [c["id"] for c in listed] == [mine.id]
    other = client.get(f"/api/companies/{theirs.id}", headers=mine.manager.headers)
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "COMPANY_ACCESS_DENIED"
    by_key = client.get(f"/api/companies/{theirs.id}", headers={"X-API-Key": mine.api_key})
    assert by_key.status_code == 403
    patch = client.patch(
        f"/api/companies/{theirs.id}",
        headers=mine.manager.headers,
        json={"settings": {"customBranding": False}},
    )
    assert patch.status_code == 403
    add = client.post(
        f"/api/companies/{theirs.id}/members",
        headers=mine.manager.headers,
        json={"email": "spy@example.com", "role": "recruiter"},
    )
    assert add.status_code == 403
    unknown = client.get("/api/companies/company_nope", headers=mine.manager.headers)
    assert unknown.status_code == 403
    assert (
        client.get("/api/companies/company_nope", headers=factory.admin.headers).status_code == 404
    )


def test_update_settings_merges(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    first = client.patch(
        f"/api/companies/{company.id}",
        headers=company.manager.headers,
        json={"settings": {"customBranding": True, "logoUrl": "https://techcorp.com/logo.png"}},
    )
    assert first.status_code == 200
    second = client.patch(
        f"/api/companies/{company.id}",
        headers=company.manager.headers,
        json={"settings": {"primaryColor": "#1976d2", "emailNotifications": True}},
    )
    settings = second.json()["data"]["settings"]
    assert settings == {
        "customBranding": True,
        "logoUrl": "https://techcorp.com/logo.png",
        "primaryColor": "#1976d2",
        "emailNotifications": True,
    }
    upgrade = client.patch(
        f"/api/companies/{company.id}", headers=company.manager.headers, json={"plan": "free"}
    )
    assert upgrade.status_code == 422


def test_recruiters_without_manage_cannot_change_the_company(
    client: TestClient, factory: Factory
) -> None:
    company = factory.company()
    recruiter = factory.member(company, "recruiter")
    response = client.patch(
        f"/api/companies/{company.id}", headers=recruiter.headers, json={"settings": {"a": 1}}
    )
    assert response.status_code == 403
    add = client.post(
        f"/api/companies/{company.id}/members",
        headers=recruiter.headers,
        json={"email": "x@example.com", "role": "recruiter"},
    )
    assert add.status_code == 403
    assert client.get(f"/api/companies/{company.id}", headers=recruiter.headers).status_code == 200


def test_add_member_with_the_spec_body(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    body = {
        "email": "recruiter@techcorp.com",
        "role": "recruiter",
        "permissions": ["assessments:create", "candidates:manage"],
        "sendInvitation": True,
    }
    response = client.post(
        f"/api/companies/{company.id}/members", headers=company.manager.headers, json=body
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["invitationSent"] is True
    duplicate = client.post(
        f"/api/companies/{company.id}/members", headers=company.manager.headers, json=body
    )
    assert duplicate.status_code == 409
    admin_grant = client.post(
        f"/api/companies/{company.id}/members",
        headers=company.manager.headers,
        json={"email": "sneaky@example.com", "role": "recruiter", "permissions": ["*"]},
    )
    assert admin_grant.status_code == 422
    admin_role = client.post(
        f"/api/companies/{company.id}/members",
        headers=company.manager.headers,
        json={"email": "sneaky@example.com", "role": "admin"},
    )
    assert admin_role.status_code == 422
    member = factory.activate("recruiter@techcorp.com")
    assert member.user["companyId"] == company.id


def test_rotating_the_api_key_retires_the_old_one(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    rotated = client.post(
        f"/api/companies/{company.id}/api-key/rotate", headers=company.manager.headers
    )
    assert rotated.status_code == 201
    new_key = rotated.json()["data"]["apiKey"]
    assert new_key != company.api_key
    old = client.get(f"/api/companies/{company.id}", headers={"X-API-Key": company.api_key})
    assert old.status_code == 401
    new = client.get(f"/api/companies/{company.id}", headers={"X-API-Key": new_key})
    assert new.status_code == 200
    entries = client.get(
        "/api/admin/audit?action=API_KEY_ROTATED", headers=factory.admin.headers
    ).json()["data"]
    assert [e["companyId"] for e in entries] == [company.id]
    by_key = client.post(
        f"/api/companies/{company.id}/api-key/rotate", headers={"X-API-Key": new_key}
    )
    assert by_key.status_code == 403

"""Admin API: users, roles, suspension, maintenance mode, audit log filters, statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.server.conftest import ADMIN_EMAIL, PASSWORD, Caller, Factory, login


def test_non_admins_are_refused(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    for path in ("/api/admin/users", "/api/admin/audit", "/api/admin/stats", "/api/admin/config"):
        response = client.get(path, headers=company.manager.headers)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "INSUFFICIENT_PERMISSIONS"
    support = factory.staff("ella_recruiter")
    assert client.get("/api/admin/users", headers=support.headers).status_code == 403


def test_list_users_with_filters(client: TestClient, admin: Caller, factory: Factory) -> None:
    company = factory.company()
    factory.member(company, "hiring_manager")
    managers = client.get("/api/admin/users?role=hiring_manager", headers=admin.headers).json()
    assert [u["role"] for u in managers["data"]] == ["hiring_manager"]
    in_company = client.get(f"/api/admin/users?companyId={company.id}", headers=admin.headers)
    assert len(in_company.json()["data"]) == 2
    search = client.get("/api/admin/users?search=ROOT@", headers=admin.headers).json()["data"]
    assert [u["email"] for u in search] == [ADMIN_EMAIL]
    assert client.get("/api/admin/users?role=pilot", headers=admin.headers).status_code == 422


def test_role_change_with_the_spec_body(
    client: TestClient, admin: Caller, factory: Factory
) -> None:
    company = factory.company()
    member = factory.member(company, "hiring_manager")
    uid = member.user["uid"]
    promote = client.put(
        f"/api/admin/users/{uid}/role",
        headers=admin.headers,
        json={"role": "admin", "permissions": ["*"]},
    )
    assert promote.status_code == 200, promote.text
    assert promote.json()["data"]["role"] == "admin"
    assert promote.json()["data"]["companyId"] is None
    # Takes effect on the tokens already issued.
    assert client.get("/api/admin/users", headers=member.headers).status_code == 200
    demote = client.put(
        f"/api/admin/users/{uid}/role",
        headers=admin.headers,
        json={"role": "recruiter", "companyId": company.id},
    )
    assert demote.status_code == 200
    assert client.get("/api/admin/users", headers=member.headers).status_code == 403
    no_company = client.put(
        f"/api/admin/users/{uid}/role", headers=admin.headers, json={"role": "hiring_manager"}
    )
    assert no_company.status_code == 200  # keeps the company it has
    entries = client.get("/api/admin/audit?action=USER_ROLE_CHANGED", headers=admin.headers)
    assert len(entries.json()["data"]) == 3
    assert (
        client.put(
            "/api/admin/users/user_nope/role", headers=admin.headers, json={"role": "admin"}
        ).status_code
        == 404
    )
    staff_with_company = client.put(
        f"/api/admin/users/{uid}/role", headers=admin.headers, json={"role": "candidate"}
    )
    assert staff_with_company.status_code == 422


def test_admin_cannot_demote_or_suspend_themselves(client: TestClient, admin: Caller) -> None:
    uid = admin.user["uid"]
    demote = client.put(
        f"/api/admin/users/{uid}/role", headers=admin.headers, json={"role": "ella_recruiter"}
    )
    assert demote.status_code == 409
    suspend = client.post(
        f"/api/admin/users/{uid}/suspend", headers=admin.headers, json={"reason": "x"}
    )
    assert suspend.status_code == 409


def test_suspension_stops_tokens_at_once(
    client: TestClient, admin: Caller, factory: Factory
) -> None:
    company = factory.company()
    member = factory.member(company)
    uid = member.user["uid"]
    response = client.post(
        f"/api/admin/users/{uid}/suspend",
        headers=admin.headers,
        json={"reason": "Policy violation", "duration": "30_days"},
    )
    assert response.status_code == 200, response.text
    until = datetime.fromisoformat(response.json()["data"]["suspendedUntil"])
    assert timedelta(days=29) < until - datetime.now(UTC) <= timedelta(days=30)
    assert client.get("/api/auth/me", headers=member.headers).status_code == 401
    refresh = client.post("/api/auth/refresh", json={"refreshToken": member.refresh_token})
    assert refresh.status_code == 401
    relogin = client.post(
        "/api/auth/login", json={"email": member.user["email"], "password": PASSWORD}
    )
    assert relogin.status_code == 401
    assert "suspended" in relogin.json()["error"]["message"]
    reinstated = client.post(f"/api/admin/users/{uid}/reinstate", headers=admin.headers)
    assert reinstated.json()["data"]["status"] == "active"
    assert (
        client.get("/api/auth/me", headers=login(client, member.user["email"]).headers).status_code
        == 200
    )
    bad = client.post(
        f"/api/admin/users/{uid}/suspend", headers=admin.headers, json={"duration": "forever"}
    )
    assert bad.status_code == 422


def test_maintenance_mode_spares_only_admins(
    client: TestClient, admin: Caller, factory: Factory
) -> None:
    company = factory.company()
    body = {"maintenanceMode": True, "maxFileSize": 10485760, "allowedDomains": ["@techcorp.com"]}
    response = client.put("/api/admin/config", headers=admin.headers, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["maxFileSize"] == 10485760
    blocked = client.get(f"/api/companies/{company.id}", headers=company.manager.headers)
    assert blocked.status_code == 503
    assert blocked.json()["error"]["code"] == "MAINTENANCE_MODE"
    assert blocked.headers["retry-after"]
    key = client.get(f"/api/companies/{company.id}", headers={"X-API-Key": company.api_key})
    assert key.status_code == 503
    login_blocked = client.post(
        "/api/auth/login", json={"email": company.manager.user["email"], "password": PASSWORD}
    )
    assert login_blocked.status_code == 503
    assert client.get(f"/api/companies/{company.id}", headers=admin.headers).status_code == 200
    assert login(client, ADMIN_EMAIL).user["role"] == "admin"
    client.put("/api/admin/config", headers=admin.headers, json={"maintenanceMode": False})
    back = client.get(f"/api/companies/{company.id}", headers=company.manager.headers)
    assert back.status_code == 200
    config = client.get("/api/admin/config", headers=admin.headers).json()["data"]
    assert config["allowedDomains"] == ["@techcorp.com"]
    assert config["maintenanceMode"] is False


def test_audit_log_filters_by_date_action_and_user(
    client: TestClient, admin: Caller, factory: Factory
) -> None:
    company = factory.company()
    today = datetime.now(UTC).date().isoformat()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    everything = client.get(
        f"/api/admin/audit?startDate={today}&endDate={today}&limit=100", headers=admin.headers
    ).json()["data"]
    actions = {e["action"] for e in everything}
    assert {"ADMIN_CREATED", "USER_LOGIN", "COMPANY_CREATED", "MEMBER_INVITE_ACCEPTED"} <= actions
    assert (
        client.get(f"/api/admin/audit?startDate={tomorrow}", headers=admin.headers).json()["data"]
        == []
    )
    logins = client.get("/api/admin/audit?action=USER_LOGIN", headers=admin.headers).json()["data"]
    assert logins and {e["action"] for e in logins} == {"USER_LOGIN"}
    mine = client.get(
        f"/api/admin/audit?userId={company.manager.user['uid']}", headers=admin.headers
    ).json()["data"]
    assert mine and {e["actorId"] for e in mine} == {company.manager.user["uid"]}
    bad_date = client.get("/api/admin/audit?startDate=yesterday", headers=admin.headers)
    assert bad_date.status_code == 422


def test_stats_count_users_and_companies(
    client: TestClient, admin: Caller, factory: Factory
) -> None:
    factory.company()
    stats = client.get("/api/admin/stats", headers=admin.headers).json()["data"]
    assert stats["users"]["total"] == 2
    assert stats["companies"] == {"total": 1, "active": 1, "newThisMonth": 1}

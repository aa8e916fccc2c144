"""Server test fixtures: a real database per test (SQLite file, or PostgreSQL when
`TEST_DATABASE_URL` names one), the real app over httpx, and factories for users and companies."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from server.app import close_context, create_app, create_context
from server.auth.models import User
from server.config import Settings
from server.db import Base, make_engine, transaction, upgrade_database
from server.ids import new_id
from server.security import Passwords

ADMIN_EMAIL = "root@ellaai.example.com"
PASSWORD = "correct horse battery staple"
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrations run once per session: on PostgreSQL in place, on SQLite into a template file."""
    if POSTGRES_URL:
        engine = make_engine(POSTGRES_URL)
        upgrade_database(engine)
        engine.dispose()
        return POSTGRES_URL
    template = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade_database(engine)
    engine.dispose()
    return str(template)


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        yield POSTGRES_URL
        return
    path = tmp_path / "ellaai.db"
    shutil.copy(migrated_template, path)
    yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    if REDIS_URL:
        # Rate-limit buckets must not leak from one test into the next.
        redis.Redis.from_url(REDIS_URL).flushdb()
    return Settings(
        ELLA_ENV="test",
        ELLA_SECRET_KEY=TEST_SECRET,
        ELLA_DATA_DIR=tmp_path,
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        ELLA_ADMIN_EMAIL=ADMIN_EMAIL,
        ELLA_ADMIN_PASSWORD=PASSWORD,
        # Cheap Argon2 parameters keep the suite fast; production uses RFC 9106's.
        ELLA_ARGON2_TIME_COST=1,
        ELLA_ARGON2_MEMORY_KIB=64,
    )


@pytest.fixture(scope="session")
def shared_app(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """Building the routes costs most of a second: one app, a fresh context for every test."""
    base = tmp_path_factory.mktemp("shared-app")
    return create_app(
        Settings(
            ELLA_ENV="test",
            ELLA_SECRET_KEY=TEST_SECRET,
            ELLA_DATA_DIR=base,
            DATABASE_URL=f"sqlite:///{base / 'unused.db'}",
        )
    )


@pytest.fixture
def client(shared_app: FastAPI, settings: Settings) -> Iterator[TestClient]:
    previous = shared_app.state.context
    close_context(previous)
    shared_app.state.context = create_context(settings)
    # Shutting the app down at the end closes this test's context.
    with TestClient(shared_app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Caller:
    """A signed-in caller: its bearer headers and what login said about it."""

    headers: dict[str, str]
    user: dict[str, Any]
    refresh_token: str


def login(client: TestClient, email: str, password: str = PASSWORD) -> Caller:
    response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return Caller({"Authorization": f"Bearer {data['token']}"}, data["user"], data["refreshToken"])


@pytest.fixture
def admin(client: TestClient) -> Caller:
    return login(client, ADMIN_EMAIL)


@dataclass
class CompanyFixture:
    id: str
    api_key: str
    manager: Caller


class Factory:
    """Makes companies and users through the API where it can, the database where it must."""

    def __init__(self, client: TestClient, admin: Caller, settings: Settings) -> None:
        self.client, self.admin, self.settings = client, admin, settings

    def company(self, name: str = "TechCorp Inc.") -> CompanyFixture:
        email = f"owner-{new_id('x')}@example.com"
        response = self.client.post(
            "/api/companies",
            headers=self.admin.headers,
            json={"name": name, "email": email, "plan": "enterprise"},
        )
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        manager = self.activate(email)
        return CompanyFixture(id=data["id"], api_key=data["apiKey"], manager=manager)

    def activate(self, email: str) -> Caller:
        """Accept the invitation mailed to `email`, as the new member would."""
        token = self.invite_token(email)
        response = self.client.post(
            "/api/auth/accept-invite", json={"token": token, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return login(self.client, email)

    def invite_token(self, email: str) -> str:
        from server.mail.models import MailMessage

        app_context = self.client.app.state.context  # type: ignore[attr-defined]
        with transaction(app_context.sessions) as db:
            message = (
                db.query(MailMessage)
                .filter(MailMessage.to == email)
                .order_by(MailMessage.created_at.desc())
                .first()
            )
            assert message is not None, f"no mail to {email}"
            return message.body.rsplit("token: ", 1)[1].strip()

    def member(self, company: CompanyFixture, role: str = "recruiter", **extra: Any) -> Caller:
        email = f"{role}-{new_id('x')}@example.com"
        response = self.client.post(
            f"/api/companies/{company.id}/members",
            headers=company.manager.headers,
            json={"email": email, "role": role, **extra},
        )
        assert response.status_code == 201, response.text
        return self.activate(email)

    def staff(self, role: str) -> Caller:
        """An EllaAI staff account (admin or ella_recruiter), which belongs to no company."""
        email = f"{role}-{new_id('x')}@ellaai.example.com"
        app_context = self.client.app.state.context  # type: ignore[attr-defined]
        with transaction(app_context.sessions) as db:
            db.add(
                User(
                    id=new_id("user"),
                    email=email,
                    role=role,
                    password_hash=Passwords(self.settings).hash(PASSWORD),
                )
            )
        return login(self.client, email)


@pytest.fixture
def factory(client: TestClient, admin: Caller, settings: Settings) -> Factory:
    return Factory(client, admin, settings)

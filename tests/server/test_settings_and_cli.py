"""Settings refuse the development secret outside development; the CLI serves and creates admins."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, make_url

from server.config import DEVELOPMENT_SECRET, Settings
from tests.server.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("environment", ["production", "test"])
def test_development_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="ELLA_SECRET_KEY"):
        Settings(ELLA_ENV=environment, ELLA_SECRET_KEY=DEVELOPMENT_SECRET)


def test_short_production_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(ELLA_ENV="production", ELLA_SECRET_KEY="short")


def test_development_accepts_the_default_and_defaults_to_sqlite(tmp_path: Path) -> None:
    settings = Settings(ELLA_ENV="development", ELLA_DATA_DIR=tmp_path, DATABASE_URL=None)
    assert settings.secret_key == DEVELOPMENT_SECRET
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/ellaai.db"


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ELLA_")}
    env.update(
        ELLA_ENV="development",
        ELLA_DATA_DIR=str(tmp_path),
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT),
    )
    return env


def test_create_admin_command(tmp_path: Path, database_url: str) -> None:
    env = _env(tmp_path, database_url)
    command = [sys.executable, "-m", "server", "create-admin", "--email", "ops@example.com"]
    created = subprocess.run(
        [*command, "--password", "a-long-password"], env=env, capture_output=True, text=True
    )
    assert created.returncode == 0, created.stderr
    assert "created" in created.stdout
    again = subprocess.run(
        [*command, "--password", "a-long-password"], env=env, capture_output=True, text=True
    )
    assert "already exists" in again.stdout
    short = subprocess.run([*command, "--password", "short"], env=env, capture_output=True)
    assert short.returncode == 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_answers_over_real_http(tmp_path: Path, database_url: str) -> None:
    port = _free_port()
    env = _env(tmp_path, database_url)
    env.update(ELLA_ADMIN_EMAIL="boot@example.com", ELLA_ADMIN_PASSWORD="a-long-password")
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        login = httpx.post(
            f"{base}/v1/auth/login",
            json={"email": "boot@example.com", "password": "a-long-password"},
        )
        assert login.status_code == 200
        assert login.json()["data"]["user"]["role"] == "admin"
        assert httpx.get(f"{base}/docs").status_code == 200
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"docs: http://127.0.0.1:{port}/docs" in output


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched: a new SQLite file, or a new PostgreSQL database on
    the server `TEST_DATABASE_URL` names."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"ellaai_fresh_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_workers_starting_together_on_a_fresh_database_all_come_up(
    tmp_path: Path, fresh_database_url: str
) -> None:
    """Each worker migrates and makes the first admin at start: they must not trip on each
    other (unserialised, all but one crashed on the table the first had just created)."""
    workers = 3
    env = _env(tmp_path, fresh_database_url)
    env.update(ELLA_ADMIN_EMAIL="boot@example.com", ELLA_ADMIN_PASSWORD="a-long-password")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "server", "serve", "--port", str(_free_port())),
            *("--workers", str(workers)),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the workers go down with it
    )
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 60
    try:
        while output.count("Application startup complete.") < workers:
            line = process.stdout.readline()
            assert line and time.monotonic() < deadline, "\n".join(output)
            output.append(line.removeprefix("INFO:").strip())
            assert "Traceback (most recent call last):" not in output, "\n".join(output)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        admins = conn.exec_driver_sql("SELECT email FROM users WHERE role = 'admin'").all()
    engine.dispose()
    assert admins == [("boot@example.com",)]

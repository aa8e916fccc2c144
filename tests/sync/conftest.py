"""Fixtures for the sync tests: a live server on loopback (SQLite file, or PostgreSQL when
`TEST_DATABASE_URL` names one), a world to take assessments in."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from server.db import Base
from tests.sync.harness import LiveServer, World, build_world, test_settings

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            if conn.execute(text("SELECT to_regclass('alembic_version')")).scalar():
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    server = LiveServer(test_settings(tmp_path / "server", POSTGRES_URL))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[World]:
    built = build_world(live_server.url)
    yield built
    built.recruiter.close()


@pytest.fixture
def closing() -> Iterator[Callable[[Any], Any]]:
    """`thing = closing(thing)`: closed at teardown, also when the test failed."""
    things: list[Any] = []

    def register(thing: Any) -> Any:
        things.append(thing)
        return thing

    yield register
    for thing in reversed(things):
        thing.close()

"""Fixtures for e2e tests: the sync fixtures (a live server on loopback, a world to take
assessments in) and the app's (a face video)."""

from tests.app.conftest import face_video
from tests.sync.conftest import closing, live_server, world

__all__ = ["closing", "face_video", "live_server", "world"]

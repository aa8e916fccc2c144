"""The sync fixtures (a live server on loopback, a world to take assessments in) for e2e tests."""

from tests.sync.conftest import closing, live_server, world

__all__ = ["closing", "live_server", "world"]

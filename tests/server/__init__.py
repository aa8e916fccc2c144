"""Tests for `server`."""

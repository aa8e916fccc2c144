"""Tests for `ui`."""

"""Tests for `sync`."""

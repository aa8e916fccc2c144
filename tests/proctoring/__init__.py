"""Tests for `proctoring`."""

"""Tests for `sandbox`."""

"""Tests for `app`."""

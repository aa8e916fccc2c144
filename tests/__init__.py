"""Test suite; one folder per package plus end-to-end flows."""

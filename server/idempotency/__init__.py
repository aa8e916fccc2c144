"""Idempotency keys: a replayed request gets the first response."""

"""The push endpoint of the client's sync engine: numbered outbox entries applied exactly once."""

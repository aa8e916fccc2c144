"""The client's journal, outbox, sync engine and the public Python SDK (httpx)."""

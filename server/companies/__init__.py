"""Companies (tenants), their members and their API keys."""

"""Identity: users, login sessions with rotating refresh tokens, OIDC, API keys, member invites."""

"""System administration: users, roles, suspensions, system configuration and statistics."""

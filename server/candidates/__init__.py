"""Candidates, notes and invitations."""

"""Outgoing mail through a pluggable sender; in development a mailbox table you can read."""

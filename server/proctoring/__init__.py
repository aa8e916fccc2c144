"""Proctoring sessions on the server: events, snapshots, recomputed risk, proctors' reviews."""

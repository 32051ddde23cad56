"""Participation rules and queries, one module per area."""

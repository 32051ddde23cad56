"""Participation request and response bodies, one module per area."""

"""Core handlers (being written)."""

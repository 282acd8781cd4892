"""Conversations as data and the small engine that runs them (no I/O of its own)."""

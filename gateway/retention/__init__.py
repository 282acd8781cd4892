"""Retention: what is purged or redacted, and when (the daily purge)."""

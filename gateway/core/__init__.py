"""Shared infrastructure: settings, database, Redis, the runtime that bundles them, logs, privacy, audit."""

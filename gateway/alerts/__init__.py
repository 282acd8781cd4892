"""Alerts: the records, the alert conversation, statuses and merging, follow-ups, triage reminders, digests."""

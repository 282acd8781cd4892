"""Escalation jobs (a ladder step, a reminder to close); both take ids only. Scheduled by `workers.schedule`."""

from __future__ import annotations

from gateway.core.runtime import process_runtime
from gateway.escalation.ladder import remind_to_resolve, step


def escalation_step(escalation_id: int, seq: int) -> str:
    """RQ job: fire one step of an alert's escalation ladder (safe to run twice: the step is claimed)."""
    return step(process_runtime(), escalation_id, seq)


def resolve_reminder(escalation_id: int) -> str:
    """RQ job: remind the acknowledging officer of an alert still open (once)."""
    return remind_to_resolve(process_runtime(), escalation_id)

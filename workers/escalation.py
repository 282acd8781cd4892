"""Escalation jobs (a ladder step, a reminder to close) and how they are scheduled; both take ids only."""

from __future__ import annotations

from datetime import datetime

import redis

from gateway.runtime import process_runtime
from workers.queues import QUEUE_URGENT, schedule_job


def step_job_id(escalation_id: int, seq: int) -> str:
    """One job id per step, so a step is never queued twice at once."""
    return f"esc-{escalation_id}-{seq}"


def reminder_job_id(escalation_id: int) -> str:
    """The job id of an escalation's resolve reminder."""
    return f"remind-{escalation_id}"


def schedule_step(connection: redis.Redis, escalation_id: int, seq: int, when: datetime | None) -> bool:
    """Have RQ's scheduler fire step `seq` of an escalation at `when` (now when None)."""
    func = "workers.escalation.escalation_step"
    return schedule_job(connection, QUEUE_URGENT, step_job_id(escalation_id, seq), when, func, escalation_id, seq)


def schedule_reminder(connection: redis.Redis, escalation_id: int, when: datetime | None) -> bool:
    """Have RQ's scheduler remind the acknowledging officer at `when` (now when None)."""
    func = "workers.escalation.resolve_reminder"
    return schedule_job(connection, QUEUE_URGENT, reminder_job_id(escalation_id), when, func, escalation_id)


def escalation_step(escalation_id: int, seq: int) -> str:
    """RQ job: fire one step of an alert's escalation ladder (safe to run twice: the step is claimed)."""
    from gateway.escalation.ladder import step

    return step(process_runtime(), escalation_id, seq)


def resolve_reminder(escalation_id: int) -> str:
    """RQ job: remind the acknowledging officer of an alert still open (once)."""
    from gateway.escalation.ladder import remind_to_resolve

    return remind_to_resolve(process_runtime(), escalation_id)

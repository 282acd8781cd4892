"""Scheduling of timed jobs by dotted path: job ids, `schedule_*` and the retry backoff. Imports no domain code,
so domain modules can schedule their jobs without importing the job functions (which import them)."""

from __future__ import annotations

from datetime import UTC, datetime

import redis

from workers.queues import QUEUE_BULK, QUEUE_URGENT, schedule_job

# Backoff between attempts after a transient error: 5 s doubling up to 10 min (a provider's Retry-After wins
# when it asks for longer).
BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 600


def backoff_seconds(attempts: int, retry_after: float | None = None, base: float | None = None) -> float:
    """Delay before the next attempt, after `attempts` attempts so far."""
    delay = min((base or BACKOFF_BASE_SECONDS) * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)
    return max(delay, retry_after or 0)


# --- Escalation (jobs in workers.escalation) ------------------------------------------------------------------


def step_job_id(escalation_id: int, seq: int) -> str:
    """One job id per step, so a step is never queued twice at once."""
    return f"esc-{escalation_id}-{seq}"


def resolve_reminder_job_id(escalation_id: int) -> str:
    """The job id of an escalation's resolve reminder."""
    return f"remind-{escalation_id}"


def schedule_step(connection: redis.Redis, escalation_id: int, seq: int, when: datetime | None) -> bool:
    """Have RQ's scheduler fire step `seq` of an escalation at `when` (now when None)."""
    func = "workers.escalation.escalation_step"
    return schedule_job(connection, QUEUE_URGENT, step_job_id(escalation_id, seq), when, func, escalation_id, seq)


def schedule_resolve_reminder(connection: redis.Redis, escalation_id: int, when: datetime | None) -> bool:
    """Have RQ's scheduler remind the acknowledging officer at `when` (now when None)."""
    func = "workers.escalation.resolve_reminder"
    return schedule_job(connection, QUEUE_URGENT, resolve_reminder_job_id(escalation_id), when, func, escalation_id)


# --- Follow-ups (jobs in workers.followups) -------------------------------------------------------------------


def ask_job_id(followup_id: int, seq: int) -> str:
    """One job id per follow-up question."""
    return f"followup-{followup_id}-{seq}"


def schedule_ask(connection: redis.Redis, followup_id: int, seq: int, when: datetime | None) -> bool:
    """Have RQ's scheduler ask follow-up question `seq` at `when` (now when None)."""
    job_id = ask_job_id(followup_id, seq)
    return schedule_job(connection, QUEUE_BULK, job_id, when, "workers.followups.ask_followup", followup_id, seq)


# --- Meetings (jobs in workers.meetings) ----------------------------------------------------------------------


def meeting_reminder_job_id(reminder_id: int) -> str:
    """One job id per meeting reminder row."""
    return f"meeting-reminder-{reminder_id}"


def schedule_meeting_reminder(connection: redis.Redis, reminder_id: int, when: datetime | None) -> bool:
    """Have RQ's scheduler fire a meeting reminder at `when` (now when None), on the bulk queue."""
    job_id = meeting_reminder_job_id(reminder_id)
    func = "workers.meetings.send_meeting_reminder"
    return schedule_job(connection, QUEUE_BULK, job_id, when, func, reminder_id, timeout=120)


# --- Discreet chats' deletions (jobs in workers.discreet) -----------------------------------------------------


def delete_job_id(message_id: int, due: datetime) -> str:
    """One job id per message and due time (a retry is due later, so it is a new job)."""
    return f"discreet-delete-{message_id}-{int(due.timestamp())}"


def schedule_delete(connection: redis.Redis, message_id: int, due: datetime) -> bool:
    """Have RQ delete the message from its chat at `due` (at once when that is past); False if already pending."""
    when = due if due > datetime.now(UTC) else None
    job_id = delete_job_id(message_id, due)
    return schedule_job(connection, QUEUE_BULK, job_id, when, "workers.discreet.delete_message", message_id)

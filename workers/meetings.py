"""Meeting jobs: a reminder or tally firing at its due time; scheduled by `workers.schedule`, safe to run twice."""

from __future__ import annotations

from gateway.core.runtime import process_runtime
from gateway.meetings.reminders import fire


def send_meeting_reminder(reminder_id: int) -> str:
    """RQ job: send one meeting reminder or tally (claimed, so it is sent once)."""
    return fire(process_runtime(), reminder_id)

"""Escalation timers the sweeper re-schedules when their job was lost: ladder steps and reminders to close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core.runtime import Runtime
from gateway.models import Escalation, EscalationStatus
from workers.schedule import schedule_resolve_reminder, schedule_step

BATCH = 500


def overdue(session: Session, now: datetime) -> tuple[list[tuple[int, int]], list[int]]:
    """(id, step) of ladder steps due but not fired, and ids of resolve reminders due but not sent."""
    grace = now - timedelta(seconds=2)
    steps = session.execute(
        select(Escalation.id, Escalation.step_seq)
        .where(Escalation.status == EscalationStatus.ACTIVE, Escalation.ladder.is_(True))
        .where(Escalation.next_step_at < grace)
        .limit(BATCH)
    ).all()
    reminders = session.scalars(
        select(Escalation.id)
        .where(Escalation.remind_at < grace, Escalation.reminded_at.is_(None))
        .where(Escalation.resolved_at.is_(None), Escalation.acknowledged_by_id.is_not(None))
        .limit(BATCH)
    ).all()
    return [(row.id, row.step_seq) for row in steps], list(reminders)


def reschedule_overdue(runtime: Runtime, now: datetime) -> int:
    """Queue every overdue step and reminder again (an id already pending is not queued twice)."""
    with runtime.db.transaction() as session:
        steps, reminders = overdue(session, now)
    count = sum(schedule_step(runtime.redis, esc_id, seq, None) for esc_id, seq in steps)
    return count + sum(schedule_resolve_reminder(runtime.redis, esc_id, None) for esc_id in reminders)

"""The sweeper: re-enqueues outbox rows still `queued` (lost queue, Redis flushed), frees rows stranded in
`sending` by a worker that died mid-call, re-schedules overdue timers, and handles inbound messages stored but
never handled; last, the daily retention purge. Runs inside every worker's maintenance loop, one worker at a
time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from gateway import spool
from gateway.digests import remind_triage, send_digests
from gateway.discreet import overdue as overdue_deletions
from gateway.followups import overdue as overdue_followups
from gateway.inbox import process_pending
from gateway.meetings.reminders import overdue as overdue_meeting_reminders
from gateway.models import Direction, Escalation, EscalationStatus, Message, MessageStatus, utcnow
from gateway.runtime import Runtime
from workers.discreet import schedule_delete
from workers.escalation import schedule_reminder, schedule_step
from workers.followups import schedule_ask
from workers.meetings import schedule_reminder as schedule_meeting_reminder
from workers.queues import SEND_JOB_TIMEOUT, SWEEP_LOCK_KEY, enqueue_send
from workers.retention import daily_purge

log = logging.getLogger(__name__)

SWEEP_BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    requeued: int
    unstuck: int


def sweep_outbox(runtime: Runtime, now: datetime | None = None) -> SweepReport:
    """Re-enqueue due `queued` rows that have waited too long; put stranded `sending` rows back in the queue."""
    now = now or utcnow()
    stale = now - timedelta(seconds=runtime.settings.outbox_stale_seconds)
    # A row `sending` for longer than a job may run belongs to a dead worker. Sending it again may duplicate
    # one message per crash; not sending it would lose it, which is worse.
    stranded_before = now - timedelta(seconds=SEND_JOB_TIMEOUT + runtime.settings.outbox_stale_seconds)
    with runtime.db.transaction() as session:
        unstuck = session.execute(
            update(Message)
            .where(Message.direction == Direction.OUT, Message.status == MessageStatus.SENDING)
            .where(Message.updated_at < stranded_before)
            .values(status=MessageStatus.QUEUED, next_attempt_at=None, updated_at=now)
        ).rowcount
        due = session.execute(
            select(Message.id, Message.priority, Message.attempts)
            .where(Message.direction == Direction.OUT, Message.status == MessageStatus.QUEUED)
            .where(Message.updated_at < stale)
            .where((Message.next_attempt_at.is_(None)) | (Message.next_attempt_at < stale))
            .order_by(Message.id)
            .limit(SWEEP_BATCH)
        ).all()
    requeued = sum(enqueue_send(runtime.redis, row.id, row.priority, row.attempts) for row in due)
    if requeued or unstuck:
        log.info("outbox sweep: %s re-enqueued, %s freed from a dead worker", requeued, unstuck)
    return SweepReport(requeued=requeued, unstuck=unstuck)


def sweep_timers(runtime: Runtime, now: datetime | None = None) -> int:
    """Re-schedule escalation steps, reminders, meeting reminders, follow-up questions and discreet chats'
    deletions that are due but have no job (e.g. Redis lost its data)."""
    now = now or utcnow()
    grace = now - timedelta(seconds=2)
    with runtime.db.transaction() as session:
        steps = session.execute(
            select(Escalation.id, Escalation.step_seq)
            .where(Escalation.status == EscalationStatus.ACTIVE, Escalation.ladder.is_(True))
            .where(Escalation.next_step_at < grace)
            .limit(SWEEP_BATCH)
        ).all()
        reminders = session.scalars(
            select(Escalation.id)
            .where(Escalation.remind_at < grace, Escalation.reminded_at.is_(None))
            .where(Escalation.resolved_at.is_(None), Escalation.acknowledged_by_id.is_not(None))
            .limit(SWEEP_BATCH)
        ).all()
        meeting_reminders = overdue_meeting_reminders(session, now)
        questions = overdue_followups(session, now)
        deletions = overdue_deletions(session, now)
    count = sum(schedule_step(runtime.redis, row.id, row.step_seq, None) for row in steps)
    count += sum(schedule_meeting_reminder(runtime.redis, rid, None) for rid in meeting_reminders)
    count += sum(schedule_ask(runtime.redis, fid, seq, None) for fid, seq in questions)
    count += sum(schedule_reminder(runtime.redis, esc_id, None) for esc_id in reminders)
    count += sum(schedule_delete(runtime.redis, message_id, due) for message_id, due in deletions)
    if count:
        log.info("timer sweep: %s overdue step(s) or reminder(s) re-scheduled", count)
    return count


def sweep_once(runtime: Runtime) -> SweepReport | None:
    """Run every sweep unless another worker holds the sweep lock right now."""
    lock_ttl = max(runtime.settings.sweep_interval_seconds - 1, 1)
    if not runtime.redis.set(SWEEP_LOCK_KEY, "1", nx=True, ex=lock_ttl):
        return None
    report = sweep_outbox(runtime)
    spool.replay(runtime)
    sweep_timers(runtime)
    remind_triage(runtime)
    send_digests(runtime)
    handled = process_pending(runtime, older_than_seconds=runtime.settings.outbox_stale_seconds)
    if handled:
        log.info("inbound sweep: %s stored message(s) handled late", handled)
    daily_purge(runtime)  # last: a slow first purge never delays the sweeps above
    return report

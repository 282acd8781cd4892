"""The outbox's lost rows: `queued` rows whose job was lost (Redis flushed, enqueue failed) and `sending` rows
stranded by a worker that died mid-call. The sweeper calls `requeue_lost`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from gateway.core.runtime import Runtime
from gateway.models import Direction, Message, MessageStatus, utcnow
from workers.queues import SEND_JOB_TIMEOUT, enqueue_send, pending_job_ids, send_job_id

log = logging.getLogger(__name__)

SWEEP_BATCH = 500


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    requeued: int
    unstuck: int


def requeue_lost(runtime: Runtime, now: datetime | None = None) -> SweepReport:
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
    # Rows of a backlog wait behind other jobs: most have theirs already; only those without one are enqueued.
    pending = pending_job_ids(runtime.redis, [send_job_id(row.id, row.attempts) for row in due]) if due else set()
    lost = [row for row in due if send_job_id(row.id, row.attempts) not in pending]
    requeued = sum(enqueue_send(runtime.redis, row.id, row.priority, row.attempts) for row in lost)
    if requeued or unstuck:
        log.info("outbox sweep: %s re-enqueued, %s freed from a dead worker", requeued, unstuck)
    return SweepReport(requeued=requeued, unstuck=unstuck)

"""The sweeper: re-enqueues outbox rows still `queued` (lost queue, Redis flushed), frees rows stranded in
`sending` by a worker that died mid-call, re-schedules overdue timers, sends the weekly pulse when it is due
(gateway/pulse/sending.py), and handles inbound messages stored but never handled; last, the daily retention purge.
Runs inside every worker's maintenance loop, one worker at a time."""

from __future__ import annotations

import logging
from datetime import datetime

from gateway.alerts import followups
from gateway.alerts.digests import remind_triage, send_digests
from gateway.core.runtime import Runtime
from gateway.directory import discreet
from gateway.escalation import timers as escalation_timers
from gateway.media.keeping import sweep as media_sweep
from gateway.meetings import reminders as meeting_reminders
from gateway.messaging.inbox import process_pending
from gateway.messaging.lost_rows import SweepReport, requeue_lost
from gateway.messaging.receiving import replay_spool
from gateway.models import utcnow
from gateway.observability.readings import record_sweep
from gateway.pulse.sending import send_due as send_due_pulse
from gateway.reports.delivery import send_bulletins
from workers.queues import SWEEP_LOCK_KEY
from workers.retention import daily_purge

log = logging.getLogger(__name__)

# Each domain's timers whose job may be lost: `reschedule_overdue(runtime, now)` queues the overdue ones again.
TIMERS = (
    escalation_timers.reschedule_overdue,
    meeting_reminders.reschedule_overdue,
    followups.reschedule_overdue,
    discreet.reschedule_overdue,
)


def sweep_outbox(runtime: Runtime, now: datetime | None = None) -> SweepReport:
    """Re-enqueue due `queued` rows that have waited too long; put stranded `sending` rows back in the queue."""
    return requeue_lost(runtime, now)


def sweep_timers(runtime: Runtime, now: datetime | None = None) -> int:
    """Re-schedule escalation steps, reminders, meeting reminders, follow-up questions and discreet chats'
    deletions that are due but have no job (e.g. Redis lost its data): each domain's `reschedule_overdue`."""
    now = now or utcnow()
    count = sum(reschedule(runtime, now) for reschedule in TIMERS)
    if count:
        log.info("timer sweep: %s overdue step(s) or reminder(s) re-scheduled", count)
    return count


def sweep_once(runtime: Runtime) -> SweepReport | None:
    """Run every sweep unless another worker holds the sweep lock right now."""
    lock_ttl = max(runtime.settings.sweep_interval_seconds - 1, 1)
    if not runtime.redis.set(SWEEP_LOCK_KEY, "1", nx=True, ex=lock_ttl):
        return None
    report = sweep_outbox(runtime)
    replay_spool(runtime)
    sweep_timers(runtime)
    remind_triage(runtime)
    send_digests(runtime)
    send_due_pulse(runtime)
    send_bulletins(runtime)  # last week's, once the week's pulse time has passed
    handled = process_pending(runtime, older_than_seconds=runtime.settings.outbox_stale_seconds)
    if handled:
        log.info("inbound sweep: %s stored message(s) handled late", handled)
    media_sweep(runtime, older_than_seconds=runtime.settings.outbox_stale_seconds)
    daily_purge(runtime)  # last: a slow first purge never delays the sweeps above
    record_sweep(runtime.redis)  # only a sweep that went through to the end counts (`gateway status`, /metrics)
    return report

"""The daily retention purge, run from the workers' sweep and claimed once a day across every worker."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from gateway.core.runtime import Runtime
from gateway.models import utcnow
from gateway.retention.purge import PurgeReport, run_purge
from workers.queues import KEY_PREFIX

log = logging.getLogger(__name__)

RETENTION_DONE_KEY = KEY_PREFIX + "retention:done:"  # + local date: today's purge is finished
RETENTION_LOCK_KEY = KEY_PREFIX + "lock:retention"
LOCK_SECONDS = 900
# A sweep must not hold a worker for long: at most this many batches of each kind per run. A backlog (the first
# purge of an old database) is finished by the next sweeps, each writing its own audit row.
DAILY_MAX_BATCHES = 20


def daily_purge(runtime: Runtime, now: datetime | None = None) -> PurgeReport | None:
    """Purge once per local day, whichever worker sweeps first; None when already done today or running elsewhere.

    The lock makes two workers exclusive; the day's `done` key, re-read under the lock, makes the purge once a
    day. Should Redis lose both, the purge runs again: it is idempotent (purged rows are not counted again)."""
    now = now or utcnow()
    day = now.astimezone(ZoneInfo(runtime.settings.timezone)).date().isoformat()
    done_key = RETENTION_DONE_KEY + day
    if runtime.redis.exists(done_key):
        return None
    if not runtime.redis.set(RETENTION_LOCK_KEY, day, nx=True, ex=LOCK_SECONDS):
        return None
    try:
        if runtime.redis.exists(done_key):  # another worker finished between our two reads
            return None
        report = run_purge(
            runtime.db, runtime.settings, actor="system", now=now, max_batches=DAILY_MAX_BATCHES, audit_empty=False
        )
        if report.complete:
            runtime.redis.set(done_key, "1", ex=2 * 86400)
    finally:
        runtime.redis.delete(RETENTION_LOCK_KEY)
    if report.total:
        log.info("retention: %s row(s) purged (%s)", report.total, "complete" if report.complete else "more to do")
    return report

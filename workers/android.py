"""Android phone jobs that are not outbox messages: reading back the SMS the phone received during a gap."""

from __future__ import annotations

from gateway.core.runtime import process_runtime
from gateway.messaging.android_recovery import run_recovery_job


def recover_gap(since: float, until: float) -> str:
    """RQ job: read back what the phone received between two epoch times (safe to run twice: the replays and the
    listed SMS are deduplicated)."""
    return run_recovery_job(process_runtime(), since, until)

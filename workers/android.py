"""Android phone jobs that are not outbox messages: asking the phone to re-send the SMS of a gap."""

from __future__ import annotations

from gateway.core.runtime import process_runtime
from gateway.messaging.android_recovery import run_recovery_job


def recover_gap(since: float, until: float) -> str:
    """RQ job: ask the phone to re-send what it received between two epoch times (safe to run twice: the replays
    are deduplicated)."""
    return run_recovery_job(process_runtime().settings, since, until)

"""Closing the last gap in "nothing lost" on the local-SIM phone: when the gateway was down longer than the phone
kept retrying its webhooks, read back what the phone received meanwhile (bots/android_inbox.py): ask the app to
re-send what it missed itself (its inbox refresh), then read its inbox list and store each SMS the gateway lacks.

The gap is known from the workers' heartbeat (the last finished sweep, `gw:sweep:last`): a worker that starts and
finds it older than `MIN_GAP_SECONDS` queues one recovery job for the window. Replays are harmless: inbound SMS are
stored once per payload identity (bots/android.py), which the listed SMS share with their webhooks."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis

from bots.android import InvalidEvent, received_instant
from bots.android_inbox import ListedSms, ListUnavailable, RefreshFailed, RefreshRequest, list_inbox, refresh_inbox
from gateway.core.config import Settings
from gateway.messaging import inbox
from gateway.messaging.channels import android_config, build_channel
from gateway.observability.readings import last_sweep
from workers.queues import KEY_PREFIX, QUEUE_BULK, schedule_job

log = logging.getLogger(__name__)

# A gap shorter than this is covered by the phone's own retries (5 s doubling, about two days in all); asking
# anyway would only cost the phone a scan of its inbox.
MIN_GAP_SECONDS = 120
# The window starts this much before the last heartbeat: SMS received just before the outage whose webhook was
# still being retried when the gateway went away.
MARGIN = timedelta(minutes=5)
LONGEST_WINDOW = timedelta(days=31)  # a typo ("2000h") must not make the phone replay its whole history
RECOVER_JOB_FUNC = "workers.android.recover_gap"
RECOVER_LOCK_KEY = KEY_PREFIX + "lock:android-recover:"
_DURATION = re.compile(r"^(\d{1,6})\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`--since`: a duration back from now (`90m`, `2h`, `3d`) or an ISO time (naive: UTC). ValueError says why."""
    now = now or datetime.now(UTC)
    raw = (text or "").strip().lower()
    found = _DURATION.match(raw)
    if found:
        since = now - timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    else:
        try:
            since = datetime.fromisoformat(raw.upper().replace("Z", "+00:00") if raw else "?")
        except ValueError:
            raise ValueError(f"--since {text!r}: expected an ISO time (2026-12-07T04:00) or a duration (2h)") from None
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
    if since >= now:
        raise ValueError(f"--since {text!r} is not in the past")
    if now - since > LONGEST_WINDOW:
        raise ValueError(f"--since {text!r} is more than {LONGEST_WINDOW.days} days back")
    return since


@dataclass(frozen=True)
class Recovery:
    """What one recovery did: the refresh path the phone accepted, the text SMS its inbox listed for the window
    (None: this app version cannot list), and how many of those the gateway lacked and has now stored."""

    refreshed_by: str
    listed: int | None
    stored: int


def recover(runtime, since: datetime, until: datetime | None = None, timeout: float | None = None) -> Recovery:
    """Ask the phone to re-send what it missed from `since` to `until` (now), then store every SMS of its inbox
    list for the window that the gateway does not hold, each handed to the workers like a webhook's. Raises
    RefreshFailed (one line) when the channel is off, the phone does not answer or refuses."""
    settings = runtime.settings
    if not settings.android_enabled:
        raise RefreshFailed("the Android channel is off: set ANDROID_GATEWAY_URL")
    until = until or datetime.now(UTC)
    config = android_config(settings)
    path = refresh_inbox(config, RefreshRequest(since=since, until=until), timeout=timeout)
    try:
        listed = list_inbox(config, since, until, timeout=timeout)
    except ListUnavailable:
        return Recovery(path, None, 0)
    return Recovery(path, len(listed), store_listed(runtime, listed))


def store_listed(runtime, listed: list[ListedSms]) -> int:
    """Store the listed SMS the gateway lacks, oldest first (a sender's messages are handled in that order), and
    queue each one's handling; the number stored. An SMS from a sender that is no phone number (an operator's
    name) is skipped, as its webhook would have been refused."""
    channel = build_channel("android", runtime.settings)
    stored = skipped = 0
    for sms in sorted(listed, key=lambda item: received_instant(item.received_at)):
        try:
            event = channel.parse_event({"event": "sms:received", "payload": sms.payload()})
        except InvalidEvent:
            skipped += 1
            continue
        stored += not inbox.accept(runtime, event.inbound).duplicate
    log.info("android recovery: %s listed SMS, %s were missing and are stored, %s skipped", len(listed), stored,
             skipped)  # fmt: skip
    return stored


def gap_at_start(connection: redis.Redis, now: float | None = None) -> tuple[float, float] | None:
    """The window (epoch seconds) to recover when a worker starts: from the last heartbeat (less a margin) to now,
    or None when the heartbeat is recent or unknown (Redis emptied: `gateway android recover --since` by hand)."""
    now = time_now() if now is None else now
    last = last_sweep(connection)
    if last is None or now - last < MIN_GAP_SECONDS:
        return None
    return max(last - MARGIN.total_seconds(), now - LONGEST_WINDOW.total_seconds()), now


def time_now() -> float:
    """Epoch seconds (a seam for the tests)."""
    return datetime.now(UTC).timestamp()


def schedule_recovery_at_start(settings: Settings, connection: redis.Redis) -> bool:
    """At a worker's start: queue one recovery job for the gap since the last heartbeat, if there is one. Never
    raises and never calls the phone here (the job does, with a timeout): start-up is not held by a phone that is
    off. True when a job was queued."""
    if not settings.android_enabled:
        return False
    try:
        window = gap_at_start(connection)
        if window is None:
            return False
        since, until = window
        # Workers starting together after an outage see the same heartbeat: the first one queues the job.
        if not connection.set(RECOVER_LOCK_KEY + str(int(since)), "1", nx=True, ex=3600):
            return False
        queued = schedule_job(connection, QUEUE_BULK, f"android-recover-{int(since)}", None, RECOVER_JOB_FUNC,
                              since, until, timeout=60)  # fmt: skip
    except redis.RedisError as exc:
        log.warning("android recovery: not queued, Redis did not answer (%s)", type(exc).__name__)
        return False
    if queued:
        minutes = round((until - since) / 60)
        log.warning("android recovery: the gateway was away; asking the phone to re-send %s minute(s) of SMS", minutes)
    return queued


def run_recovery_job(runtime, since: float, until: float) -> str:
    """The job's work: the phone asked and its list read; a phone that does not answer is logged, not retried (the
    operator runs `gateway android recover --since …` once it is back)."""
    try:
        done = recover(runtime, datetime.fromtimestamp(since, UTC), datetime.fromtimestamp(until, UTC))
    except RefreshFailed as exc:
        log.warning("android recovery failed: %s; run `gateway android recover --since …` when it is back", exc)
        return "failed"
    log.info("android recovery: the phone accepted (%s); %s missing SMS stored", done.refreshed_by, done.stored)
    return "asked"

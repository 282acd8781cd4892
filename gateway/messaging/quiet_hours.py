"""Quiet hours: the local window in which non-urgent messages wait (escalations and replies never do)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from gateway.core.config import Settings


def in_window(clock: time, start: time, end: time) -> bool:
    """True when a local time of day falls in [start, end), a window that may cross midnight."""
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def hold_until(settings: Settings, now: datetime) -> datetime | None:
    """When a non-urgent message queued `now` may go out, or None if it may go at once."""
    if settings.quiet_hours is None:
        return None
    start, end = settings.quiet_hours
    local = now.astimezone(ZoneInfo(settings.timezone))
    if not in_window(local.time().replace(tzinfo=None), start, end):
        return None
    opening = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if opening <= local:
        opening += timedelta(days=1)
    return opening.astimezone(now.tzinfo)

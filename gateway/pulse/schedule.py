"""The weekly pulse by the clock: the sweeper calls `send_due`; once the local time has passed this week's
PULSE_AT, the first worker to insert the week's `PulseRun(schedule_key=week)` sends it. A gateway that was down at
the due time still sends within LATE_LIMIT of it; later than that, the week is skipped (the next one comes as usual)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from gateway.core.runtime import Runtime
from gateway.models import utcnow
from gateway.pulse.sending import PulseError, PulseSummary, send_pulse

log = logging.getLogger(__name__)

# A question that arrives a day late still gets the week's answers; a Thursday question about "this week" would mix
# two weeks in one round, and the leaders would get two pulses within days.
LATE_LIMIT = timedelta(hours=24)
SCHEDULE_ACTOR = "schedule"


def send_due(runtime: Runtime, now: datetime | None = None) -> PulseSummary | None:
    """Send the week's scheduled pulse if it is due, not too late, and not sent yet; the summary, or None."""
    schedule = runtime.settings.pulse_schedule
    if schedule is None:  # PULSE_EVERY=off
        return None
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(runtime.settings.timezone))
    due = schedule.last_due(local)
    if local - due > LATE_LIMIT:
        return None  # too late for this week: skipped
    try:
        return send_pulse(runtime, actor=SCHEDULE_ACTOR, now=due.astimezone(now.tzinfo), scheduled=True)
    except IntegrityError:
        return None  # another worker (or an earlier sweep) claimed this week
    except PulseError:
        log.debug("scheduled pulse: nothing to send (no tracked service)")
        return None

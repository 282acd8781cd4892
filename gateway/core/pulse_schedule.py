"""When the weekly service-return pulse goes out: `PULSE_EVERY` (`weekly` or `off`) and `PULSE_AT` (`MON 09:00`,
local time; French day names too), checked against the quiet hours at start-up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

# Monday is 0, as datetime.weekday() counts; English and French abbreviations and full names.
WEEKDAYS = {
    "MON": 0, "MONDAY": 0, "LUN": 0, "LUNDI": 0,
    "TUE": 1, "TUESDAY": 1, "MAR": 1, "MARDI": 1,
    "WED": 2, "WEDNESDAY": 2, "MER": 2, "MERCREDI": 2,
    "THU": 3, "THURSDAY": 3, "JEU": 3, "JEUDI": 3,
    "FRI": 4, "FRIDAY": 4, "VEN": 4, "VENDREDI": 4,
    "SAT": 5, "SATURDAY": 5, "SAM": 5, "SAMEDI": 5,
    "SUN": 6, "SUNDAY": 6, "DIM": 6, "DIMANCHE": 6,
}  # fmt: skip
_PULSE_AT = re.compile(r"^([A-Za-z]+)\s+(\d{1,2})[:hH](\d{2})$")


@dataclass(frozen=True)
class PulseSchedule:
    """The weekly pulse's local send time: a weekday (0 = Monday) and a time of day."""

    weekday: int
    at: time

    def last_due(self, local_now: datetime) -> datetime:
        """The latest scheduled local send time at or before `local_now` (this week's, or last week's)."""
        days_back = (local_now.weekday() - self.weekday) % 7
        due = datetime.combine(local_now.date() - timedelta(days=days_back), self.at, tzinfo=local_now.tzinfo)
        return due if due <= local_now else due - timedelta(days=7)


def parse_pulse(every: str | None, at: str | None, quiet_hours: tuple[time, time] | None) -> PulseSchedule | None:
    """PULSE_EVERY and PULSE_AT as a schedule, or None when the pulse is off; ValueError names the bad variable."""
    every = (every or "weekly").strip().lower()
    if every == "off":
        return None
    if every != "weekly":
        raise ValueError(f"PULSE_EVERY must be 'weekly' or 'off', got {every!r}")
    match = _PULSE_AT.match((at or "MON 09:00").strip())
    day = WEEKDAYS.get(match.group(1).upper()) if match else None
    hour, minute = (int(match.group(2)), int(match.group(3))) if match else (99, 99)
    if day is None or hour > 23 or minute > 59:
        raise ValueError(f"PULSE_AT must be a weekday and a local time like 'MON 09:00', got {at!r}")
    schedule = PulseSchedule(day, time(hour, minute))
    if quiet_hours and _is_quiet(schedule.at, quiet_hours):
        raise ValueError(f"PULSE_AT {at!r} falls in QUIET_HOURS: the pulse is never sent in quiet hours")
    return schedule


def _is_quiet(moment: time, window: tuple[time, time]) -> bool:
    start, end = window
    return start <= moment < end if start <= end else moment >= start or moment < end

"""Meeting dates: read the short forms facilitators type (`05/12 10h`) and write the local form people read
(`ven. 5 déc. 10h`), in the deployment's time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flows import catalogue

_DAY_MONTH = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?$")
_CLOCK = re.compile(r"^(\d{1,2})(?:[hH:](\d{2})?)$")


class BadDate(ValueError):
    """The date or time cannot be read."""


def parse_day(text: str, today: date) -> date:
    """`05/12`, `5.12`, `05/12/2026` → a date; without a year, the next such day from today."""
    found = _DAY_MONTH.match(text.strip())
    if not found:
        raise BadDate(text)
    day, month, year = int(found.group(1)), int(found.group(2)), found.group(3)
    try:
        if year:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        for year in range(today.year, today.year + 8):  # 29/02 waits for the next leap year
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
        raise BadDate(text)
    except ValueError:
        raise BadDate(text) from None


def parse_clock(text: str) -> time:
    """`10h`, `10h30`, `10:30`, `9H` → a time of day."""
    found = _CLOCK.match(text.strip())
    if not found:
        raise BadDate(text)
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if hour > 23 or minute > 59:
        raise BadDate(text)
    return time(hour, minute)


def parse_local(text: str, zone: str) -> datetime:
    """`2026-12-05 10:00` in local time → an aware UTC datetime (the CLI's --at)."""
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise BadDate(text) from None
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def to_utc(day: date, clock: time, zone: str) -> datetime:
    """A local day and time → aware UTC."""
    return datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_form(moment: datetime, zone: str, language: str) -> str:
    """`ven. 5 déc. 10h` (fr) or `Fri 5 Dec 10:00` (en), in the deployment's time zone."""
    local = moment.astimezone(ZoneInfo(zone))
    days = catalogue.text(language, "date.days").split(",")
    months = catalogue.text(language, "date.months").split(",")
    clock = catalogue.text(language, "date.clock", hour=local.hour, minute=f"{local.minute:02d}")
    if local.minute == 0:
        clock = catalogue.text(language, "date.clock_hour", hour=local.hour)
    return catalogue.text(
        language, "date.format", day=days[local.weekday()], d=local.day, month=months[local.month - 1], clock=clock
    )

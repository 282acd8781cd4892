"""ISO weeks of local time, written `2026-W49`: parsing what staff type, the week's days, and its bounds in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


class BadWeek(ValueError):
    """Text that is not an ISO week; the message says what is expected."""


@dataclass(frozen=True, order=True)
class IsoWeek:
    """One ISO week (Monday to Sunday) of the districts' local time."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str | None) -> IsoWeek:
        """`2026-W49` (or `2026W49`, `2026-w49`); BadWeek for anything else, week 53 of a year that has none too."""
        found = _WEEK.match((text or "").strip())
        if found is None:
            raise BadWeek(f"{text!r} is not an ISO week: expected YYYY-Www, e.g. 2026-W49")
        week = cls(int(found.group(1)), int(found.group(2)))
        try:
            week.monday  # noqa: B018 - date.fromisocalendar checks the week exists in that year
        except ValueError:
            raise BadWeek(f"{text!r}: the year {week.year} has no week {week.number}") from None
        return week

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The week a local date falls in."""
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def last_complete(cls, today: date) -> IsoWeek:
        """The latest week that has ended before `today` (on any day of week 50: week 49)."""
        return cls.of(today - timedelta(days=today.weekday() + 1))

    @property
    def label(self) -> str:
        """`2026-W49`."""
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        """The week's first day."""
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        """The week's last day."""
        return self.monday + timedelta(days=6)

    @property
    def previous(self) -> IsoWeek:
        """The week before."""
        return IsoWeek.of(self.monday - timedelta(days=7))

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """From the week's local Monday 00:00 to the next one, in UTC (what the database stores)."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.monday, time(0), tzinfo=zone)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def __str__(self) -> str:
        return self.label

"""When the weekly pulse is due: the latest scheduled local time at or before now, this week's or last week's."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from gateway.core.pulse_schedule import PulseSchedule

BAMAKO = ZoneInfo("Africa/Bamako")
MONDAY_9 = PulseSchedule(0, time(9, 0))


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (datetime(2026, 12, 7, 9, 0), datetime(2026, 12, 7, 9, 0)),  # Monday at the minute: this week's
        (datetime(2026, 12, 7, 8, 59), datetime(2026, 11, 30, 9, 0)),  # Monday before it: last week's
        (datetime(2026, 12, 10, 15, 0), datetime(2026, 12, 7, 9, 0)),  # Thursday
        (datetime(2026, 12, 13, 23, 59), datetime(2026, 12, 7, 9, 0)),  # Sunday night
        (datetime(2027, 1, 4, 10, 0), datetime(2027, 1, 4, 9, 0)),  # across the year
    ],
)
def test_last_due_is_the_latest_scheduled_time_not_after_now(now, due):
    assert MONDAY_9.last_due(now.replace(tzinfo=BAMAKO)) == due.replace(tzinfo=BAMAKO)


def test_a_friday_schedule_seen_on_monday_is_last_friday():
    friday = PulseSchedule(4, time(17, 30))
    assert friday.last_due(datetime(2026, 12, 7, 9, 0, tzinfo=BAMAKO)) == datetime(2026, 12, 4, 17, 30, tzinfo=BAMAKO)

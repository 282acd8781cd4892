"""Meeting dates as facilitators type them (`05/12 10h`, the CLI's `2026-12-05 10:00`) and as people read them
(`ven. 5 déc. 10h`, `Fri 5 Dec 10:00`), in the deployment's time zone. Pure functions: tables, no fixtures."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from gateway.meetings.dates import BadDate, local_form, parse_clock, parse_day, parse_local, to_utc

BAMAKO = "Africa/Bamako"  # UTC+0 all year, no daylight saving


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("05/12", date(2026, 3, 1), date(2026, 12, 5)),
        ("5/12", date(2026, 3, 1), date(2026, 12, 5)),
        ("5.12", date(2026, 3, 1), date(2026, 12, 5)),
        ("05-12", date(2026, 3, 1), date(2026, 12, 5)),
        (" 05/12 ", date(2026, 3, 1), date(2026, 12, 5)),
        ("05/12/2026", date(2026, 3, 1), date(2026, 12, 5)),
        ("05/12/27", date(2026, 3, 1), date(2027, 12, 5)),
        ("10/12", date(2026, 12, 10), date(2026, 12, 10)),  # today is still ahead (the hour decides)
        ("05/12", date(2026, 12, 10), date(2027, 12, 5)),  # already past this year: next year's
        ("02/01", date(2026, 12, 28), date(2027, 1, 2)),  # across new year
        ("29/02", date(2028, 1, 10), date(2028, 2, 29)),  # a leap year
        ("05/12/2025", date(2026, 3, 1), date(2025, 12, 5)),  # an explicit year is taken as written
    ],
)
def test_parse_day(text, today, expected):
    assert parse_day(text, today) == expected


@pytest.mark.parametrize(
    "text", ["demain", "", "05", "05/13", "32/01", "31/04", "00/12", "5 déc", "05/12/2026/1", "12/2026", "05//12"]
)
def test_parse_day_rejects(text):
    with pytest.raises(BadDate):
        parse_day(text, date(2026, 3, 1))


def test_parse_day_29_february_rolls_over_to_the_next_leap_year():
    assert parse_day("29/02", date(2027, 1, 10)) == date(2028, 2, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10h", time(10, 0)),
        ("10h30", time(10, 30)),
        ("10H30", time(10, 30)),
        ("9H", time(9, 0)),
        ("9h05", time(9, 5)),
        ("10:30", time(10, 30)),
        ("0h", time(0, 0)),
        ("23h59", time(23, 59)),
        (" 14h ", time(14, 0)),
    ],
)
def test_parse_clock(text, expected):
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["10", "24h", "10h60", "10h5", "midi", "", "h30", "100h", "10h300", "-1h"])
def test_parse_clock_rejects(text):
    with pytest.raises(BadDate):
        parse_clock(text)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-12-05 10:00", BAMAKO, datetime(2026, 12, 5, 10, 0, tzinfo=UTC)),
        (" 2026-12-05 10:00 ", BAMAKO, datetime(2026, 12, 5, 10, 0, tzinfo=UTC)),
        ("2026-12-05 9:05", BAMAKO, datetime(2026, 12, 5, 9, 5, tzinfo=UTC)),
        ("2026-12-05 10:00", "Europe/Paris", datetime(2026, 12, 5, 9, 0, tzinfo=UTC)),
        ("2026-07-05 10:00", "Europe/Paris", datetime(2026, 7, 5, 8, 0, tzinfo=UTC)),
    ],
)
def test_parse_local_is_local_time_returned_in_utc(text, zone, expected):
    parsed = parse_local(text, zone)
    assert parsed == expected and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "text", ["05/12/2026 10h", "2026-12-05", "2026-13-01 10:00", "2026-12-05 25:00", "", "demain 10h", "2026-12-05T10"]
)
def test_parse_local_rejects(text):
    with pytest.raises(BadDate):
        parse_local(text, BAMAKO)


def test_to_utc_uses_the_zone():
    assert to_utc(date(2026, 12, 5), time(10, 0), BAMAKO) == datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert to_utc(date(2026, 12, 5), time(10, 0), "Europe/Paris") == datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "language", "expected"),
    [
        (datetime(2025, 12, 5, 10, 0, tzinfo=UTC), "fr", "ven. 5 déc. 10h"),
        (datetime(2025, 12, 5, 10, 0, tzinfo=UTC), "en", "Fri 5 Dec 10:00"),
        (datetime(2025, 12, 5, 10, 30, tzinfo=UTC), "fr", "ven. 5 déc. 10h30"),
        (datetime(2025, 12, 5, 10, 30, tzinfo=UTC), "en", "Fri 5 Dec 10:30"),
        (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), "fr", "sam. 5 déc. 10h"),
        (datetime(2026, 1, 1, 9, 5, tzinfo=UTC), "fr", "jeu. 1 janv. 9h05"),
        (datetime(2026, 1, 1, 9, 5, tzinfo=UTC), "en", "Thu 1 Jan 9:05"),
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), "fr", "lun. 2 mars 8h"),
        (datetime(2026, 8, 16, 15, 0, tzinfo=UTC), "fr", "dim. 16 août 15h"),
        (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), "bm", "sam. 5 déc. 10h"),  # Bambara reads the French form
        (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), "ff", "sam. 5 déc. 10h"),  # so does Fulfulde
    ],
)
def test_local_form(moment, language, expected):
    assert local_form(moment, BAMAKO, language) == expected


def test_local_form_is_in_the_deployment_zone():
    late = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert local_form(late, BAMAKO, "fr") == "sam. 5 déc. 23h30"
    assert local_form(late, "Europe/Paris", "fr") == "dim. 6 déc. 0h30"


def test_a_typed_date_reads_back_the_same():
    starts = to_utc(parse_day("05/12", date(2025, 11, 1)), parse_clock("10h"), BAMAKO)
    assert local_form(starts, BAMAKO, "fr") == "ven. 5 déc. 10h"

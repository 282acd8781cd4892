"""The bulletin's data for a district, a region and all districts: the week's changes, each commune × service's latest
round with its trend (withheld below PULSE_MIN_ANSWERS), the commitments overdue at the week's end, the alerts of the
week's local days counted by category and severity, and the response rate."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gateway.models import District
from gateway.reports.bulletin import AlertCount, Change, collect
from gateway.reports.scopes import all_scope, district_scope, region_scope, regions
from gateway.reports.weeks import BadWeek, IsoWeek
from gateway.reports.words import Words
from tests.gateway.reports.support import WEEK, koro_week


def bulletin_of(runtime, scope_of, week=WEEK):
    """Collect a bulletin with the scope built in the same session."""
    with runtime.db.transaction() as session:
        return collect(session, scope_of(session), week, timezone="Africa/Bamako", min_answers=3)


@pytest.fixture
def koro(runtime, directory):
    """Koro's week 49 (tests/gateway/reports/support.py)."""
    return koro_week(runtime)


def koro_scope(session):
    """Koro's own bulletin."""
    return district_scope(session.scalar(select(District).where(District.code == "KORO")))


def test_changes_are_the_weeks_news_with_service_and_commune(runtime, koro):
    bulletin = bulletin_of(runtime, koro_scope)
    assert bulletin.changes == (Change("Koro", "Bondo", "school", "closed"), Change("Koro", "Bondo", "health",
                                                                                   "returned"))  # fmt: skip
    assert (bulletin.changes_of("closed"), bulletin.changes_of("returned")) == (1, 1)
    assert bulletin_of(runtime, koro_scope, WEEK.previous).changes == ()


def test_service_table_is_the_latest_round_with_its_trend(runtime, koro):
    lines = {(line.row.commune, line.row.service): line for line in bulletin_of(runtime, koro_scope).services}
    assert set(lines) == {("Bondo", s) for s in ("school", "health", "security")} | {("Madougou", "school"),
                                                                                     ("Madougou", "water")}  # fmt: skip
    school = lines[("Bondo", "school")]
    assert (school.row.week, school.row.open, school.row.closed, school.row.partial) == ("2026-W49", 1, 3, 0)
    assert school.trend == "down"
    assert lines[("Bondo", "health")].trend == "up"
    security = lines[("Bondo", "security")]
    assert security.row.too_few and security.row.open is None and security.trend == "unknown"
    assert lines[("Madougou", "water")].trend == "new"


def test_overdue_at_the_end_of_the_week_only_in_scope(runtime, koro):
    refs = [line.ref for line in bulletin_of(runtime, koro_scope).overdue]
    assert refs == [f"R{koro['late']}", f"R{koro['due_sunday']}"], "done, future and other districts' items left out"
    late = bulletin_of(runtime, koro_scope).overdue[0]
    assert (late.due, late.days_late, late.status, late.village) == (date(2026, 11, 20), 17, "stalled", "Bondo")
    assert f"R{koro['other']}" in [line.ref for line in bulletin_of(runtime, lambda s: all_scope()).overdue]


def test_alerts_of_the_weeks_local_days_counted_by_category_and_severity(runtime, koro):
    bulletin = bulletin_of(runtime, koro_scope)
    assert bulletin.alerts == (
        AlertCount("security_forces", 2, 2),
        AlertCount("service_disruption", 3, 1),
        AlertCount(None, None, 1),
    ), "Sunday 22:59 before the week and the next Monday 00:00 (local) left out, Mopti's alert too"
    assert bulletin.alerts_total == 4
    assert bulletin_of(runtime, lambda s: all_scope()).alerts_total == 5


def test_response_rate_counts_leaders_not_answers(runtime, koro):
    bulletin = bulletin_of(runtime, koro_scope)
    assert (bulletin.asked, bulletin.answered) == (7, 7)
    assert bulletin.response_rate == 1.0
    empty = bulletin_of(runtime, koro_scope, IsoWeek(2026, 40))
    assert (empty.asked, empty.response_rate, empty.changes, empty.alerts) == (0, None, (), ())


def test_region_scope_takes_its_districts_whatever_the_accents(runtime, directory):
    with runtime.db.transaction() as session:
        assert regions(session) == ["Mopti", "Ségou"]
        segou = region_scope(session, "SEGOU")
        codes = sorted(session.get(District, i).code for i in segou.district_ids)
    assert (segou.key, Words().scope(segou), codes) == ("Ségou", "Région de Ségou", ["MACINA", "SEGOU"])


@pytest.mark.parametrize(
    ("text", "week"),
    [("2026-W49", IsoWeek(2026, 49)), ("2026w01", IsoWeek(2026, 1)), ("2026-W53", IsoWeek(2026, 53))],
)
def test_iso_weeks_are_read(text, week):
    assert IsoWeek.parse(text) == week


@pytest.mark.parametrize("text", ["2026-49", "W49", "2025-W53", "2026-W00", "2026-W54", "", "2026-W4x"])
def test_bad_weeks_are_refused(text):
    with pytest.raises(BadWeek):
        IsoWeek.parse(text)


def test_week_days_and_bounds():
    assert (WEEK.monday, WEEK.sunday, WEEK.previous.label) == (date(2026, 11, 30), date(2026, 12, 6), "2026-W48")
    assert IsoWeek.last_complete(date(2026, 12, 7)) == WEEK == IsoWeek.last_complete(date(2026, 12, 13))
    assert IsoWeek.last_complete(date(2026, 12, 6)) == WEEK.previous
    assert IsoWeek.last_complete(date(2027, 1, 4)).label == "2026-W53"

"""The weekly schedule: due at PULSE_AT local, claimed once per week (two sweepers at once send it once), sent up to a
day late and skipped beyond, off with PULSE_EVERY=off; a commune asked by hand this week is not asked again; the
sweeper calls it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from gateway.models import PulseQuestion, PulseRun
from gateway.pulse.sending import send_due, send_pulse
from tests.gateway.pulse.support import KONNA_THREE, add_items, load_sample_roadmap
from workers.sweeper import sweep_once

pytestmark = pytest.mark.usefixtures("directory")

DUE = datetime(2026, 12, 7, 9, tzinfo=UTC)  # Monday of 2026-W50, 09:00 in Bamako


@pytest.fixture
def extra_env() -> dict[str, str]:
    """Settings a test adds."""
    return {}


@pytest.fixture
def env(base_env, extra_env) -> dict[str, str]:
    """The weekly pulse on (tests/conftest.py turns it off), MON 09:00 unless a test says otherwise."""
    return {**base_env, "PULSE_EVERY": "weekly", "PULSE_AT": "MON 09:00", **extra_env}


def runs(runtime) -> list[PulseRun]:
    """The pulse runs, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(PulseRun).order_by(PulseRun.id)))


def test_not_before_pulse_at_then_once(runtime):
    add_items(runtime, KONNA_THREE)
    assert send_due(runtime, DUE - timedelta(minutes=1)) is None and runs(runtime) == []
    summary = send_due(runtime, DUE)
    assert summary.week == "2026-W50" and summary.recipients == 6
    assert send_due(runtime, DUE + timedelta(hours=3)) is None
    assert [r.schedule_key for r in runs(runtime)] == ["2026-W50"]


def test_two_sweepers_at_once_send_it_once(runtime):
    add_items(runtime, KONNA_THREE)
    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: send_due(runtime, DUE + timedelta(minutes=1)), "ab"))
    assert sum(o is not None for o in outcomes) == 1
    with runtime.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(PulseQuestion)) == 6


@pytest.mark.parametrize(
    ("late", "sent"), [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24, minutes=1), False)]
)
def test_a_day_late_it_is_sent_later_the_week_is_skipped(runtime, late, sent):
    add_items(runtime, KONNA_THREE)
    summary = send_due(runtime, DUE + late)
    assert (summary is not None) is sent
    if sent:
        assert summary.week == "2026-W50"  # the week it was due, even when sent on Tuesday


@pytest.mark.parametrize("extra_env", [{"PULSE_AT": "SUN 20:00"}])
def test_a_late_sunday_pulse_keeps_the_week_it_was_due(runtime):
    add_items(runtime, KONNA_THREE)
    sunday = datetime(2026, 12, 6, 20, tzinfo=UTC)  # 2026-W49
    assert send_due(runtime, sunday + timedelta(hours=14)).week == "2026-W49"  # sent on Monday of W50
    assert send_due(runtime, sunday + timedelta(days=7)).week == "2026-W50"


@pytest.mark.parametrize("extra_env", [{"PULSE_EVERY": "off"}])
def test_pulse_every_off_sends_nothing(runtime):
    add_items(runtime, KONNA_THREE)
    assert send_due(runtime, DUE) is None and runs(runtime) == []


def test_nothing_tracked_claims_nothing_and_a_roadmap_imported_later_is_asked(runtime):
    assert send_due(runtime, DUE) is None and runs(runtime) == []
    add_items(runtime, KONNA_THREE)
    assert send_due(runtime, DUE + timedelta(hours=2)).recipients == 6


def test_communes_asked_by_hand_this_week_are_not_asked_again(runtime):
    load_sample_roadmap(runtime)
    manual = send_pulse(runtime, actor="test", now=DUE - timedelta(hours=1))  # Monday 08:00, by hand
    scheduled = send_due(runtime, DUE)
    assert manual.recipients == 145 and scheduled.recipients == 0 and scheduled.run_id is not None
    assert send_due(runtime, DUE + timedelta(minutes=5)) is None


def pulse_at_an_hour_ago() -> dict[str, str]:
    """PULSE_AT an hour before the real local time: due now for a sweeper that reads the real clock."""
    local = datetime.now(ZoneInfo("Africa/Bamako")) - timedelta(hours=1)
    return {"PULSE_AT": f"{local:%a %H:%M}".upper()}


@pytest.mark.parametrize("extra_env", [pulse_at_an_hour_ago()])
def test_the_sweeper_sends_the_due_pulse(runtime):
    add_items(runtime, KONNA_THREE)
    sweep_once(runtime)
    assert len(runs(runtime)) == 1 and runs(runtime)[0].actor == "schedule"

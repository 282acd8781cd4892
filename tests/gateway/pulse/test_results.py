"""The pulse's results: counts per commune × service × round, no answer, response rate, the PULSE_MIN_ANSWERS
threshold, several rounds in a week, a replaced answer counted once, the weeks window and the trend."""

from __future__ import annotations

from datetime import date

from gateway.pulse.results import pulse_results, results_json, trend, week_window
from tests.gateway.pulse.factory import answer, answers, district, leaders, pulse_round

TODAY = date(2026, 12, 7)  # a Monday of 2026-W50


def _results(runtime, weeks=12, least=3, district_ids=None):
    with runtime.db.transaction() as db:
        return pulse_results(db, district_ids=district_ids, weeks=weeks, min_answers=least, today=TODAY)


def test_counts_no_answer_and_response_rate(runtime):
    with runtime.db.transaction() as db:
        koro = district(db, "KORO")
        five = leaders(db, koro, "Bondo", 5)
        made = pulse_round(db, koro, "Bondo", "2026-W50", ["school", "health"], five)
        answers(db, made, five, ["12", "13", "21", "1-"])
    school, health = _results(runtime)
    assert (school.service, school.open, school.closed, school.partial, school.no_answer) == ("school", 3, 1, 0, 1)
    assert school.response_rate == 0.8 and not school.too_few
    assert (health.service, health.open, health.closed, health.partial, health.no_answer) == ("health", 1, 1, 1, 2)
    assert health.response_rate == 0.6
    assert (school.district, school.commune, school.week, school.round) == ("KORO", "Bondo", "2026-W50", made.id)


def test_below_the_threshold_counts_are_withheld_but_the_rate_stays(runtime):
    with runtime.db.transaction() as db:
        koro = district(db, "KORO")
        five = leaders(db, koro, "Yoro", 5)
        made = pulse_round(db, koro, "Yoro", "2026-W50", ["security"], five)
        answers(db, made, five, ["2", "1"])
    (row,) = _results(runtime)
    assert row.too_few and (row.open, row.closed, row.partial, row.no_answer) == (None, None, None, None)
    assert row.response_rate == 0.4
    (shown,) = _results(runtime, least=2)  # PULSE_MIN_ANSWERS=2: the same two answers are enough
    assert not shown.too_few and (shown.open, shown.closed, shown.no_answer) == (1, 1, 3)
    assert results_json([row]) == {
        "results": [{"district": "KORO", "commune": "Yoro", "service": "security", "round": made.id,
                     "week": "2026-W50", "open": None, "closed": None, "partial": None, "no_answer": None,
                     "response_rate": 0.4, "too_few": True}]
    }  # fmt: skip


def test_a_replaced_answer_counts_once_with_its_last_value(runtime):
    with runtime.db.transaction() as db:
        koro = district(db, "KORO")
        three = leaders(db, koro, "Koro", 3)
        made = pulse_round(db, koro, "Koro", "2026-W50", ["school"], three)
        answers(db, made, three, ["1", "1", "1"])
        answer(db, made, three[0], "school", "2")  # the leader corrects: closed after all
    (row,) = _results(runtime)
    assert (row.open, row.closed, row.no_answer, row.response_rate) == (2, 1, 0, 1.0)


def test_two_rounds_in_one_week_are_two_rows_and_the_trend_compares_them(runtime):
    with runtime.db.transaction() as db:
        mopti = district(db, "MOPTI")
        four = leaders(db, mopti, "Konna", 4)
        first = pulse_round(db, mopti, "Konna", "2026-W50", ["health"], four)
        answers(db, first, four, ["1", "1", "1", "1"])
        second = pulse_round(db, mopti, "Konna", "2026-W50", ["health"], four)
        answers(db, second, four, ["2", "2", "1"])
    rows = _results(runtime)
    assert [(r.round, r.open, r.closed) for r in rows] == [(first.id, 4, 0), (second.id, 1, 2)]
    (konna,) = trend(rows)
    assert (konna.previous.round, konna.latest.round, konna.direction) == (first.id, second.id, "down")


def test_the_window_keeps_the_last_weeks_and_the_district_filter(runtime):
    with runtime.db.transaction() as db:
        mopti, koro = district(db, "MOPTI"), district(db, "KORO")
        m, k = leaders(db, mopti, "Sio", 3), leaders(db, koro, "Bondo", 3)
        for week in ("2026-W38", "2026-W39", "2026-W49", "2026-W50", "2026-W51"):
            pulse_round(db, mopti, "Sio", week, ["water"], m)
        pulse_round(db, koro, "Bondo", "2026-W50", ["market"], k)
    assert [r.week for r in _results(runtime, district_ids=[mopti.id])] == ["2026-W39", "2026-W49", "2026-W50"]
    assert [r.week for r in _results(runtime, weeks=1, district_ids=[mopti.id])] == ["2026-W50"]
    assert [(r.district, r.service) for r in _results(runtime, weeks=1)] == [("KORO", "market"), ("MOPTI", "water")]
    assert _results(runtime, district_ids=[]) == []
    # Unanswered rounds are rows too: nobody answered, so the counts are withheld and the rate is 0.
    assert all(r.too_few and r.response_rate == 0.0 for r in _results(runtime))


def test_week_window_crosses_the_iso_year():
    assert week_window(date(2027, 1, 4), 3) == ["2026-W52", "2026-W53", "2027-W01"]
    assert week_window(date(2026, 12, 31), 1) == ["2026-W53"]

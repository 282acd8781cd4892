"""`gateway pulse results` as an operator runs it: the table (with "too few answers" below PULSE_MIN_ANSWERS), the
JSON of DESIGN, the district filter, and one `Error:` line for an unknown district."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.pulse.results import week_label
from tests.gateway.pulse.factory import answers, district, leaders, pulse_round


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def rounds(runtime):
    """This week: KORO/Bondo with four answers of five (school, health), MOPTI/Sio with one answer of three."""
    week = week_label(datetime.now(ZoneInfo("Africa/Bamako")).date())
    with runtime.db.transaction() as db:
        koro, mopti = district(db, "KORO"), district(db, "MOPTI")
        bondo, sio = leaders(db, koro, "Bondo", 5), leaders(db, mopti, "Sio", 3)
        answers(db, pulse_round(db, koro, "Bondo", week, ["school", "health"], bondo), bondo, ["12", "11", "21", "13"])
        answers(db, pulse_round(db, mopti, "Sio", week, ["water"], sio), sio, ["2"])
    return week


def test_table_shows_counts_and_too_few(run, rounds):
    result = run("pulse", "results")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["DISTRICT", "COMMUNE", "SERVICE", "WEEK", "ROUND", "ANSWERS", "RATE"]
    assert "3 open, 1 closed, 0 partial, 1 none" in lines[1] and "school" in lines[1] and "80%" in lines[1]
    assert "2 open, 1 closed, 1 partial, 1 none" in lines[2] and "health" in lines[2]
    assert "Sio" in lines[3] and "too few answers" in lines[3] and "33%" in lines[3]
    assert "closed" not in lines[3] and "open" not in lines[3]  # nothing of the one answer shows


def test_json_has_design_shape_and_the_district_filter(run, rounds):
    result = run("pulse", "results", "--district", "mopti", "--weeks", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["results"]
    assert row | {"round": 0} == {"district": "MOPTI", "commune": "Sio", "service": "water", "round": 0,
                                  "week": rounds, "open": None, "closed": None, "partial": None, "no_answer": None,
                                  "response_rate": 0.3333, "too_few": True}  # fmt: skip


def test_threshold_follows_pulse_min_answers(env, rounds):
    result = CliRunner().invoke(main, ["pulse", "results", "--format", "json"], env={**env, "PULSE_MIN_ANSWERS": "1"})
    sio = [r for r in json.loads(result.output)["results"] if r["commune"] == "Sio"]
    assert [(r["closed"], r["too_few"]) for r in sio] == [(1, False)]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--district", "NOWHERE"], "unknown district 'NOWHERE'"), (["--weeks", "0"], "--weeks")],
)
def test_bad_options_are_one_clear_error(run, runtime, args, fragment):
    result = run("pulse", "results", *args)
    assert result.exit_code != 0 and fragment in result.output and "Traceback" not in result.output


def test_no_rounds_says_so(run, runtime):
    result = run("pulse", "results")
    assert result.exit_code == 0 and result.output.strip() == "no pulse round in the last 12 week(s)"

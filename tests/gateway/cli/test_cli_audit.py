"""Reveals of a reporter's identity (`alerts show --with-reporter --reason`) and `gateway audit list`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gateway.cli import main
from tests.chat import Chat

LEADER = "+22371139685"  # Mamadou Dembélé
LEADER_NAME = "Mamadou Dembélé"
LOCAL_DIGITS = "71139685"
STRANGER = "+22370000042"


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment."""
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def alerts(runtime, directory):
    """#1 an urgent alert of a leader in the directory, #2 a report from a number outside it."""
    Chat(runtime, LEADER).send("ALERTE 3 les jeunes et les gendarmes s'affrontent")
    Chat(runtime, STRANGER).send("Des hommes armés au marché")


def audit(run, *args) -> list[dict]:
    result = run("audit", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["audit"]


@pytest.mark.parametrize(
    "args",
    [
        ("alerts", "show", "1"),
        ("alerts", "show", "1", "--format", "json"),
        ("alerts", "list"),
        ("alerts", "list", "--format", "json"),
        ("alerts", "list", "--district", "MOPTI", "--format", "json"),
        ("alerts", "show", "2", "--format", "json"),
    ],
)
def test_the_reporter_is_never_printed_without_with_reporter(run, alerts, args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert LOCAL_DIGITS not in result.output and LEADER_NAME not in result.output
    assert "70000042" not in result.output
    assert audit(run) == [], "nothing revealed, nothing audited"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--with-reporter",), "--with-reporter needs --reason TEXT"),
        (("--with-reporter", "--reason", "   "), "--with-reporter needs --reason TEXT"),
        (("--with-reporter", "--reason", "\x1b\x07\n\t"), "--with-reporter needs --reason TEXT"),
        (("--reason", "curious"), "--reason goes with --with-reporter"),
    ],
)
def test_a_reveal_without_a_reason_is_refused_reveals_nothing_and_audits_nothing(run, alerts, args, reason):
    for fmt in ("table", "json"):
        result = run("alerts", "show", "1", *args, "--format", fmt)
        assert result.exit_code == 2
        assert result.output.startswith(f"Error: {reason}")
        assert len(result.output.strip().splitlines()) == 1
        assert LOCAL_DIGITS not in result.output and LEADER_NAME not in result.output
    assert audit(run) == []


def test_a_reveal_with_a_reason_shows_the_reporter_and_is_audited(run, alerts):
    result = run("alerts", "show", "#1", "--with-reporter", "--reason", "Gendarmerie de Konna demande un contact")
    assert result.exit_code == 0, result.output
    assert LEADER in result.output and LEADER_NAME in result.output
    [row] = audit(run)
    assert set(row) == {"at", "actor", "action", "target", "detail"}
    assert row["actor"].startswith("cli:") and row["action"] == "reveal_reporter"
    assert (row["target"], row["detail"]) == ("alert #1", "Gendarmerie de Konna demande un contact")
    assert LEADER not in json.dumps(row)


def test_a_reveal_request_about_a_report_without_reporter_is_audited_too(run, alerts):
    result = run("alerts", "show", "2", "--with-reporter", "--reason", "who wrote this?", "--format", "json")
    record = json.loads(result.output)
    assert record["reporter"] is None and "70000042" not in json.dumps(record)
    assert [r["target"] for r in audit(run)] == ["alert #2"]


def test_the_reason_is_recorded_on_one_printable_line(run, alerts):
    run("alerts", "show", "1", "--with-reporter", "--reason", "menace\n\x1b[2Jsur\tle leader")
    assert audit(run)[0]["detail"] == "menace [2Jsur le leader"


def test_audit_list_filters_by_user_and_since(run, alerts):
    run("alerts", "show", "1", "--with-reporter", "--reason", "one")
    actor = audit(run)[0]["actor"]
    assert [r["detail"] for r in audit(run, "--user", actor)] == ["one"]
    assert [r["detail"] for r in audit(run, "--user", actor.removeprefix("cli:"))] == ["one"]
    assert audit(run, "--user", "someone@example.org") == []
    assert [r["detail"] for r in audit(run, "--since", "2000-01-01")] == ["one"]
    assert audit(run, "--since", "2999-01-01") == []


def test_audit_list_as_a_table(run, alerts):
    run("alerts", "show", "1", "--with-reporter", "--reason", "one")
    lines = run("audit", "list").output.splitlines()
    assert lines[0].split() == ["AT", "ACTOR", "ACTION", "TARGET", "DETAIL"]
    assert "reveal_reporter" in lines[1] and "alert #1" in lines[1]


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "30/11/2026", "20261130"])
def test_a_bad_since_is_one_line_and_a_non_zero_exit(run, runtime, since):
    result = run("audit", "list", "--since", since)
    assert result.exit_code != 0
    assert result.output.strip() == f"Error: bad --since {since!r}: expected a date as YYYY-MM-DD"

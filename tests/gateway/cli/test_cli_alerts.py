"""`gateway alerts list|show` and `gateway simulate` as an administrator uses them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bots.console import read_console_outbox
from gateway.cli import main
from tests.chat import Chat

LEADER = "+22371139685"
KORO_LEADER = "+22376972134"


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment."""
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)

    return invoke


@pytest.fixture
def two_alerts(runtime, directory):
    """An urgent alert in MOPTI and a free-text report elsewhere."""
    Chat(runtime, LEADER).send("ALERTE 3 les jeunes et les gendarmes s'affrontent")
    Chat(runtime, KORO_LEADER).send("Le marché est calme aujourd'hui")


def test_list_as_json_holds_the_documented_fields(run, two_alerts):
    result = run("alerts", "list", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["ref"] for r in rows] == [2, 1]
    expected = {"ref", "region", "district", "commune", "village", "category", "severity", "status", "description"}
    assert expected <= set(rows[0]) and "created_at" in rows[0]
    assert rows[1]["severity"] == 3 and rows[1]["district"] == "MOPTI"
    assert all("reporter" not in r for r in rows), "reporter identity is not listed"


def test_list_filters_by_district_and_status(run, two_alerts):
    mopti = json.loads(run("alerts", "list", "--district", "mopti", "--format", "json").output)
    assert [r["ref"] for r in mopti] == [1]
    assert json.loads(run("alerts", "list", "--status", "resolved", "--format", "json").output) == []


def test_table_output_has_a_header_and_one_line_per_alert(run, two_alerts):
    lines = run("alerts", "list").output.splitlines()
    assert lines[0].split()[:3] == ["REF", "CREATED_AT", "DISTRICT"]
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("alerts", "list", "--district", "TIMBUKTU"), "unknown district 'TIMBUKTU'"),
        (("alerts", "list", "--status", "lost"), "Invalid value for '--status'"),
        (("alerts", "show", "999"), "no alert #999"),
        (("alerts", "show", "abc"), "not an alert reference"),
    ],
)
def test_bad_input_gets_one_line_and_a_non_zero_exit(run, two_alerts, args, reason):
    result = run(*args)
    assert result.exit_code != 0
    assert reason in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("ref", ["1", "#1"])
def test_show_accepts_the_reference_with_or_without_hash(run, two_alerts, ref):
    record = json.loads(run("alerts", "show", ref, "--format", "json").output)
    assert record["ref"] == 1 and record["description"].startswith("les jeunes")
    assert "reporter" not in record


def test_show_with_reporter_names_the_reporter_only_when_asked(run, two_alerts):
    args = ("alerts", "show", "1", "--with-reporter", "--reason", "officer asked", "--format", "json")
    record = json.loads(run(*args).output)
    assert record["reporter"]["phone"] == LEADER


def test_simulate_chats_through_the_console_channel(run, runtime, directory, redis_client):
    result = run("simulate", "71 13 96 85", stdin="ALERTE\n1\n2\n3\nDes hommes armés\n")
    assert result.exit_code == 0, result.output
    replies = [line for line in result.output.splitlines() if line.startswith("< ")]
    assert replies[0].startswith("< Alerte: où? Répondez 1 pour Kotaka")
    assert replies[-1].startswith("< Alerte #1 enregistrée")
    mine = [m for m in read_console_outbox(redis_client) if m["address"] == LEADER]
    assert len(mine) == 5, "the replies went through the outbox and the console channel"


def test_simulate_refuses_a_number_outside_the_directory(run, directory):
    result = run("simulate", "+22370000001", stdin="ALERTE\n")
    assert result.exit_code != 0 and "not an active contact" in result.output
    assert "70000001" not in result.output, "the number is masked"


# Sender-supplied text with an erase-screen sequence, a bell and an 8-bit CSI (U+009B), as anyone can send it.
HOSTILE_REPORT = "Tension\x1b[2J au marché\x07 de Konna\x9b31m\ttrois blessés"
CONTROLS = ("\x1b", "\x07", "\x9b", "\t")


@pytest.mark.parametrize(
    "args",
    [
        ("alerts", "list"),
        ("alerts", "show", "1"),
        ("alerts", "show", "1", "--with-reporter", "--reason", "triage\x1b[2J"),
    ],
)
def test_control_characters_of_a_report_never_reach_the_terminal(run, runtime, directory, args):
    Chat(runtime, KORO_LEADER).send(HOSTILE_REPORT)
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert not any(ch in result.output for ch in CONTROLS), repr(result.output)
    assert "Tension[2J au marché de Konna31m trois" in result.output, "the words themselves are still shown"


@pytest.mark.parametrize("args", [("alerts", "list", "--format", "json"), ("alerts", "show", "1", "--format", "json")])
def test_json_output_escapes_control_characters_and_keeps_the_text(run, runtime, directory, args):
    Chat(runtime, KORO_LEADER).send(HOSTILE_REPORT)
    result = run(*args)
    assert not any(ch in result.output for ch in CONTROLS), repr(result.output)
    parsed = json.loads(result.output)
    record = parsed[0] if isinstance(parsed, list) else parsed
    assert record["description"] == HOSTILE_REPORT, "JSON keeps the exact text, escaped"

"""`gateway alerts triage REF --category C [--severity S]`: a facilitator classifies a free-text report, which then
sets in motion what any alert of that category and severity would (officers paged, follow-up planned); misuse gets
a one-line error and changes nothing. And `gateway alerts show REF` with the follow-up history (asked, answered)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.alerts.digests import remind_triage
from gateway.alerts.followups import ask
from gateway.cli import main
from gateway.models import Alert, AlertUpdate, Escalation, Followup, Message, utcnow
from tests.chat import Chat

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
ALIOU = "+22365639508"  # Aliou Ongoïba, MOPTI duty officer, level 1
REPORT = "Des hommes armés rôdent près du puits de Kotaka"
UPDATE = "Les jeunes sont rentrés chez eux"


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment."""
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def free_text(runtime, directory):
    """A leader's free text that matched nothing: untriaged report #1."""
    Chat(runtime, LEADER).send(REPORT)
    with runtime.db.transaction() as session:
        assert session.get(Alert, 1).source == "freetext"


def state(runtime, alert_id: int = 1) -> tuple[Alert, Escalation | None, Followup | None, list[Message]]:
    """The alert, its escalation, its follow-up and the pages its district's duty officer received."""
    with runtime.db.transaction() as session:
        alert = session.get(Alert, alert_id)
        escalation = session.scalar(select(Escalation).where(Escalation.alert_id == alert_id))
        followup = session.scalar(select(Followup).where(Followup.alert_id == alert_id))
        pages = list(session.scalars(select(Message).where(Message.kind == "escalation", Message.address == ALIOU)))
        return alert, escalation, followup, pages


def test_triage_classifies_pages_and_plans_the_followup(run, runtime, free_text):
    before = utcnow()
    result = run("alerts", "triage", "1", "--category", "armed_group", "--severity", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout == "alert #1 classified: armed_group, severity 3\n"
    alert, escalation, followup, pages = state(runtime)
    assert (alert.category, alert.severity, alert.status) == ("armed_group", 3, "new")
    assert alert.triaged_at >= before
    assert (escalation.status, escalation.ladder, escalation.level) == ("active", True, 1)
    assert len(pages) == 1 and pages[0].body.startswith("URGENT #1 Mopti/Konna:")
    assert followup is not None and followup.closed is False
    assert followup.next_ask_at >= before + timedelta(seconds=runtime.settings.followup_after_seconds)
    with runtime.db.transaction() as session:
        [triaged] = session.scalars(select(AlertUpdate).where(AlertUpdate.kind == "triaged")).all()
        assert triaged.value == "armed_group 3"
    assert remind_triage(runtime, now=utcnow() + timedelta(days=1)) == 0, "a classified report needs no reminder"


def test_triage_with_hash_reference_and_without_severity(run, runtime, free_text):
    result = run("alerts", "triage", "#1", "--category", "land_livestock")
    assert result.exit_code == 0 and result.stdout == "alert #1 classified: land_livestock, severity unknown\n"
    alert, escalation, followup, pages = state(runtime)
    assert (alert.category, alert.severity, escalation, followup, pages) == ("land_livestock", None, None, None, [])


def test_triage_of_a_classified_alert_is_refused(run, runtime, free_text):
    run("alerts", "triage", "1", "--category", "armed_group", "--severity", "2")
    result = run("alerts", "triage", "1", "--category", "other", "--severity", "1")
    assert result.exit_code == 1 and (result.stdout, result.stderr) == ("", "Error: alert #1 is already classified\n")
    alert, *_ = state(runtime)
    assert (alert.category, alert.severity) == ("armed_group", 2)


def test_triage_of_a_oneshot_alert_is_refused(run, runtime, directory):
    Chat(runtime, LEADER).send("ALERTE 2 les jeunes se disputent au puits")
    result = run("alerts", "triage", "1", "--category", "other", "--severity", "3")
    assert result.exit_code == 1 and (result.stdout, result.stderr) == ("", "Error: alert #1 is already classified\n")
    alert, *_ = state(runtime)
    assert (alert.category, alert.severity) == (None, 2)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("--category", "witchcraft"), "'--category'"),
        (("--category", "armed_group", "--severity", "4"), "'--severity'"),
        ((), "'--category'"),
    ],
)
def test_bad_options_are_click_usage_errors(run, runtime, free_text, args, option):
    result = run("alerts", "triage", "1", *args)
    assert result.exit_code == 2 and result.stdout == "" and option in result.stderr
    alert, escalation, followup, _ = state(runtime)
    assert (alert.category, alert.triaged_at, escalation, followup) == (None, None, None, None)


@pytest.mark.parametrize(
    ("ref", "error"),
    [("99", "Error: no alert #99\n"), ("abc", "Error: 'abc' is not an alert reference (e.g. 142 or #142)\n")],
)
def test_an_unknown_reference_is_a_one_line_error(run, runtime, free_text, ref, error):
    result = run("alerts", "triage", ref, "--category", "other")
    assert result.exit_code == 1 and (result.stdout, result.stderr) == ("", error)


def test_alerts_show_includes_the_followup_history(run, runtime, directory):
    reporter = Chat(runtime, LEADER)
    reporter.send("ALERTE 2 les jeunes se disputent au puits")
    with runtime.db.transaction() as session:
        followup = session.scalars(select(Followup)).one()
    assert ask(runtime, followup.id, followup.seq, now=followup.next_ask_at) == "asked"
    reporter.send(UPDATE)
    reporter.send("2")
    result = run("alerts", "show", "1", "--format", "json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.stdout)["followups"]
    assert [(h["kind"], h["value"]) for h in history] == [("asked", "1"), ("update", UPDATE), ("answered", "tense")]
    assert history[0]["at"] == followup.next_ask_at.isoformat(), "asked when the question was due"
    table = run("alerts", "show", "1").stdout.splitlines()
    assert [line.split()[2:] for line in table[-3:]] == [
        ["asked", "1"],
        ["update", *UPDATE.split()],
        ["answered", "tense"],
    ]

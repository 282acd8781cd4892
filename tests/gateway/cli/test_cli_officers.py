"""`gateway officers` (who is paged for each district and level, on which channels) and the escalation timeline of
`gateway alerts show`, as staff read them at the terminal."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from gateway.cli import main
from gateway.escalation import ladder
from gateway.models import Contact, District, Escalation, utcnow
from tests.chat import Chat

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
ALIOU = "+22365639508"  # MOPTI duty officer, level 1
MOPTI_PAGING = [
    {"district": "MOPTI", "level": 1, "officer": "Aliou Ongoïba", "region": "Mopti", "channels": "sms+telegram"},
    {"district": "MOPTI", "level": 2, "officer": "Bakary Maïga", "region": "Mopti", "channels": "sms+telegram"},
    {"district": "MOPTI", "level": 3, "officer": "Salimata Togo", "region": "", "channels": "sms+telegram"},
]


@pytest.fixture
def env(base_env, request):
    """The test gateway; Telegram on (pointed at the fake Bot API) for the tests that ask for `fake_telegram`."""
    if "fake_telegram" in request.fixturenames:
        return {**base_env, **request.getfixturevalue("fake_telegram").env()}
    return base_env


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment; its standard output."""
    runner = CliRunner()

    def invoke(*args: str) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    return invoke


def officers(run) -> list[dict]:
    """`gateway officers --format json`, parsed."""
    return json.loads(run("officers", "--format", "json"))


def test_officers_lists_who_is_paged_for_mopti_at_each_level(run, directory, fake_telegram):
    assert [row for row in officers(run) if row["district"] == "MOPTI"] == MOPTI_PAGING


def test_every_district_has_someone_at_every_level(run, runtime, directory, fake_telegram):
    rows = officers(run)
    with runtime.db.transaction() as session:
        codes = session.scalars(select(District.code)).all()
    assert len(codes) == 7
    assert {(row["district"], row["level"]) for row in rows} == {(code, lvl) for code in codes for lvl in (1, 2, 3)}
    segou = {row["level"]: row["officer"] for row in rows if row["district"] == "SEGOU"}
    assert segou == {1: "Bintou Maïga", 2: "Bintou Cissé", 3: "Salimata Togo"}, "Ségou has its own coordinator"


@pytest.mark.parametrize("change", [{"telegram_unreachable": True}, {"telegram_id": None}])
def test_an_officer_without_a_working_telegram_is_paged_by_sms_only(run, runtime, directory, fake_telegram, change):
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == ALIOU).values(**change))
    [aliou] = [row for row in officers(run) if row["officer"] == "Aliou Ongoïba"]
    assert aliou["channels"] == "sms"


def test_without_telegram_configured_everyone_is_paged_by_sms(run, directory):
    assert {row["channels"] for row in officers(run)} == {"sms"}, "the deployment has no Telegram channel"


def test_officers_as_a_table(run, directory, fake_telegram):
    lines = run("officers").splitlines()
    assert lines[0].split() == ["DISTRICT", "LEVEL", "OFFICER", "REGION", "CHANNELS"]
    assert any(line.split()[:4] == ["MOPTI", "1", "Aliou", "Ongoïba"] and "sms+telegram" in line for line in lines)
    assert len(lines) == 1 + 7 * 3


def test_officers_with_an_empty_directory(run):
    assert run("officers").strip() == "no officers in the directory"
    assert json.loads(run("officers", "--format", "json")) == []


@pytest.fixture
def acknowledged_at_level_2(runtime, directory):
    """Alert #1 (severity 3): level 1, then level 2, then Aliou's OK."""
    Chat(runtime, LEADER).send("ALERTE 3 des hommes armés encerclent le marché de Kotaka")
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation))
        esc.next_step_at = utcnow()
        esc_id, seq = esc.id, esc.step_seq
    assert ladder.step(runtime, esc_id, seq) == "level 2"
    assert Chat(runtime, ALIOU).send("OK 1")[0].startswith("Merci, vous prenez en charge #1")


def test_show_prints_the_escalation_timeline(run, acknowledged_at_level_2):
    lines = run("alerts", "show", "1").splitlines()
    start = lines.index("escalation: stopped (level 2, repeats 0)")
    timeline = [line.split() for line in lines[start + 1 : start + 4]]
    assert [(t[2], t[3], " ".join(t[4:6]), t[6], t[7]) for t in timeline] == [
        ("L1", "alert", "Aliou Ongoïba", "console", "queued"),
        ("L2", "reminder", "Aliou Ongoïba", "console", "queued"),
        ("L2", "alert", "Bakary Maïga", "console", "queued"),
    ]
    assert lines[start + 4].startswith("acknowledged by Aliou Ongoïba at ")
    assert lines[start + 4].endswith("s after the first notification)")
    output = "\n".join(lines)
    assert "Mamadou" not in output and LEADER not in output, "no reporter identity without --with-reporter"


def test_show_as_json_has_the_notifications_and_the_time_to_acknowledge(run, acknowledged_at_level_2):
    record = json.loads(run("alerts", "show", "#1", "--format", "json"))
    escalation = record["escalation"]
    assert (escalation["status"], escalation["level"], escalation["ladder"]) == ("stopped", 2, True)
    assert escalation["acknowledged_by"] == "Aliou Ongoïba" and escalation["seconds_to_acknowledge"] >= 0
    assert [(n["level"], n["purpose"], n["officer"], n["channel"]) for n in escalation["notifications"]] == [
        (1, "alert", "Aliou Ongoïba", "console"),
        (2, "reminder", "Aliou Ongoïba", "console"),
        (2, "alert", "Bakary Maïga", "console"),
    ]
    assert all(n["status"] == "queued" and n["at"] for n in escalation["notifications"])
    assert record["status"] == "acknowledged" and "reporter" not in record


def test_show_an_alert_that_paged_nobody(run, runtime, directory):
    Chat(runtime, LEADER).send("ALERTE 1 tout est calme au marché")
    assert "escalation: none (nobody was paged)" in run("alerts", "show", "1")
    assert json.loads(run("alerts", "show", "1", "--format", "json"))["escalation"] is None

"""Sending the pulse: who gets it (leaders of tracked communes only; not the opted-out, the inactive, staff, other
communes), one SMS each, Telegram buttons, the dry run that writes nothing, no tracked service, a district alone,
quiet hours, and `gateway pulse send` with its one-line errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from bots.base import Button
from gateway.cli import main
from gateway.messaging.sms_text import count_segments
from gateway.models import (
    AuditEntry,
    Contact,
    Message,
    MessageStatus,
    PulseQuestion,
    PulseRound,
    PulseRun,
    Role,
)
from gateway.pulse.sending import PulseError, send_pulse
from tests.gateway.pulse.support import (
    KONNA_SMS,
    KONNA_TG,
    KONNA_TG_ID,
    KONNA_THREE,
    add_items,
    load_sample_roadmap,
    pulse_rows,
)

pytestmark = pytest.mark.usefixtures("directory")


@pytest.fixture
def extra_env() -> dict[str, str]:
    """Settings a test adds."""
    return {}


@pytest.fixture
def env(base_env, extra_env, request) -> dict[str, str]:
    """The test gateway; Telegram on (the fake Bot API) for the tests that use `fake_telegram`."""
    telegram = request.getfixturevalue("fake_telegram").env() if "fake_telegram" in request.fixturenames else {}
    return {**base_env, **telegram, **extra_env}


def counts(runtime) -> tuple[int, ...]:
    """Runs, rounds, questions and outbox rows: what a sending writes."""
    with runtime.db.transaction() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(m)) for m in (PulseRun, PulseRound, PulseQuestion, Message)
        )


def konna_leaders(runtime) -> list[Contact]:
    """Every leader of Konna in the directory, active or not."""
    with runtime.db.transaction() as session:
        return list(
            session.scalars(
                select(Contact).where(Contact.commune == "Konna", Contact.role == Role.LEADER).order_by(Contact.id)
            )
        )


def test_the_sample_roadmap_reaches_every_leader_of_every_tracked_commune_in_one_sms(runtime):
    load_sample_roadmap(runtime)
    summary = send_pulse(runtime, actor="test")
    rows = pulse_rows(runtime)
    assert (summary.communes, summary.recipients, len(rows)) == (28, 145, 145)
    assert len({row.contact_id for row in rows}) == 145  # one each
    assert all(count_segments(row.body).segments == 1 and count_segments(row.body).encoding == "GSM-7" for row in rows)
    assert summary.segments == 145 and summary.without_leaders == ()
    with runtime.db.transaction() as session:
        bondo = session.scalar(select(PulseRound).where(PulseRound.commune == "Bondo"))
        assert bondo.services == "school,health,security,administration" and bondo.asked == bondo.asked
        leaders = session.scalars(select(Contact).where(Contact.id.in_([r.contact_id for r in rows])))
        assert {c.role for c in leaders} == {Role.LEADER}


def test_only_active_leaders_who_did_not_opt_out_in_the_tracked_commune_are_asked(runtime):
    add_items(runtime, KONNA_THREE)
    leaders = konna_leaders(runtime)
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.id == leaders[0].id).values(opted_out=True))
        session.execute(update(Contact).where(Contact.id == leaders[1].id).values(active=False))
    summary = send_pulse(runtime, actor="test")
    asked = {row.contact_id for row in pulse_rows(runtime)}
    assert asked == {c.id for c in leaders[2:]} and summary.recipients == len(leaders) - 2
    with runtime.db.transaction() as session:
        staff = session.scalars(select(Contact.id).where(Contact.commune == "Konna", Contact.role != Role.LEADER))
        assert not asked & set(staff)  # the Konna facilitator and duty officer are not asked
        [pulse_round] = session.scalars(select(PulseRound)).all()
        assert (pulse_round.commune, pulse_round.services, pulse_round.asked) == ("Konna", "school,health,security", 4)


def test_communes_are_matched_without_regard_to_case_or_accents(runtime):
    add_items(runtime, [{"district": "MOPTI", "commune": "KONNA ", "service": "water"}])
    assert send_pulse(runtime, actor="test").recipients == len(konna_leaders(runtime))


def test_sms_leaders_get_the_gsm7_text_and_telegram_leaders_the_buttons(runtime, fake_telegram):
    add_items(runtime, KONNA_THREE)
    send_pulse(runtime, actor="test", now=datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("UTC")))
    rows = {row.address: row for row in pulse_rows(runtime)}
    sms, telegram = rows[KONNA_SMS], rows[str(KONNA_TG_ID)]
    assert sms.body == "#S50 Konna: ecole? sante? gendarmerie? Répondez 3 chiffres 1 ouvert 2 fermé 3 partiel ex: 113"
    assert telegram.channel == "telegram" and KONNA_TG not in rows
    buttons = [Button.from_list(b) for b in json.loads(telegram.buttons)]
    assert len(buttons) == 9 and buttons[4] == Button("sante: fermé", "#S50 sante 2")


def test_a_dry_run_counts_and_writes_nothing(runtime, extra_env):
    load_sample_roadmap(runtime)
    before = counts(runtime)
    summary = send_pulse(runtime, actor="test", dry_run=True)
    assert counts(runtime) == before
    assert (summary.run_id, summary.recipients, summary.segments, summary.cost) == (None, 145, 145, None)


@pytest.mark.parametrize("extra_env", [{"SMS_SEGMENT_COST": "25 XOF"}])
def test_the_dry_run_gives_the_cost(runtime):
    add_items(runtime, KONNA_THREE)
    summary = send_pulse(runtime, actor="test", dry_run=True)
    assert summary.cost == f"{25 * summary.segments} XOF" and summary.segments == len(konna_leaders(runtime))


def test_no_tracked_service_sends_nothing_and_says_why(runtime):
    before = counts(runtime)
    with pytest.raises(PulseError, match="no tracked service"):
        send_pulse(runtime, actor="test")
    assert counts(runtime) == before


def test_one_district_alone(runtime):
    load_sample_roadmap(runtime)
    with runtime.db.transaction() as session:
        koro = session.scalar(select(Contact.district_id).where(Contact.phone == "+22391731768"))
    summary = send_pulse(runtime, district_id=koro, actor="test")
    with runtime.db.transaction() as session:
        assert set(session.scalars(select(PulseRound.district_id))) == {koro}
        assert session.scalar(select(PulseRun.district_id)) == koro
    assert 0 < summary.recipients < 145


def quiet_now() -> dict[str, str]:
    """QUIET_HOURS around the real local time (the outbox holds by the clock), PULSE_AT outside them."""
    local = datetime.now(ZoneInfo("Africa/Bamako"))
    start, end, pulse = local - timedelta(hours=1), local + timedelta(hours=1), local + timedelta(hours=12)
    return {"QUIET_HOURS": f"{start:%H:%M}-{end:%H:%M}", "PULSE_AT": f"{pulse:%a %H:%M}".upper()}


@pytest.mark.parametrize("extra_env", [quiet_now()])
def test_in_quiet_hours_the_questions_wait_in_the_outbox(runtime):
    add_items(runtime, KONNA_THREE)
    summary = send_pulse(runtime, actor="test")
    rows = pulse_rows(runtime)
    assert rows and all(r.status == MessageStatus.QUEUED and r.next_attempt_at is not None for r in rows)
    assert summary.leaves_at is not None and summary.leaves_at > datetime.now(ZoneInfo("UTC"))


# --- gateway pulse send ------------------------------------------------------------------------------------


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment."""
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), env=env, catch_exceptions=False)


def one_line_error(result, fragment: str) -> None:
    """Non-zero exit and one `Error:` line holding `fragment`, no traceback."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code != 0 and len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], (
        result.output
    )


def test_cli_dry_run_prints_recipients_segments_and_cost(runtime, run):
    load_sample_roadmap(runtime)
    result = run("pulse", "send", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would ask 145 leader(s) in 28 commune(s)" in result.output and "SMS segments: 145" in result.output
    assert "nothing sent" in result.output and counts(runtime)[0] == 0
    as_json = json.loads(run("pulse", "send", "--dry-run", "--district", "mopti", "--format", "json").output)
    assert as_json["dry_run"] is True and 0 < as_json["recipients"] < 145 and as_json["run"] is None


def test_cli_send_sends_and_is_audited(runtime, run):
    add_items(runtime, KONNA_THREE)
    result = run("pulse", "send", "--district", "MOPTI")
    assert result.exit_code == 0, result.output
    assert f"asked {len(konna_leaders(runtime))} leader(s) in 1 commune(s)" in result.output
    with runtime.db.transaction() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "pulse.send"))
        assert entry.actor.startswith("cli:") and "1 communes" in entry.detail
    assert len(pulse_rows(runtime)) == len(konna_leaders(runtime))


def test_cli_errors_are_one_line(runtime, run):
    one_line_error(run("pulse", "send"), "no tracked service")
    add_items(runtime, KONNA_THREE)
    one_line_error(run("pulse", "send", "--district", "TIMBUKTU"), "unknown district 'TIMBUKTU'")
    one_line_error(run("pulse", "send", "--district", "KORO", "--dry-run"), "no tracked service in this district")
    assert counts(runtime)[0] == 0

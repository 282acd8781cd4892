"""`gateway meetings create|list|show|cancel|reschedule` as a facilitator or administrator runs them: what each
prints, what it records, and one clear `Error:` line and a non-zero exit for every refusal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from gateway.cli import main
from gateway.models import Contact, Invitation, Meeting, MeetingReminder, Message, utcnow
from tests.chat import Chat

OFFICER = "+22379678122"  # Seydou Traoré, KORO duty officer
YES, NO = "+22376972134", "+22371581530"  # two KORO leaders who answer
PLACE = "Mairie de Koro"


def local_at(days: float = 3, hour: int = 10) -> str:
    """`--at` for a local day `days` from now at `hour`:00."""
    day = datetime.now(ZoneInfo("Africa/Bamako")) + timedelta(days=days)
    return f"{day:%Y-%m-%d} {hour:02d}:00"


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def create(run, *extra: str, days: float = 3, district: str = "KORO"):
    """`gateway meetings create` for a district, three days ahead by default."""
    return run("meetings", "create", "--district", district, "--at", local_at(days), "--place", PLACE, *extra)


def assert_one_line_error(result, *fragments: str) -> str:
    """Non-zero exit, no traceback, one `Error:` line holding every fragment; return it."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert all(f in lines[0] for f in fragments), lines[0]
    return lines[0]


def koro_leader_count(runtime) -> int:
    """Active, not-opted-out KORO leaders in the directory."""
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader")).all()
        return sum(1 for c in leaders if c.district and c.district.code == "KORO" and c.active and not c.opted_out)


def meetings_in_db(runtime) -> list[Meeting]:
    """Every meeting, by id."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Meeting).order_by(Meeting.id)))


def show(run, ref: str = "1") -> dict:
    """`gateway meetings show REF --format json`, parsed."""
    result = run("meetings", "show", ref, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_create_prints_the_reference_invitees_and_cost(run, runtime, directory):
    result = create(run, "--agenda", "Transhumance et points d'eau")
    assert result.exit_code == 0, result.output
    count = koro_leader_count(runtime)
    first, second = result.output.splitlines()
    assert first.startswith("meeting #1 (KORO, ") and first.endswith(f", {PLACE})")
    assert second == f"{count} invitee(s); the notice costs 1 SMS segment(s) each, {count} in all"
    [meeting] = meetings_in_db(runtime)
    assert (meeting.place, meeting.agenda, meeting.status) == (PLACE, "Transhumance et points d'eau", "scheduled")
    local = meeting.starts_at.astimezone(ZoneInfo("Africa/Bamako"))
    assert f"{local:%Y-%m-%d %H:%M}" == local_at(3)
    with runtime.db.transaction() as session:
        assert len(session.scalars(select(Invitation)).all()) == count
        notices = session.scalars(select(Message).where(Message.kind == "meeting_notice")).all()
        assert len(notices) == count and {m.priority for m in notices} == {"bulk"}
        assert len(session.scalars(select(MeetingReminder)).all()) == 3


def test_invite_adds_an_officer(run, runtime, directory):
    result = create(run, "--invite", "79 67 81 22")
    assert result.exit_code == 0, result.output
    count = koro_leader_count(runtime) + 1
    assert f"{count} invitee(s)" in result.output
    officer = show(run)["not_answered"]
    assert "Seydou Traoré" in officer and len(officer) == count
    assert Chat(runtime, OFFICER).send("OUI 1")[0].startswith("Merci, votre OUI")
    assert show(run)["coming"] == ["Seydou Traoré"]


def test_invite_of_a_leader_already_invited_counts_once(run, runtime, directory):
    result = create(run, "--invite", YES, "--invite", YES)
    assert result.exit_code == 0, result.output
    assert f"{koro_leader_count(runtime)} invitee(s)" in result.output


@pytest.mark.parametrize(
    ("phone", "fragment"),
    [("+22370000001", "not in the directory"), ("12", "not a phone number"), ("abc", "not a phone number")],
)
def test_invite_of_an_unknown_or_invalid_phone_is_refused(run, runtime, directory, phone, fragment):
    line = assert_one_line_error(create(run, "--invite", phone), "--invite", fragment)
    assert "70000001" not in line  # the number is masked
    assert meetings_in_db(runtime) == []


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--district", "KORO", "--at", "2020-01-01 10:00", "--place", PLACE), ("in the past",)),
        (("--district", "ATLANTIS", "--at", local_at(3), "--place", PLACE), ("unknown district", "KORO")),
        (("--district", "KORO", "--at", "05/12 10h", "--place", PLACE), ("--at", "YYYY-MM-DD HH:MM")),
        (("--district", "KORO", "--at", "2026-02-30 10:00", "--place", PLACE), ("--at",)),
        (("--district", "KORO", "--at", local_at(3), "--place", "  "), ("needs a place",)),
    ],
    ids=["past", "unknown-district", "bad-at", "impossible-day", "empty-place"],
)
def test_create_refusals_are_one_line(run, runtime, directory, args, fragments):
    assert_one_line_error(run("meetings", "create", *args), *fragments)
    assert meetings_in_db(runtime) == []


def test_list_as_table_and_json_filtered(run, runtime, directory):
    create(run, days=3)
    create(run, days=2, district="MOPTI")
    create(run, days=5)
    rows = json.loads(run("meetings", "list", "--format", "json").output)
    assert [(r["ref"], r["district"]) for r in rows] == [(2, "MOPTI"), (1, "KORO"), (3, "KORO")]
    assert {"ref", "district", "when", "starts_at", "place", "status", "yes", "no", "no_answer"} <= set(rows[0])
    koro = json.loads(run("meetings", "list", "--district", "koro", "--format", "json").output)
    assert [r["ref"] for r in koro] == [1, 3]
    table = run("meetings", "list").output.splitlines()
    assert table[0].split() == ["REF", "DISTRICT", "WHEN", "PLACE", "STATUS", "YES", "NO", "NO_ANSWER"]
    assert len(table) == 4
    assert_one_line_error(run("meetings", "list", "--district", "NOWHERE"), "unknown district")


def test_list_upcoming_excludes_cancelled_and_past(run, runtime, directory):
    create(run, days=3)
    create(run, days=4)
    create(run, days=5)
    assert run("meetings", "cancel", "2").exit_code == 0
    with runtime.db.transaction() as session:
        session.execute(update(Meeting).where(Meeting.id == 3).values(starts_at=utcnow() - timedelta(hours=1)))
    upcoming = json.loads(run("meetings", "list", "--upcoming", "--format", "json").output)
    assert [r["ref"] for r in upcoming] == [1]
    everything = json.loads(run("meetings", "list", "--format", "json").output)
    assert {r["ref"]: r["status"] for r in everything} == {1: "scheduled", 2: "cancelled", 3: "scheduled"}


def test_list_with_no_meetings(run, directory):
    assert run("meetings", "list").output.strip() == "no meetings"
    assert json.loads(run("meetings", "list", "--format", "json").output) == []


def test_show_counts_and_names(run, runtime, directory):
    create(run)
    Chat(runtime, YES).send("OUI")
    Chat(runtime, NO).send("NON")
    record = show(run, "#1")
    total = koro_leader_count(runtime)
    assert (record["ref"], record["district"], record["place"]) == (1, "KORO", PLACE)
    assert (record["yes"], record["no"], record["no_answer"]) == (1, 1, total - 2)
    assert (record["coming"], record["not_coming"]) == (["Abdoulaye Togo"], ["Abdoulaye Tangara"])
    assert len(record["not_answered"]) == total - 2 and "Abdoulaye Togo" not in record["not_answered"]
    table = run("meetings", "show", "1").output.splitlines()
    assert table[0] == f"#1: 1 oui, 1 non, {total - 2} sans réponse"
    assert "oui: Abdoulaye Togo" in table and "non: Abdoulaye Tangara" in table
    assert_one_line_error(run("meetings", "show", "99"), "no meeting")
    assert_one_line_error(run("meetings", "show", "1x"), "no meeting")


def test_cancel_tells_those_who_had_not_declined_and_only_once(run, runtime, directory):
    create(run)
    Chat(runtime, NO).send("NON")
    result = run("meetings", "cancel", "1")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"meeting #1 cancelled; {koro_leader_count(runtime) - 1} people told"
    assert meetings_in_db(runtime)[0].status == "cancelled"
    assert_one_line_error(run("meetings", "cancel", "1"), "already cancelled")
    assert_one_line_error(run("meetings", "cancel", "42"), "no meeting")
    assert_one_line_error(run("meetings", "reschedule", "1", "--at", local_at(6)), "cancelled")


def test_reschedule_resets_answers(run, runtime, directory):
    create(run)
    Chat(runtime, YES).send("OUI")
    Chat(runtime, NO).send("NON")
    assert show(run)["yes"] == 1
    result = run("meetings", "reschedule", "1", "--at", local_at(6, hour=9))
    assert result.exit_code == 0, result.output
    total = koro_leader_count(runtime)
    assert " moved to " in result.output and result.output.strip().endswith(f"; {total - 1} people asked again")
    record = show(run)
    assert (record["yes"], record["no"], record["no_answer"]) == (0, 0, total)
    assert record["starts_at"].startswith(local_at(6, hour=9).replace(" ", "T"))  # Bamako is UTC
    assert show(run)["when"] in result.output


@pytest.mark.parametrize(
    ("at", "fragment"), [("2020-01-01 10:00", "in the past"), ("tomorrow", "YYYY-MM-DD HH:MM")], ids=["past", "bad"]
)
def test_reschedule_refusals(run, runtime, directory, at, fragment):
    create(run)
    before = meetings_in_db(runtime)[0].starts_at
    assert_one_line_error(run("meetings", "reschedule", "1", "--at", at), fragment)
    assert meetings_in_db(runtime)[0].starts_at == before


def test_a_long_place_costs_two_segments(run, runtime, directory):
    place = "Salle de réunion du conseil de cercle, derrière la mairie, près du marché de Koro"
    result = run("meetings", "create", "--district", "KORO", "--at", local_at(3), "--place", place)
    assert result.exit_code == 0, result.output
    count = koro_leader_count(runtime)
    assert f"{count} invitee(s); the notice costs 2 SMS segment(s) each, {2 * count} in all" in result.output

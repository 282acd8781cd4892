"""Every CLI command that changes records or reveals identities leaves an audit row (actor `cli:<os user>`) with
the change, and none when it changed nothing (a dry run, a refusal); no row ever holds a phone number or a message
body: `contacts import|export|telegram-link`, `alerts triage`, `meetings create|cancel|reschedule`, `simulate`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.models import AlertUpdate, Contact
from tests.chat import Chat
from tests.gateway.cli.audit_support import ACTOR, assert_nothing_private, audit, changes, invoker

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
HEADER = "name,phone,telegram_id,role,region,district,commune,village,language,channel,escalation_level,discreet\n"
UNCHANGED = "Moussa Dicko,+22365598143,,leader,Mopti,MOPTI,Mopti,Mopti,bm,sms,\n"
UPDATED = "Mamadou Dembélé,+22371139685,,leader,Mopti,MOPTI,Konna,Konna,fr,sms,\n"  # village was Kotaka
NEW = "Awa Kansaye,+22376123456,,leader,Mopti,KORO,Koro,Koro,fr,sms,\n"
REPORT = "Des hommes armés rôdent près du puits de Kotaka"

pytestmark = pytest.mark.usefixtures("restore_logging")


@pytest.fixture
def run(env):
    return invoker(env)


def csv_file(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return str(path)


def test_import_is_audited_with_counts_and_the_file_name(run, runtime, directory, tmp_path):
    file = csv_file(tmp_path, "mopti.csv", UNCHANGED, UPDATED, NEW)
    assert run("contacts", "import", file).exit_code == 0
    [row] = audit(run)
    assert (row["actor"], row["action"], row["target"]) == (ACTOR, "contacts_import", "directory")
    assert row["detail"] == "mopti.csv: 1 new, 1 updated, 1 unchanged; 0 new district(s)"
    assert_nothing_private(runtime, audit(run))


def test_a_dry_run_or_a_refused_import_is_not_audited(run, runtime, directory, tmp_path):
    file = csv_file(tmp_path, "mopti.csv", NEW)
    assert run("contacts", "import", file, "--dry-run").output.startswith("would import 1 contacts: 1 new")
    bad = csv_file(tmp_path, "bad.csv", NEW.replace("+22376123456", "12"))
    assert run("contacts", "import", bad).exit_code != 0
    assert run("contacts", "import", str(tmp_path / "missing.csv")).exit_code != 0
    assert audit(run) == []


def test_a_phone_number_in_the_file_name_is_masked(run, runtime, directory, tmp_path):
    run("contacts", "import", csv_file(tmp_path, "from +22376123456.csv", NEW))
    [row] = audit(run)
    assert row["detail"].startswith("from +*********56.csv: 1 new")
    assert_nothing_private(runtime, [row])


@pytest.mark.parametrize("to_file", [True, False], ids=["file", "stdout"])
def test_export_reveals_the_numbers_so_it_is_audited(run, runtime, directory, tmp_path, to_file):
    args = ("--output", str(tmp_path / "annuaire.csv")) if to_file else ()
    result = run("contacts", "export", *args)
    assert result.exit_code == 0
    written = (tmp_path / "annuaire.csv").read_text(encoding="utf-8") if to_file else result.stdout
    assert LEADER in written
    [row] = audit(run)
    assert (row["actor"], row["action"], row["target"]) == (ACTOR, "contacts_export", "directory")
    assert row["detail"] == f"{len(directory)} contacts to {'annuaire.csv' if to_file else 'stdout'}"
    assert_nothing_private(runtime, [row])


def test_a_telegram_link_code_is_audited_without_the_code(run, runtime, directory):
    result = run("contacts", "telegram-link", "71 13 96 85")
    assert result.exit_code == 0, result.output
    code = re.search(r"/start (\w+)", result.output).group(1)
    with runtime.db.transaction() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.phone == LEADER))
    [row] = audit(run)
    assert (row["actor"], row["action"], row["target"]) == (ACTOR, "telegram_link_code", f"contact #{contact_id}")
    assert row["detail"] == "+*********85" and code not in str(row)
    assert_nothing_private(runtime, [row])


@pytest.mark.parametrize("phone", ["+22370000001", "not a phone"])
def test_a_refused_telegram_link_is_not_audited(run, directory, phone):
    assert run("contacts", "telegram-link", phone).exit_code != 0
    assert audit(run) == []


def test_triage_is_audited_like_the_console_does(run, runtime, directory):
    Chat(runtime, LEADER).send(REPORT)
    assert run("alerts", "triage", "1", "--category", "armed_group", "--severity", "3").exit_code == 0
    assert run("alerts", "triage", "1", "--category", "theft").exit_code != 0, "already classified"
    assert run("alerts", "triage", "9", "--category", "theft").exit_code != 0
    [row] = audit(run)
    assert (row["actor"], row["action"], row["target"], row["detail"]) == (
        ACTOR,
        "alert_triage",
        "alert #1",
        "armed_group 3",
    )
    with runtime.db.transaction() as session:
        assert session.scalars(select(AlertUpdate.actor).where(AlertUpdate.kind == "triaged")).all() == [ACTOR]
    assert_nothing_private(runtime, audit(run))


def local_at(days: float, hour: int = 10) -> tuple[str, str]:
    """`--at` for a local day `days` from now at `hour`:00, and the same moment in UTC as the audit row shows it."""
    zone = ZoneInfo("Africa/Bamako")  # UTC+0 all year, but computed, not assumed
    day = datetime.now(zone) + timedelta(days=days)
    local = day.replace(hour=hour, minute=0, second=0, microsecond=0)
    return f"{local:%Y-%m-%d %H:%M}", f"{local.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC"


def test_meetings_create_reschedule_cancel_are_audited(run, runtime, directory):
    at, utc = local_at(3)
    created = run("meetings", "create", "--district", "KORO", "--at", at, "--place", "Mairie de Koro",
                  "--agenda", "Partage de l'eau", "--invite", "79 67 81 22")  # fmt: skip
    assert created.exit_code == 0, created.output
    invitees = int(re.search(r"(\d+) invitee\(s\)", created.output).group(1))
    later, later_utc = local_at(4, 15)
    assert run("meetings", "reschedule", "1", "--at", later).exit_code == 0
    assert run("meetings", "cancel", "#1").exit_code == 0
    rows = audit(run)
    assert [(r["actor"], r["action"], r["target"]) for r in rows] == [
        (ACTOR, "meeting_create", "meeting #1"),
        (ACTOR, "meeting_reschedule", "meeting #1"),
        (ACTOR, "meeting_cancel", "meeting #1"),
    ]
    assert rows[0]["detail"] == f"KORO {utc}; {invitees} invitee(s), 1 added by phone"
    assert rows[1]["detail"].startswith(f"to {later_utc}; ") and rows[2]["detail"].endswith(" told")
    assert_nothing_private(runtime, rows)


def test_refused_meeting_commands_are_not_audited(run, runtime, directory):
    past, _ = local_at(-1)
    assert run("meetings", "create", "--district", "KORO", "--at", past, "--place", "Koro").exit_code != 0
    assert run("meetings", "create", "--district", "GAO", "--at", local_at(3)[0], "--place", "Koro").exit_code != 0
    invite = ("--invite", "+22370000001")
    assert run("meetings", "create", "--district", "KORO", "--at", local_at(3)[0], "--place", "K", *invite).exit_code
    assert run("meetings", "cancel", "7").exit_code != 0
    assert audit(run) == []
    run("meetings", "create", "--district", "KORO", "--at", local_at(3)[0], "--place", "Koro")
    run("meetings", "cancel", "1")
    assert run("meetings", "cancel", "1").exit_code != 0, "already cancelled"
    assert run("meetings", "reschedule", "1", "--at", local_at(5)[0]).exit_code != 0, "cancelled"
    assert [action for _, action, _ in changes(run)] == ["meeting_create", "meeting_cancel"]


def test_simulate_is_audited_as_who_typed_in_a_contacts_name(run, runtime, directory):
    result = run("simulate", "71 13 96 85", stdin="ALERTE 3 " + REPORT + "\n")
    assert result.exit_code == 0, result.output
    assert run("simulate", "+22370000001", stdin="ALERTE\n").exit_code != 0
    with runtime.db.transaction() as session:
        contact_id = session.scalar(select(Contact.id).where(Contact.phone == LEADER))
    rows = audit(run)
    assert changes(run) == [(ACTOR, "simulate", f"contact #{contact_id}")]
    assert_nothing_private(runtime, rows)

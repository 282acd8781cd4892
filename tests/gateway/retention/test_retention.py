"""Retention: what a purge redacts and keeps, by age and by sender, and `gateway purge [--dry-run]`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.core.privacy import mask_address
from gateway.models import Alert, AlertUpdate, AuditEntry, Escalation, Message, MessageStatus
from gateway.retention.purge import purge
from tests.gateway.retention.aged_rows import LEADER, STRANGER, seed, statistics

# name, kind (in/out message, alert), age in days, sender in the directory, extras, expected
# (defaults: RETENTION_DAYS 180, UNKNOWN_RETENTION_DAYS 30)
CASES = [
    ("leader's SMS, 181 days", "in", 181, True, {}, "purged"),
    ("leader's SMS, 179 days", "in", 179, True, {}, "kept"),
    ("leader's SMS, 31 days", "in", 31, True, {}, "kept"),
    ("reply to a leader, 181 days", "out", 181, True, {}, "purged"),
    ("failed reply to a leader, 181 days", "out", 181, True, {"status": MessageStatus.FAILED}, "purged"),
    ("reply still queued, 181 days", "out", 181, True, {"status": MessageStatus.QUEUED}, "kept"),
    ("SMS never handled, 181 days", "in", 181, True, {"unhandled": True}, "kept"),
    ("stranger's SMS, 31 days", "in", 31, False, {}, "purged"),
    ("stranger's SMS, 29 days", "in", 29, False, {}, "kept"),
    ("answer to a stranger, 31 days", "out", 31, False, {}, "purged"),
    ("leader's alert, 181 days", "alert", 181, True, {}, "purged"),
    ("leader's alert, 179 days", "alert", 179, True, {}, "kept"),
    ("leader's alert, 31 days", "alert", 31, True, {}, "kept"),
    ("stranger's report, 31 days", "alert", 31, False, {}, "purged"),
    ("stranger's report, 29 days", "alert", 29, False, {}, "kept"),
]


@pytest.fixture
def aged(runtime, directory):
    """Every row of the table, by name → (kind, known, id)."""
    with runtime.db.transaction() as session:
        return {name: (kind, known, seed(session, name, kind, days, known, **extra))
                for name, kind, days, known, extra, _ in CASES}  # fmt: skip


def outcome(session, name: str, kind: str, known: bool, row_id: int) -> str:
    """`purged` or `kept`, or what is wrong with the row (half purged, facts lost)."""
    if kind in ("in", "out"):
        m = session.get(Message, row_id)
        address = LEADER if known else mask_address(STRANGER)
        if (m.body, m.meta, m.buttons, m.purged_at is None) == (None, None, None, False) and m.address == address:
            return "purged" if m.created_at and m.direction == kind else "facts lost"
        if m.body == f"body of {name}" and m.purged_at is None and m.address == (LEADER if known else STRANGER):
            return "kept"
        return f"inconsistent: {m.body!r} {m.address!r} {m.purged_at}"
    a = session.get(Alert, row_id)
    update = session.scalar(select(AlertUpdate.value).where(AlertUpdate.alert_id == row_id))
    note = session.scalar(select(Escalation.resolution_note).where(Escalation.alert_id == row_id))
    texts = (a.description, a.place, a.latitude, update, note)
    facts = (a.category, a.severity, a.status, a.commune, a.created_at is not None) == ("land", 3, "resolved",
                                                                                          "Konna", True)  # fmt: skip
    if not facts:
        return "facts lost"
    if texts == (None,) * 5 and a.purged_at is not None:
        return "purged"
    if texts == (f"description of {name}", f"place of {name}", 14.5, f"update of {name}", f"note of {name}"):
        return "kept" if a.purged_at is None else "marked but kept"
    return f"inconsistent: {texts}"


def outcomes(runtime, aged) -> dict[str, str]:
    with runtime.db.sessions() as session:
        return {name: outcome(session, name, kind, known, row_id) for name, (kind, known, row_id) in aged.items()}


def test_each_row_is_purged_or_kept_by_its_age_and_sender(runtime, aged):
    purge(runtime.db, runtime.settings)
    assert outcomes(runtime, aged) == {name: expected for name, *_, expected in CASES}


def test_the_counts_name_each_kind(runtime, aged):
    report = purge(runtime.db, runtime.settings)
    assert report.counts == {
        "messages": 3,  # leader's SMS and the two replies of 181 days
        "unknown_messages": 2,
        "alerts": 1,
        "reports": 1,
        "alert_updates": 2,
        "resolution_notes": 2,
        "media": 0,
    }


def test_statistics_survive_a_purge(runtime, aged):
    with runtime.db.sessions() as session:
        before = statistics(session)
    purge(runtime.db, runtime.settings)
    with runtime.db.sessions() as session:
        assert statistics(session) == before


def test_a_dry_run_counts_what_a_purge_does_and_changes_nothing(runtime, aged):
    before = outcomes(runtime, aged)
    planned = purge(runtime.db, runtime.settings, dry_run=True)
    assert outcomes(runtime, aged) == before and set(before.values()) == {"kept"}
    assert purge(runtime.db, runtime.settings).counts == planned.counts


def test_a_second_purge_purges_nothing_more(runtime, aged):
    assert purge(runtime.db, runtime.settings).total == 11
    with runtime.db.sessions() as session:
        marks = sorted(session.scalars(select(Message.purged_at).where(Message.purged_at.is_not(None))))
    again = purge(runtime.db, runtime.settings)
    assert again.total == 0 and purge(runtime.db, runtime.settings, dry_run=True).total == 0
    with runtime.db.sessions() as session:
        assert sorted(session.scalars(select(Message.purged_at).where(Message.purged_at.is_not(None)))) == marks


def test_batches_are_bounded_and_a_capped_run_says_it_is_not_complete(runtime, directory):
    with runtime.db.transaction() as session:
        for i in range(5):
            seed(session, f"old {i}", "in", 200, True)
    first = purge(runtime.db, runtime.settings, batch=2, max_batches=1)
    assert (first.counts["messages"], first.complete) == (2, False)
    rest = purge(runtime.db, runtime.settings, batch=2)
    assert (rest.counts["messages"], rest.complete) == (3, True)


def test_retention_days_are_read_from_the_environment(runtime, aged, settings):
    from dataclasses import replace

    longer = replace(settings, retention_days=400, unknown_retention_days=400)
    assert purge(runtime.db, longer, dry_run=True).total == 0


# --- gateway purge ---------------------------------------------------------------------------------------------


@pytest.fixture
def run(env):
    """Invoke the real `gateway` command with the test environment."""
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), env=env, catch_exceptions=False)


def audit_rows(runtime) -> list[AuditEntry]:
    with runtime.db.sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_purge_dry_run_prints_counts_and_cutoffs_and_writes_nothing(run, runtime, aged):
    result = run("purge", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("cutoffs: directory senders before ") and "RETENTION_DAYS=180" in lines[0]
    assert "UNKNOWN_RETENTION_DAYS=30" in lines[0]
    assert lines[1] == "would purge (dry run, nothing changed):"
    counts = {line.split()[0]: int(line.split()[1]) for line in lines[2:9]}
    assert counts["unknown_messages"] == 2 and counts["alerts"] == 1 and counts["media"] == 0
    assert "CONVERSATION_TTL_SECONDS" in lines[-1]
    assert set(outcomes(runtime, aged).values()) == {"kept"} and audit_rows(runtime) == []


def test_purge_redacts_and_writes_one_audit_row_with_the_counts(run, runtime, aged):
    result = run("purge", "--format", "json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["dry_run"] is False and printed["counts"]["messages"] == 3
    [row] = audit_rows(runtime)
    assert row.actor.startswith("cli:") and row.action == "purge"
    assert json.loads(row.detail) == {**printed["counts"], "complete": True}
    assert STRANGER not in row.detail
    again = run("purge")
    assert again.output.splitlines()[1] == "purged:" and " 0 " in again.output
    assert len(audit_rows(runtime)) == 2, "each real purge by hand is audited, even an empty one"


def test_alerts_show_says_when_the_texts_were_purged(run, runtime, aged):
    ref = aged["leader's alert, 181 days"][2]
    assert json.loads(run("alerts", "show", str(ref), "--format", "json").output)["purged_at"] is None
    run("purge")
    shown = json.loads(run("alerts", "show", str(ref), "--format", "json").output)
    assert shown["purged_at"] and (shown["description"], shown["place"]) == (None, None)
    assert (shown["category"], shown["severity"], shown["status"]) == ("land", 3, "resolved")
    assert [f["value"] for f in shown["followups"]] == [None] and shown["escalation"]["resolution_note"] is None

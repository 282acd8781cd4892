"""`gateway alerts list|show`: alerts for staff at the terminal."""

from __future__ import annotations

import click
from sqlalchemy import select

from flows.definitions import CATEGORIES
from flows.keywords import parse_reference
from gateway.alerts import followups
from gateway.alerts.lifecycle import alert_recorded
from gateway.alerts.records import alert_as_dict, list_alerts
from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION, emit, emit_record, say
from gateway.core import audit
from gateway.core.runtime import build_runtime, set_process_runtime
from gateway.escalation.officers import paging_table
from gateway.escalation.timeline import escalation_record, timeline_lines
from gateway.models import TRIAGE_SOURCES, Alert, AlertStatus, AlertUpdate, District, utcnow


class UsageError(click.ClickException):
    """A refused combination of options: one line, exit status 2 (click's usage errors print a whole block)."""

    exit_code = 2


LIST_COLUMNS = ("ref", "created_at", "district", "commune", "category", "severity", "status", "media", "description")


@click.group()
def alerts() -> None:
    """Alerts and reports from the leaders."""


@alerts.command("list")
@click.option("--district", help="District code, e.g. KORO.")
@click.option("--status", type=click.Choice([s.value for s in AlertStatus]), help="Only alerts in this status.")
@FORMAT_OPTION
def list_command(district: str | None, status: str | None, fmt: str) -> None:
    """List alerts, newest first."""
    database = open_database(cli_settings())
    with database.transaction() as session:
        if district:
            codes = list(session.scalars(select(District.code).order_by(District.code)))
            if district.upper() not in codes:
                known = ", ".join(codes) or "none imported yet"
                raise click.ClickException(f"unknown district {district!r} (known: {known})")
        rows = [alert_as_dict(a) for a in list_alerts(session, district, status)]
    for row in rows:
        row["created_at"] = row["created_at"][:16].replace("T", " ")
        if fmt == "table":
            row["media"] = ",".join(row["media"])
    emit(rows, LIST_COLUMNS, fmt, empty="no alerts")


@alerts.command("show")
@click.argument("ref")
@click.option("--with-reporter", is_flag=True, help="Include the reporter's name and phone (needs --reason; audited).")
@click.option("--reason", help="Why the reporter's identity is needed (recorded in the audit log).")
@FORMAT_OPTION
def show_command(ref: str, with_reporter: bool, reason: str | None, fmt: str) -> None:
    """Show one alert (REF as 142 or #142); the reporter's identity only with --with-reporter --reason."""
    number, rest = parse_reference(ref)
    if number is None or rest:
        raise click.ClickException(f"{ref!r} is not an alert reference (e.g. 142 or #142)")
    reason = reveal_reason(with_reporter, reason)
    database = open_database(cli_settings())
    with database.transaction() as session:
        alert = session.get(Alert, number)
        if alert is None:
            raise click.ClickException(f"no alert #{number}")
        record = alert_as_dict(alert, with_reporter=with_reporter)
        if with_reporter:  # recorded in the transaction of the read: no reveal without its audit row
            audit.record(session, audit.cli_actor(), "reveal_reporter", f"alert #{number}", reason)
        escalation = escalation_record(session, alert)
        updates = followups.history(session, alert.id)
    if fmt == "json":
        emit_record({**record, "escalation": escalation, "followups": updates}, fmt)
        return
    emit_record(record, fmt)
    for line in timeline_lines(escalation) if escalation else ["escalation: none (nobody was paged)"]:
        say(line)
    for item in updates:
        say(f"  {item['at'][:19].replace('T', ' ')}  {item['kind']:<9} {item['value'] or ''}".rstrip())


@alerts.command("triage")
@click.argument("ref")
@click.option("--category", type=click.Choice([c.value for c in CATEGORIES]), required=True)
@click.option("--severity", type=click.IntRange(1, 3), help="1 information, 2 tension, 3 urgent.")
def triage_command(ref: str, category: str, severity: int | None) -> None:
    """Classify a report (category, severity); a serious one then pages the officers like any alert."""
    number, rest = parse_reference(ref)
    if number is None or rest:
        raise click.ClickException(f"{ref!r} is not an alert reference (e.g. 142 or #142)")
    settings = cli_settings()
    open_database(settings)
    runtime = build_runtime(settings)
    set_process_runtime(runtime)
    try:
        with runtime.db.transaction() as session:
            alert = session.get(Alert, number)
            if alert is None:
                raise click.ClickException(f"no alert #{number}")
            if alert.triaged_at is not None or alert.source not in TRIAGE_SOURCES:
                raise click.ClickException(f"alert #{number} is already classified")
            alert.category, alert.triaged_at = category, utcnow()
            if severity is not None:
                alert.severity = severity
            value, actor = f"{category} {severity or '?'}", audit.cli_actor()
            session.add(AlertUpdate(alert_id=alert.id, kind="triaged", value=value, actor=actor))
            audit.record(session, actor, "alert_triage", f"alert #{number}", value)  # as the console's desk does
            alert_recorded(session, runtime, alert)
    finally:
        set_process_runtime(None)
        runtime.close()
    click.echo(f"alert #{number} classified: {category}, severity {severity or 'unknown'}")


def reveal_reason(with_reporter: bool, reason: str | None) -> str | None:
    """The reason for a reveal, on one printable line; refused (exit 2) when missing or given without a reveal."""
    if reason is not None and not with_reporter:
        raise UsageError("--reason goes with --with-reporter")
    if not with_reporter:
        return None
    # One line of printable text: the audit log is read in a terminal too.
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in (reason or "")).split())[:500]
    if not text:
        raise UsageError("--with-reporter needs --reason TEXT (why the reporter's identity is needed); it is audited")
    return text


@click.command("officers")
@FORMAT_OPTION
def officers_command(fmt: str) -> None:
    """Who is paged for each district and level."""
    settings = cli_settings()
    database = open_database(settings)
    with database.transaction() as session:
        rows = paging_table(session, settings.telegram_enabled)
    emit(rows, ("district", "level", "officer", "region", "channels"), fmt, empty="no officers in the directory")

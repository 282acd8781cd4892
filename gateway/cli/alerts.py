"""`gateway alerts list|show`: alerts for staff at the terminal."""

from __future__ import annotations

import click
from sqlalchemy import select

from flows.keywords import parse_reference
from gateway.alerts import alert_as_dict, list_alerts
from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION, emit, emit_record
from gateway.escalation.officers import paging_table
from gateway.escalation.timeline import escalation_record, timeline_lines
from gateway.models import Alert, AlertStatus, District

LIST_COLUMNS = ("ref", "created_at", "district", "commune", "category", "severity", "status", "description")


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
    emit(rows, LIST_COLUMNS, fmt, empty="no alerts")


@alerts.command("show")
@click.argument("ref")
@click.option("--with-reporter", is_flag=True, help="Include the reporter's name and phone (handle with care).")
@FORMAT_OPTION
def show_command(ref: str, with_reporter: bool, fmt: str) -> None:
    """Show one alert (REF as 142 or #142)."""
    number, rest = parse_reference(ref)
    if number is None or rest:
        raise click.ClickException(f"{ref!r} is not an alert reference (e.g. 142 or #142)")
    database = open_database(cli_settings())
    with database.transaction() as session:
        alert = session.get(Alert, number)
        if alert is None:
            raise click.ClickException(f"no alert #{number}")
        record = alert_as_dict(alert, with_reporter=with_reporter)
        escalation = escalation_record(session, alert)
    if fmt == "json":
        emit_record({**record, "escalation": escalation}, fmt)
        return
    emit_record(record, fmt)
    for line in timeline_lines(escalation) if escalation else ["escalation: none (nobody was paged)"]:
        click.echo(line)


@click.command("officers")
@FORMAT_OPTION
def officers_command(fmt: str) -> None:
    """Who is paged for each district and level."""
    database = open_database(cli_settings())
    with database.transaction() as session:
        rows = paging_table(session)
    emit(rows, ("district", "level", "officer", "region", "channels"), fmt, empty="no officers in the directory")

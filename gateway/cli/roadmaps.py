"""`gateway roadmaps import|list|set-status`: the districts' roadmaps from the server's command line."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from flows.keywords import parse_reference
from gateway.cli import cli_settings, echo_error, open_database
from gateway.cli.output import FORMAT_OPTION, DryRun, emit, fail_with_errors, read_csv_file, say
from gateway.core import audit
from gateway.core.privacy import mask_phone_numbers
from gateway.models import District, Meeting, RoadmapItem
from gateway.roadmaps.changes import RoadmapError
from gateway.roadmaps.csv_import import RoadmapFileError, apply_rows, read_rows, validate
from gateway.roadmaps.desk import cli_change_status, link
from gateway.roadmaps.items import as_record, find_district, items_query, local_today, parse_ref, ref, statuses

LIST_COLUMNS = ("ref", "district", "commune", "village", "service", "commitment", "due", "status", "late")


@click.group()
def roadmaps() -> None:
    """The districts' roadmaps: commitments of the authorities and their status."""


@roadmaps.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
def import_command(file: str, dry_run: bool) -> None:
    """Import FILE.csv: upsert by district, commune, village, service and commitment; nothing is written unless
    every line is valid."""
    text = read_csv_file(file)
    try:
        rows = read_rows(text)
    except RoadmapFileError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    database = open_database(cli_settings())
    try:
        with database.transaction() as session:
            valid, errors = validate(session, rows)
            if errors:
                fail_with_errors(file, errors)
            report = apply_rows(session, valid)
            if dry_run:
                raise DryRun
            audit.record(session, audit.cli_actor(), "roadmaps_import", "roadmaps", _summary(file, report))
    except DryRun:
        pass
    except IntegrityError:
        raise click.ClickException(
            f"{file}: another import wrote the same items meanwhile; nothing was written"
        ) from None
    if report.unknown_communes:
        echo_error(
            f"{file}: no leader of the directory lives in {', '.join(report.unknown_communes)}: "
            "the pulse will ask nobody there"
        )
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{verb} {report.total} items: {report.created} new, {report.updated} updated, {report.unchanged} unchanged; "
        f"{report.status_changes} status change(s)"
    )


def _summary(file: str, report) -> str:
    """Counts and the file's name (masked: a name may hold a number)."""
    return (
        f"{mask_phone_numbers(Path(file).name)}: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.status_changes} status change(s)"
    )


def _district(session, text: str) -> District:
    district = find_district(session, text)
    if district is None:
        known = ", ".join(session.scalars(select(District.code).order_by(District.code))) or "none imported yet"
        raise click.ClickException(f"unknown district {text!r} (known: {known})")
    return district


def _status(value: str) -> str:
    if value not in statuses():
        raise click.ClickException(f"unknown status {value!r} (one of: {', '.join(statuses())})")
    return value


@roadmaps.command("list")
@click.option("--district", help="District code or name.")
@click.option("--status", help="planned, in_progress, done, stalled or reversed.")
@click.option("--overdue", is_flag=True, help="Only the items past their due date and not done.")
@FORMAT_OPTION
def list_command(district: str | None, status: str | None, overdue: bool, fmt: str) -> None:
    """List roadmap items by district and commune; `late` marks the overdue ones."""
    settings = cli_settings()
    database = open_database(settings)
    today = local_today(settings.timezone)
    with database.transaction() as session:
        ids = [_district(session, district).id] if district else None
        query = items_query(ids, _status(status) if status else None, today if overdue else None)
        rows = [as_record(item, today) for item in session.scalars(query)]
    if fmt == "table":
        for row in rows:
            row["late"] = "OVERDUE" if row["overdue"] else ""
    emit(rows, LIST_COLUMNS, fmt, empty="no roadmap items")


@roadmaps.command("set-status")
@click.argument("ref_text", metavar="REF")
@click.argument("status")
@click.option("--note", help="Why (kept in the item's history).")
@click.option("--meeting", "meeting_ref", help="The meeting (#N) where this was decided: linked to the item.")
def set_status_command(ref_text: str, status: str, note: str | None, meeting_ref: str | None) -> None:
    """Move item REF (R12) to STATUS, recorded in its history with actor `cli`."""
    database = open_database(cli_settings())
    with database.transaction() as session:
        item = session.get(RoadmapItem, parse_ref(ref_text)) if parse_ref(ref_text) is not None else None
        if item is None:
            raise click.ClickException(f"no roadmap item {ref_text!r}")
        meeting = _meeting(session, meeting_ref) if meeting_ref else None
        try:
            change = cli_change_status(session, item, _status(status), note)
            if meeting is not None and meeting not in item.meetings:
                link(session, audit.cli_actor(), item, meeting)
        except RoadmapError as exc:
            raise click.ClickException(str(exc)) from None
        line = f"{ref(item.id)}: {change.previous} -> {change.status}"
    say(line + (f" (meeting #{meeting.id} linked)" if meeting is not None else ""))


def _meeting(session, text: str) -> Meeting:
    number, rest = parse_reference(text)
    meeting = session.get(Meeting, number) if number is not None and not rest else None
    if meeting is None:
        raise click.ClickException(f"no meeting {text!r}")
    return meeting

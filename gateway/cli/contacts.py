"""`gateway contacts …`: import and export the directory CSV."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from gateway.cli import cli_settings, open_database
from gateway.cli.output import DryRun, fail_with_errors, read_csv_file, say
from gateway.core import audit
from gateway.core.privacy import mask_address, mask_phone_numbers
from gateway.directory.export import export_rows
from gateway.directory.import_export import DirectoryError, apply_rows, read_rows, validate
from gateway.directory.phones import InvalidPhone, to_e164
from gateway.models import Contact

# Files at least this long show a progress bar while they are written.
PROGRESS_FROM_ROWS = 500


@click.group()
def contacts() -> None:
    """The directory of leaders, facilitators and officers."""


@contacts.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and show what would change; write nothing.")
def import_command(file: str, dry_run: bool) -> None:
    """Import FILE.csv: upsert by phone; nothing is written unless every line is valid."""
    text = read_csv_file(file)
    try:
        rows = read_rows(text)
    except DirectoryError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    valid, errors = validate(rows)
    if errors:
        fail_with_errors(file, errors)
    database = open_database(cli_settings())
    try:
        with database.transaction() as session:
            if len(valid) >= PROGRESS_FROM_ROWS:
                with click.progressbar(
                    length=len(valid), label="importing", file=click.get_text_stream("stderr")
                ) as bar:
                    report = apply_rows(session, valid, progress=bar.update)
            else:
                report = apply_rows(session, valid)
            if report.errors:
                raise DryRun
            if dry_run:
                raise DryRun
            audit.record(session, audit.cli_actor(), "contacts_import", "directory", _import_detail(file, report))
    except DryRun:
        pass
    except IntegrityError:
        raise click.ClickException(
            f"{file}: conflicts with stored contacts (telegram ids); nothing was written"
        ) from None
    if report.errors:
        fail_with_errors(file, report.errors)
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{verb} {report.total} contacts: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged; {len(report.districts_created)} new district(s)"
        + (f" ({', '.join(report.districts_created)})" if report.districts_created else "")
    )


def _import_detail(file: str, report) -> str:
    """Counts and the file's name (masked: a name may hold a number), never a row of the file."""
    return (
        f"{mask_phone_numbers(Path(file).name)}: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged; {len(report.districts_created)} new district(s)"
    )


@contacts.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to a file, not stdout.")
def export_command(output: str | None) -> None:
    """Write the directory as CSV in the import format (it holds every phone number: audited)."""
    database = open_database(cli_settings())
    with database.transaction() as session:
        text = export_rows(session)
        count = session.scalar(select(func.count()).select_from(Contact))
        # Recorded with the read, before anything is written out: no export leaves without its audit row.
        where = mask_phone_numbers(Path(output).name) if output else "stdout"
        audit.record(session, audit.cli_actor(), "contacts_export", "directory", f"{count} contacts to {where}")
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {count} contacts to {output}", err=True)
    else:
        click.echo(text, nl=False)


@contacts.command("telegram-link")
@click.argument("phone")
def telegram_link(phone: str) -> None:
    """Print a one-time code (valid 7 days) with which the contact PHONE links their Telegram account."""
    from gateway.core.runtime import build_runtime
    from gateway.directory.telegram_identity import LINK_CODE_TTL_SECONDS, create_link_code

    try:
        address = to_e164(phone)
    except InvalidPhone as exc:
        raise click.ClickException(f"{phone!r}: {exc}") from None
    settings = cli_settings()
    database = open_database(settings)
    runtime = build_runtime(settings)
    try:
        with database.transaction() as session:
            contact = session.scalar(select(Contact).where(Contact.phone == address))
            if contact is None:
                raise click.ClickException(f"{mask_address(address)} is not in the directory")
            name = contact.name
            # The code itself is a credential: the audit row says who it is for, never the code.
            audit.record(
                session, audit.cli_actor(), "telegram_link_code", f"contact #{contact.id}", mask_address(address)
            )
            # Created before the audit row commits: a Redis failure rolls the row back (no code, no record).
            code = create_link_code(runtime, contact.id)
    finally:
        runtime.close()
    days = LINK_CODE_TTL_SECONDS // 86400
    say(f"code for {name}: {code}")
    click.echo(f"in Telegram, open the bot and send: /start {code}  (valid {days} days, once)")

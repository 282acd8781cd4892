"""`gateway audit list`: the append-only audit log (reveals of a reporter, purges, …) for an administrator."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION, emit
from gateway.core.audit import entry_as_dict
from gateway.models import AuditEntry

COLUMNS = ("at", "actor", "action", "target", "detail")


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command("list")
@click.option("--user", "user", help="Only this actor: as recorded (an email, cli:NAME, system) or a bare NAME.")
@click.option("--since", help="From this local date on (YYYY-MM-DD).")
@FORMAT_OPTION
def list_command(user: str | None, since: str | None, fmt: str) -> None:
    """Audit rows, oldest first."""
    settings = cli_settings()
    start = _since(since, settings.timezone) if since else None
    database = open_database(settings)
    query = select(AuditEntry).order_by(AuditEntry.id)
    if user:
        # `--user ali` also finds what ali typed on the server (recorded as cli:ali).
        query = query.where(AuditEntry.actor.in_({user, f"cli:{user}"}))
    if start:
        query = query.where(AuditEntry.at >= start)
    with database.sessions() as session:
        rows = [entry_as_dict(e) for e in session.scalars(query)]
    if fmt == "json":
        click.echo(json.dumps({"audit": rows}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        row["at"] = row["at"][:19].replace("T", " ")
    emit(rows, COLUMNS, fmt, empty="no audit entries")


def _since(text: str, timezone: str) -> datetime:
    """Midnight of a YYYY-MM-DD date in the gateway's time zone."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError(text)
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise click.ClickException(f"bad --since {text!r}: expected a date as YYYY-MM-DD") from None
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))

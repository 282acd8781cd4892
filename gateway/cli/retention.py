"""`gateway purge [--dry-run]`: the retention purge by hand, with what it would purge or purged."""

from __future__ import annotations

import json

import click

from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION
from gateway.core.audit import cli_actor
from gateway.retention.purge import KINDS, PurgeReport, run_purge

# What each count is, for the table.
LABELS = {
    "messages": "message bodies (directory senders and recipients)",
    "unknown_messages": "messages of numbers outside the directory (body and number)",
    "alerts": "alert descriptions and places",
    "reports": "reports from numbers outside the directory",
    "alert_updates": "follow-up answers and updates",
    "resolution_notes": "escalation resolution notes",
    "media": "media (none stored yet)",
}


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; change nothing.")
@FORMAT_OPTION
def purge_command(dry_run: bool, fmt: str) -> None:
    """Redact what is older than RETENTION_DAYS (UNKNOWN_RETENTION_DAYS for numbers outside the directory)."""
    settings = cli_settings()
    database = open_database(settings)
    report = run_purge(database, settings, actor=cli_actor(), dry_run=dry_run)
    if fmt == "json":
        click.echo(json.dumps(_as_dict(report, settings.conversation_ttl_seconds), indent=2))
        return
    c = report.cutoffs
    click.echo(
        f"cutoffs: directory senders before {c.known:%Y-%m-%d %H:%M} UTC (RETENTION_DAYS={settings.retention_days}), "
        f"others before {c.unknown:%Y-%m-%d %H:%M} UTC (UNKNOWN_RETENTION_DAYS={settings.unknown_retention_days})"
    )
    click.echo("would purge (dry run, nothing changed):" if dry_run else "purged:")
    width = max(len(k) for k in KINDS)
    for kind in KINDS:
        click.echo(f"  {kind.ljust(width)}  {report.counts[kind]:>7}  {LABELS[kind]}")
    click.echo(
        f"conversation state expires in Redis after CONVERSATION_TTL_SECONDS={settings.conversation_ttl_seconds}"
    )


def _as_dict(report: PurgeReport, ttl: int) -> dict:
    return {
        "dry_run": report.dry_run,
        "cutoffs": {"known": report.cutoffs.known.isoformat(), "unknown": report.cutoffs.unknown.isoformat()},
        "counts": report.counts,
        "conversation_ttl_seconds": ttl,
    }

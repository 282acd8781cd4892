"""`gateway pulse send`: the weekly service-return pulse (`results` is added to the same group by its own module)."""

from __future__ import annotations

import click
from sqlalchemy import select

from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION, emit_json, say
from gateway.core.audit import cli_actor
from gateway.core.runtime import build_runtime, set_process_runtime
from gateway.models import District
from gateway.pulse.sending import PulseError, PulseSummary, send_pulse


@click.group()
def pulse() -> None:
    """The service-return pulse: ask the leaders whether each tracked service is there."""


def _district_id(runtime, code: str | None) -> int | None:
    """The id of a district code (`KORO`, any case), or a one-line error naming the known ones."""
    if code is None:
        return None
    with runtime.db.transaction() as session:
        district = session.scalar(select(District).where(District.code == code.strip().upper()))
        if district is None:
            known = ", ".join(session.scalars(select(District.code).order_by(District.code))) or "none imported yet"
            raise click.ClickException(f"unknown district {code!r} (known: {known})")
        return district.id


@pulse.command("send")
@click.option("--district", help="District code, e.g. KORO (default: every district).")
@click.option("--dry-run", is_flag=True, help="Print recipients, SMS segments and cost; send nothing.")
@FORMAT_OPTION
def send_command(district: str | None, dry_run: bool, fmt: str) -> None:
    """Send this week's pulse to every leader of every commune with tracked services."""
    settings = cli_settings()
    open_database(settings)
    runtime = build_runtime(settings)
    set_process_runtime(runtime)
    try:
        district_id = _district_id(runtime, district)
        try:
            summary = send_pulse(runtime, district_id=district_id, actor=cli_actor(), dry_run=dry_run)
        except PulseError as exc:
            raise click.ClickException(str(exc)) from None
    finally:
        set_process_runtime(None)
        runtime.close()
    if fmt == "json":
        emit_json({**summary.as_dict(), "dry_run": dry_run})
        return
    _print(summary, dry_run)


def _print(summary: PulseSummary, dry_run: bool) -> None:
    verb = "would ask" if dry_run else "asked"
    say(f"pulse {summary.week}{' (dry run: nothing sent)' if dry_run else f' (run {summary.run_id})'}")
    say(f"{verb} {summary.recipients} leader(s) in {summary.communes} commune(s)")
    channels = ", ".join(f"{channel} {count}" for channel, count in summary.channels) or "none"
    say(f"channels: {channels}; SMS segments: {summary.segments}; cost: {summary.cost or 'not configured'}")
    if summary.not_sent:
        say(f"{summary.not_sent} leader(s) cannot be reached (number refusing SMS, or no SMS channel)")
    if summary.without_leaders:
        say(f"tracked communes without a leader to ask: {', '.join(summary.without_leaders)}")
    if summary.leaves_at is not None:
        say(f"quiet hours: the questions leave at {summary.leaves_at:%Y-%m-%d %H:%M} UTC")

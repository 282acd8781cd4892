"""`gateway report bulletin --district D|--all [--week YYYY-Www] --out FILE.pdf|FILE.html`: the weekly bulletin."""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import select

from gateway.cli import cli_settings, open_database
from gateway.cli.output import say
from gateway.models import District
from gateway.reports.bulletin import collect
from gateway.reports.scopes import all_scope, district_scope
from gateway.reports.weeks import BadWeek, IsoWeek
from gateway.reports.words import Words
from gateway.roadmaps.items import find_district, local_today


def _pdf(bulletin) -> bytes:
    from gateway.reports.render_pdf import render_pdf  # reportlab and matplotlib: only for this command

    return render_pdf(bulletin)


def _html(bulletin) -> bytes:
    from gateway.reports.render_html import render_html  # matplotlib: only for this command

    return render_html(bulletin).encode("utf-8")


# Every `gateway` command (`gateway worker` and `gateway run` too) loads this module: the renderers are imported
# when a bulletin is written, not at start-up.
RENDERERS = {".pdf": _pdf, ".html": _html}


@click.group("report")
def report() -> None:
    """Reports for staff: the weekly bulletin of a district or of all districts."""


def _out(path: Path) -> Path:
    """The output file, refused before any work when its kind is unknown or its folder cannot be written."""
    if path.suffix.lower() not in RENDERERS:
        raise click.ClickException(f"--out {str(path)!r}: the file must end in .pdf or .html")
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
        raise click.ClickException(f"--out {str(path)!r}: cannot write there (no such folder, or not writable)")
    return path


@report.command("bulletin")
@click.option("--district", help="District code or name, e.g. KORO or Djenné.")
@click.option("--all", "every", is_flag=True, help="All districts in one bulletin.")
@click.option("--week", help="ISO week, e.g. 2026-W49 (default: the last complete week, local time).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="FILE.pdf or FILE.html")
def bulletin_command(district: str | None, every: bool, week: str | None, out: Path) -> None:
    """Write the bulletin of one week: headline changes, service table, overdue commitments, alert counts."""
    if bool(district) == every:
        raise click.UsageError("give either --district D or --all")
    out = _out(out)
    settings = cli_settings()
    try:
        wanted = IsoWeek.parse(week) if week else IsoWeek.last_complete(local_today(settings.timezone))
    except BadWeek as exc:
        raise click.ClickException(f"--week {exc}") from None
    database = open_database(settings)
    try:
        with database.transaction() as session:
            scope = all_scope() if every else district_scope(_district(session, district))
            bulletin = collect(session, scope, wanted, timezone=settings.timezone,
                               min_answers=settings.pulse_min_answers)  # fmt: skip
            content = RENDERERS[out.suffix.lower()](bulletin)
    finally:
        database.dispose()
    partial = out.with_name(f".{out.name}.part")
    try:  # written whole, then renamed: a failure leaves no half-written bulletin behind
        partial.write_bytes(content)
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"--out {str(out)!r}: cannot write there ({exc.strerror})") from None
    say(f"{out}: {Words().scope(scope)}, {wanted.label}")


def _district(session, text: str) -> District:
    found = find_district(session, text)
    if found is None:
        known = ", ".join(session.scalars(select(District.code).order_by(District.code))) or "none imported yet"
        raise click.ClickException(f"unknown district {text!r} (known: {known})")
    return found

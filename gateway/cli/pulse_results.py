"""`gateway pulse results`: the pulse's indicators per commune × service × round, counts withheld below
PULSE_MIN_ANSWERS (the table says "too few answers", the JSON has nulls and `too_few`)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION, emit, emit_json
from gateway.models import District
from gateway.pulse.results import ServiceWeek, pulse_results, results_json
from gateway.roadmaps.items import find_district

TOO_FEW = "too few answers"
COLUMNS = ["district", "commune", "service", "week", "round", "answers", "rate"]


def _answers(row: ServiceWeek) -> str:
    if row.too_few:
        return TOO_FEW
    return f"{row.open} open, {row.closed} closed, {row.partial} partial, {row.no_answer} none"


def table_row(row: ServiceWeek) -> dict:
    """One line of the table: the counts in words (or "too few answers") and the response rate in percent."""
    return {"district": row.district, "commune": row.commune, "service": row.service, "week": row.week,
            "round": row.round, "answers": _answers(row), "rate": f"{row.response_rate:.0%}"}  # fmt: skip


@click.command("results")
@click.option("--district", help="District code or name, e.g. KORO (default: every district).")
@click.option("--weeks", type=click.IntRange(1, 104), default=12, show_default=True, help="ISO weeks, this one last.")
@FORMAT_OPTION
def results(district: str | None, weeks: int, fmt: str) -> None:
    """Open / closed / partial / no answer and the response rate, per commune × service × round."""
    settings = cli_settings()
    database = open_database(settings)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    with database.transaction() as session:
        ids = None
        if district is not None:
            found = find_district(session, district)
            if found is None:
                known = ", ".join(session.scalars(select(District.code).order_by(District.code))) or "none yet"
                raise click.ClickException(f"unknown district {district!r} (known: {known})")
            ids = [found.id]
        rows = pulse_results(session, district_ids=ids, weeks=weeks, min_answers=settings.pulse_min_answers,
                             today=today)  # fmt: skip
    if fmt == "json":
        emit_json(results_json(rows))
        return
    emit([table_row(r) for r in rows], COLUMNS, fmt, empty=f"no pulse round in the last {weeks} week(s)")

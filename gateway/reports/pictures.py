"""The bulletin's picture: twelve weeks of service presence as small multiples (gateway/reports/charts.py), as PNG
for the PDF and the HTML page; in a bulletin of several districts each commune is named with its district."""

from __future__ import annotations

from dataclasses import replace

from gateway.pulse.results import week_window
from gateway.reports.bulletin import CHART_WEEKS, Bulletin
from gateway.reports.charts import service_multiples
from gateway.reports.output import png_bytes

BULLETIN_DPI = 110  # sharp enough on A4 at the printed width, small enough to send over a slow link


def bulletin_charts(bulletin: Bulletin) -> list[bytes]:
    """The small multiples of the bulletin's weeks as PNG (none when no round went out in them)."""
    rows = list(bulletin.history)
    if not rows:
        return []
    if len({row.district for row in rows}) > 1:  # two districts may have communes of the same name
        rows = [replace(row, commune=f"{row.commune} ({row.district})") for row in rows]
    weeks = week_window(bulletin.week.sunday, CHART_WEEKS)
    return [png_bytes(service_multiples(rows, weeks), dpi=BULLETIN_DPI)]

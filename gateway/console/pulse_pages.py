"""The pulse's pages: the districts of the user's scope (`/console/pulse`) and one district's indicators
(`/console/pulse/<code>`): small multiples of the last 12 weeks, the response rate, roadmap progress, and the latest
round per commune × service, with "too few answers" instead of numbers below PULSE_MIN_ANSWERS."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flask import Response, abort, g, render_template

from gateway.console import console, login_required, runtime
from gateway.console.texts import t
from gateway.models import ServiceKind
from gateway.pulse.results import ServiceWeek, pulse_results, trend, week_window
from gateway.pulse.visibility import visible_district, visible_districts
from gateway.roadmaps.items import PROGRESS_KEYS, progress_counts

if TYPE_CHECKING:
    from gateway.reports.charts import ChartLabels

# matplotlib (with numpy and Pillow) is imported by the chart views only: at import time it added about 40 MB to
# every web worker, most of which never draws a chart (bench/RESULTS.md, peak RSS).

WEEKS = 12


def _today():
    return datetime.now(UTC).astimezone(ZoneInfo(runtime().settings.timezone)).date()


def chart_labels() -> ChartLabels:
    """The charts' words in the page's language (console texts)."""
    from gateway.reports.charts import ChartLabels

    return ChartLabels(
        open=t("pulse.open"),
        partial=t("pulse.partial"),
        closed=t("pulse.closed"),
        too_few=t("pulse.too_few"),
        response_rate=t("pulse.response_rate"),
        progress=t("pulse.progress"),
        empty=t("pulse.empty"),
        services={kind.value: t(f"pulse.service.{kind.value}") for kind in ServiceKind},
        statuses={key: t(f"pulse.status.{key}") for key in PROGRESS_KEYS},
    )


CHARTS = ("multiples", "rate", "progress")


def _figure(kind: str, rows: tuple[ServiceWeek, ...], weeks: tuple[str, ...], progress: tuple):
    from gateway.reports import charts

    labels = chart_labels()
    if kind == "multiples":
        return charts.service_multiples(rows, weeks, labels)
    if kind == "rate":
        return charts.response_rate(rows, weeks, labels)
    return charts.roadmap_progress(dict(progress), labels)


@lru_cache(maxsize=64)
def chart_uri(kind: str, language: str, rows: tuple[ServiceWeek, ...], weeks: tuple[str, ...], progress: tuple) -> str:
    """A chart as a data URI, kept for the same data and language: drawing one takes a second or two, and the data
    change only when answers come in (`language` is part of the key because the labels depend on it)."""
    from gateway.reports.output import svg_data_uri, svg_text

    return svg_data_uri(svg_text(_figure(kind, rows, weeks, progress)))


def _district_data(code: str) -> dict:
    """A district of the user's scope (404 for any other): its rows of the last WEEKS weeks and roadmap progress."""
    settings = runtime().settings
    today = _today()
    with runtime().db.sessions() as db:
        district = visible_district(db, g.scope, code)
        if district is None:
            abort(404)
        rows = pulse_results(db, district_ids=[district.id], weeks=WEEKS, min_answers=settings.pulse_min_answers,
                             today=today)  # fmt: skip
        progress = tuple(progress_counts(db, district.id, today).items())
        return {"code": district.code, "name": district.name, "rows": tuple(rows), "progress": progress,
                "weeks": tuple(week_window(today, WEEKS)), "min_answers": settings.pulse_min_answers}  # fmt: skip


@console.get("/pulse")
@login_required
def pulse_districts():
    """The districts whose indicators the user may see, with the week of their latest round."""
    settings = runtime().settings
    with runtime().db.sessions() as db:
        districts = visible_districts(db, g.scope)
        rows = pulse_results(db, district_ids=[d.id for d in districts], weeks=WEEKS,
                             min_answers=settings.pulse_min_answers, today=_today())  # fmt: skip
        listed = []
        for district in districts:
            own = [r for r in rows if r.district == district.code]
            communes, latest = len({r.commune for r in own}), max((r.week for r in own), default=None)
            listed.append({"code": district.code, "name": district.name, "region": district.region,
                           "communes": communes, "latest": latest})  # fmt: skip
    return render_template("console/pulse.html", districts=listed, weeks=WEEKS)


@console.get("/pulse/<code>")
@login_required
def pulse_district(code: str):
    """One district of the user's scope (404 for any other): its charts and its latest rounds."""
    data = _district_data(code)
    key = (g.language, data["rows"], data["weeks"], data["progress"])
    images = {kind: chart_uri(kind, *key) for kind in CHARTS}
    context = {**data, "progress": dict(data["progress"]), "trends": trend(data["rows"]), "images": images}
    return render_template("console/pulse_district.html", **context)


@console.get("/pulse/<code>/<kind>.png")
@login_required
def pulse_chart_png(code: str, kind: str):
    """One chart of a district as a PNG file to download (for a slide or a letter to the prefect); 404 outside."""
    if kind not in CHARTS:
        abort(404)
    from gateway.reports.output import png_bytes

    data = _district_data(code)
    png = png_bytes(_figure(kind, data["rows"], data["weeks"], data["progress"]))
    name = f"{data['code'].lower()}-{kind}-{data['weeks'][-1]}.png"
    return Response(png, mimetype="image/png", headers={"Content-Disposition": f'attachment; filename="{name}"'})
